package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	vcs := func(mainVersion string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: mainVersion}, Settings: settings}, true
		}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123"}
	when := debug.BuildSetting{Key: "vcs.time", Value: "2026-12-07T03:00:00Z"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		name            string
		stamp           [3]string
		read            func() (*debug.BuildInfo, bool)
		version, commit string
		modified        bool
		line            string
	}{
		{"stamped by the Makefile", [3]string{"v0.2.0", "feedbeef", "2026-12-01T00:00:00Z"}, vcs("(devel)", rev, when), "v0.2.0", "feedbeef", false,
			"v0.2.0 (commit feedbeef, built 2026-12-01T00:00:00Z, "},
		{"go build in a checkout", [3]string{}, vcs("(devel)", rev, when, dirty), "devel", "0123456789abcdef0123", true,
			"devel (commit 0123456789ab+modified, built 2026-12-07T03:00:00Z, "},
		{"go install ...@v0.3.0", [3]string{}, vcs("v0.3.0"), "v0.3.0", "", false, "v0.3.0 (commit unknown, built unknown, "},
		{"no build info", [3]string{}, func() (*debug.BuildInfo, bool) { return nil, false }, "devel", "", false, "devel (commit unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Version, Commit, Date = tc.stamp[0], tc.stamp[1], tc.stamp[2]
			defer func() { Version, Commit, Date = "", "", "" }()
			i := get(tc.read)
			if i.Version != tc.version || i.Commit != tc.commit || i.Modified != tc.modified {
				t.Errorf("got %+v, want version %s commit %s modified %v", i, tc.version, tc.commit, tc.modified)
			}
			if !strings.HasPrefix(i.String(), tc.line) {
				t.Errorf("String() = %q, want it to start %q", i.String(), tc.line)
			}
		})
	}
}
