package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestReachGolden: the partner's view of its clients, on the shared
// scenarios and on the hand-made pairs of diff (an expired PartnerAccess; a
// partner admin entry for someone without a seat).
func TestReachGolden(t *testing.T) {
	partners := filepath.Join(scenariosDir, "partners")
	diffDir := filepath.Join("testdata", "diff")
	for _, tc := range []struct {
		name    string
		files   []string
		partner string
		extra   []string
	}{
		{"partners", []string{partners}, "agency-x", nil},
		{"partners-frank", []string{partners}, "agency-x", []string{"--user", "FRANK@agency-x.example"}},
		{"invalid-delegation", []string{filepath.Join(scenariosDir, "invalid-delegation")}, "agency-y", nil},
		{"expired", []string{filepath.Join(partners, "agency.yaml"), filepath.Join(diffDir, "partneraccess-expired")}, "agency-x", nil},
		{"admin-without-seat", []string{filepath.Join(partners, "agency.yaml"), filepath.Join(diffDir, "partner-admin-added", "acme.yaml")}, "agency-x", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"reach", "-f", strings.Join(tc.files, ","), "--tenant", tc.partner, "--now", testNow}, tc.extra...)
			r := accessctl(t, nil, args...)
			if r.code != exitOK {
				t.Fatalf("reach exited %d: %s", r.code, r.stderr)
			}
			golden(t, "reach", tc.name, r.stdout)
		})
	}
}

// TestReachJSON: every reached client carries what and through whom; every
// unreached one says why.
func TestReachJSON(t *testing.T) {
	r := accessctl(t, nil, "reach", "-f", filepath.Join(scenariosDir, "partners"), "--tenant", "agency-x", "--now", testNow, "-o", "json")
	var out reachJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	reached := 0
	for _, s := range out.Staff {
		for _, c := range s.Clients {
			switch {
			case c.As != "" && (len(c.Via) == 0 || len(c.Capabilities)+len(c.Objects) == 0):
				t.Errorf("%s reaches %s with no what or via: %+v", s.User, c.Tenant, c)
			case c.As == "" && c.Reason == "":
				t.Errorf("%s does not reach %s and no reason is given", s.User, c.Tenant)
			case c.As != "":
				reached++
			}
		}
	}
	if len(out.Staff) != 5 || reached != 4 {
		t.Errorf("%d staff, %d reached clients; want 5 and 4", len(out.Staff), reached)
	}
}

func TestReachUsage(t *testing.T) {
	dir := filepath.Join(scenariosDir, "partners")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reach", "-f", dir}, "--tenant is required"},
		{[]string{"reach", "-f", dir, "--tenant", "nope"}, `--tenant "nope": no such Tenant`},
		{[]string{"reach", "-f", dir, "--tenant", "agency-x", "--user", "x@y"}, `--user "x@y": no member of agency-x`},
		{[]string{"reach", "-f", dir, "--tenant", "agency-x", "-o", "yaml"}, `-o "yaml"`},
	} {
		r := accessctl(t, nil, tc.args...)
		if r.code != exitInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitInput, tc.want)
		}
	}
}
