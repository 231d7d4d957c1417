package engine_test

// Table tests of semantics.md §6 "Deletion and malformed input": an object
// being deleted (metadata.deletionTimestamp set, whatever finalizers hold
// it) counts as gone from that moment. Deletion is revocation.

import (
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

func TestSection6DeletionIsRevocation(t *testing.T) {
	term := func(o any) any {
		switch w := o.(type) {
		case *et.MemberWrapper:
			return et.Terminating(w)
		case *et.PartnerAccessWrapper:
			return et.Terminating(w)
		case *et.PermissionSetWrapper:
			return et.Terminating(w)
		case *et.TenantWrapper:
			return et.Terminating(w)
		}
		panic("unsupported")
	}
	rita := func() *et.MemberWrapper { return et.MakeMember(acme, "rita").Role("ceo").Sets("own-contacts") }
	carol := func() *et.MemberWrapper { return et.MakeMember(acme, "carol").SuperAdmin() }
	daveX := func() *et.MemberWrapper { return et.MakeMember(agency, "dave").Role("ceo").Employee().Seat() }
	held := rita()
	held.SetFinalizers([]string{"example.com/hold"})

	rows := []decision{
		// Members
		allow("control: rita edits her own contacts", e("rita"), edit, rec("contacts", e("rita")), RW),
		deny("§6 a terminating Member grants nothing (its own records)", e("rita"), edit, rec("contacts", e("rita")), None).with(term(rita())),
		allow("§6 a finalizer alone (no deletionTimestamp) is no deletion", e("rita"), edit, rec("contacts", e("rita")), RW).with(held),
		capAllow("control: carol holds billing.access", e("carol"), "billing.access"),
		capDeny("§6 a terminating SuperAdmin holds no capability", e("carol"), "billing.access").with(term(carol())),
		// PartnerAccess
		capAllow("control: dave holds users.manage in acme", a("dave"), "users.manage"),
		capDeny("§6 a terminating PartnerAccess is not active: its partner admin loses everything", a("dave"), "users.manage").with(term(partnerPA())),
		deny("§6 a terminating PartnerAccess: its partner admin's record access too", a("dave"), edit, rec("deals", e("carol")), None).with(term(partnerPA())),
		capDeny("§6 a terminating PartnerAccess: the billing admin loses billing", a("bob"), "billing.access").with(term(partnerPA())),
		deny("§6 a terminating PartnerAccess: the staff its admins granted lose everything (frank)", a("frank"), create, fn("contacts"), None).with(term(partnerPA())),
		deny("§6 a terminating PartnerAccess: the staff its admins granted lose everything (erin)", "erin@freelance.example", view, rec("reports", e("carol")), None).with(term(partnerPA())),
		capAllow("§6 a terminating PartnerAccess in acme leaves initech's", a("dave"), "users.manage").with(term(partnerPA())).in("initech"),
		capDeny("§6 a terminating approver does not authorize the PartnerAccess", a("dave"), "users.manage").with(term(carol())),
		// the partner's side
		capDeny("§6 a terminating partner employee is no partner admin (acme)", a("dave"), "users.manage").with(term(daveX())),
		capDeny("§6 a terminating partner employee is no partner admin (initech)", a("dave"), "users.manage").with(term(daveX())).in("initech"),
		deny("§6 a terminating partner admin: what it delegated goes too", a("frank"), create, fn("contacts"), None).with(term(daveX())),
		deny("§6 a terminating staff template grants nothing", a("frank"), create, fn("contacts"), None).
			with(term(et.MakePermissionSet(agency, "campaign-editor").Objects(types("contacts"), view, create, edit).Caps("reports.access"))),
		capDeny("§6 a terminating partner Tenant: its PartnerAccess is not active", a("dave"), "users.manage").
			with(term(et.MakeTenant(agency).DisplayName("Agency X").Partner(accessv1.TierSolutionsPartner))),
		// PermissionSets and Tenants
		deny("§6 a terminating PermissionSet grants nothing", e("rita"), edit, rec("contacts", e("rita")), None).
			with(term(et.MakePermissionSet(acme, "own-contacts").Objects(types("contacts"), view, create, edit))),
		capDeny("§6/15 a terminating Tenant does not claim its namespace: its objects grant nothing", e("carol"), "users.manage").
			with(term(et.MakeTenant(acme).DisplayName("Acme Corp"))),
		capAllow("§6 a terminating client Tenant leaves the partner's own members", a("dave"), "users.manage").
			with(term(et.MakeTenant(acme).DisplayName("Acme Corp"))).in("initech"),
	}
	runDecisions(t, partnerWorld(), rows)
}

func TestSection6DeletionOfRolesAndPolicies(t *testing.T) {
	rows := []decision{
		allow("control: teresa reaches jim's deals through the hierarchy", e("teresa"), edit, rec("deals", e("jim")), RW),
		deny("§6 a terminating Role is as if absent: its members have no role for the hierarchy", e("teresa"), edit, rec("deals", e("jim")), None).
			with(et.Terminating(et.MakeRole(acme, "sales-junior").ReportsTo("sales-senior"))),
		deny("§6 a terminating Role is as if absent: the roles below it are cut off the tree", e("mike"), del, rec("deals", e("ivy")), None).
			with(et.Terminating(et.MakeRole(acme, "sales-junior").ReportsTo("sales-senior"))),
		allow("control: jim reads mike's deals through a sharing rule", e("jim"), view, rec("deals", e("mike")), R),
		deny("§6 a terminating VisibilityPolicy is as if absent: no sharing rule", e("jim"), view, rec("deals", e("mike")), None).
			with(et.Terminating(hierarchyPolicy())),
		allow("control: teresa edits sue's forms (exempt type)", e("teresa"), edit, rec("forms", e("sue")), RW),
		deny("§6 a terminating VisibilityPolicy is as if absent: no exempt type", e("teresa"), edit, rec("forms", e("sue")), None).
			with(et.Terminating(hierarchyPolicy())),
		deny("§6 a terminating PermissionSet grants nothing (functional)", e("jim"), edit, fn("deals"), None).
			with(et.Terminating(et.MakePermissionSet(acme, "rep").Objects(types("deals", "leads", "contacts"), view, create, edit, del, export))),
	}
	runDecisions(t, hierarchyWorld(), rows)
}

// TestSection6DeletionFindings: what is being deleted satisfies nothing, and
// the findings say so; the terminating object itself is no longer judged.
func TestSection6DeletionFindings(t *testing.T) {
	cases := []findingCase{
		{
			name:  "§6 a terminating SuperAdmin is not the tenant's remaining SuperAdmin",
			extra: []any{et.Terminating(et.MakeMember(acme, "carol").SuperAdmin()), et.Terminating(et.MakeMember(acme, "cleo").SuperAdmin())},
			want:  []et.FindingKey{fk("Tenant", "", acme, "spec", accessv1.ReasonNoSuperAdmin, reported)},
			words: []string{"being deleted", `"carol"`, `"cleo"`},
		},
		{
			name:  "§6 a migration needs another SuperAdmin that is not being deleted",
			extra: []any{et.Terminating(et.MakeMember(acme, "carol").SuperAdmin()), et.Terminating(et.MakeMember(acme, "cleo").SuperAdmin())},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[1].migratedFrom", accessv1.ReasonMigrationInvalid, refused)},
		},
		{
			name:  "§6/15 the objects of a terminating Tenant: no Tenant claims the namespace",
			extra: []any{et.Terminating(et.MakeTenant(acme).DisplayName("Acme Corp"))},
			want:  []et.FindingKey{fk("Member", acme, "rita", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"being deleted", `"acme"`},
			then:  []decision{capDeny("§6/15 nothing granted", e("rita"), "users.manage")},
		},
		{
			name:  "§6 a Role being deleted is a missing role",
			extra: []any{et.Terminating(et.MakeRole(acme, "staff"))},
			want:  []et.FindingKey{fk("Member", acme, "stan", "spec.role", accessv1.ReasonRoleNotFound, reported)},
			words: []string{"being deleted", "staff"},
		},
		{
			name:  "§6 a PermissionSet being deleted is a missing set",
			extra: []any{et.Terminating(et.MakePermissionSet(acme, "own-contacts").Objects(types("contacts"), view, create, edit))},
			want:  []et.FindingKey{fk("Member", acme, "rita", "spec.permissionSets[0]", accessv1.ReasonPermissionSetNotFound, reported)},
			words: []string{"being deleted", "own-contacts"},
		},
		{
			name:  "§6 the staff of a PartnerAccess being deleted: no active PartnerAccess",
			extra: []any{et.Terminating(partnerPA())},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].tenant", accessv1.ReasonNoPartnerAccess, reported)},
			words: []string{"being deleted", agency},
		},
		{
			name:  "§6 a partner Tenant being deleted",
			extra: []any{et.Terminating(et.MakeTenant(agency).Partner(accessv1.TierSolutionsPartner))},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partner", accessv1.ReasonPartnerNotFound, reported)},
			words: []string{"being deleted", agency},
		},
		{
			name:  "§6 an approver being deleted",
			extra: []any{et.Terminating(et.MakeMember(acme, "carol").SuperAdmin())},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.approvedBy", accessv1.ReasonApproverNotAuthorized, reported)},
			words: []string{"being deleted", e("carol")},
		},
		{
			name:  "§6 a partner admin being deleted from the partner",
			extra: []any{et.Terminating(et.MakeMember(agency, "dave").Role("ceo").Employee().Seat())},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[0].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{"being deleted", a("dave")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.compute()
			for _, want := range c.want {
				f, ok := et.FindFinding(res, want)
				if !ok {
					t.Errorf("missing finding %+v; findings:\n%s", want, et.DescribeFindings(res))
					continue
				}
				checkMessage(t, f, c.words)
			}
			for _, row := range c.then {
				t.Run(row.name, func(t *testing.T) { decide(t, res, row) })
			}
		})
	}

	// What is being deleted is no longer judged: a terminating object that
	// is wrong in itself adds no finding, and one SuperAdmin being deleted
	// beside another leaves the tenant without a finding.
	for name, extra := range map[string][]any{
		"§6 a terminating Member without a role":                 {et.Terminating(et.MakeMember(acme, "norole"))},
		"§6 a terminating PartnerAccess with a bad approver":     {et.Terminating(et.MakePartnerAccess("globex", agency).ApprovedBy("nobody@globex.example"))},
		"§6 one terminating SuperAdmin beside an active one":     {et.Terminating(et.MakeMember(acme, "cleo").SuperAdmin())},
		"§6 a terminating second Tenant claiming a namespace":    {et.Terminating(et.MakeTenant("aaa").Namespace(acme))},
		"§6 a terminating VisibilityPolicy with a bad name":      {et.Terminating(et.MakePolicy(acme).Name("strict"))},
		"§6 a terminating Role that closes a cycle":              {et.Terminating(et.MakeRole(acme, "loop").ReportsTo("loop"))},
		"§6 a terminating PermissionSet with a '*' capability":   {et.Terminating(et.MakePermissionSet(acme, "star").Caps("*"))},
		"§6 a terminating staff Member delegating beyond dave's": {et.Terminating(frankWith(entry(acme, a("dave"), "money")))},
	} {
		t.Run(name, func(t *testing.T) {
			res := et.Compute(partnerWorld(), extra)
			if len(res.Findings) != 0 {
				t.Errorf("want no findings, got:\n%s", et.DescribeFindings(res))
			}
		})
	}
}
