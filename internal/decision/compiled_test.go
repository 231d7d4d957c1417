package decision

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// TestCompiledPerTenant: the EffectivePermissions of a tenant are compiled
// by one Compiler, prepared with the tenant's EffectivePermissions, while
// any of them is cached; they decide as check.Compile does.
func TestCompiledPerTenant(t *testing.T) {
	ep := func(tenant, user, rv, role string) *accessv1.EffectivePermission {
		return &accessv1.EffectivePermission{
			ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: user, ResourceVersion: rv},
			Spec: accessv1.EffectivePermissionSpec{Tenant: tenant, User: user + "@x.example", Active: true, Role: role,
				Subordinates: []accessv1.RoleEdge{{Role: "rep", ReportsTo: "lead"}},
				Objects: []accessv1.ObjectPermission{{Type: "deals", Actions: []accessv1.Action{accessv1.ActionView},
					ActionSources: []accessv1.ActionSource{{Via: "set: s", Actions: []accessv1.Action{accessv1.ActionView}}},
					Grants:        []accessv1.RecordGrant{{Scope: accessv1.ScopeHierarchy, Access: accessv1.AccessRead, Via: []string{"hierarchy"}}}}}},
		}
	}
	prepared := map[string]int{}
	c := newCompiled()
	c.specs = func(tenant string) []*accessv1.EffectivePermissionSpec {
		prepared[tenant]++
		return []*accessv1.EffectivePermissionSpec{&ep(tenant, "a", "1", "lead").Spec}
	}
	eps := []*accessv1.EffectivePermission{ep("t1", "a", "1", "lead"), ep("t1", "b", "1", "lead"), ep("t2", "a", "1", "lead")}
	rec := check.Record{Type: "deals", Owner: "r@x.example", OwnerRole: "rep", OwnerActive: true}
	for _, e := range eps {
		got, want := c.get(e).Action(accessv1.ActionView, rec), check.Compile(&e.Spec).Action(accessv1.ActionView, rec)
		if got.Allowed != want.Allowed || got.Access != want.Access || !slices.Equal(got.Reasons, want.Reasons) {
			t.Fatalf("%s/%s: %+v, want %+v", e.Namespace, e.Name, got, want)
		}
	}
	if len(c.tenants) != 2 || c.tenants["t1"].n != 2 || c.tenants["t2"].n != 1 || prepared["t1"] != 1 || prepared["t2"] != 1 {
		t.Fatalf("tenants %+v, prepared %v", c.tenants, prepared)
	}
	c.get(ep("t1", "a", "2", "rep")) // a new version replaces the old
	if c.tenants["t1"].n != 2 || c.len() != 3 {
		t.Fatalf("after a new version: %d of t1, %d in all", c.tenants["t1"].n, c.len())
	}
	c.forget(eps[2])
	if c.tenants["t2"] != nil || c.len() != 2 {
		t.Fatalf("t2's last EffectivePermission forgotten, its Compiler kept: %+v", c.tenants)
	}
	c.get(eps[2])
	if prepared["t2"] != 2 {
		t.Fatalf("t2 prepared %d times, want 2", prepared["t2"])
	}
}
