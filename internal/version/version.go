// Package version says which build a binary is: the release it was stamped
// with (`-ldflags -X`, as the Makefile and the Dockerfile build), else what
// the Go toolchain recorded (the module version and the VCS revision).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped at build time: go build -ldflags "-X github.com/tenancy-dev/access-controller/internal/version.Version=v0.2.0 ...".
var (
	// Version is the release, e.g. v0.2.0 (git describe).
	Version = ""
	// Commit is the VCS revision.
	Commit = ""
	// Date is when it was built (RFC 3339).
	Date = ""
)

// Info is one build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get is this binary's build.
func Get() Info { return get(debug.ReadBuildInfo) }

func get(read func() (*debug.BuildInfo, bool)) Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version // go install ...@v0.2.0
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if i.Commit == "" {
					i.Commit = s.Value
				}
			case "vcs.time":
				if i.Date == "" {
					i.Date = s.Value
				}
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	if i.Version == "" {
		i.Version = "devel"
	}
	return i
}

// String is one line: "v0.2.0 (commit abc1234, built 2026-12-07T03:00:00Z, go1.26.8 linux/amd64)".
func (i Info) String() string {
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown"
	}
	if i.Modified {
		commit += "+modified"
	}
	date := i.Date
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s %s)", i.Version, commit, date, i.GoVersion, i.Platform)
}
