package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderGolden: render's YAML for every scenario is exactly the golden
// file. A change of the engine's output shows up here as a reviewable diff.
func TestRenderGolden(t *testing.T) {
	for _, name := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			r := accessctl(t, nil, "render", "-f", filepath.Join(scenariosDir, name), "--now", testNow)
			if r.code != exitOK {
				t.Fatalf("render exited %d: %s", r.code, r.stderr)
			}
			golden(t, "render", name, r.stdout)
		})
	}
}

// TestValidateGolden: validate's output for every invalid scenario is
// exactly the golden file (file names shown from the repository root).
func TestValidateGolden(t *testing.T) {
	for _, name := range scenarios(t) {
		if !isInvalidScenario(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			r := accessctl(t, nil, "validate", "-f", filepath.Join(scenariosDir, name), "--now", testNow)
			if r.code != exitNo {
				t.Fatalf("validate exited %d, want %d: %s", r.code, exitNo, r.stderr)
			}
			out := strings.ReplaceAll(r.stdout, scenariosDir+string(filepath.Separator), "testdata/scenarios/")
			golden(t, "validate", name, filepath.ToSlash(out))
		})
	}
}
