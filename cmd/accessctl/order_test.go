package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderIgnoresOrder: render prints the same bytes whatever the order of
// the files on the command line and of the documents within them (the
// controller sees objects in no particular order either).
func TestRenderIgnoresOrder(t *testing.T) {
	for _, name := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			dir := scenarioDir(name)
			want := accessctl(t, nil, "render", "-f", dir, "--now", testNow)
			if want.code != exitOK {
				t.Fatalf("render exited %d: %s", want.code, want.stderr)
			}
			files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var docs []string
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, splitDocs(string(data))...)
			}
			for seed := uint64(1); seed <= 8; seed++ {
				rng := rand.New(rand.NewPCG(seed, 42))

				// The scenario's own files, shuffled.
				order := append([]string(nil), files...)
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				args := []string{"render", "--now", testNow}
				for _, f := range order {
					args = append(args, "-f", f)
				}
				if got := accessctl(t, nil, args...); got.stdout != want.stdout {
					t.Errorf("seed %d: files in order %v render differently:\n%s", seed, order, lineDiff(want.stdout, got.stdout))
				}

				// Every document, shuffled, dealt into 1 to 3 new files.
				shuffled := append([]string(nil), docs...)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				tmp := t.TempDir()
				parts := make([][]string, 1+rng.IntN(3))
				for i, d := range shuffled {
					parts[i%len(parts)] = append(parts[i%len(parts)], d)
				}
				args = []string{"render", "--now", testNow}
				for i, p := range parts {
					f := filepath.Join(tmp, "part"+itoa(i)+".yaml")
					if err := os.WriteFile(f, []byte(strings.Join(p, "---\n")), 0o644); err != nil {
						t.Fatal(err)
					}
					args = append(args, "-f", f)
				}
				if got := accessctl(t, nil, args...); got.stdout != want.stdout {
					t.Errorf("seed %d: shuffled documents render differently:\n%s", seed, lineDiff(want.stdout, got.stdout))
				}
			}
		})
	}
}

// splitDocs splits a scenario file on its "---" lines.
func splitDocs(s string) []string {
	var docs []string
	for _, d := range strings.Split(s, "\n---\n") {
		d = strings.TrimPrefix(d, "---\n")
		if strings.TrimSpace(d) == "" {
			continue
		}
		if !strings.HasSuffix(d, "\n") {
			d += "\n"
		}
		docs = append(docs, d)
	}
	return docs
}
