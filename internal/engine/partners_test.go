package engine_test

// Table tests of semantics.md §4 (partners) and its §6 clarifications,
// written from the spec.

import (
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

const agency = "agency-x"

// a is the e-mail of member name of the partner agency-x.
func a(name string) string { return et.Email(agency, name) }

// partnerAdminCaps are exactly the capabilities of the built-in partner-admin
// set (§4), billing.access aside.
var partnerAdminCaps = []string{
	"users.manage", "roles.manage", "partner.staff.manage", "account.settings", "reports.access",
	"payments.links", "multiAccount.manage", "sales.paidFeatures", "service.paidFeatures",
}

var neverGranted = []string{"payments.instruments", "scim.provisioning", "datacenter.migration"}

// partnerPA is acme's PartnerAccess for agency-x: dave (no billing) and bob
// (migrated from acme's member bob, with billing).
func partnerPA() *et.PartnerAccessWrapper {
	return et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).
		Admin(a("dave")).MigratedAdmin(a("bob"), "bob", true)
}

// partnerWorld is the partners scenario, extended. It is valid: no findings.
//
//	acme (client): carol, cleo SuperAdmins; rita (ceo role, own contacts);
//	  uma (users.manage); stan; bob (migrated to partner admin); PartnerAccess
//	  for agency-x approved by carol: dave, bob (billing)
//	initech (client): PartnerAccess for agency-x: dave
//	globex: no PartnerAccess
//	agency-x (partner): owner; dave, bob (Employees with seats); frank (staff
//	  of dave in acme); erin (Contractor with a seat, staff of bob in acme)
func partnerWorld() []any {
	return []any{
		et.MakeTenant(acme).DisplayName("Acme Corp"),
		et.MakeRole(acme, "staff"),
		et.MakePermissionSet(acme, "own-contacts").Objects(types("contacts"), view, create, edit),
		et.MakePermissionSet(acme, "user-admin").Caps("users.manage"),
		et.MakePermissionSet(acme, "custom-cap").Caps("acme.custom"),
		et.MakePolicy(acme).Exempt("forms").
			Share("rita-to-frank", types("contacts"), et.UserSubject(e("rita")), et.UserSubject(a("frank")), RW),
		et.MakeMember(acme, "carol").SuperAdmin(),
		et.MakeMember(acme, "cleo").SuperAdmin(),
		et.MakeMember(acme, "rita").Role("ceo").Sets("own-contacts"),
		et.MakeMember(acme, "uma").Role("staff").Sets("user-admin"),
		et.MakeMember(acme, "stan").Role("staff"),
		et.MakeMember(acme, "bob").Email(a("bob")).Role("staff"),
		partnerPA(),

		et.MakeTenant("initech"),
		et.MakeMember("initech", "peter").SuperAdmin(),
		et.MakePartnerAccess("initech", agency).Method(accessv1.MethodClientCreated).
			ApprovedBy(et.Email("initech", "peter")).Admin(a("dave")),

		et.MakeTenant("globex"),
		et.MakeMember("globex", "hank").SuperAdmin(),

		et.MakeTenant(agency).DisplayName("Agency X").Partner(accessv1.TierSolutionsPartner),
		et.MakeMember(agency, "owner").SuperAdmin(),
		et.MakeMember(agency, "dave").Role("ceo").Employee().Seat(),
		et.MakeMember(agency, "bob").Role("ceo").Employee().Seat(),
		et.MakeMember(agency, "frank").Role("ceo").Employee().ClientAccess(acme, a("dave"), "campaign-editor"),
		et.MakeMember(agency, "erin").Email("erin@freelance.example").Role("ceo").Contractor().Seat().
			ClientAccess(acme, a("bob"), "report-reader"),
		et.MakePermissionSet(agency, "campaign-editor").Objects(types("contacts"), view, create, edit).Caps("reports.access"),
		et.MakePermissionSet(agency, "report-reader").Objects(types("reports"), viewAll).Caps("reports.access"),
		et.MakePermissionSet(agency, "deals-viewer").Objects(types("deals"), view),
		et.MakePermissionSet(agency, "deals-master").Objects(types("deals"), modifyAll),
		et.MakePermissionSet(agency, "money").Caps("billing.access", "reports.access"),
		et.MakePermissionSet(agency, "custom").Objects(types("contacts"), view).Caps("agency.custom"),
		et.MakePermissionSet(agency, "danger").Caps("payments.instruments", "reports.access"),
		et.MakePermissionSet(agency, "forms-editor").Objects(types("forms"), view, edit),
		et.MakePermissionSet(agency, "cards").Objects(types("business-cards"), view, edit),
		et.MakePermissionSet(agency, "everything").Objects(types("*"), view, create, edit, del, export, viewAll, modifyAll),
	}
}

// frankWith replaces frank's clientAccess entries.
func frankWith(entries ...accessv1.ClientAccess) *et.MemberWrapper {
	w := et.MakeMember(agency, "frank").Role("ceo").Employee()
	for _, en := range entries {
		w.ClientAccess(en.Tenant, en.GrantedBy, en.PermissionSets...)
	}
	return w
}

func entry(tenant, grantedBy string, sets ...string) accessv1.ClientAccess {
	return accessv1.ClientAccess{Tenant: tenant, GrantedBy: grantedBy, PermissionSets: sets}
}

func TestSection4PartnerAccessActive(t *testing.T) {
	dave := func(name string, allowed bool, extra ...any) decision {
		d := capDeny(name, a("dave"), "users.manage")
		if allowed {
			d = capAllow(name, a("dave"), "users.manage")
		}
		return d.with(extra...)
	}
	approved := func(by string) *et.PartnerAccessWrapper { return partnerPA().ApprovedBy(by) }
	expires := func(at string) *et.PartnerAccessWrapper { return partnerPA().ExpiresAt(at) }

	// agency-z: a second partner, approved by someone whose users.manage
	// would come only from partner grants.
	agencyZ := []any{
		et.MakeTenant("agency-z").Partner(accessv1.TierProvider),
		et.MakeMember("agency-z", "zowner").SuperAdmin(),
		et.MakeMember("agency-z", "zed").Role("ceo").Seat(),
		et.MakeMember(acme, "davem").Email(a("dave")).Role("staff"),
	}
	paZ := func(by string) *et.PartnerAccessWrapper {
		return et.MakePartnerAccess(acme, "agency-z").ApprovedBy(by).Admin(et.Email("agency-z", "zed"))
	}
	zed := et.Email("agency-z", "zed")

	rows := []decision{
		dave("§4 an active PartnerAccess grants its partner admin the partner-admin set", true),
		dave("§4 partner must exist: a PartnerAccess naming a missing tenant grants nothing", false, partnerPA().Partner("agency-q")),
		dave("§4 partner must be a partner: a tenant without partnerProgram grants nothing", false, et.MakeTenant(agency)),
		dave("§4 partner tier Provider is a partner", true, et.MakeTenant(agency).Partner(accessv1.TierProvider)),
		dave("§4 partner tier must be SolutionsPartner or Provider (unknown tier is no partner)", false, et.MakeTenant(agency).Partner(accessv1.PartnerTier("Gold"))),

		dave("§4 approver: an active SuperAdmin of the client", true, approved(e("carol"))),
		dave("§4 approver: a member holding users.manage through its own permission sets", true, approved(e("uma"))),
		dave("§4 approver: an Admin holds users.manage", true, approved(e("adm")), et.MakeMember(acme, "adm").Admin()),
		dave("§4 approver: a Developer holding users.manage through its set", true, approved(e("devu")), et.MakeMember(acme, "devu").Developer().Sets("user-admin")),
		dave("§4 approver: a Developer without users.manage is not authorized", false, approved(e("devn")), et.MakeMember(acme, "devn").Developer()),
		dave("§4 approver: a member without users.manage is not authorized", false, approved(e("stan"))),
		dave("§4 approver: an inactive SuperAdmin is not authorized", false, approved(e("ina")), et.MakeMember(acme, "ina").SuperAdmin().Inactive()),
		dave("§4 approver: an unknown e-mail is not authorized", false, approved("nobody@acme.example")),
		dave("§4 approver: a member of the partner (not of the client) is not authorized", false, approved(a("owner"))),
		dave("api.md approver e-mail compared case-insensitively", true, approved("CAROL@Acme.Example")),
		// decided: §6 "a broken Member (duplicate e-mail) grants nothing", so it holds no users.manage to approve with.
		dave("§6 approver: a Member with a duplicate e-mail grants nothing, so cannot approve", false,
			approved(e("uma")), et.MakeMember(acme, "uma2").Email(e("uma")).Role("staff")),
		capAllow("§6 approver holding users.manage from its own grants: control", zed, "users.manage").with(agencyZ, paZ(e("carol"))),
		capDeny("§6 approver's users.manage counts from its own Member grants only, never partner grants", zed, "users.manage").with(agencyZ, paZ(a("dave"))),

		dave("§4 no expiresAt: no expiry", true, expires("")),
		dave("§6 expiresAt in the future: active (now < expiresAt)", true, expires("2026-11-25T12:00:01Z")),
		dave("§6 expiresAt equal to now: expired (strictly now < expiresAt)", false, expires("2026-11-25T12:00:00Z")),
		dave("§6 expiresAt in the past: expired", false, expires("2026-11-25T11:59:59Z")),
		dave("§6 expiresAt with a zone offset, in the past", false, expires("2026-11-25T13:00:00+02:00")),
		dave("§6 expiresAt with a zone offset, equal to now", false, expires("2026-11-25T14:00:00+02:00")),
		dave("§6 expiresAt with a zone offset, in the future", true, expires("2026-11-25T15:00:00+02:00")),
		dave("§6 expiresAt with fractional seconds just after now: active", true, expires("2026-11-25T12:00:00.5Z")),
		dave("§6 an unparseable expiresAt counts as expired", false, expires("next tuesday")),
		dave("§4 state is current: the PartnerAccess of another client does not activate this one", false,
			et.Delete("PartnerAccess", acme, agency)),
	}
	runDecisions(t, partnerWorld(), rows)
}

func TestSection4PartnerAdmin(t *testing.T) {
	paWith := func(admins ...accessv1.PartnerAdmin) *et.PartnerAccessWrapper {
		w := et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol"))
		for _, ad := range admins {
			w.AdminEntry(ad)
		}
		return w
	}
	sara := []any{
		et.MakeMember(acme, "sara").Email(a("sara")).SuperAdmin(),
		et.MakeMember(agency, "sara").Role("ceo").Seat(),
		partnerPA().Admin(a("sara")),
	}
	rows := []decision{}
	for _, c := range partnerAdminCaps {
		rows = append(rows, capAllow("§4 partner admin holds "+c, a("dave"), c))
	}
	for _, c := range neverGranted {
		rows = append(rows,
			capDeny("§4 partner admin never holds "+c, a("dave"), c),
			capDeny("§4 partner admin with billingAccess never holds "+c, a("bob"), c),
			capDeny("§4/§6 never "+c+", even for a SuperAdmin Member of the client", a("sara"), c).with(sara...),
		)
	}
	rows = append(rows,
		capDeny("§4 billing.access only with billingAccess (without)", a("dave"), "billing.access"),
		capAllow("§4 billing.access only with billingAccess (with)", a("bob"), "billing.access"),
		capDeny("§4 partner admin holds exactly the listed capabilities (no custom names)", a("dave"), "acme.custom"),
		capDeny("§4 partner admin holds exactly the listed capabilities (no other names)", a("dave"), "totally.custom"),
		capAllow("§6 a SuperAdmin Member who is partner admin keeps billing.access", a("sara"), "billing.access").with(sara...),
		capAllow("§6 a SuperAdmin Member who is partner admin keeps custom capabilities", a("sara"), "totally.custom").with(sara...),
		allow("§4 partner admin: every object action with ReadWrite on all records (edit)", a("dave"), edit, rec("deals", e("carol")), RW),
		allow("§4 partner admin: ReadWrite on a non-member's record", a("dave"), del, rec("widgets", ghost), RW),
		allow("§4 partner admin: ReadWrite on partner staff's records", a("dave"), modifyAll, rec("contacts", a("frank")), RW),
		allow("§4 partner admin: create on any type", a("dave"), create, fn("widgets"), None),
		allow("§4 partner admin: export on any type", a("dave"), export, rec("widgets", e("rita")), RW),
		capAllow("§4 partner admin in every client that grants access (initech)", a("dave"), "users.manage").in("initech"),
		capDeny("§4/18 tenant isolation: no PartnerAccess in globex, nothing there", a("dave"), "users.manage").in("globex"),
		deny("§4/18 tenant isolation: no record access in globex", a("dave"), view, rec("deals", et.Email("globex", "hank")), None).in("globex"),
		deny("§4 in its own partner tenant a partner admin has only its Member grants", a("dave"), view, rec("deals", a("bob")), None).in(agency),
		capDeny("§4 in its own partner tenant no partner-admin capability", a("dave"), "users.manage").in(agency),

		// validity of an entry
		capDeny("§4 partner admin must be active", a("dave"), "users.manage").with(et.MakeMember(agency, "dave").Role("ceo").Seat().Inactive()),
		capDeny("§4 partner admin must have a partner seat", a("dave"), "users.manage").with(et.MakeMember(agency, "dave").Role("ceo")),
		capDeny("§4 contractors are never partner admins", a("dave"), "users.manage").with(et.MakeMember(agency, "dave").Role("ceo").Seat().Contractor()),
		capDeny("§4 partner admin must be a member of the partner", "zoe@agency-x.example", "users.manage").with(partnerPA().Admin("zoe@agency-x.example")),
		capDeny("§6 an e-mail shared by two Members of the partner is nobody's", a("dave"), "users.manage").
			with(et.MakeMember(agency, "dave2").Email(a("dave")).Role("ceo").Seat()),
		capAllow("api.md partner admin e-mail compared case-insensitively", a("dave"), "users.manage").
			with(paWith(accessv1.PartnerAdmin{Email: "DAVE@Agency-X.example"})),
		capAllow("§8 only invalid entries are dropped: a valid entry beside an invalid one stands", a("dave"), "users.manage").
			with(partnerPA().Admin("zoe@agency-x.example"), et.MakeMember(agency, "bob").Role("ceo").Inactive()),
		capDeny("§8 the invalid entry beside it grants nothing", a("bob"), "billing.access").
			with(partnerPA().Admin("zoe@agency-x.example"), et.MakeMember(agency, "bob").Role("ceo").Inactive()),

		// migration
		capAllow("§4 migration: the migrated super admin is a partner admin with billing", a("bob"), "billing.access"),
		allow("§4 migration: the migrated partner admin has ReadWrite on all records", a("bob"), edit, rec("deals", e("carol")), RW),
		capDeny("§4/§6 migration: the migrated person never holds payments.instruments", a("bob"), "payments.instruments"),
		// decided: an entry that breaks invariant 9 (refused) grants nothing if it slips in (principle 3, fail closed).
		capDeny("§4 migration of someone else: the entry grants nothing", a("dave"), "users.manage").
			with(paWith(accessv1.PartnerAdmin{Email: a("dave"), MigratedFrom: "carol"})),
	)
	runDecisions(t, partnerWorld(), rows)
}

func TestSection4PartnerStaff(t *testing.T) {
	frank := a("frank")
	pg := et.MakePolicy(acme).Mode(accessv1.ModePermissionGroup).ObjectType("business-cards", Public)
	dept := et.MakePolicy(acme).Mode(accessv1.ModeDepartment).DeptDefault(RW)
	rows := []decision{
		allow("§4 staff: template actions (create contacts)", frank, create, fn("contacts"), None),
		capAllow("§4 staff: template capabilities (reports.access)", frank, "reports.access"),
		deny("§4 staff: no action outside the template", frank, view, fn("deals"), None),
		capDeny("§4 staff: no partner-admin capability of its own", frank, "users.manage"),
		allow("§4 staff record access: own records ReadWrite", frank, edit, rec("contacts", frank), RW),
		deny("§4/§6 staff record access: own only, a sharing rule naming the staff does not widen it", frank, edit, rec("contacts", e("rita")), None),
		allow("§4 contractor staff: viewAll gives Read on every record", "erin@freelance.example", view, rec("reports", e("carol")), R),
		deny("§4 contractor staff: no edit outside the template", "erin@freelance.example", edit, rec("reports", e("carol")), None),
		capDeny("§4 contractor staff: not a partner admin", "erin@freelance.example", "users.manage"),
		capDeny("§4 contractors are never partner admins, even when listed", "erin@freelance.example", "users.manage").
			with(partnerPA().Admin("erin@freelance.example")),
		allow("§4 a contractor listed as partner admin keeps its staff access", "erin@freelance.example", view, rec("reports", e("carol")), R).
			with(partnerPA().Admin("erin@freelance.example")),
		allow("§6 CEO reaches partner staff's records", e("rita"), edit, rec("contacts", frank), RW),
		allow("§1 SuperAdmin reaches partner staff's records", e("carol"), edit, rec("contacts", frank), RW),

		// the ceiling
		capDeny("§6 staff ceiling: custom capability names in a template are dropped", frank, "agency.custom").
			with(frankWith(entry(acme, a("dave"), "custom"))),
		allow("§6 staff ceiling: the template's actions stand beside a dropped capability", frank, view, fn("contacts"), None).
			with(frankWith(entry(acme, a("dave"), "custom"))),
		capDeny("§4/§6 staff ceiling: billing.access not held by the granting admin is dropped", frank, "billing.access").
			with(frankWith(entry(acme, a("dave"), "money"))),
		capAllow("§4/§10 staff ceiling: the intersection stands (reports.access)", frank, "reports.access").
			with(frankWith(entry(acme, a("dave"), "money"))),
		capAllow("§6 staff ceiling: billing.access when the granting admin has billingAccess", frank, "billing.access").
			with(frankWith(entry(acme, a("bob"), "money"))),
		capDeny("§4/§11 staff never hold payments.instruments, whatever the template", frank, "payments.instruments").
			with(frankWith(entry(acme, a("bob"), "danger"))),
		capAllow("§4/§11 staff keep the rest of a template holding payments.instruments", frank, "reports.access").
			with(frankWith(entry(acme, a("bob"), "danger"))),
		allow("§4/§6 staff: modifyAll in the template gives ReadWrite on every record", frank, edit, rec("deals", e("carol")), RW).
			with(frankWith(entry(acme, a("dave"), "deals-master"))),
		allow("§4/§6 staff: modifyAll reaches a non-member's record", frank, del, rec("deals", ghost), RW).
			with(frankWith(entry(acme, a("dave"), "deals-master"))),
		allow("§4 staff ceiling is every action: a '*' template passes whole", frank, modifyAll, rec("widgets", e("carol")), RW).
			with(frankWith(entry(acme, a("dave"), "everything"))),

		// not widened by §2.2–3
		deny("§6 staff are not widened by exempt types", frank, view, rec("forms", e("carol")), None).
			with(frankWith(entry(acme, a("dave"), "forms-editor"))),
		allow("§6 staff: own record of an exempt type ReadWrite", frank, edit, rec("forms", frank), RW).
			with(frankWith(entry(acme, a("dave"), "forms-editor"))),
		deny("§6 staff are not widened by Public (PermissionGroup)", frank, view, recV("business-cards", e("rita"), Public), None).
			with(pg, frankWith(entry(acme, a("dave"), "cards"))),
		deny("§6 staff are not widened by the department default", frank, view, recV("business-cards", e("rita"), Public), None).
			with(dept, frankWith(entry(acme, a("dave"), "cards"))),

		// where staff access comes from
		deny("§4/18 staff without a PartnerAccess in that client get nothing", frank, create, fn("contacts"), None).
			in("globex").with(frankWith(entry("globex", a("dave"), "campaign-editor"))),
		deny("§4 templates resolve in the partner's namespace (a client set of that name is not used)", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, a("dave"), "own-contacts"))),
		deny("§4 staff must be active", frank, create, fn("contacts"), None).
			with(et.MakeMember(agency, "frank").Role("ceo").Inactive().ClientAccess(acme, a("dave"), "campaign-editor")),
		deny("§4 grantedBy must be a partner admin of P in C", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, a("owner"), "campaign-editor"))),
		deny("§4 grantedBy an invalid partner admin entry (contractor) grants nothing", frank, create, fn("contacts"), None).
			with(partnerPA().Admin("erin@freelance.example"), frankWith(entry(acme, "erin@freelance.example", "campaign-editor"))),
		deny("§4 grantedBy a partner admin of another client grants nothing here", frank, create, fn("contacts"), None).
			with(et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("bob")),
				frankWith(entry(acme, a("dave"), "campaign-editor"))),
		allow("api.md grantedBy compared case-insensitively", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, "Dave@AGENCY-X.example", "campaign-editor"))),

		// several entries add up
		allow("§4 several entries add up (contacts from dave's entry)", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("bob"), "deals-viewer"))),
		allow("§4 several entries add up (deals from bob's entry)", frank, view, fn("deals"), None).
			with(frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("bob"), "deals-viewer"))),
		capAllow("§4 several entries add up: each under its own admin's ceiling (billing via bob)", frank, "billing.access").
			with(frankWith(entry(acme, a("dave"), "money"), entry(acme, a("bob"), "money"))),
		deny("§4 removing one admin's entry removes what it granted", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, a("bob"), "deals-viewer"))),
		allow("§4 removing one admin's entry leaves what another granted", frank, view, fn("deals"), None).
			with(frankWith(entry(acme, a("bob"), "deals-viewer"))),
		deny("§4 an admin leaving the PartnerAccess removes what it granted", frank, view, fn("deals"), None).
			with(frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("bob"), "deals-viewer")),
				et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave"))),
		allow("§4 an admin leaving the PartnerAccess leaves what another granted", frank, create, fn("contacts"), None).
			with(frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("bob"), "deals-viewer")),
				et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave"))),
	}
	runDecisions(t, partnerWorld(), rows)
}

func TestSection4Revocation(t *testing.T) {
	daveAcme := capDeny("", a("dave"), "users.manage")
	daveInitech := capDeny("", a("dave"), "users.manage").in("initech")
	frankAcme := deny("", a("frank"), create, fn("contacts"), None)
	bobAcme := capDeny("", a("bob"), "billing.access")
	erinAcme := deny("", "erin@freelance.example", view, rec("reports", e("carol")), None)

	changes := []struct {
		name   string
		extra  []any
		denied map[string]decision
	}{
		{"§4 deactivating a partner employee", []any{et.MakeMember(agency, "dave").Role("ceo").Seat().Inactive()},
			map[string]decision{"its admin grant (acme)": daveAcme, "its admin grant in every client (initech)": daveInitech, "what it delegated (frank)": frankAcme}},
		{"§4 removing its partner seat", []any{et.MakeMember(agency, "dave").Role("ceo")},
			map[string]decision{"its admin grant (acme)": daveAcme, "its admin grant in every client (initech)": daveInitech, "what it delegated (frank)": frankAcme}},
		{"§4 deleting the PartnerAccess", []any{et.Delete("PartnerAccess", acme, agency)},
			map[string]decision{"dave": daveAcme, "bob": bobAcme, "frank": frankAcme, "erin": erinAcme}},
		{"§4 expiry of the PartnerAccess", []any{partnerPA().ExpiresAt("2026-11-01T00:00:00Z")},
			map[string]decision{"dave": daveAcme, "bob": bobAcme, "frank": frankAcme, "erin": erinAcme}},
		{"§4 approver deactivated", []any{et.MakeMember(acme, "carol").SuperAdmin().Inactive()},
			map[string]decision{"dave": daveAcme, "bob": bobAcme, "frank": frankAcme, "erin": erinAcme}},
		{"§4 approver demoted (no longer SuperAdmin nor users.manage)", []any{et.MakeMember(acme, "carol").Role("staff")},
			map[string]decision{"dave": daveAcme, "bob": bobAcme, "frank": frankAcme, "erin": erinAcme}},
		{"§4 approver losing users.manage", []any{partnerPA().ApprovedBy(e("uma")), et.MakeMember(acme, "uma").Role("staff")},
			map[string]decision{"dave": daveAcme, "frank": frankAcme}},
	}
	var rows []decision
	for _, c := range changes {
		for what, q := range c.denied {
			q.name = c.name + " removes " + what
			rows = append(rows, q.with(c.extra...))
		}
	}
	// controls: before the change each of them holds the grant
	rows = append(rows,
		capAllow("§4 control: dave holds users.manage in acme", a("dave"), "users.manage"),
		capAllow("§4 control: dave holds users.manage in initech", a("dave"), "users.manage").in("initech"),
		allow("§4 control: frank creates contacts in acme", a("frank"), create, fn("contacts"), None),
		capAllow("§4 control: bob holds billing.access in acme", a("bob"), "billing.access"),
		allow("§4 control: erin views carol's report", "erin@freelance.example", view, rec("reports", e("carol")), R),
		capAllow("§4 control: approver uma with users.manage", a("dave"), "users.manage").with(partnerPA().ApprovedBy(e("uma"))),
		capAllow("§4 deactivating one partner employee leaves the other partner admin's grants", a("bob"), "billing.access").
			with(et.MakeMember(agency, "dave").Role("ceo").Seat().Inactive()),
	)
	sortRows(rows)
	runDecisions(t, partnerWorld(), rows)
}

// unionWorld adds people who are both a Member of acme and a partner person
// there (§4 "one EffectivePermission per (tenant, e-mail)", §6 Partners).
func unionWorld() []any {
	return append(partnerWorld(),
		et.MakeRole(acme, "sales-lead"),
		et.MakeRole(acme, "sales-jr").ReportsTo("sales-lead"),
		et.MakePermissionSet(acme, "deals-view").Objects(types("deals"), view).Caps("reports.access"),
		et.MakeMember(acme, "pat").Email(a("pat")).Role("sales-lead").Sets("deals-view"),
		et.MakeMember(acme, "jr").Role("sales-jr").Sets("deals-view"),
		et.MakeMember(agency, "pat").Role("ceo").ClientAccess(acme, a("dave"), "contacts-staff", "deals-edit"),
		et.MakePermissionSet(agency, "contacts-staff").Objects(types("contacts"), view, edit).Caps("payments.links"),
		et.MakePermissionSet(agency, "deals-edit").Objects(types("deals"), edit),
		// sam: an inactive Member of acme, and a partner admin there
		et.MakeMember(acme, "sam").Email(a("sam")).Role("staff").Sets("custom-cap").Inactive(),
		et.MakeMember(agency, "sam").Role("ceo").Seat(),
		// dup: two Members of acme with one e-mail, and a partner admin there
		et.MakeMember(acme, "dup1").Email(a("dup")).Role("staff").Sets("custom-cap"),
		et.MakeMember(acme, "dup2").Email(a("dup")).Role("staff").Sets("custom-cap"),
		et.MakeMember(agency, "dup").Role("ceo").Seat(),
		// sara: a SuperAdmin Member of acme, and a partner admin there
		et.MakeMember(acme, "sara").Email(a("sara")).SuperAdmin(),
		et.MakeMember(agency, "sara").Role("ceo").Seat(),
		// stef: a SuperAdmin Member of acme, and partner staff there
		et.MakeMember(acme, "stef").Email(a("stef")).SuperAdmin(),
		et.MakeMember(agency, "stef").Role("ceo").ClientAccess(acme, a("dave"), "report-reader"),
		partnerPA().Admin(a("sam")).Admin(a("dup")).Admin(a("sara")),
	)
}

func TestSection4UnitedGrants(t *testing.T) {
	pat := a("pat")
	rows := []decision{
		allow("§4 united: the staff template's own records (contacts)", pat, edit, rec("contacts", pat), RW),
		allow("§4 united: the Member's hierarchy path (deals view)", pat, view, rec("deals", e("jr")), RW),
		allow("§6 united: the staff template's edit is decided with the Member's hierarchy path", pat, edit, rec("deals", e("jr")), RW),
		deny("§6 the Member's paths use the Member's own actions: no view on contacts as a Member, no hierarchy path there", pat, edit, rec("contacts", e("jr")), None),
		capAllow("§4 united capabilities: from the Member's set", pat, "reports.access"),
		capAllow("§4 united capabilities: from the staff template", pat, "payments.links"),
		capDeny("§4 united capabilities: nothing else", pat, "users.manage"),
		capAllow("§6 an inactive Member does not block the person's partner-admin grants", a("sam"), "users.manage"),
		allow("§6 an inactive Member does not block partner-admin record access", a("sam"), edit, rec("deals", e("carol")), RW),
		capDeny("§6 an inactive Member's own grants stay void", a("sam"), "acme.custom"),
		capAllow("§6 a duplicate-e-mail Member does not block the person's partner-admin grants", a("dup"), "users.manage"),
		capDeny("§6 duplicate-e-mail Members' own grants stay void", a("dup"), "acme.custom"),
		capAllow("§6 a SuperAdmin Member who is partner admin keeps users.manage", a("sara"), "users.manage"),
		capDeny("§6 withheld from partner admins whatever else they hold: payments.instruments", a("sara"), "payments.instruments"),
		capDeny("§6 withheld from partner admins whatever else they hold: scim.provisioning", a("sara"), "scim.provisioning"),
		capDeny("§6 withheld from partner admins whatever else they hold: datacenter.migration", a("sara"), "datacenter.migration"),
		capDeny("§6 withheld from partner staff whatever else they hold: payments.instruments", a("stef"), "payments.instruments"),
		capDeny("§6 withheld from partner staff whatever else they hold: datacenter.migration", a("stef"), "datacenter.migration"),
		capAllow("§6 a SuperAdmin Member who is partner staff keeps billing.access", a("stef"), "billing.access"),
		allow("§6 a SuperAdmin Member who is partner staff keeps ReadWrite on all records", a("stef"), edit, rec("deals", e("carol")), RW),
		capAllow("§6 withholding applies only under an active grant (PartnerAccess deleted: SuperAdmin again)", a("sara"), "payments.instruments").
			with(et.Delete("PartnerAccess", acme, agency)),
	}
	runDecisions(t, unionWorld(), rows)
}

// TestSection4EffectivePermissionIdentity: names, account roles and the
// one-EP-per-(tenant, e-mail) rule (§4, api.md).
func TestSection4EffectivePermissionIdentity(t *testing.T) {
	res := et.Compute(unionWorld())
	cases := []struct {
		name, tenant, user string
		wantName           string
		wantRole           accessv1.UserRole
		wantPartner        string
	}{
		{"api.md a partner admin without a Member is named <partner>.<member>", acme, a("dave"), "agency-x.dave", accessv1.UserRolePartnerAdmin, agency},
		{"api.md a partner admin in another client", "initech", a("dave"), "agency-x.dave", accessv1.UserRolePartnerAdmin, agency},
		{"api.md partner staff without a Member is named <partner>.<member>", acme, a("frank"), "agency-x.frank", accessv1.UserRolePartnerStaff, agency},
		{"api.md the name uses the member name in the partner, not the e-mail", acme, "erin@freelance.example", "agency-x.erin", accessv1.UserRolePartnerStaff, agency},
		{"§4 Member and partner admin united in the Member's EP (migrated bob)", acme, a("bob"), "bob", accessv1.UserRole(accessv1.AccountRoleStandard), agency},
		{"§4 Member and partner staff united in the Member's EP (pat)", acme, a("pat"), "pat", accessv1.UserRole(accessv1.AccountRoleStandard), agency},
		{"§4 a SuperAdmin Member who is partner admin keeps its account role", acme, a("sara"), "sara", accessv1.UserRole(accessv1.AccountRoleSuperAdmin), agency},
		{"§4 in its own partner tenant a partner person has its Member's EP", agency, a("dave"), "dave", accessv1.UserRole(accessv1.AccountRoleStandard), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := res.Lookup(c.tenant, c.user)
			if ep == nil {
				t.Fatalf("no EffectivePermission for %s in %s", c.user, c.tenant)
			}
			if ep.Name != c.wantName || ep.Namespace != c.tenant {
				t.Errorf("EP is %s/%s, want %s/%s", ep.Namespace, ep.Name, c.tenant, c.wantName)
			}
			if ep.Spec.AccountRole != c.wantRole {
				t.Errorf("accountRole = %q, want %q", ep.Spec.AccountRole, c.wantRole)
			}
			// decided: spec.partner names the partner for anyone holding partner grants in C, Member or not.
			if ep.Spec.Partner != c.wantPartner {
				t.Errorf("partner = %q, want %q", ep.Spec.Partner, c.wantPartner)
			}
			if ep.Spec.Tenant != c.tenant || ep.Spec.User != c.user || !ep.Spec.Active {
				t.Errorf("spec tenant/user/active = %q/%q/%v, want %q/%q/true", ep.Spec.Tenant, ep.Spec.User, ep.Spec.Active, c.tenant, c.user)
			}
			if n := len(et.EPsOf(res, c.tenant, c.user)); n != 1 {
				t.Errorf("%d EffectivePermissions for %s in %s, want exactly 1", n, c.user, c.tenant)
			}
		})
	}
	for _, c := range []struct{ name, tenant, user string }{
		{"§4/18 no EP where the partner has no PartnerAccess (dave in globex)", "globex", a("dave")},
		{"§4/18 no EP for staff where the partner has no PartnerAccess (frank in globex)", "globex", a("frank")},
		{"§4 staff of acme have no EP in initech (no clientAccess there)", "initech", a("frank")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if ep := res.Lookup(c.tenant, c.user); ep != nil {
				t.Errorf("unexpected EffectivePermission %s/%s", ep.Namespace, ep.Name)
			}
			if n := len(et.EPsOf(res, c.tenant, c.user)); n != 0 {
				t.Errorf("%d EffectivePermissions, want 0", n)
			}
		})
	}
	t.Run("§4 a revoked partner admin has no EP left in the client", func(t *testing.T) {
		res := et.Compute(partnerWorld(), et.Delete("PartnerAccess", acme, agency))
		if ep := res.Lookup(acme, a("dave")); ep != nil && ep.Spec.Active {
			t.Errorf("dave still has an active EffectivePermission %s/%s in acme", ep.Namespace, ep.Name)
		}
		if ep := res.Lookup(acme, a("frank")); ep != nil && ep.Spec.Active {
			t.Errorf("frank still has an active EffectivePermission %s/%s in acme", ep.Namespace, ep.Name)
		}
	})
}

// sortRows orders rows by name (rows built from maps).
func sortRows(rows []decision) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
}

// TestEffectivePermissionNamesCannotCollide: partner people's EPs are named
// <partner>.<member> where that cannot be mistaken (a partner name without a
// dot, no Member of that name in the client, at most 253 characters), and
// otherwise get a name that no other EP can have (docs/effectivepermission.md).
func TestEffectivePermissionNamesCannotCollide(t *testing.T) {
	long := strings.Repeat("l", 200)
	partner := func(name, ns string, admins ...string) []any {
		objs := []any{et.MakeTenant(name).Namespace(ns).Partner(accessv1.TierSolutionsPartner), et.MakeMember(ns, "owner").SuperAdmin()}
		pa := et.MakePartnerAccess(acme, "pa-"+ns).Partner(name).ApprovedBy(e("carol"))
		for _, m := range admins {
			objs = append(objs, et.MakeMember(ns, m).Role("ceo").Seat())
			pa.Admin(et.Email(ns, m))
		}
		return append(objs, pa)
	}
	world := func(extra ...any) []any {
		return []any{
			partnerWorld(),
			// partner "a.b" member "c" and partner "a" member "b.c": both "a.b.c"
			partner("a.b", "ab", "c"),
			partner("a", "a", "b.c"),
			// a client Member literally named brightside.dana, and brightside's dana
			et.MakeMember(acme, "brightside.dana").Email("dana@acme.example").Role("staff"),
			partner("brightside", "brightside", "dana"),
			// names too long to join
			partner(long, "longco", long),
			extra,
		}
	}
	people := []string{a("dave"), a("frank"), et.Email("ab", "c"), et.Email("a", "b.c"), "dana@acme.example", et.Email("brightside", "dana"), et.Email("longco", long)}

	check := func(t *testing.T, res *engine.Result) map[string]string {
		t.Helper()
		names := map[string]string{} // name → user, in acme
		for _, ep := range res.EffectivePermissions {
			if ep.Namespace != acme {
				continue
			}
			if other, dup := names[ep.Name]; dup {
				t.Errorf("EffectivePermission name %q used for %s and %s", ep.Name, other, ep.Spec.User)
			}
			names[ep.Name] = ep.Spec.User
			if errs := validation.IsDNS1123Subdomain(ep.Name); len(errs) > 0 {
				t.Errorf("EffectivePermission name %q is not a valid object name: %v", ep.Name, errs)
			}
		}
		for _, user := range people {
			if n := len(et.EPsOf(res, acme, user)); n != 1 {
				t.Errorf("%d EffectivePermissions for %s in acme, want exactly 1", n, user)
			}
		}
		return names
	}
	res := et.Compute(world())
	names := check(t, res)
	byUser := map[string]string{}
	for n, u := range names {
		byUser[u] = n
	}
	for user, want := range map[string]string{
		a("dave"):            "agency-x.dave",   // the common name is unchanged
		a("frank"):           "agency-x.frank",  // the common name is unchanged
		et.Email("a", "b.c"): "a.b.c",           // a partner without a dot: unambiguous
		"dana@acme.example":  "brightside.dana", // a Member keeps its name
		e("carol"):           "carol",
	} {
		if byUser[user] != want {
			t.Errorf("%s's EffectivePermission is named %q, want %q", user, byUser[user], want)
		}
	}
	for _, user := range []string{et.Email("ab", "c"), et.Email("brightside", "dana"), et.Email("longco", long)} {
		if strings.Contains(byUser[user], ".") {
			t.Errorf("%s's EffectivePermission %q has a dot: it could be another person's <partner>.<member>", user, byUser[user])
		}
	}

	nameOf := func(r *engine.Result, user string) string {
		if ep := r.Lookup(acme, user); ep != nil {
			return ep.Name
		}
		return ""
	}
	t.Run("deterministic, whatever the order", func(t *testing.T) {
		again := et.Compute(world())
		rev := engine.Compute(et.Reversed(et.Snap(world())), et.Now)
		for _, r := range []*engine.Result{again, rev} {
			for _, user := range people {
				if got, want := nameOf(r, user), nameOf(res, user); got != want {
					t.Errorf("%s: named %q, then %q", user, want, got)
				}
			}
		}
	})
	t.Run("a Member named like a partner person's fallback name", func(t *testing.T) {
		// Whatever name a partner person gets, a Member may be called that
		// too: the Member keeps it, and the person gets another.
		var extra []any
		for _, user := range []string{et.Email("ab", "c"), et.Email("brightside", "dana")} {
			name := byUser[user]
			extra = append(extra, et.MakeMember(acme, name).Email("x-"+name+"@acme.example").Role("staff"))
		}
		res := et.Compute(world(extra...))
		names := check(t, res)
		for _, user := range []string{et.Email("ab", "c"), et.Email("brightside", "dana")} {
			if got := nameOf(res, user); got == byUser[user] {
				t.Errorf("%s keeps %q, which a Member now has", user, got)
			}
			if names[byUser[user]] != "x-"+byUser[user]+"@acme.example" {
				t.Errorf("Member %q did not keep its name", byUser[user])
			}
		}
	})
}
