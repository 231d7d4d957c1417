package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	r := accessctl(t, nil, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "accessctl ") || !strings.Contains(r.stdout, "(commit ") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	j := accessctl(t, nil, "version", "-o", "json")
	var v struct{ Version, GoVersion, Platform string }
	if j.code != exitOK || json.Unmarshal([]byte(j.stdout), &v) != nil || v.Version == "" || v.GoVersion == "" || v.Platform == "" {
		t.Errorf("version -o json: exit %d, %q", j.code, j.stdout)
	}
	if bad := accessctl(t, nil, "version", "-o", "yaml"); bad.code != exitInput {
		t.Errorf("version -o yaml: exit %d, want %d", bad.code, exitInput)
	}
}
