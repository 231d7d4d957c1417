package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// diffCases are hand-made before/after pairs: the shared scenario, and the
// same scenario with one file replaced by a copy under testdata/diff/CASE.
var diffCases = []struct {
	name, scenario string
	keep           []string // the scenario's files the new tree keeps
}{
	{"role-move", "role-hierarchy", []string{"tenant.yaml", "members.yaml"}},
	{"permission-set-narrowed", "role-hierarchy", []string{"tenant.yaml", "members.yaml"}},
	{"partner-admin-added", "partners", nil},
	{"partneraccess-expired", "partners", []string{"agency.yaml"}},
	// The client narrows a partner admin's own set: the admin and the staff
	// it granted (capped by its set) lose access.
	{"partner-admin-set-narrowed", "partner-admin-own-set", []string{"agency.yaml"}},
}

// gateCases are pairs for the --fail-on gates only (who-can asks nothing of
// them): an Admin made SuperAdmin.
var gateCases = []struct {
	name, scenario string
	keep           []string
}{
	{"admin-promoted", "role-hierarchy", []string{"tenant.yaml", "roles.yaml"}},
}

func diffArgs(name, scenario string, keep []string) []string {
	to := []string{filepath.Join("testdata", "diff", name)}
	for _, k := range keep {
		to = append(to, filepath.Join(scenarioDir(scenario), k))
	}
	return []string{"diff", "-f", scenarioDir(scenario), "--to", strings.Join(to, ","), "--now", testNow}
}

// TestDiffGolden: the text output of every hand-made pair, and its JSON.
func TestDiffGolden(t *testing.T) {
	for _, c := range slices.Concat(diffCases, gateCases) {
		t.Run(c.name, func(t *testing.T) {
			r := accessctl(t, nil, diffArgs(c.name, c.scenario, c.keep)...)
			if r.code != exitOK {
				t.Fatalf("diff exited %d: %s", r.code, r.stderr)
			}
			golden(t, "diff", c.name, repoPaths(r.stdout))
			j := accessctl(t, nil, append(diffArgs(c.name, c.scenario, c.keep), "-o", "json")...)
			if j.code != exitOK {
				t.Fatalf("diff -o json exited %d: %s", j.code, j.stderr)
			}
			golden(t, "diff", c.name+".json", repoPaths(j.stdout))
		})
	}
}

// TestDiffScenarios: from nothing to each shared scenario, everyone is new
// and every grant is gained with its via (golden); a scenario against itself
// changes nothing.
func TestDiffScenarios(t *testing.T) {
	empty := filepath.Join("testdata", "diff", "empty.yaml")
	for _, name := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			dir := scenarioDir(name)
			r := accessctl(t, nil, "diff", "-f", empty, "--to", dir, "--now", testNow, "--fail-on", "narrow")
			if r.code != exitOK {
				t.Fatalf("diff from nothing exited %d (nobody can lose access): %s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "\n- ") {
				t.Errorf("diff from nothing shows a loss:\n%s", r.stdout)
			}
			golden(t, "diff", "from-nothing-"+name, repoPaths(r.stdout))

			same := accessctl(t, nil, "diff", "-f", dir, "--to", dir, "--now", testNow, "--fail-on", "widen,narrow,change,findings")
			if same.code != exitOK || !strings.HasPrefix(same.stdout, "no change") {
				t.Errorf("a scenario against itself: exit %d\n%s%s", same.code, same.stdout, same.stderr)
			}
		})
	}
}

// TestDiffFailOn: --fail-on exits 1 exactly when its condition holds, after
// printing the whole diff.
func TestDiffFailOn(t *testing.T) {
	for _, tc := range []struct {
		name, fail string
		want       int
		why        string
	}{
		{"role-move", "widen", exitOK, ""},
		{"role-move", "narrow", exitNo, "2 users lose access"},
		{"role-move", "change", exitNo, "3 EffectivePermissions differ"},
		{"role-move", "findings", exitOK, ""},
		{"partner-admin-added", "widen", exitNo, "1 user gains access"},
		{"partner-admin-added", "narrow", exitOK, ""},
		{"partneraccess-expired", "findings", exitNo, "3 findings appear"},
		{"partneraccess-expired", "widen,narrow", exitNo, "4 users lose access"},
		{"partner-admin-set-narrowed", "narrow", exitNo, "2 users lose access"},
		{"partner-admin-set-narrowed", "widen", exitOK, ""},
		// An Admin made SuperAdmin gains the four capabilities withheld
		// from an Admin's "*": a gate on widening must see it.
		{"admin-promoted", "widen", exitNo, "1 user gains access"},
		{"admin-promoted", "narrow", exitOK, ""},
	} {
		t.Run(tc.name+"/"+tc.fail, func(t *testing.T) {
			var c = diffCases[0]
			for _, dc := range slices.Concat(diffCases, gateCases) {
				if dc.name == tc.name {
					c = dc
				}
			}
			r := accessctl(t, nil, append(diffArgs(c.name, c.scenario, c.keep), "--fail-on", tc.fail)...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tc.want, r.stderr)
			}
			if tc.why != "" && !strings.Contains(r.stderr, tc.why) {
				t.Errorf("stderr %q does not say %q", r.stderr, tc.why)
			}
			if !strings.HasPrefix(r.stdout, "tenant ") && !strings.HasPrefix(r.stdout, "findings") {
				t.Errorf("the diff was not printed before failing:\n%s", r.stdout)
			}
		})
	}
}

// TestDiffDemotion: the promotion's trees swapped, a SuperAdmin made Admin
// loses billing.access, payments.instruments, scim.provisioning and
// datacenter.migration: --fail-on narrow fails, --fail-on widen does not.
func TestDiffDemotion(t *testing.T) {
	promoted := []string{filepath.Join("testdata", "diff", "admin-promoted"),
		filepath.Join(scenariosDir, "role-hierarchy", "tenant.yaml"), filepath.Join(scenariosDir, "role-hierarchy", "roles.yaml")}
	args := []string{"diff", "-f", strings.Join(promoted, ","), "--to", filepath.Join(scenariosDir, "role-hierarchy"), "--now", testNow}
	r := accessctl(t, nil, append(args, "--fail-on", "narrow")...)
	if r.code != exitNo || !strings.Contains(r.stderr, "1 user loses access") {
		t.Fatalf("--fail-on narrow: exit %d, stderr %q; want %d saying 1 user loses access\n%s", r.code, r.stderr, exitNo, r.stdout)
	}
	for _, c := range []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"} {
		if !strings.Contains(r.stdout, "-   capability "+c) {
			t.Errorf("the demotion does not show capability %s lost:\n%s", c, r.stdout)
		}
	}
	if w := accessctl(t, nil, append(args, "--fail-on", "widen")...); w.code != exitOK {
		t.Errorf("--fail-on widen: exit %d, want %d (nobody gains): %s", w.code, exitOK, w.stderr)
	}
}

// TestDiffJSONShape: -o json has every user with changes and a summary that
// agrees with them.
func TestDiffJSONShape(t *testing.T) {
	c := diffCases[0]
	r := accessctl(t, nil, append(diffArgs(c.name, c.scenario, c.keep), "-o", "json")...)
	var out diffJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if out.Summary.Changed != len(out.Users) || out.Summary.Narrow != 2 || out.Summary.Widen != 0 {
		t.Errorf("summary %+v for %d users", out.Summary, len(out.Users))
	}
	for _, u := range out.Users {
		if len(u.Changes) == 0 {
			t.Errorf("%s/%s listed with no change", u.Namespace, u.Name)
		}
	}
}

func TestDiffUsage(t *testing.T) {
	dir := filepath.Join(scenariosDir, "role-hierarchy")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "-f", dir}, "--to is required"},
		{[]string{"diff", "--to", dir}, "-f/--filename is required"},
		{[]string{"diff", "-f", "-", "--to", "-"}, "not both"},
		{[]string{"diff", "-f", dir, "--to", dir, "--fail-on", "wider"}, `--fail-on "wider"`},
		{[]string{"diff", "-f", dir, "--to", dir, "-o", "yaml"}, `-o "yaml"`},
	} {
		r := accessctl(t, nil, tc.args...)
		if r.code != exitInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitInput, tc.want)
		}
	}
}
