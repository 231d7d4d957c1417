package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

func ep(name string, spec accessv1.EffectivePermissionSpec) accessv1.EffectivePermission {
	e := accessv1.EffectivePermission{Spec: spec}
	e.Namespace, e.Name = "acme", name
	e.Spec.Tenant, e.Spec.User = "acme", name+"@acme.example"
	return e
}

func deals(grants ...accessv1.RecordGrant) accessv1.EffectivePermissionSpec {
	return accessv1.EffectivePermissionSpec{Active: true, Objects: []accessv1.ObjectPermission{{Type: "deals", Actions: []accessv1.Action{"edit", "view"}, Grants: grants}}}
}

func grant(scope accessv1.GrantScope, access accessv1.AccessLevel, via string, hidden ...string) accessv1.RecordGrant {
	return accessv1.RecordGrant{Scope: scope, Access: access, Via: []string{via}, HiddenFields: hidden}
}

// TestCompare: each rule of what widens, narrows or only reads differently.
func TestCompare(t *testing.T) {
	base := accessv1.EffectivePermissionSpec{
		Active: true, Role: "sales", Capabilities: []string{"reports.access"},
		CapabilitySources: []accessv1.CapabilitySource{{Via: "permissionSet: rep", Capabilities: []string{"reports.access"}}},
		Subordinates:      []accessv1.RoleEdge{{Role: "junior", ReportsTo: "sales"}},
		Objects: []accessv1.ObjectPermission{{Type: "deals",
			Actions:       []accessv1.Action{"edit", "view"},
			ActionSources: []accessv1.ActionSource{{Via: "permissionSet: rep", Actions: []accessv1.Action{"edit", "view"}}},
			Grants:        []accessv1.RecordGrant{grant(accessv1.ScopeHierarchy, accessv1.AccessReadWrite, "hierarchy: below sales")}}},
	}
	department := accessv1.EffectivePermissionSpec{Active: true, Role: "sales", Objects: []accessv1.ObjectPermission{{Type: "deals",
		Actions: []accessv1.Action{"edit", "view"},
		Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeDepartment, Role: "sales", Access: accessv1.AccessReadWrite, Via: []string{"department: sales"}},
			{Scope: accessv1.ScopeDepartment, Access: accessv1.AccessRead, Via: []string{"departmentDefault"}}}}}}
	admin := accessv1.EffectivePermissionSpec{Active: true, Capabilities: []string{"*"}, WithheldCapabilities: []string{"billing.access"},
		CapabilitySources: []accessv1.CapabilitySource{{Via: "accountRole: SuperAdmin", Capabilities: []string{"*"}}}}
	group := accessv1.EffectivePermissionSpec{Active: true, Role: "sales", Objects: []accessv1.ObjectPermission{{Type: "deals",
		Actions: []accessv1.Action{"view"}, Visibility: &accessv1.TypeVisibility{Default: accessv1.VisibilityGroup},
		Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityGroup, Access: accessv1.AccessRead, Via: []string{"visibility: Group"}}}}}}
	modifyOf := func(b accessv1.EffectivePermissionSpec) func(f func(*accessv1.EffectivePermissionSpec)) accessv1.EffectivePermissionSpec {
		return func(f func(*accessv1.EffectivePermissionSpec)) accessv1.EffectivePermissionSpec {
			s := *b.DeepCopy()
			f(&s)
			return s
		}
	}
	modify, modifyDept, modifyAdmin, modifyGroup := modifyOf(base), modifyOf(department), modifyOf(admin), modifyOf(group)
	tests := []struct {
		name     string
		old, new accessv1.EffectivePermissionSpec
		want     []Change
	}{
		{"same", base, base, nil},
		{"a capability gained, with its via", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Capabilities = append(s.Capabilities, "roles.manage")
			s.CapabilitySources = append(s.CapabilitySources, accessv1.CapabilitySource{Via: "accountRole: Admin", Capabilities: []string{"roles.manage"}})
		}), []Change{{Op: Gained, Direction: Widen, What: "capability", Item: "roles.manage", Via: []string{"accountRole: Admin"}}}},
		{"an action lost, with the via it had", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[0].Actions = []accessv1.Action{"view"}
			s.Objects[0].ActionSources[0].Actions = []accessv1.Action{"view"}
		}), []Change{{Op: Lost, Direction: Narrow, What: "action", Type: "deals", Item: "edit", Via: []string{"permissionSet: rep"}}}},
		{"a grant's access lowered narrows", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[0].Grants[0].Access = accessv1.AccessRead
		}), []Change{{Op: Lost, Direction: Narrow, What: "records", Type: "deals", Item: "Hierarchy", From: "ReadWrite", To: "Read", Via: []string{"hierarchy: below sales"}}}},
		{"a new grant widens", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[0].Grants = append(s.Objects[0].Grants, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: "support", Access: accessv1.AccessRead, Via: []string{"sharingRule: x"}})
		}), []Change{{Op: Gained, Direction: Widen, What: "records", Type: "deals", Item: "Role support", To: "Read", Via: []string{"sharingRule: x"}}}},
		{"a field hidden anew narrows", department, modifyDept(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[0].Grants[0].HiddenFields = []string{"amount"}
		}), []Change{{Op: Lost, Direction: Narrow, What: "hidden-field", Type: "deals", Item: "Department sales field amount", From: "visible", To: "hidden", Via: []string{"department: sales"}}}},
		{"a field hidden by a grant pkg/check does not hide with changes nothing", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[0].Grants[0].HiddenFields = []string{"amount"}
		}), []Change{{Op: Changed, Direction: Neutral, What: "hidden-field", Type: "deals", Item: "Hierarchy field amount", From: "visible", To: "hidden", Via: []string{"hierarchy: below sales"}}}},
		{"a withheld capability released widens", admin, modifyAdmin(func(s *accessv1.EffectivePermissionSpec) { s.WithheldCapabilities = nil }), []Change{
			{Op: Changed, Direction: Neutral, What: "withheldCapabilities", Item: "withheldCapabilities", From: "billing.access"},
			{Op: Gained, Direction: Widen, What: "capability", Item: "billing.access", Via: []string{"accountRole: SuperAdmin"}}}},
		{"a role renamed reaches other groups' records", group, modifyGroup(func(s *accessv1.EffectivePermissionSpec) { s.Role = "support" }),
			[]Change{{Op: Changed, Direction: Both, What: "role", Item: "role", From: "sales", To: "support"}}},
		{"a subordinate gained widens", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Subordinates = append(s.Subordinates, accessv1.RoleEdge{Role: "support", ReportsTo: "sales"})
		}), []Change{{Op: Gained, Direction: Widen, What: "subordinate", Item: "support", To: "sales", Via: []string{"hierarchy: support reports to sales"}}}},
		{"a subordinate moved within reach is neutral", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Subordinates[0].ReportsTo = "other"
		}), []Change{{Op: Changed, Direction: Neutral, What: "subordinate", Item: "junior", From: "sales", To: "other"}}},
		{"the role renamed reads differently", base, modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Role = "sales-eu"
		}), []Change{{Op: Changed, Direction: Neutral, What: "role", Item: "role", From: "sales", To: "sales-eu"}}},
		{"a whole type lost", deals(grant(accessv1.ScopeOwn, accessv1.AccessReadWrite, "owner")), accessv1.EffectivePermissionSpec{Active: true},
			[]Change{{Op: Lost, Direction: Narrow, What: "action", Type: "deals", Item: "edit"}, {Op: Lost, Direction: Narrow, What: "action", Type: "deals", Item: "view"},
				{Op: Lost, Direction: Narrow, What: "records", Type: "deals", Item: "Own", From: "ReadWrite", Via: []string{"owner"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, n := ep("ann", tc.old), ep("ann", tc.new)
			rep := Compare(&engine.Result{EffectivePermissions: []accessv1.EffectivePermission{o}},
				&engine.Result{EffectivePermissions: []accessv1.EffectivePermission{n}})
			var got []Change
			if len(rep.Users) == 1 {
				got = rep.Users[0].Changes
			} else if len(rep.Users) > 1 {
				t.Fatalf("%d users", len(rep.Users))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
		})
	}
}

// TestCompareUsers: a user with no EffectivePermission before is added and
// gains all of it; one gone is removed and loses all of it; findings that
// appear and disappear are listed.
func TestCompareUsers(t *testing.T) {
	own := deals(grant(accessv1.ScopeOwn, accessv1.AccessReadWrite, "owner"))
	f1 := engine.Finding{Object: engine.ObjectRef{Kind: "Role", Namespace: "acme", Name: "a"}, Field: "spec.reportsTo", Message: "one"}
	f2 := engine.Finding{Object: engine.ObjectRef{Kind: "Role", Namespace: "acme", Name: "b"}, Field: "spec.reportsTo", Message: "two"}
	rep := Compare(
		&engine.Result{EffectivePermissions: []accessv1.EffectivePermission{ep("old", own)}, Findings: []engine.Finding{f1}},
		&engine.Result{EffectivePermissions: []accessv1.EffectivePermission{ep("new", own)}, Findings: []engine.Finding{f2}})
	if len(rep.Users) != 2 {
		t.Fatalf("users %+v", rep.Users)
	}
	added, removed := rep.Users[0], rep.Users[1]
	if added.Status != Added || !added.Widens() || added.Narrows() {
		t.Errorf("new user: %+v", added)
	}
	if removed.Status != Removed || !removed.Narrows() || removed.Widens() {
		t.Errorf("gone user: %+v", removed)
	}
	if !rep.Widens() || !rep.Narrows() || rep.Empty() {
		t.Errorf("report widens=%v narrows=%v empty=%v", rep.Widens(), rep.Narrows(), rep.Empty())
	}
	if d := cmp.Diff([]engine.Finding{f2}, rep.Appeared); d != "" {
		t.Errorf("appeared (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]engine.Finding{f1}, rep.Disappeared); d != "" {
		t.Errorf("disappeared (-want +got):\n%s", d)
	}
}
