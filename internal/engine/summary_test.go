package engine_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// TestSummaries checks what the controller writes into statuses, on the
// shared scenarios.
func TestSummaries(t *testing.T) {
	sc := loadScenarios(t)
	partners := engine.Compute(sc["partners"], benchNow)
	roles := engine.Compute(sc["role-hierarchy"], benchNow)
	invalid := engine.Compute(sc["invalid-members"], benchNow)
	// frank's access to acme granted by someone who is not a partner admin there
	wrongGranter := *sc["partners"]
	wrongGranter.Members = clone(wrongGranter.Members)
	for i := range wrongGranter.Members {
		if m := wrongGranter.Members[i]; m.Namespace == "agency-x" && m.Name == "frank" {
			m = m.DeepCopy() // the scenario's own is shared
			wrongGranter.Members[i] = m
			m.Spec.ClientAccess = []accessv1.ClientAccess{{Tenant: "acme", PermissionSets: []string{"campaign-editor"}, GrantedBy: "owner@agency-x.example"}}
		}
	}
	unreached := engine.Compute(&wrongGranter, benchNow)
	// acme's PartnerAccess for agency-x expired
	lapsed := *sc["partners"]
	lapsed.PartnerAccesses = clone(lapsed.PartnerAccesses)
	lapsed.PartnerAccesses[0].Spec.ExpiresAt = benchNow.Add(-time.Hour).Format(time.RFC3339)
	expired := engine.Compute(&lapsed, benchNow)
	// a role whose parent does not exist still counts the roles below it
	orphaned := *sc["role-hierarchy"]
	orphaned.Roles = append(clone(orphaned.Roles),
		accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "orphan"}, Spec: accessv1.RoleSpec{ReportsTo: "ghost"}},
		accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "kid"}, Spec: accessv1.RoleSpec{ReportsTo: "orphan"}})
	withOrphan := engine.Compute(&orphaned, benchNow)
	// every set a Member or a clientAccess entry names, named twice
	twice := *sc["partners"]
	twice.Members = clone(twice.Members)
	for i, m := range twice.Members {
		m = m.DeepCopy()
		twice.Members[i] = m
		m.Spec.PermissionSets = append(m.Spec.PermissionSets, m.Spec.PermissionSets...)
		for j := range m.Spec.ClientAccess {
			ca := &m.Spec.ClientAccess[j]
			ca.PermissionSets = append(ca.PermissionSets, ca.PermissionSets...)
		}
	}
	namedTwice := engine.Compute(&twice, benchNow)

	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"client tenant counts", must(partners.Tenant("acme")), engine.TenantSummary{Namespace: "acme", Members: 3, ActiveSuperAdmins: 1, PartnerAccess: []string{"agency-x"}}},
		{"partner tenant lists its clients", must(partners.Tenant("agency-x")), engine.TenantSummary{Namespace: "agency-x", Members: 5, ActiveSuperAdmins: 1, Clients: []string{"acme"}}},
		{"tenant without a super admin", must(invalid.Tenant("rolesco")), engine.TenantSummary{Namespace: "rolesco", Members: 2}},
		{"active PartnerAccess", partners.PartnerAccess("acme", "agency-x"), engine.PartnerAccessSummary{Phase: accessv1.PhaseActive,
			PartnerAdmins: []string{"bob@agency-x.example", "dave@agency-x.example"}, Staff: 2}},
		{"role depth, members (the deactivated one counts), subordinates", mustRole(roles.Role("northwind", "sales-senior")), engine.RoleSummary{InTree: true, Depth: 2, Members: 3, SubordinateRoles: 1}},
		{"ceo", mustRole(roles.Role("northwind", "ceo")), engine.RoleSummary{InTree: true, Depth: 0, Members: 1, SubordinateRoles: 3}},
		{"a role outside the tree counts the roles below it", mustRole(withOrphan.Role("northwind", "orphan")), engine.RoleSummary{SubordinateRoles: 1}},
		{"ceo does not count roles outside the tree", mustRole(withOrphan.Role("northwind", "ceo")), engine.RoleSummary{InTree: true, Depth: 0, Members: 1, SubordinateRoles: 3}},
		{"a member's EP comes from the Member", partners.Sources("acme", "carol"), []engine.ObjectRef{{Kind: "Member", Namespace: "acme", Name: "carol"}}},
		{"a partner admin's EP comes from the PartnerAccess", partners.Sources("acme", "agency-x.dave"), []engine.ObjectRef{{Kind: "PartnerAccess", Namespace: "acme", Name: "agency-x"}}},
		{"a member who is also a partner admin", partners.Sources("acme", "bob"), []engine.ObjectRef{{Kind: "Member", Namespace: "acme", Name: "bob"}, {Kind: "PartnerAccess", Namespace: "acme", Name: "agency-x"}}},
		{"findings by object", len(invalid.FindingsFor(engine.ObjectRef{Kind: "Member", Namespace: "rolesco", Name: "norole"})), 1},
		{"namespace to tenant", mustString(partners.TenantOfNamespace("agency-x")), "agency-x"},
		{"a set named by one member", partners.PermissionSetUsers("acme", "own-contacts"), int32(1)},
		{"a template of one staff entry", partners.PermissionSetUsers("agency-x", "campaign-editor"), int32(1)},
		{"a set a member names twice counts it once", namedTwice.PermissionSetUsers("acme", "own-contacts"), int32(1)},
		{"a template a staff entry names twice counts it once", namedTwice.PermissionSetUsers("agency-x", "campaign-editor"), int32(1)},
		{"the built-in partner-admin, held by acme's two partner admins", partners.PermissionSetUsers("acme", accessv1.PartnerAdminPermissionSet), int32(2)},
		{"partner-admin where no partner works", partners.PermissionSetUsers("agency-x", accessv1.PartnerAdminPermissionSet), int32(0)},
		{"an expired PartnerAccess leaves partner-admin unused", expired.PermissionSetUsers("acme", accessv1.PartnerAdminPermissionSet), int32(0)},
		{"a partner admin reaches its client", partners.Clients("agency-x", "dave"), []accessv1.ClientReach{{Tenant: "acme", As: accessv1.UserRolePartnerAdmin}}},
		{"partner staff reach their client", partners.Clients("agency-x", "frank"), []accessv1.ClientReach{{Tenant: "acme", As: accessv1.UserRolePartnerStaff}}},
		{"a member without client access reaches nobody", partners.Clients("agency-x", "owner"), []accessv1.ClientReach(nil)},
		{"client access that grants nothing says why", unreached.Clients("agency-x", "frank"), []accessv1.ClientReach{{Tenant: "acme",
			Reason: "granted by owner@agency-x.example, who is not a partner admin there"}}},
		{"a partner admin of an expired PartnerAccess says why", expired.Clients("agency-x", "dave"), []accessv1.ClientReach{{Tenant: "acme",
			Reason: `partner admin in PartnerAccess "agency-x", which is Expired`}}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if _, ok := partners.Tenant("nope"); ok {
		t.Error("an unknown tenant has a summary")
	}
}

func mustRole(s engine.RoleSummary, ok bool) engine.RoleSummary {
	if !ok {
		panic("no role summary")
	}
	return s
}

func must(s engine.TenantSummary, ok bool) engine.TenantSummary {
	if !ok {
		return engine.TenantSummary{Namespace: "<missing>"}
	}
	return s
}

func mustString(s string, ok bool) string {
	if !ok {
		return "<missing>"
	}
	return s
}
