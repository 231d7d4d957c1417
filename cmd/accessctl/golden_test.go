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
			r := accessctl(t, nil, "render", "-f", scenarioDir(name), "--now", testNow)
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
			r := accessctl(t, nil, "validate", "-f", scenarioDir(name), "--now", testNow)
			if r.code != exitNo {
				t.Fatalf("validate exited %d, want %d: %s", r.code, exitNo, r.stderr)
			}
			out := repoPaths(r.stdout)
			golden(t, "validate", name, filepath.ToSlash(out))
		})
	}
}

// TestSamples: config/samples, which `make run` applies and the README walks
// through, is valid (no finding) and renders exactly its golden file, with
// every user of both tenants. A sample broken by a change of the API or the
// engine fails here, not in front of a newcomer.
func TestSamples(t *testing.T) {
	samples := filepath.Join("..", "..", "config", "samples")
	if r := accessctl(t, nil, "validate", "-f", samples, "--now", testNow); r.code != exitOK {
		t.Fatalf("validate config/samples exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := accessctl(t, nil, "render", "-f", samples, "--now", testNow)
	if r.code != exitOK {
		t.Fatalf("render config/samples exited %d: %s", r.code, r.stderr)
	}
	for _, user := range []string{"carol@acme.example", "vera@acme.example", "dana@brightside.example", "eli@brightside.example"} {
		if !strings.Contains(r.stdout, "user: "+user) {
			t.Errorf("the samples' render has no EffectivePermission for %s", user)
		}
	}
	golden(t, "render", "config-samples", r.stdout)
}
