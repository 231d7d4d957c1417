package engine_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// TestMemoAgrees holds the sharing of computed parts between the people of
// one pass (an entry computed once for everyone whose inputs on a type are
// the same; a PermissionSet's source once for all its holders) to what
// computing each person afresh gives, byte for byte: every scenario, the
// fixture tenant in each visibility mode, random property worlds, and
// people whom a rule names by e-mail (in another case) beside people of the
// same role and sets whom no rule names.
func TestMemoAgrees(t *testing.T) {
	cases := loadScenarios(t)
	for _, mode := range []accessv1.VisibilityMode{accessv1.ModeRoleHierarchy, accessv1.ModePermissionGroup, accessv1.ModeDepartment} {
		o := fixture.Tenant("memo", 400, 40, 9)
		for i := range o.VisibilityPolicies {
			o.VisibilityPolicies[i].Spec.Mode = mode
			o.VisibilityPolicies[i].Spec.DepartmentDefault = new(accessv1.AccessRead)
		}
		cases["fixture-"+string(mode)] = o.Snapshot()
	}
	for seed := range uint64(1500) {
		g := gen{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
		cases[fmt.Sprintf("world-%d", seed)] = g.world()
	}
	cases["named viewers"] = namedViewers()
	for name, snap := range cases {
		engine.SetMemoize(false)
		want := render(t, snap)
		engine.SetMemoize(true)
		if got := render(t, snap); !bytes.Equal(got, want) {
			t.Errorf("%s: computing people together differs from computing each afresh", name)
		}
	}
}

// namedViewers: three Standard members with one role and one set; rules
// (a sharing rule and a department rule) name two of them as their "to",
// in another case than their Members' e-mails.
func namedViewers() *engine.Snapshot {
	objs := []any{
		et.MakeTenant("acme").Obj(),
		et.MakeRole("acme", "sales").Obj(),
		et.MakeRole("acme", "ops").Obj(),
		et.MakePermissionSet("acme", "rep").Objects([]string{"deals", "leads"}, view, edit).Obj(),
		et.MakePolicy("acme").Mode(accessv1.ModeDepartment).DeptDefault(None).
			Share("to-bob", []string{"deals"}, et.RoleSubject("ops"), et.UserSubject("Bob@Acme.Example"), R).
			DeptRule([]string{"leads"}, et.RoleSubject("ops"), et.UserSubject("CAROL@acme.example"), RW).Obj(),
	}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		objs = append(objs, et.MakeMember("acme", name).Email(name+"@acme.example").Role("sales").Sets("rep").Obj())
	}
	objs = append(objs, et.MakeMember("acme", "olga").Email("olga@acme.example").Role("ops").Sets("rep").Obj())
	return et.Snap(objs...)
}
