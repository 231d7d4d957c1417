package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScenarios runs the shared scenarios exactly as ../shared/scenarios/run
// does, in-process: every checks.tsv row through check (exit 0 for allow,
// 1 for deny) after validate passes, and validate on every expect-invalid
// scenario (exit 1, each expected line a case-insensitive substring of the
// output).
func TestScenarios(t *testing.T) {
	for _, name := range scenarios(t) {
		dir := scenarioDir(name)
		t.Run(name, func(t *testing.T) {
			if isInvalidScenario(name) {
				expectInvalid(t, dir)
				return
			}
			if r := accessctl(t, nil, "validate", "-f", dir, "--now", testNow); r.code != exitOK {
				t.Errorf("validate exited %d, want 0:\n%s%s", r.code, r.stdout, r.stderr)
			}
			runChecks(t, dir)
		})
	}
}

func expectInvalid(t *testing.T, dir string) {
	r := accessctl(t, nil, "validate", "-f", dir, "--now", testNow)
	if r.code != exitNo {
		t.Fatalf("validate exited %d, want 1:\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := strings.ToLower(r.stdout + r.stderr)
	data, err := os.ReadFile(filepath.Join(dir, "expect-invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range strings.Split(string(data), "\n") {
		if want == "" {
			continue
		}
		if !strings.Contains(out, strings.ToLower(want)) {
			t.Errorf("validate output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// checkRow is one row of a scenario's checks.tsv.
type checkRow struct {
	line         int
	text         string
	allow        bool
	tenant, user string
	question     []string // --capability NAME, or --action A and the record's flags
}

// checkRows reads dir/checks.tsv; the flags are built as the run script
// builds them ("-" is an empty column).
func checkRows(t *testing.T, dir string) []checkRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "checks.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []checkRow
	for i, row := range strings.Split(string(data), "\n") {
		cols := strings.Split(row, "\t")
		for len(cols) < 9 {
			cols = append(cols, "-")
		}
		expect, what := cols[0], cols[3]
		if expect != "allow" && expect != "deny" {
			continue
		}
		r := checkRow{line: i + 1, text: strings.ReplaceAll(row, "\t", " "), allow: expect == "allow", tenant: cols[1], user: cols[2]}
		if c, ok := strings.CutPrefix(what, "cap:"); ok {
			r.question = []string{"--capability", c}
		} else {
			r.question = []string{"--action", what}
			for i, flag := range []string{"--type", "--owner", "--visibility", "--groups", "--field"} {
				if v := cols[4+i]; v != "-" {
					r.question = append(r.question, flag, v)
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// runChecks runs every row of dir/checks.tsv through check.
func runChecks(t *testing.T, dir string) {
	for _, row := range checkRows(t, dir) {
		args := append([]string{"check", "-f", dir, "--now", testNow, "--tenant", row.tenant, "--user", row.user}, row.question...)
		want := exitOK
		if !row.allow {
			want = exitNo
		}
		t.Run("line"+itoa(row.line), func(t *testing.T) {
			if r := accessctl(t, nil, args...); r.code != want {
				why := accessctl(t, nil, append(args, "--explain")...)
				t.Errorf("%s: exit %d, want %d\n%s%s", row.text, r.code, want, why.stdout, why.stderr)
			}
		})
	}
}

// TestScenarioCopy: testdata/scenarios is a byte-identical copy of
// ../shared/scenarios (its run script included, which `make test` uses when
// ../shared is absent), so the repository's tests run anywhere without
// drifting from it.
func TestScenarioCopy(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "scenarios")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("%s not found (%v); the copy in testdata/scenarios is used as is", shared, err)
	}
	want := treeFiles(t, shared, false)
	got := treeFiles(t, scenariosDir, false)
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("testdata/scenarios lacks %s: copy ../shared/scenarios/*/ again", p)
		case !bytes.Equal(g, w):
			t.Errorf("testdata/scenarios/%s differs from ../shared/scenarios/%s: copy it again", p, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("testdata/scenarios/%s is not in ../shared/scenarios: remove it", p)
		}
	}
}

// treeFiles reads every file below root's folders (the files at root itself,
// the run script and README, are not scenarios when foldersOnly is set).
func treeFiles(t *testing.T, root string, foldersOnly bool) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if foldersOnly && !strings.Contains(rel, "/") {
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
