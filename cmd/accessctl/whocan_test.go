package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question"
)

// whoCanQuestions are the questions of a scenario's checks.tsv, once each,
// and a capability question for every capability anyone holds there.
func whoCanQuestions(t *testing.T, dir string, res *engine.Result) [][]string {
	t.Helper()
	var qs [][]string
	add := func(q []string) {
		if !slices.ContainsFunc(qs, func(o []string) bool { return slices.Equal(o, q) }) {
			qs = append(qs, q)
		}
	}
	for _, row := range checkRows(t, dir) {
		add(append([]string{"--tenant", row.tenant}, row.question...))
	}
	for _, ep := range res.EffectivePermissions {
		for _, c := range ep.Spec.Capabilities {
			add([]string{"--tenant", ep.Spec.Tenant, "--capability", c})
		}
	}
	return qs
}

func scenarioResult(t *testing.T, dir string) *engine.Result {
	t.Helper()
	set, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.Parse(time.RFC3339, testNow)
	return engine.Compute(&set.Snapshot, now)
}

// TestWhoCanAgreesWithCheck: for every question of every scenario, who-can
// lists exactly the users of the tenant for whom check says allowed, and
// agrees with every row of checks.tsv.
func TestWhoCanAgreesWithCheck(t *testing.T) {
	for _, name := range scenarios(t) {
		dir := scenarioDir(name)
		if isInvalidScenario(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			res := scenarioResult(t, dir)
			asked := 0
			for _, q := range whoCanQuestions(t, dir, res) {
				r := accessctl(t, nil, append([]string{"who-can", "-f", dir, "--now", testNow, "-o", "json"}, q...)...)
				var out question.WhoCan
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
					t.Fatalf("who-can %v: exit %d, %v\n%s%s", q, r.code, err, r.stdout, r.stderr)
				}
				if want := map[bool]int{true: exitOK, false: exitNo}[len(out.Users) > 0]; r.code != want {
					t.Errorf("who-can %v: exit %d with %d users, want %d", q, r.code, len(out.Users), want)
				}
				var listed []string
				for _, u := range out.Users {
					listed = append(listed, u.User)
				}
				users := tenantUsers(res.EffectivePermissions, q[1])
				if out.Of != len(users) {
					t.Errorf("who-can %v: of %d users, the tenant has %d", q, out.Of, len(users))
				}
				for _, ep := range users {
					c := accessctl(t, nil, append([]string{"check", "-f", dir, "--now", testNow, "--user", ep.Spec.User}, q...)...)
					asked++
					if allowed := c.code == exitOK; allowed != slices.Contains(listed, ep.Spec.User) {
						t.Errorf("%v: check says %s for %s, who-can lists %v", q, strings.TrimSpace(c.stdout), ep.Spec.User, listed)
					}
				}
			}
			for _, row := range checkRows(t, dir) {
				r := accessctl(t, nil, append([]string{"who-can", "-f", dir, "--now", testNow, "-o", "json", "--tenant", row.tenant}, row.question...)...)
				var out question.WhoCan
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
					t.Fatal(err)
				}
				listed := slices.ContainsFunc(out.Users, func(u question.WhoCanUser) bool { return strings.EqualFold(u.User, row.user) })
				if listed != row.allow {
					t.Errorf("checks.tsv line %d (%s): who-can lists %s: %v", row.line, row.text, row.user, listed)
				}
			}
			t.Logf("%d check questions agree", asked)
		})
	}
}

// TestWhoCanGolden: who-can's text for every question of every scenario.
func TestWhoCanGolden(t *testing.T) {
	for _, name := range scenarios(t) {
		if isInvalidScenario(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := scenarioDir(name)
			var b strings.Builder
			for _, q := range whoCanQuestions(t, dir, scenarioResult(t, dir)) {
				r := accessctl(t, nil, append([]string{"who-can", "-f", dir, "--now", testNow}, q...)...)
				b.WriteString("$ accessctl who-can " + strings.Join(q, " ") + "\n" + r.stdout + "\n")
			}
			golden(t, "who-can", name, b.String())
		})
	}
}

func TestWhoCanUsage(t *testing.T) {
	dir := filepath.Join(scenariosDir, "role-hierarchy")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"who-can", "-f", dir, "--capability", "x"}, "--tenant is required"},
		{[]string{"who-can", "-f", dir, "--tenant", "northwind"}, "exactly one of --capability and --action"},
		{[]string{"who-can", "-f", dir, "--tenant", "northwind", "--user", "x@y"}, "unknown flag: --user"},
	} {
		r := accessctl(t, nil, tc.args...)
		if r.code != exitInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitInput, tc.want)
		}
	}
	// An unknown tenant is not a usage error: nobody may, as check denies it.
	r := accessctl(t, nil, "who-can", "-f", dir, "--tenant", "nope", "--capability", "x")
	if r.code != exitNo || r.stdout != "0 of 0 users of nope hold capability x\n" || !strings.Contains(r.stderr, `no Tenant "nope" here, so nobody may`) {
		t.Errorf("unknown tenant: exit %d, stdout %q, stderr %q; want exit 1, nobody, and a note", r.code, r.stdout, r.stderr)
	}
}

// TestWhoCanGoldenPairs: who-can on both sides of diff's hand-made pairs,
// for the question each change is about.
func TestWhoCanGoldenPairs(t *testing.T) {
	questions := map[string][]string{
		"role-move":                  {"--tenant", "northwind", "--action", "edit", "--type", "deals", "--owner", "jim@northwind.example"},
		"permission-set-narrowed":    {"--tenant", "northwind", "--action", "delete", "--type", "deals"},
		"partner-admin-added":        {"--tenant", "acme", "--capability", "users.manage"},
		"partneraccess-expired":      {"--tenant", "acme", "--action", "view", "--type", "contacts"},
		"partner-admin-set-narrowed": {"--tenant", "umbrella", "--action", "edit", "--type", "deals"},
	}
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			args := diffArgs(c.name, c.scenario, c.keep) // diff -f OLD --to NEW --now T
			q := questions[c.name]
			var b strings.Builder
			for _, side := range []struct{ name, files string }{{"before", args[2]}, {"after", args[4]}} {
				r := accessctl(t, nil, append([]string{"who-can", "-f", side.files, "--now", testNow}, q...)...)
				if r.code == exitInput {
					t.Fatalf("%s: %s", side.name, r.stderr)
				}
				b.WriteString("# " + side.name + ": accessctl who-can " + strings.Join(q, " ") + "\n" + r.stdout + "\n")
			}
			golden(t, "who-can", "pair-"+c.name, b.String())
		})
	}
}
