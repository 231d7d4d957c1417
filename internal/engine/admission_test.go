package engine_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// admitWorld is a client tenant acme (at most 3 custom roles) with one
// SuperAdmin, a sales branch and a member in it; a partner agency-y with an
// admin (dora) and a PermissionSet beyond what a partner admin holds; and
// initech, a client of agency-y.
func admitWorld(extra ...any) *engine.Snapshot {
	return Snap(
		MakeTenant("acme").RoleLimit(3),
		MakeMember("acme", "carol").SuperAdmin(),
		MakeMember("acme", "dan").Role("sales"),
		MakeMember("acme", "bob").Email("bob@agency-y.example").Role("sales"),
		MakeRole("acme", "sales"),
		MakeRole("acme", "sales-jr").ReportsTo("sales"),
		MakeRole("acme", "unused").ReportsTo("sales"),
		MakeTenant("agency-y").Partner(accessv1.TierSolutionsPartner),
		MakeMember("agency-y", "owner").SuperAdmin(),
		MakeMember("agency-y", "dora").Role("ceo").Seat(),
		MakePermissionSet("agency-y", "money").Caps("billing.access", "reports.access"),
		MakePermissionSet("agency-y", "reports").Caps("reports.access"),
		MakePermissionSet("agency-y", "danger").Caps("payments.instruments", "reports.access"),
		MakePermissionSet("agency-y", "deals-all").Objects([]string{"deals"}, "view", "edit", "delete"),
		MakeTenant("initech"),
		MakeMember("initech", "peter").SuperAdmin(),
		MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").Admin("dora@agency-y.example"),
		extra,
	)
}

func finn(sets ...string) *accessv1.Member {
	return MakeMember("agency-y", "finn").Role("ceo").ClientAccess("initech", "dora@agency-y.example", sets...).Obj()
}

// acmeMember returns a copy of the Member of acme named name.
func acmeMember(s *engine.Snapshot, name string) *accessv1.Member {
	for i := range s.Members {
		if s.Members[i].Namespace == "acme" && s.Members[i].Name == name {
			return s.Members[i].DeepCopy()
		}
	}
	panic("no member acme/" + name)
}

// acmeRole returns a copy of the Role of acme named name.
func acmeRole(s *engine.Snapshot, name string) *accessv1.Role {
	for i := range s.Roles {
		if s.Roles[i].Namespace == "acme" && s.Roles[i].Name == name {
			return s.Roles[i].DeepCopy()
		}
	}
	panic("no role acme/" + name)
}

func onCreate(obj any) engine.Change { return engine.Change{Operation: engine.Create, New: obj} }
func onDelete(obj any) engine.Change { return engine.Change{Operation: engine.Delete, Old: obj} }
func onUpdate(old, new any) engine.Change {
	return engine.Change{Operation: engine.Update, Old: old, New: new}
}
func by(r engine.Requester, c engine.Change) engine.Change { c.By = r; return c }
func gone(c engine.Change) engine.Change                   { c.TenantGone = true; return c }

// TestAdmit: every refused row of invariants.md, refused with its message,
// and the nearest legal request, allowed. GitOps order: what is merely not
// yet satisfied is allowed (and reported by the controller).
func TestAdmit(t *testing.T) {
	w := admitWorld()
	two := admitWorld(MakeMember("acme", "erin").SuperAdmin())
	carol := acmeMember(w, "carol")
	demoted := carol.DeepCopy()
	demoted.Spec.AccountRole = accessv1.AccountRoleStandard
	demoted.Spec.Role = "sales"
	deactivated := carol.DeepCopy()
	deactivated.Spec.Active = new(false)
	salesUnderJr := acmeRole(w, "sales")
	salesUnderJr.Spec.ReportsTo = "sales-jr"
	jrUnderCEO := acmeRole(w, "sales-jr")
	jrUnderCEO.Spec.ReportsTo = ""
	ceo := engine.BuiltinCEORole("acme")
	ceoWithParent := ceo.DeepCopy()
	ceoWithParent.Spec.ReportsTo = "sales"
	ceoLabelled := ceo.DeepCopy()
	ceoLabelled.Labels = map[string]string{"team": "platform"}
	pas := engine.BuiltinPartnerAdminSet("acme")
	pasWider := pas.DeepCopy()
	pasWider.Spec.Capabilities = append(pasWider.Spec.Capabilities, "billing.access")
	tighter := MakeTenant("acme").RoleLimit(2).Obj()
	billingPA := MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").BillingAdmin("dora@agency-y.example").Obj()
	plainPA := MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").Admin("dora@agency-y.example").Obj()
	withBilling := admitWorld(billingPA, finn("money"))
	// dora with her own set in initech (issue 14): reports.access and deals.
	ownSet := MakePermissionSet("initech", "dora-set").Objects([]string{"deals"}, "view", "edit").Caps("reports.access").Obj()
	ownSetNarrow := MakePermissionSet("initech", "dora-set").Objects([]string{"deals"}, "view").Obj()
	ownSetWide := MakePermissionSet("initech", "dora-set").Objects([]string{"deals"}, "view", "edit").Caps("reports.access", "acme.custom").Obj()
	ownPA := MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").
		AdminEntry(accessv1.PartnerAdmin{Email: "dora@agency-y.example", PermissionSet: "dora-set"}).Obj()
	withOwnSet := admitWorld(ownSet, ownPA, finn("reports"))
	ep := MakeEffectivePermission("acme", "carol").User("carol@acme.example").Obj()
	epOwned := ep.DeepCopy()
	epOwned.OwnerReferences = []metav1.OwnerReference{{APIVersion: accessv1.GroupVersion.String(), Kind: "Member", Name: "carol", UID: "u-carol"}}
	epFinalized := ep.DeepCopy()
	epFinalized.Finalizers = []string{"foregroundDeletion"}
	epBoth := epOwned.DeepCopy()
	epBoth.Finalizers = []string{"orphan"}
	epWidened := ep.DeepCopy()
	epWidened.Spec.Capabilities = []string{"*"}
	epLabelled := ep.DeepCopy()
	epLabelled.Labels = map[string]string{"team": "platform"}
	epAnnotated := ep.DeepCopy()
	epAnnotated.Annotations = map[string]string{"note": "x"}
	epStatus := ep.DeepCopy()
	epStatus.Status.ObservedGeneration = 7
	carolLeaving := Terminating(carol.DeepCopy())
	carolReleased := carolLeaving.DeepCopy()
	carolReleased.Finalizers = nil
	carolHeld := carol.DeepCopy()
	carolHeld.Finalizers = []string{"orphan"}
	ceoHeld := ceo.DeepCopy()
	ceoHeld.Finalizers = []string{"orphan"}
	paHeld := plainPA.DeepCopy()
	paHeld.Finalizers = []string{"foregroundDeletion"}
	migrating := func(world *engine.Snapshot, email, from string) *engine.Snapshot {
		return Snap(world, MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin(email, from, false))
	}

	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		world  *engine.Snapshot
		change engine.Change
		reason string // "" when allowed
		msg    string // a part of the refusal's message
	}{
		// 1: the last active SuperAdmin
		{"delete the last SuperAdmin", w, onDelete(carol), accessv1.ReasonLastSuperAdmin,
			`cannot delete member "carol": carol@acme.example is the last active SuperAdmin of tenant "acme"; make another member SuperAdmin first`},
		{"deactivate the last SuperAdmin", w, onUpdate(carol, deactivated), accessv1.ReasonLastSuperAdmin, `cannot deactivate member "carol"`},
		{"demote the last SuperAdmin", w, onUpdate(carol, demoted), accessv1.ReasonLastSuperAdmin, `cannot demote member "carol"`},
		{"demote a SuperAdmin while another remains", two, onUpdate(carol, demoted), "", ""},
		{"delete a SuperAdmin while another remains", two, onDelete(carol), "", ""},
		{"delete the last SuperAdmin with its tenant", w, gone(onDelete(carol)), "", ""},
		{"delete the tenant itself", w, onDelete(MakeTenant("acme").RoleLimit(3).Obj()), "", ""},
		{"create a tenant without a SuperAdmin (reported)", Snap(), onCreate(MakeTenant("new").Obj()), "", ""},
		// §6: a SuperAdmin being deleted is gone already.
		{"delete a SuperAdmin while the other is being deleted", Snap(two, Terminating(MakeMember("acme", "erin").SuperAdmin())), onDelete(carol), accessv1.ReasonLastSuperAdmin,
			`cannot delete member "carol": carol@acme.example is the last active SuperAdmin of tenant "acme" (SuperAdmin "erin" is being deleted and no longer counts); make another member SuperAdmin first`},
		{"deactivate a SuperAdmin while the other is being deleted", Snap(two, Terminating(MakeMember("acme", "erin").SuperAdmin())), onUpdate(carol, deactivated), accessv1.ReasonLastSuperAdmin,
			`(SuperAdmin "erin" is being deleted and no longer counts)`},
		{"a delete request of a SuperAdmin already being deleted", Snap(w, carolLeaving), onDelete(carolLeaving), "", ""},
		{"remove the finalizer of a SuperAdmin being deleted", Snap(w, carolLeaving), onUpdate(carolLeaving, carolReleased), "", ""},
		{"the garbage collector removes the finalizer of a SuperAdmin being deleted", Snap(w, carolLeaving), by(engine.TheCluster, onUpdate(carolLeaving, carolReleased)), "", ""},
		{"delete a role whose only member is being deleted", Snap(w, Terminating(MakeMember("acme", "ulla").Role("unused"))), onDelete(acmeRole(w, "unused")), "", ""},
		{"delete a role with a member (control)", Snap(w, MakeMember("acme", "ulla").Role("unused")), onDelete(acmeRole(w, "unused")), accessv1.ReasonRoleInUse, `member "ulla"`},
		{"a role whose only child is being deleted", Snap(w, Terminating(MakeRole("acme", "leaf").ReportsTo("unused"))), onDelete(acmeRole(w, "unused")), "", ""},
		{"a Member joining a role being deleted (reported)", Snap(w, Terminating(MakeRole("acme", "leaving"))), onCreate(MakeMember("acme", "eve").Role("leaving").Obj()), "", ""},
		{"a duplicate of an e-mail being deleted", Snap(w, carolLeaving), onCreate(MakeMember("acme", "carol2").Email("carol@acme.example").SuperAdmin().Obj()), "", ""},
		// Finalizers the garbage collector adds and removes on owners
		// (orphan, foregroundDeletion): metadata-only updates of inputs are
		// admitted for everyone.
		{"add a finalizer to the last SuperAdmin", w, onUpdate(carol, carolHeld), "", ""},
		{"the garbage collector removes the orphan finalizer", w, by(engine.TheCluster, onUpdate(carolHeld, carol)), "", ""},
		{"the garbage collector adds foregroundDeletion to a PartnerAccess", w, by(engine.TheCluster, onUpdate(plainPA, paHeld)), "", ""},
		{"the garbage collector adds a finalizer to ceo", w, by(engine.TheCluster, onUpdate(ceo, ceoHeld)), "", ""},

		// 3: unique e-mails
		{"a second member with an e-mail in use", w, onCreate(MakeMember("acme", "carol2").Email("carol@acme.example").SuperAdmin().Obj()),
			accessv1.ReasonDuplicateEmail, `e-mail carol@acme.example is used by members "carol" and "carol2" of tenant "acme"`},
		{"a member with a new e-mail", w, onCreate(MakeMember("acme", "eve").Role("sales").Obj()), "", ""},
		{"the same e-mail in another tenant", w, onCreate(MakeMember("initech", "carol").Email("carol@acme.example").Role("ceo").Obj()), "", ""},

		// 3/4 before the Tenant: judged as if it claimed the namespace, so
		// the outcome does not depend on the order objects arrive in.
		{"a duplicate e-mail before the Tenant", Snap(w, Delete("Tenant", "", "acme")), onCreate(MakeMember("acme", "carol2").Email("carol@acme.example").SuperAdmin().Obj()),
			accessv1.ReasonDuplicateEmail, `e-mail carol@acme.example is used by members "carol" and "carol2" of tenant "acme"`},
		{"a role cycle before the Tenant", Snap(w, Delete("Tenant", "", "acme")), onUpdate(acmeRole(w, "sales"), salesUnderJr), accessv1.ReasonRoleCycle, "cycle"},
		{"a valid member before the Tenant", Snap(w, Delete("Tenant", "", "acme")), onCreate(MakeMember("acme", "eve").Role("sales").Obj()), "", ""},
		{"deletes before the Tenant are not judged", Snap(w, Delete("Tenant", "", "acme")), onDelete(acmeRole(w, "sales")), "", ""},
		{"the last SuperAdmin may be deactivated before the Tenant exists", Snap(w, Delete("Tenant", "", "acme")),
			onUpdate(acmeMember(w, "carol"), MakeMember("acme", "carol").SuperAdmin().Inactive().Obj()), "", ""},
		{"a namespace whose name a Tenant of another namespace holds is not stood in for", Snap(w, Delete("Tenant", "", "acme"), MakeTenant("acme").Namespace("elsewhere")),
			onCreate(MakeMember("acme", "carol2").Email("carol@acme.example").SuperAdmin().Obj()), "", ""},

		// 4: one tree under ceo
		{"a reportsTo that closes a cycle", w, onUpdate(acmeRole(w, "sales"), salesUnderJr), accessv1.ReasonRoleCycle, "cycle"},
		{"a reportsTo that moves a branch", w, onUpdate(acmeRole(w, "sales-jr"), jrUnderCEO), "", ""},
		{"a parent not applied yet (reported)", Snap(w, Delete("Role", "acme", "unused")), onCreate(MakeRole("acme", "later-child").ReportsTo("later").Obj()), "", ""},

		// 5: ceo and roles in use
		{"delete ceo", w, onDelete(ceo), accessv1.ReasonBuiltIn, "Role ceo is built in and cannot be deleted"},
		{"give ceo a parent", w, onUpdate(ceo, ceoWithParent), accessv1.ReasonBuiltIn, "cannot have a parent"},
		{"label ceo", w, onUpdate(ceo, ceoLabelled), "", ""},
		{"the controller keeps ceo", w, by(engine.TheController, onUpdate(ceoWithParent, ceo)), "", ""},
		{"delete ceo with its namespace", w, gone(onDelete(ceo)), "", ""},
		{"delete a role with members and child roles", w, onDelete(acmeRole(w, "sales")), accessv1.ReasonRoleInUse,
			`cannot delete role "sales": members "bob", "dan" and roles "sales-jr", "unused" still use it; give them another role or parent first`},
		{"delete a role nobody uses", w, onDelete(acmeRole(w, "unused")), "", ""},
		{"delete a role with its tenant", w, gone(onDelete(acmeRole(w, "sales"))), "", ""},

		// 6: the role limit
		{"one role over the limit", w, onCreate(MakeRole("acme", "fourth").Obj()), accessv1.ReasonRoleLimitExceeded,
			`Tenant acme: spec.limits.roles: tenant "acme" has 4 custom roles, more than its limit of 3`},
		{"a limit below the roles there are", w, onUpdate(MakeTenant("acme").RoleLimit(3).Obj(), tighter), accessv1.ReasonRoleLimitExceeded, "more than its limit of 2"},
		{"a role within the limit", Snap(w, Delete("Role", "acme", "unused")), onCreate(MakeRole("acme", "third").Obj()), "", ""},
		{"one more role when the tenant is already over its limit", Snap(w, MakeRole("acme", "fourth")), onCreate(MakeRole("acme", "fifth").Obj()), accessv1.ReasonRoleLimitExceeded,
			`tenant "acme" has 5 custom roles, more than its limit of 3`},
		{"delete a role when the tenant is over its limit", Snap(w, MakeRole("acme", "fourth")), onDelete(MakeRole("acme", "fourth").Obj()), "", ""},

		// 9: migration
		{"migrate someone else", w, onCreate(MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("dora@agency-y.example", "bob", false).Obj()),
			accessv1.ReasonMigrationInvalid, "only oneself can migrate"},
		{"migrate oneself while another SuperAdmin remains", w, onCreate(MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("bob@agency-y.example", "bob", false).Obj()), "", ""},
		{"migrate from a member not applied yet (reported)", w, onCreate(MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("zed@agency-y.example", "zed", false).Obj()), "", ""},
		{"migrate the only SuperAdmin before another is applied (reported)", w, onCreate(MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("carol@acme.example", "carol", false).Obj()), "", ""},
		{"demote the SuperAdmin a migration leaves in charge", migrating(two, "carol@acme.example", "carol"), onUpdate(acmeMember(two, "erin"), MakeMember("acme", "erin").Role("sales").Obj()),
			accessv1.ReasonMigrationInvalid, `PartnerAccess acme/agency-y: spec.partnerAdmins[0].migratedFrom: member "carol" cannot migrate to partner admin`},

		// 10: delegation
		{"delegate beyond the granting admin", w, onCreate(finn("money")), accessv1.ReasonDelegationExceeded,
			`member "finn"'s client access to "initech" grants billing.access, which partner admin dora@agency-y.example does not hold there`},
		{"delegate what the admin holds", w, onCreate(finn("reports")), "", ""},
		{"a PartnerAccess that makes a delegation exceed (reported on the member)", Snap(w, finn("money"), Delete("PartnerAccess", "initech", "agency-y")), onCreate(plainPA), "", ""},
		// Revocation always takes effect (spec principle 3): the client narrows
		// its admin; the staff delegation then exceeds and only the
		// intersection is granted (reported on the Member, Degraded).
		{"narrow the admin under a delegation in force", withBilling, onUpdate(billingPA, plainPA), "", ""},
		{"remove the admin under a delegation in force", withBilling, onUpdate(billingPA, MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").Obj()), "", ""},
		// 11: never-granted capabilities are stripped and reported on the
		// template, not a delegation beyond the admin.
		{"a staff template holding a never-granted capability", w, onCreate(finn("danger")), "", ""},
		// ... but the partner widening a template under a delegation in force
		// is refused, as delegating it directly would be.
		{"widen a template under a delegation in force", Snap(w, finn("reports")),
			onUpdate(MakePermissionSet("agency-y", "reports").Caps("reports.access").Obj(), MakePermissionSet("agency-y", "reports").Caps("reports.access", "billing.access").Obj()),
			accessv1.ReasonDelegationExceeded, "Member agency-y/finn: spec.clientAccess[0].permissionSets"},
		{"delegate billing from a billing admin", withBilling, onUpdate(finn("money"), finn("money", "reports")), "", ""},
		// A partner admin's own set (semantics.md §4): the client narrowing
		// it is always admitted, even when a delegation in force then
		// exceeds (reported on the Member); giving the admin its own set in
		// place of the built-in one narrows too; the client widening it
		// beyond the ceiling is reported, not refused; the partner
		// delegating beyond it is refused.
		{"narrow an admin's own set under a delegation in force", withOwnSet, onUpdate(ownSet, ownSetNarrow), "", ""},
		{"give an admin its own set in place of the built-in one, under a delegation", Snap(admitWorld(ownSet, finn("money"))), onUpdate(plainPA, ownPA), "", ""},
		{"delete an admin's own set under a delegation in force", withOwnSet, onDelete(ownSet), "", ""},
		{"widen an admin's own set beyond the ceiling (reported)", withOwnSet, onUpdate(ownSet, ownSetWide), "", ""},
		{"delegate an action beyond an admin's own set", withOwnSet, onUpdate(finn("reports"), MakeMember("agency-y", "finn").Role("ceo").ClientAccess("initech", "dora@agency-y.example", "reports", "deals-all").Obj()),
			accessv1.ReasonDelegationExceeded, `grants deals: `},
		{"delegate what an admin's own set holds", Snap(withOwnSet, MakePermissionSet("agency-y", "deals-view").Objects([]string{"deals"}, "view")),
			onUpdate(finn("reports"), finn("reports", "deals-view")), "", ""},
		{"delegate a capability beyond an admin's own set", withOwnSet, onUpdate(finn("reports"), finn("money")),
			accessv1.ReasonDelegationExceeded, `grants billing.access, which partner admin dora@agency-y.example does not hold there`},
		// GitOps order: the admin's Member may arrive before the client's set
		// it names; the staff it already granted then exceed it until the set
		// arrives (pending), so the create is admitted and reported. With the
		// set there and narrower than the delegation, nothing yet to arrive
		// clears it: refused.
		{"create a partner admin before its own set, under a delegation", Snap(admitWorld(ownPA, finn("reports")), Delete("Member", "agency-y", "dora")),
			onCreate(MakeMember("agency-y", "dora").Role("ceo").Seat().Obj()), "", ""},
		{"create a partner admin whose own set is narrower than a delegation", Snap(admitWorld(ownSet, ownPA, finn("money")), Delete("Member", "agency-y", "dora")),
			onCreate(MakeMember("agency-y", "dora").Role("ceo").Seat().Obj()), accessv1.ReasonDelegationExceeded, `grants billing.access, which partner admin dora@agency-y.example does not hold there`},

		// 14: one Tenant per namespace
		{"a second Tenant for a namespace", w, onCreate(MakeTenant("aaa").Namespace("acme").Obj()), accessv1.ReasonDuplicateTenant,
			`Tenant "aaa" claims namespace "acme", which Tenant "acme" already holds`},
		{"a Tenant for a namespace of its own", w, onCreate(MakeTenant("globex").Obj()), "", ""},
		// In a cluster every Tenant has a creationTimestamp: the one there
		// first holds the namespace, whatever the names.
		{"a second Tenant for a namespace, created later", Snap(w, CreatedAt(MakeTenant("acme").RoleLimit(3), now.Add(-time.Hour))),
			onCreate(CreatedAt(MakeTenant("aaa").Namespace("acme"), now).Obj()), accessv1.ReasonDuplicateTenant,
			`Tenant "aaa" claims namespace "acme", which Tenant "acme" already holds (since 2026-11-25T11:00:00Z; the oldest claim holds a namespace)`},

		// 16: EffectivePermissions are the controller's
		{"write an EffectivePermission", w, onCreate(ep), accessv1.ReasonControllerOwned, "is written only by access-controller"},
		{"delete an EffectivePermission", w, onDelete(ep), accessv1.ReasonControllerOwned, "is written only by access-controller"},
		{"the controller writes one", w, by(engine.TheController, onCreate(ep)), "", ""},
		{"the garbage collector deletes one", w, by(engine.TheCluster, onDelete(ep)), "", ""},
		{"the garbage collector is held to the last SuperAdmin too", w, by(engine.TheCluster, onDelete(acmeMember(w, "carol"))), accessv1.ReasonLastSuperAdmin, `cannot delete member "carol"`},
		{"the garbage collector is held to a Role in use too", w, by(engine.TheCluster, onDelete(acmeRole(w, "sales"))), accessv1.ReasonRoleInUse, `cannot delete role "sales"`},
		{"the namespace going away lifts both", w, by(engine.TheCluster, gone(onDelete(acmeMember(w, "carol")))), "", ""},
		{"the garbage collector cannot write one", w, by(engine.TheCluster, onCreate(ep)), accessv1.ReasonControllerOwned, ""},
		// An orphaning delete of an owner: the garbage collector patches the
		// dependents to remove their ownerReferences (and handles finalizers).
		{"the garbage collector removes an owner reference", w, by(engine.TheCluster, onUpdate(epOwned, ep)), "", ""},
		{"the garbage collector removes a finalizer", w, by(engine.TheCluster, onUpdate(epFinalized, ep)), "", ""},
		{"the garbage collector adds foregroundDeletion", w, by(engine.TheCluster, onUpdate(ep, epFinalized)), "", ""},
		{"the garbage collector removes owner references and finalizers at once", w, by(engine.TheCluster, onUpdate(epBoth, ep)), "", ""},
		{"the garbage collector cannot change the spec", w, by(engine.TheCluster, onUpdate(ep, epWidened)), accessv1.ReasonControllerOwned, "is written only by access-controller"},
		{"the garbage collector cannot change the spec with an owner reference", w, by(engine.TheCluster, onUpdate(epOwned, epWidened)), accessv1.ReasonControllerOwned, ""},
		{"the garbage collector cannot change a label", w, by(engine.TheCluster, onUpdate(ep, epLabelled)), accessv1.ReasonControllerOwned, ""},
		{"the garbage collector cannot change an annotation", w, by(engine.TheCluster, onUpdate(ep, epAnnotated)), accessv1.ReasonControllerOwned, ""},
		{"the garbage collector cannot change the status", w, by(engine.TheCluster, onUpdate(ep, epStatus)), accessv1.ReasonControllerOwned, ""},
		{"someone else cannot remove an owner reference", w, onUpdate(epOwned, ep), accessv1.ReasonControllerOwned, ""},
		{"someone else cannot remove a finalizer", w, onUpdate(epFinalized, ep), accessv1.ReasonControllerOwned, ""},
		{"the controller changes the spec", w, by(engine.TheController, onUpdate(ep, epWidened)), "", ""},

		// 17: the built-in partner-admin set
		{"widen partner-admin", w, onUpdate(pas, pasWider), accessv1.ReasonBuiltIn, "PermissionSet partner-admin is built in"},
		{"delete partner-admin", w, onDelete(pas), accessv1.ReasonBuiltIn, "PermissionSet partner-admin is built in and cannot be deleted"},
		{"the controller restores partner-admin", w, by(engine.TheController, onUpdate(pasWider, pas)), "", ""},

		// Ratcheting: an update that leaves an existing problem as it is.
		{"edit a member of a tenant that already has a duplicate", Snap(w, MakeMember("acme", "dup").Email("dan@acme.example").Role("sales")),
			onUpdate(acmeMember(w, "carol"), MakeMember("acme", "carol").SuperAdmin().Sets("reports").Obj()), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := engine.Admit(tc.world, tc.change, now)
			if tc.reason == "" {
				if len(got) != 0 {
					t.Fatalf("refused, want allowed: %v", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("allowed, want refused with %s", tc.reason)
			}
			for _, f := range got {
				if f.Severity != engine.Refused {
					t.Errorf("refusal %v has severity %s", f, f.Severity)
				}
			}
			found := false
			for _, f := range got {
				found = found || (f.Reason == tc.reason && strings.Contains(f.Message, tc.msg))
			}
			if !found {
				t.Errorf("refused with %v, want %s containing %q", got, tc.reason, tc.msg)
			}
		})
	}
}

// TestAdmitMessagesMatchValidate: a refusal of something wrong in itself
// has the very words accessctl validate prints for the same tree.
func TestAdmitMessagesMatchValidate(t *testing.T) {
	w := admitWorld()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, obj := range []any{
		MakeMember("acme", "carol2").Email("carol@acme.example").SuperAdmin().Obj(),
		finn("money"),
		MakeRole("acme", "fourth").Obj(),
	} {
		refused := engine.Admit(w, onCreate(obj), now)
		if len(refused) == 0 {
			t.Fatalf("%T allowed", obj)
		}
		tree := engine.Compute(Snap(w, obj), now)
		found := false
		for _, f := range tree.Findings {
			if strings.HasSuffix(refused[0].Message, f.Message) && f.Reason == refused[0].Reason {
				found = true
			}
		}
		if !found {
			t.Errorf("refusal %q is not a finding of the same tree: %s", refused[0].Message, DescribeFindings(tree))
		}
	}
}
