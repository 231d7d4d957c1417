package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testNow fixes the clock of every test run (PartnerAccess expiry).
const testNow = "2026-06-01T00:00:00Z"

// scenariosDir is the repository's copy of the shared scenarios, and
// ownScenariosDir holds the scenarios written here beyond them.
var (
	scenariosDir    = filepath.Join("..", "..", "testdata", "scenarios")
	ownScenariosDir = filepath.Join("..", "..", "testdata", "own-scenarios")
)

// scenarioDir is the folder of the scenario name, shared or our own.
func scenarioDir(name string) string {
	if _, err := os.Stat(filepath.Join(ownScenariosDir, name)); err == nil {
		return filepath.Join(ownScenariosDir, name)
	}
	return filepath.Join(scenariosDir, name)
}

// repoPaths shows the scenario files in s from the repository root, as in
// the goldens.
func repoPaths(s string) string {
	s = strings.ReplaceAll(s, scenariosDir+string(filepath.Separator), "testdata/scenarios/")
	s = strings.ReplaceAll(s, ownScenariosDir+string(filepath.Separator), "testdata/own-scenarios/")
	return filepath.ToSlash(s)
}

// result is one in-process run of accessctl.
type result struct {
	stdout, stderr string
	code           int
}

// accessctl runs the command in-process with stdin.
func accessctl(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := run(args, stdin, &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// scenarios lists the scenario folders' names, shared and our own.
func scenarios(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range questiontest.Dirs(t) {
		out = append(out, filepath.Base(dir))
	}
	if len(out) == 0 {
		t.Fatal("no scenarios in " + scenariosDir)
	}
	return out
}

func isInvalidScenario(name string) bool {
	_, err := os.Stat(filepath.Join(scenarioDir(name), "expect-invalid"))
	return err == nil
}

// golden compares got with testdata/<kind>/<name>.golden, or rewrites the
// file with -update (go/printer style).
func golden(t *testing.T, kind, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", kind, name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/accessctl -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run go test ./cmd/accessctl -update and review the diff):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want: " + wl + "\n   got: " + gl
		}
	}
	return "(same lines)"
}

func itoa(i int) string { return strconv.Itoa(i) }
