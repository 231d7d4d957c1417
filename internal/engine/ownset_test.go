package engine_test

// Table tests of semantics.md §4 "A partner admin's own set" and invariant
// 11a, one row (or more) per sentence.

import (
	"slices"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// ownSets are acme's PermissionSets used as bob's own set.
func ownSets() []any {
	return []any{
		et.MakePermissionSet(acme, "pa-deals").Objects(types("deals"), view, edit).Caps("reports.access"),
		et.MakePermissionSet(acme, "pa-viewall").Objects(types("deals"), view, viewAll),
		et.MakePermissionSet(acme, "pa-no-reports").Objects(types("*"), view, create, edit, del, export, viewAll, modifyAll).
			Caps("users.manage", "roles.manage", "partner.staff.manage"),
		et.MakePermissionSet(acme, "pa-over").Objects(types("deals"), view).
			Caps("reports.access", "billing.access", "payments.instruments", "acme.custom"),
	}
}

// ownPA is acme's PartnerAccess for agency-x: dave with the built-in set,
// bob (migrated, with billing unless said) with his own set.
func ownPA(set string, billing bool) *et.PartnerAccessWrapper {
	return et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave")).
		AdminEntry(accessv1.PartnerAdmin{Email: a("bob"), BillingAccess: billing, MigratedFrom: "bob", PermissionSet: set})
}

func ownWorld(set string, billing bool) []any {
	return append(append(partnerWorld(), ownSets()...), ownPA(set, billing))
}

func TestSection4PartnerAdminOwnSet(t *testing.T) {
	bob, frank := a("bob"), a("frank")
	on := func(set string, billing bool, d decision) decision { return d.on(ownWorld(set, billing)) }
	rows := []decision{
		// "gets the actions and capabilities of C's PermissionSet NAME instead of the built-in set"
		on("pa-deals", false, capAllow("§4 own set: its capabilities", bob, "reports.access")),
		on("pa-deals", false, capDeny("§4 own set instead of the built-in set: no built-in capability it lacks", bob, "users.manage")),
		on("pa-deals", false, allow("§4 own set: its actions (edit deals)", bob, edit, fn("deals"), None)),
		on("pa-deals", false, deny("§4 own set instead of the built-in set: no action it lacks", bob, create, fn("deals"), None)),
		on("pa-deals", false, deny("§4 own set: no type it does not name", bob, view, fn("contacts"), None)),
		on("pa-no-reports", false, capDeny("§4 the client removed reports.access from one admin", bob, "reports.access")),
		on("pa-no-reports", false, capAllow("§4 ... and kept the rest", bob, "users.manage")),
		capAllow("§4 the other admin keeps the built-in set", a("dave"), "reports.access").on(ownWorld("pa-no-reports", false)),

		// "capped by the partner-admin ceiling"
		on("pa-over", false, capAllow("§4 ceiling: a capability of the built-in set stands", bob, "reports.access")),
		on("pa-over", false, capDeny("§4 ceiling: billing.access only with billingAccess (without)", bob, "billing.access")),
		on("pa-over", true, capAllow("§4 ceiling: billing.access with billingAccess: true", bob, "billing.access")),
		on("pa-over", true, capDeny("§4/#11 ceiling: payments.instruments never", bob, "payments.instruments")),
		on("pa-over", true, capDeny("§4/#11a ceiling: a capability beyond it is dropped", bob, "acme.custom")),
		on("pa-over", true, allow("§4 ceiling: every action is within it", bob, view, fn("deals"), None)),

		// "Its record access follows from its actions, as for staff"
		on("pa-deals", false, allow("§4 own set record access: own records ReadWrite", bob, edit, rec("deals", bob), RW)),
		on("pa-deals", false, deny("§4 own set record access: without viewAll/modifyAll, own records only", bob, view, rec("deals", e("carol")), None)),
		on("pa-viewall", false, allow("§4 own set record access: viewAll gives Read on every record", bob, view, rec("deals", e("carol")), R)),
		on("pa-viewall", false, allow("§4 own set record access: viewAll reaches a non-member's record", bob, view, rec("deals", ghost), R)),
		on("pa-no-reports", false, allow("§4 own set record access: modifyAll gives ReadWrite on every record", bob, del, rec("widgets", e("carol")), RW)),

		// "A NAME that does not exist grants that admin nothing — never the built-in set"
		on("ghost", true, capDeny("§4 a missing own set grants nothing (no built-in capability)", bob, "users.manage")),
		on("ghost", true, capDeny("§4 a missing own set grants nothing (no billing either)", bob, "billing.access")),
		on("ghost", true, deny("§4 a missing own set grants nothing (no record)", bob, view, rec("deals", e("carol")), None)),
		on("ghost", true, capAllow("§4 a missing own set: the other admin keeps the built-in set", a("dave"), "users.manage")),

		// "The person is still a partner admin (may grant clientAccess), and
		// the staff it grants are capped by its actual set"
		on("pa-deals", false, allow("§4 an own-set admin may grant staff what it holds (deals view)", frank, view, fn("deals"), None).
			with(frankWith(entry(acme, bob, "deals-viewer")))),
		on("pa-deals", false, deny("§4 staff capped by the admin's own set: an action it lacks (create contacts)", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, bob, "campaign-editor")))),
		on("pa-deals", false, capAllow("§4 staff capped by the admin's own set: a capability it holds stands", frank, "reports.access").
			with(frankWith(entry(acme, bob, "campaign-editor")))),
		on("pa-deals", false, deny("§4 staff capped by the admin's own set: modifyAll it lacks gives no record", frank, edit, rec("deals", e("carol")), None).
			with(frankWith(entry(acme, bob, "deals-master")))),
		on("pa-deals", false, allow("§4 staff capped: a '*' template keeps what the admin holds on deals", frank, edit, fn("deals"), None).
			with(frankWith(entry(acme, bob, "everything")))),
		on("pa-deals", false, deny("§4 staff capped: a '*' template gets nothing on a type the admin lacks", frank, view, fn("widgets"), None).
			with(frankWith(entry(acme, bob, "everything")))),
		on("pa-viewall", false, allow("§4 staff capped: viewAll the admin holds gives Read on every record", frank, view, rec("deals", e("carol")), R).
			with(frankWith(entry(acme, bob, "deals-master")))),
		on("pa-no-reports", false, capDeny("§4 staff capped: a capability removed from the admin's set", frank, "reports.access").
			with(frankWith(entry(acme, bob, "campaign-editor")))),
		on("ghost", false, deny("§4 staff of an admin whose own set is missing get nothing", frank, view, fn("deals"), None).
			with(frankWith(entry(acme, bob, "deals-viewer")))),
		on("pa-deals", false, allow("§4 staff of the built-in admin are not capped by another admin's own set", frank, create, fn("contacts"), None)),

		// Two PartnerAccess objects: the built-in set from one, an own set from the other.
		capAllow("§4/§6 entries in two PartnerAccess objects add up: the built-in set's capability", bob, "users.manage").
			on(ownWorld("pa-deals", false)).with(et.MakePartnerAccess(acme, "agency-x-2").Partner(agency).ApprovedBy(e("carol")).Admin(bob)),
		allow("§4/§6 entries in two PartnerAccess objects add up: the built-in set's record access", bob, edit, rec("deals", e("carol")), RW).
			on(ownWorld("pa-deals", false)).with(et.MakePartnerAccess(acme, "agency-x-2").Partner(agency).ApprovedBy(e("carol")).Admin(bob)),
	}
	runDecisions(t, partnerWorld(), rows)
}

func TestOwnSetFindings(t *testing.T) {
	field := "spec.partnerAdmins[1].permissionSet"
	cases := []findingCase{
		{
			name:  "#11a a partner admin's own set that does not exist (PermissionSetNotFound on the entry)",
			world: ownWorld("ghost", false),
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, field, accessv1.ReasonPermissionSetNotFound, reported)},
			words: []string{"ghost", "nothing", "never the built-in"},
		},
		{
			name:  "#11a an own set holding capabilities beyond the ceiling (BeyondPartnerAdminCeiling on the entry)",
			world: ownWorld("pa-over", false),
			want: []et.FindingKey{
				fk("PartnerAccess", acme, agency, field, accessv1.ReasonBeyondPartnerCeiling, reported),
				fk("PermissionSet", acme, "pa-over", "spec.capabilities", accessv1.ReasonNeverGranted, reported),
			},
			words: []string{"pa-over"},
		},
		{
			name:  "#10 staff granted an action the admin's own set lacks (DelegationExceeded, naming it)",
			world: ownWorld("pa-deals", false),
			extra: []any{frankWith(entry(acme, a("bob"), "campaign-editor"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].permissionSets", accessv1.ReasonDelegationExceeded, refused)},
			words: []string{"frank", "contacts: create edit view", a("bob")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.compute()
			for _, k := range c.want {
				f, ok := et.FindFinding(res, k)
				if !ok {
					t.Fatalf("missing finding %+v; got %v", k, res.Findings)
				}
				checkMessage(t, f, c.words[:1])
			}
			f, _ := et.FindFinding(res, c.want[0])
			for _, w := range c.words {
				if !strings.Contains(f.Message, w) {
					t.Errorf("%s: message %q lacks %q", f.Object, f.Message, w)
				}
			}
		})
	}

	// The beyond-ceiling message names exactly the dropped names, and the
	// admin's EffectivePermission says what was dropped (Degraded).
	res := et.Compute(ownWorld("pa-over", false), nil)
	for _, f := range res.Findings {
		if f.Reason == accessv1.ReasonBeyondPartnerCeiling && (!strings.Contains(f.Message, "acme.custom, billing.access") || strings.Contains(f.Message, "payments.instruments")) {
			t.Errorf("beyond-ceiling message %q: want exactly acme.custom and billing.access (payments.instruments is reported on the set)", f.Message)
		}
	}
	var reasons []string
	for _, f := range res.Dropped(acme, "bob") {
		reasons = append(reasons, f.Reason)
	}
	if !slices.Contains(reasons, accessv1.ReasonBeyondPartnerCeiling) || !slices.Contains(reasons, accessv1.ReasonNeverGranted) {
		t.Errorf("bob's EffectivePermission drops %v, want BeyondPartnerAdminCeiling and NeverGrantedCapability", reasons)
	}
}

// TestOwnSetVia: the via of an own-set admin's grants names the set and the
// PartnerAccess, so `check --explain` and `who-can` say where they come from.
func TestOwnSetVia(t *testing.T) {
	res := et.Compute(ownWorld("pa-viewall", false), nil)
	ep := findEP(t, res, acme, a("bob"))
	want := "partnerAccess: agency-x permissionSet pa-viewall (partner admin of agency-x)"
	o := objectEntry(ep, "deals")
	if o == nil || len(o.ActionSources) != 1 || o.ActionSources[0].Via != want {
		t.Fatalf("bob's deals entry %+v: want one action source via %q", o, want)
	}
	var all *accessv1.RecordGrant
	for i := range o.Grants {
		if o.Grants[i].Scope == accessv1.ScopeAll {
			all = &o.Grants[i]
		}
	}
	if all == nil || all.Access != accessv1.AccessRead || !slices.Equal(all.Via, []string{"viewAll: " + want}) {
		t.Errorf("bob's record grants on deals %+v: want Read on all via viewAll: %s", o.Grants, want)
	}
	if ep.Spec.Partner != agency {
		t.Errorf("bob is a partner admin of %s: partner %q", agency, ep.Spec.Partner)
	}
	// Missing set: still a partner admin, holding nothing from it.
	res = et.Compute(ownWorld("ghost", false), nil)
	ep = findEP(t, res, acme, a("bob"))
	for _, o := range ep.Spec.Objects {
		for _, src := range o.ActionSources {
			if strings.Contains(src.Via, "partner admin") {
				t.Errorf("bob with a missing own set holds %s via %q", o.Type, src.Via)
			}
		}
	}
	if slices.Contains(ep.Spec.Capabilities, "users.manage") || ep.Spec.Partner != agency {
		t.Errorf("bob with a missing own set: capabilities %v, partner %q; want none of the built-in set, and still agency-x's", ep.Spec.Capabilities, ep.Spec.Partner)
	}
}

func findEP(t *testing.T, res *engine.Result, tenant, user string) *accessv1.EffectivePermission {
	t.Helper()
	for i := range res.EffectivePermissions {
		if ep := &res.EffectivePermissions[i]; ep.Spec.Tenant == tenant && strings.EqualFold(ep.Spec.User, user) {
			return ep
		}
	}
	t.Fatalf("no EffectivePermission for %s in %s", user, tenant)
	return nil
}

// TestOwnSetSharedNeverGranted: two partner admins with the same own set
// holding a never-granted capability; the set is reported once, and each
// admin's EffectivePermission drops that finding (not whatever finding
// happened to be added last).
func TestOwnSetSharedNeverGranted(t *testing.T) {
	pa := et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).
		AdminEntry(accessv1.PartnerAdmin{Email: a("dave"), PermissionSet: "pa-over"}).
		AdminEntry(accessv1.PartnerAdmin{Email: a("bob"), MigratedFrom: "bob", PermissionSet: "pa-over"})
	res := et.Compute(append(append(partnerWorld(), ownSets()...), pa), nil)
	n := 0
	for _, f := range res.Findings {
		if f.Reason == accessv1.ReasonNeverGranted && f.Object.Name == "pa-over" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("pa-over reported %d times for never-granted capabilities, want once", n)
	}
	for _, name := range []string{"agency-x.dave", "bob"} {
		var reasons []string
		for _, f := range res.Dropped(acme, name) {
			reasons = append(reasons, f.Reason+" "+f.Object.String())
		}
		if !slices.Contains(reasons, accessv1.ReasonNeverGranted+" PermissionSet acme/pa-over") ||
			!slices.Contains(reasons, accessv1.ReasonBeyondPartnerCeiling+" PartnerAccess acme/agency-x") {
			t.Errorf("%s drops %v; want the set's NeverGrantedCapability and the entry's BeyondPartnerAdminCeiling", name, reasons)
		}
	}
}
