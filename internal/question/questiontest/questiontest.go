// Package questiontest loads the shared scenarios for tests that ask
// questions of them (internal/question, the decision server): each valid
// scenario rendered by the engine at a fixed time, its checks.tsv rows as
// questions, and a wide set of further questions to ask every user.
package questiontest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question"
)

// Now is the scenarios' clock (PartnerAccess expiry), accessctl's tests'.
var Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Dir is the repository's copy of the shared scenarios, and OwnDir holds the
// scenarios written here beyond them (testdata/own-scenarios).
var Dir, OwnDir = func() (string, string) {
	_, file, _, _ := runtime.Caller(0)
	testdata := filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata")
	return filepath.Join(testdata, "scenarios"), filepath.Join(testdata, "own-scenarios")
}()

// UnknownTenant and UnknownUser are named by no scenario.
const (
	UnknownTenant = "no-such-tenant"
	UnknownUser   = "nobody@nowhere.example"
)

// Scenario is a valid shared scenario, loaded and rendered.
type Scenario struct {
	Name   string
	Dir    string // its folder
	Set    *manifest.Set
	Result *engine.Result
	Rows   []Row
}

// Row is one row of checks.tsv: a question and whether it is allowed.
type Row struct {
	Line     int
	Allow    bool
	Question question.Question
}

// Scenarios loads every valid scenario (those with checks.tsv).
func Scenarios(t testing.TB) []Scenario {
	t.Helper()
	var out []Scenario
	for _, dir := range Dirs(t) {
		if _, err := os.Stat(filepath.Join(dir, "checks.tsv")); err != nil {
			continue
		}
		set, err := manifest.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Scenario{Name: filepath.Base(dir), Dir: dir, Set: set, Result: engine.Compute(&set.Snapshot, Now), Rows: rows(t, dir)})
	}
	if len(out) == 0 {
		t.Fatal("no scenarios in " + Dir)
	}
	return out
}

// Dirs lists the scenario folders, shared and our own.
func Dirs(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, root := range []string{Dir, OwnDir} {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, filepath.Join(root, e.Name()))
			}
		}
	}
	return out
}

// rows reads dir/checks.tsv as the scenarios' run script does ("-" is an
// empty column; groups are comma-separated).
func rows(t testing.TB, dir string) []Row {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "checks.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Row
	for i, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "\t")
		for len(cols) < 9 {
			cols = append(cols, "-")
		}
		for j := range cols {
			if cols[j] == "-" {
				cols[j] = ""
			}
		}
		if cols[0] != "allow" && cols[0] != "deny" {
			continue
		}
		q := question.Question{Tenant: cols[1], User: cols[2]}
		if c, ok := strings.CutPrefix(cols[3], "cap:"); ok {
			q.Capability = c
		} else {
			q.Action, q.Type, q.Owner, q.Visibility, q.Field = accessv1.Action(cols[3]), cols[4], cols[5], accessv1.Visibility(cols[6]), cols[8]
			if cols[7] != "" {
				q.Groups = strings.Split(cols[7], ",")
			}
		}
		out = append(out, Row{Line: i + 1, Allow: cols[0] == "allow", Question: q})
	}
	return out
}

// Tenants are the scenario's tenant names and UnknownTenant.
func (s *Scenario) Tenants() []string {
	var out []string
	for _, t := range s.Set.Snapshot.Tenants {
		out = append(out, t.Name)
	}
	return append(out, UnknownTenant)
}

// Users are the users with an EffectivePermission in tenant, one of them
// again in upper case (users are found in any case), and UnknownUser.
func (s *Scenario) Users(tenant string) []string {
	var out []string
	for _, ep := range s.Result.EffectivePermissions {
		if ep.Spec.Tenant == tenant {
			out = append(out, ep.Spec.User)
		}
	}
	if len(out) > 0 {
		out = append(out, strings.ToUpper(out[0]))
	}
	return append(out, UnknownUser)
}

// Questions are questions to ask each user of tenant (User left empty):
// each checks.tsv row's of the tenant; every capability an EffectivePermission
// of the scenario holds or withholds, and one none names; for every type
// the EffectivePermissions name and one they do not, every action
// functionally and on records of each owner (every e-mail of the scenario,
// a non-member and none); and view of those records with each visibility,
// with OwnerAndGroups naming each role, and with each hidden field.
func (s *Scenario) Questions(tenant string) []question.Question {
	var out []question.Question
	seen := map[string]bool{}
	add := func(q question.Question) {
		q.Tenant = tenant
		key := fmt.Sprintf("%#v", q)
		if !seen[key] {
			seen[key] = true
			out = append(out, q)
		}
	}
	for _, r := range s.Rows {
		if r.Question.Tenant == tenant {
			q := r.Question
			q.User = ""
			add(q)
		}
	}
	caps, types, roles, fields := []string{"no.such.capability"}, []string{"widgets"}, []string{}, []string{}
	owners := []string{"", UnknownUser}
	for _, m := range s.Set.Snapshot.Members {
		owners = append(owners, m.Spec.Email)
	}
	for _, ep := range s.Result.EffectivePermissions {
		caps = append(caps, ep.Spec.Capabilities...)
		caps = append(caps, ep.Spec.WithheldCapabilities...)
		roles = append(roles, ep.Spec.Role)
		for _, o := range ep.Spec.Objects {
			types = append(types, o.Type)
			for _, g := range o.Grants {
				fields = append(fields, g.HiddenFields...)
			}
		}
	}
	for _, c := range set(caps) {
		if c != "*" {
			add(question.Question{Capability: c})
		}
	}
	for _, typ := range set(types) {
		if typ == accessv1.AllTypes {
			continue
		}
		for _, owner := range set(owners) {
			for _, a := range question.Actions {
				add(question.Question{Action: a, Type: typ, Owner: owner})
			}
			if owner == "" {
				continue
			}
			for _, v := range question.Visibilities {
				add(question.Question{Action: accessv1.ActionView, Type: typ, Owner: owner, Visibility: v})
			}
			for _, r := range set(roles) {
				if r != "" {
					add(question.Question{Action: accessv1.ActionView, Type: typ, Owner: owner, Visibility: accessv1.VisibilityOwnerAndGroups, Groups: []string{r}})
				}
			}
			for _, f := range set(fields) {
				add(question.Question{Action: accessv1.ActionView, Type: typ, Owner: owner, Field: f})
			}
		}
	}
	return out
}

func set(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }
