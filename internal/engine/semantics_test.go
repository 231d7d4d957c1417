package engine_test

// Table tests of ../shared/spec/semantics.md, written from the spec (not from
// the engine). One table per section; every row's name cites the rule it
// covers. Decisions go through pkg/check exactly as `accessctl check` does
// (enginetest.Decide). Readings the spec leaves open and §6 does not settle
// are marked "decided:".

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// ---------------------------------------------------------------- shared test plumbing

const (
	acme  = "acme"
	ghost = "ghost@elsewhere.example" // never a member of any tenant

	None = accessv1.AccessNone
	R    = accessv1.AccessRead
	RW   = accessv1.AccessReadWrite

	view      = accessv1.ActionView
	create    = accessv1.ActionCreate
	edit      = accessv1.ActionEdit
	del       = accessv1.ActionDelete
	export    = accessv1.ActionExport
	viewAll   = accessv1.ActionViewAll
	modifyAll = accessv1.ActionModifyAll

	Public         = accessv1.VisibilityPublic
	Group          = accessv1.VisibilityGroup
	OwnerAndGroups = accessv1.VisibilityOwnerAndGroups
	Private        = accessv1.VisibilityPrivate
)

// e is the e-mail of member name of acme.
func e(name string) string { return et.Email(acme, name) }

func types(ts ...string) []string { return ts }

// rec is a record of type typ owned by owner.
func rec(typ, owner string) et.Rec { return et.Rec{Type: typ, Owner: owner} }

// recV is a record stating a visibility (and groups).
func recV(typ, owner string, vis accessv1.Visibility, groups ...string) et.Rec {
	return et.Rec{Type: typ, Owner: owner, Visibility: vis, Groups: groups}
}

// recF asks about one field of a record.
func recF(typ, owner string, vis accessv1.Visibility, field string) et.Rec {
	return et.Rec{Type: typ, Owner: owner, Visibility: vis, Field: field}
}

// fn is a functional question (no owner).
func fn(typ string) et.Rec { return et.Rec{Type: typ} }

// decision is one row: a question and the exact expected answer.
type decision struct {
	name       string
	world      []any // replaces the table's world when set
	extra      []any // objects added to (or replacing in) the world
	tenant     string
	user       string
	action     accessv1.Action
	capability string
	rec        et.Rec
	allowed    bool
	access     accessv1.AccessLevel
}

func allow(name, user string, a accessv1.Action, r et.Rec, access accessv1.AccessLevel) decision {
	return decision{name: name, user: user, action: a, rec: r, allowed: true, access: access}
}

func deny(name, user string, a accessv1.Action, r et.Rec, access accessv1.AccessLevel) decision {
	return decision{name: name, user: user, action: a, rec: r, allowed: false, access: access}
}

func capAllow(name, user, c string) decision {
	return decision{name: name, user: user, capability: c, allowed: true, access: None}
}

func capDeny(name, user, c string) decision {
	return decision{name: name, user: user, capability: c, allowed: false, access: None}
}

func (d decision) with(extra ...any) decision {
	d.extra = append(append([]any(nil), d.extra...), extra...)
	return d
}

func (d decision) on(world []any) decision {
	d.world = world
	return d
}

func (d decision) in(tenant string) decision {
	d.tenant = tenant
	return d
}

func (d decision) question() string {
	if d.capability != "" {
		return "capability " + d.capability
	}
	s := string(d.action) + " " + d.rec.Type
	if d.rec.Owner != "" {
		s += " owned by " + d.rec.Owner
	}
	if d.rec.Visibility != "" {
		s += " visibility " + string(d.rec.Visibility)
	}
	if len(d.rec.Groups) > 0 {
		s += " groups " + strings.Join(d.rec.Groups, ",")
	}
	if d.rec.Field != "" {
		s += " field " + d.rec.Field
	}
	return s
}

// runDecisions computes world (once) and each row's own world, and checks
// every row's decision exactly (Allowed and Access).
func runDecisions(t *testing.T, world []any, rows []decision) {
	t.Helper()
	var base *engine.Result
	seen := map[string]bool{}
	for _, row := range rows {
		if seen[row.name] {
			t.Fatalf("duplicate row name %q", row.name)
		}
		seen[row.name] = true
		t.Run(row.name, func(t *testing.T) {
			var res *engine.Result
			switch {
			case row.world == nil && row.extra == nil:
				if base == nil {
					base = et.Compute(world)
				}
				res = base
			case row.world != nil:
				res = et.Compute(row.world, row.extra)
			default:
				res = et.Compute(world, row.extra)
			}
			decide(t, res, row)
		})
	}
}

func decide(t *testing.T, res *engine.Result, row decision) {
	t.Helper()
	tenant := row.tenant
	if tenant == "" {
		tenant = acme
	}
	var d check.Decision
	if row.capability != "" {
		d = et.Capability(t, res, tenant, row.user, row.capability)
	} else {
		d = et.Decide(t, res, tenant, row.user, row.action, row.rec)
	}
	want := row.access
	if want == "" {
		want = None
	}
	if d.Allowed != row.allowed || d.Access != want {
		t.Errorf("%s: %s in %s:\n  got  allowed=%v access=%q reasons=%q\n  want allowed=%v access=%q",
			row.user, row.question(), tenant, d.Allowed, d.Access, d.Reasons, row.allowed, want)
	}
}

// objectEntry returns the objects entry of ep for typ (exactly typ).
func objectEntry(ep *accessv1.EffectivePermission, typ string) *accessv1.ObjectPermission {
	for i := range ep.Spec.Objects {
		if ep.Spec.Objects[i].Type == typ {
			return &ep.Spec.Objects[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------- §1 functional permissions

// functionalWorld: tenant acme, everyone Standard in role staff unless said.
func functionalWorld() []any {
	const ns = acme
	m := func(name string) *et.MemberWrapper { return et.MakeMember(ns, name).Role("staff") }
	return []any{
		et.MakeTenant(acme),
		et.MakeRole(ns, "staff"),
		et.MakePermissionSet(ns, "view-deals").Objects(types("deals"), view),
		et.MakePermissionSet(ns, "edit-deals").Objects(types("deals"), edit),
		et.MakePermissionSet(ns, "delete-deals").Objects(types("deals"), del),
		et.MakePermissionSet(ns, "export-deals").Objects(types("deals"), export),
		et.MakePermissionSet(ns, "viewall-deals").Objects(types("deals"), viewAll),
		et.MakePermissionSet(ns, "modifyall-deals").Objects(types("deals"), modifyAll),
		et.MakePermissionSet(ns, "create-contacts").Objects(types("contacts"), create),
		et.MakePermissionSet(ns, "create-deals").Objects(types("deals"), create),
		et.MakePermissionSet(ns, "star-create").Objects(types("*"), create),
		et.MakePermissionSet(ns, "star-view").Objects(types("*"), view),
		et.MakePermissionSet(ns, "caps-a").Caps("reports.access", "acme.custom"),
		et.MakePermissionSet(ns, "caps-b").Caps("payments.links"),

		et.MakeMember(ns, "root").SuperAdmin(),
		et.MakeMember(ns, "adm").Admin(),
		et.MakeMember(ns, "dev").Developer().Sets("edit-deals", "caps-a"),
		et.MakeMember(ns, "devva").Developer().Sets("viewall-deals"),
		et.MakeMember(ns, "devma").Developer().Sets("modifyall-deals"),
		et.MakeMember(ns, "devnone").Developer(),
		m("ed").Sets("edit-deals"),
		m("dl").Sets("delete-deals"),
		m("ex").Sets("export-deals"),
		m("va").Sets("viewall-deals"),
		m("ma").Sets("modifyall-deals"),
		m("un").Sets("view-deals", "create-contacts"),
		m("star").Sets("star-create", "edit-deals"),
		m("starv").Sets("star-view"),
		m("starc").Sets("star-view", "create-deals"),
		m("upper").Email("Upper@ACME.Example").Sets("edit-deals"),
		m("xns").Sets("campaign-editor"),
		et.MakeTenant(agency).Partner(accessv1.TierSolutionsPartner),
		et.MakeMember(agency, "owner").SuperAdmin(),
		et.MakePermissionSet(agency, "campaign-editor").Objects(types("contacts"), view, create, edit),
		m("capper").Sets("caps-a", "caps-b"),
		m("plain"),
		m("other").Sets("edit-deals"),
		m("old").Sets("edit-deals", "caps-a").Inactive(),
		et.MakeMember(ns, "oldsa").SuperAdmin().Inactive(),
		et.MakeMember(ns, "oldadm").Admin().Inactive(),
	}
}

func TestSection1FunctionalPermissions(t *testing.T) {
	adminCaps := []string{
		"users.manage", "roles.manage", "partner.staff.manage", "account.settings", "reports.access",
		"payments.links", "multiAccount.manage", "sales.paidFeatures", "service.paidFeatures",
	}

	rows := []decision{
		// implications
		allow("§1 edit implies view", e("ed"), view, fn("deals"), None),
		deny("§1 edit does not imply delete", e("ed"), del, fn("deals"), None),
		deny("§1 edit does not imply export", e("ed"), export, fn("deals"), None),
		deny("§1 edit does not imply create", e("ed"), create, fn("deals"), None),
		allow("§1 delete implies view", e("dl"), view, fn("deals"), None),
		deny("§1 delete does not imply edit", e("dl"), edit, fn("deals"), None),
		allow("§1 export implies view", e("ex"), view, fn("deals"), None),
		deny("§1 export does not imply edit", e("ex"), edit, fn("deals"), None),
		allow("§1 viewAll implies view", e("va"), view, fn("deals"), None),
		deny("§1 viewAll does not imply edit", e("va"), edit, fn("deals"), None),
		allow("§1 modifyAll implies viewAll", e("ma"), viewAll, fn("deals"), None),
		allow("§1 modifyAll implies edit", e("ma"), edit, fn("deals"), None),
		allow("§1 modifyAll implies delete", e("ma"), del, fn("deals"), None),
		allow("§1 modifyAll implies view", e("ma"), view, fn("deals"), None),
		deny("§1 modifyAll does not imply create", e("ma"), create, fn("deals"), None),
		deny("§1 modifyAll does not imply export", e("ma"), export, fn("deals"), None),
		deny("§1 actions apply to their type only", e("ed"), view, fn("contacts"), None),
		// union over permission sets
		allow("§1 union over permission sets: view deals from the first set", e("un"), view, fn("deals"), None),
		allow("§1 union over permission sets: create contacts from the second set", e("un"), create, fn("contacts"), None),
		deny("§1 union is per type: create deals is in no set", e("un"), create, fn("deals"), None),
		deny("§1 create does not imply view", e("un"), view, fn("contacts"), None),
		// "*"
		allow("§1 '*' means every type (view widgets)", e("starv"), view, fn("widgets"), None),
		allow("§1 '*' means every type (create widgets)", e("star"), create, fn("widgets"), None),
		allow("§1 '*' actions unite with a type's own entry (create deals from '*')", e("star"), create, fn("deals"), None),
		allow("§1 '*' actions unite with a type's own entry (edit deals from its set)", e("star"), edit, fn("deals"), None),
		deny("§1 a type's own actions do not spread to other types", e("star"), edit, fn("widgets"), None),
		allow("§1 '*' view unites with a type's own create: own record readable", e("starc"), view, rec("deals", e("starc")), RW),
		allow("§1 '*' view unites with a type's own create: create", e("starc"), create, fn("deals"), None),
		deny("§1 a PermissionSet of another tenant's namespace is not found (tenant isolation)", e("xns"), view, fn("contacts"), None),
		allow("api.md a Member's e-mail is compared case-insensitively (written in capitals)", "upper@acme.example", edit, rec("deals", "UPPER@acme.example"), RW),
		// capabilities from sets
		capAllow("§1 capability from a permission set", e("capper"), "reports.access"),
		capAllow("§1 custom capability names pass through", e("capper"), "acme.custom"),
		capAllow("§1 capabilities are the union over permission sets", e("capper"), "payments.links"),
		capDeny("§1 capability in no set is not held", e("capper"), "users.manage"),
		capDeny("§1 Standard without sets holds no capability", e("plain"), "reports.access"),
		deny("§1 Standard without sets has no action", e("plain"), view, fn("deals"), None),

		// SuperAdmin
		capAllow("§1 SuperAdmin holds users.manage", e("root"), "users.manage"),
		capAllow("§1 SuperAdmin holds billing.access", e("root"), "billing.access"),
		capAllow("§1 SuperAdmin holds payments.instruments", e("root"), "payments.instruments"),
		capAllow("§1 SuperAdmin holds datacenter.migration", e("root"), "datacenter.migration"),
		capAllow("§1 SuperAdmin holds scim.provisioning", e("root"), "scim.provisioning"),
		capAllow("§6 SuperAdmin holds custom capability names", e("root"), "totally.custom"),
		allow("§1 SuperAdmin: every action on every type (modifyAll on widgets)", e("root"), modifyAll, rec("widgets", e("other")), RW),
		allow("§1 SuperAdmin: ReadWrite on all records (edit another's deal)", e("root"), edit, rec("deals", e("other")), RW),
		allow("§1 SuperAdmin: ReadWrite on all records (delete a non-member's record)", e("root"), del, rec("deals", ghost), RW),
		allow("§1 SuperAdmin: create on any type", e("root"), create, fn("widgets"), None),
		allow("§1 SuperAdmin: export on any type", e("root"), export, rec("widgets", e("other")), RW),

		// Admin
		capDeny("§1 Admin lacks billing.access", e("adm"), "billing.access"),
		capDeny("§1 Admin lacks payments.instruments", e("adm"), "payments.instruments"),
		capDeny("§1 Admin lacks datacenter.migration", e("adm"), "datacenter.migration"),
		capDeny("§1 Admin lacks scim.provisioning", e("adm"), "scim.provisioning"),
		// decided: Admin holds "every capability except" the four, custom names included (as SuperAdmin does).
		capAllow("§1 Admin holds custom capability names (every capability but the four)", e("adm"), "totally.custom"),
		allow("§1 Admin: ReadWrite on all records (edit another's deal)", e("adm"), edit, rec("deals", e("other")), RW),
		allow("§1 Admin: every action on every type (delete a non-member's widget)", e("adm"), del, rec("widgets", ghost), RW),
		allow("§1 Admin: create on any type", e("adm"), create, fn("widgets"), None),

		// Developer
		capAllow("§1 Developer holds roles.manage", e("dev"), "roles.manage"),
		capAllow("§1 Developer holds account.settings", e("dev"), "account.settings"),
		capAllow("§1 Developer holds its permission sets' capabilities", e("dev"), "reports.access"),
		capAllow("§1 Developer holds its permission sets' custom capabilities", e("dev"), "acme.custom"),
		capDeny("§1 Developer does not hold users.manage", e("dev"), "users.manage"),
		capDeny("§1 Developer does not hold billing.access", e("dev"), "billing.access"),
		capAllow("§1 Developer without sets still holds roles.manage", e("devnone"), "roles.manage"),
		deny("§1 Developer: object actions only from permission sets", e("devnone"), view, fn("deals"), None),
		allow("§1 Developer: functional edit from its set", e("dev"), edit, fn("deals"), None),
		deny("§1 Developer: no action outside its sets", e("dev"), view, fn("contacts"), None),
		allow("§1 Developer: own records ReadWrite", e("dev"), edit, rec("deals", e("dev")), RW),
		deny("§1 Developer: without viewAll, others' records are not reached", e("dev"), view, rec("deals", e("other")), None),
		allow("§1 Developer: viewAll gives Read on every record", e("devva"), view, rec("deals", e("other")), R),
		deny("§1 Developer: viewAll gives no edit", e("devva"), edit, rec("deals", e("other")), None),
		allow("§1 Developer: modifyAll gives ReadWrite on every record", e("devma"), edit, rec("deals", e("other")), RW),
		allow("§1 Developer: modifyAll reaches a non-member's record", e("devma"), del, rec("deals", ghost), RW),

		// Standard
		allow("§1 Standard: own record with its set's edit", e("other"), edit, rec("deals", e("other")), RW),
		deny("§1 Standard: no path to a SuperAdmin's (roleless) record", e("other"), view, rec("deals", e("root")), None),

		// deactivated
		deny("§1 deactivated member: no record access, not even own", e("old"), view, rec("deals", e("old")), None),
		deny("§1 deactivated member: no actions", e("old"), create, fn("deals"), None),
		capDeny("§1 deactivated member: no capabilities", e("old"), "reports.access"),
		capDeny("§1 deactivated SuperAdmin holds nothing", e("oldsa"), "users.manage"),
		deny("§1 deactivated SuperAdmin: no record access", e("oldsa"), edit, rec("deals", e("other")), None),
		capDeny("§1 deactivated Admin holds nothing", e("oldadm"), "users.manage"),
		deny("§1 deactivated Admin: no record access", e("oldadm"), view, rec("deals", e("other")), None),
		deny("§1 a record of a deactivated member is not reached by a Standard member's Own path", e("other"), view, rec("deals", e("old")), None),
	}
	for _, c := range adminCaps {
		rows = append(rows, capAllow("§1 Admin holds "+c, e("adm"), c))
	}
	runDecisions(t, functionalWorld(), rows)
}

// TestSection1EffectivePermissionShape checks what §1 says the EP holds:
// implied actions expanded, sorted, one entry per type, deactivated members
// holding nothing.
func TestSection1EffectivePermissionShape(t *testing.T) {
	res := et.Compute(functionalWorld())
	cases := []struct {
		name string
		user string
		typ  string
		want []accessv1.Action
	}{
		{"§1 edit expands to edit+view", e("ed"), "deals", []accessv1.Action{edit, view}},
		{"§1 delete expands to delete+view", e("dl"), "deals", []accessv1.Action{del, view}},
		{"§1 export expands to export+view", e("ex"), "deals", []accessv1.Action{export, view}},
		{"§1 viewAll expands to view+viewAll", e("va"), "deals", []accessv1.Action{view, viewAll}},
		{"§1 modifyAll expands to delete+edit+modifyAll+view+viewAll", e("ma"), "deals", []accessv1.Action{del, edit, modifyAll, view, viewAll}},
		{"§1 union: deals entry of un", e("un"), "deals", []accessv1.Action{view}},
		{"§1 union: contacts entry of un", e("un"), "contacts", []accessv1.Action{create}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := res.Lookup(acme, c.user)
			if ep == nil {
				t.Fatalf("no EffectivePermission for %s", c.user)
			}
			ent := objectEntry(ep, c.typ)
			if ent == nil {
				t.Fatalf("%s: no objects entry for %s; objects: %+v", c.user, c.typ, ep.Spec.Objects)
			}
			if !slices.Equal(ent.Actions, c.want) {
				t.Errorf("%s %s actions = %v, want %v", c.user, c.typ, ent.Actions, c.want)
			}
		})
	}
	t.Run("§1 capabilities of a Standard member are exactly its sets' union, sorted", func(t *testing.T) {
		ep := res.Lookup(acme, e("capper"))
		if ep == nil {
			t.Fatal("no EffectivePermission for capper")
		}
		want := []string{"acme.custom", "payments.links", "reports.access"}
		if !slices.Equal(ep.Spec.Capabilities, want) {
			t.Errorf("capabilities = %v, want %v", ep.Spec.Capabilities, want)
		}
	})
	t.Run("§1 a deactivated member's EffectivePermission exists and is inactive", func(t *testing.T) {
		ep := res.Lookup(acme, e("old"))
		if ep == nil {
			t.Fatal("no EffectivePermission for the deactivated member (api.md: one per Member)")
		}
		if ep.Spec.Active {
			t.Errorf("spec.active = true, want false")
		}
	})
	t.Run("§1 accountRole shows the Member's account role", func(t *testing.T) {
		for user, want := range map[string]accessv1.AccountRole{
			e("root"): accessv1.AccountRoleSuperAdmin, e("adm"): accessv1.AccountRoleAdmin,
			e("dev"): accessv1.AccountRoleDeveloper, e("ed"): accessv1.AccountRoleStandard,
		} {
			ep := res.Lookup(acme, user)
			if ep == nil {
				t.Errorf("no EffectivePermission for %s", user)
				continue
			}
			if ep.Spec.AccountRole != accessv1.UserRole(want) {
				t.Errorf("%s accountRole = %q, want %q", user, ep.Spec.AccountRole, want)
			}
		}
	})
}

// ---------------------------------------------------------------- §2 record access of a Standard member

// hierarchyPolicy is the §2 world's policy: forms exempt, and sharing rules.
func hierarchyPolicy() *et.PolicyWrapper {
	return et.MakePolicy(acme).
		Mode(accessv1.ModeRoleHierarchy).
		Exempt("forms").
		Share("mgr-to-junior", types("deals"), et.RoleSubject("sales-manager"), et.RoleSubject("sales-junior"), R).
		Share("sue-to-jim", types("deals"), et.UserSubject(e("sue")), et.UserSubject(e("jim")), RW).
		Share("both-match", types("leads"), et.BothSubject("support", e("sue")), et.BothSubject("sales-senior", e("teresa")), RW).
		Share("both-mismatch", types("leads"), et.BothSubject("ops", e("sue")), et.RoleSubject("sales-junior"), RW).
		Share("star-role", types("contacts"), et.RoleSubject("*"), et.RoleSubject("sales-junior"), RW).
		Share("star-type", types("*"), et.RoleSubject("support"), et.RoleSubject("sales-intern"), RW).
		Share("mgr-to-nora", types("deals"), et.RoleSubject("sales-manager"), et.UserSubject(e("nora")), RW)
}

// hierarchyWorld is the §2 world (after Zoho's role hierarchy):
//
//	ceo (boss)
//	├── sales-manager (mike, mona inactive)
//	│   └── sales-senior, peers (teresa, sam, sid inactive)
//	│       └── sales-junior (jim, jane, olaf inactive, audrey, max, vic, nora, cora, fred)
//	│           └── sales-intern (ivy)
//	├── support (sue)
//	└── ops, no peers (oscar, otto)
func hierarchyWorld() []any {
	const ns = acme
	m := func(name, role string, sets ...string) *et.MemberWrapper {
		return et.MakeMember(ns, name).Role(role).Sets(sets...)
	}
	return []any{
		et.MakeTenant(acme),
		et.MakeRole(ns, "sales-manager").ReportsTo("ceo"),
		et.MakeRole(ns, "sales-senior").ReportsTo("sales-manager").Peers(),
		et.MakeRole(ns, "sales-junior").ReportsTo("sales-senior"),
		et.MakeRole(ns, "sales-intern").ReportsTo("sales-junior"),
		et.MakeRole(ns, "support"),
		et.MakeRole(ns, "ops"),
		et.MakePermissionSet(ns, "rep").Objects(types("deals", "leads", "contacts"), view, create, edit, del, export),
		et.MakePermissionSet(ns, "deals-viewall").Objects(types("deals"), viewAll),
		et.MakePermissionSet(ns, "deals-modifyall").Objects(types("deals"), modifyAll),
		et.MakePermissionSet(ns, "deals-viewall-edit").Objects(types("deals"), viewAll, edit),
		et.MakePermissionSet(ns, "deals-create").Objects(types("deals"), create),
		et.MakePermissionSet(ns, "contacts-only").Objects(types("contacts"), view, edit),
		et.MakePermissionSet(ns, "forms-edit").Objects(types("forms"), edit),
		et.MakePermissionSet(ns, "forms-view").Objects(types("forms"), view, del),
		et.MakePermissionSet(ns, "star-view").Objects(types("*"), view),
		hierarchyPolicy(),

		et.MakeMember(ns, "root").SuperAdmin(),
		m("boss", "ceo", "rep", "forms-view"),
		m("mike", "sales-manager", "rep"),
		m("mona", "sales-manager", "rep").Inactive(),
		m("teresa", "sales-senior", "rep", "forms-edit"),
		m("sam", "sales-senior", "rep"),
		m("sid", "sales-senior", "rep").Inactive(),
		m("jim", "sales-junior", "rep"),
		m("jane", "sales-junior", "rep"),
		m("olaf", "sales-junior", "rep").Inactive(),
		m("audrey", "sales-junior", "deals-viewall"),
		m("max", "sales-junior", "deals-modifyall"),
		m("vic", "sales-junior", "deals-viewall-edit"),
		m("nora", "sales-junior", "contacts-only"),
		m("cora", "sales-junior", "deals-create"),
		m("fred", "sales-junior", "forms-view"),
		m("ivy", "sales-intern", "rep"),
		m("wes", "sales-junior", "star-view"),
		m("sue", "support", "rep", "forms-view"),
		m("oscar", "ops", "rep"),
		m("otto", "ops", "rep"),
	}
}

func TestSection2RecordAccess(t *testing.T) {
	disabled := hierarchyPolicy().HierarchyDisabled()
	rows := []decision{
		// step 1
		deny("§2.1 no view on the type: access None, even on an own record", e("nora"), view, rec("deals", e("nora")), None),
		deny("§2.1 no view on the type: nothing lifts it, not even a ReadWrite sharing rule", e("nora"), view, rec("deals", e("mike")), None),
		deny("§2.1 create without view: viewing even an own record is denied", e("cora"), view, rec("deals", e("cora")), None),
		allow("§2.5 create needs only the functional action, even without view (access None)", e("cora"), create, rec("deals", e("cora")), None),
		deny("§2.1 no view on an exempt type: nothing", e("jim"), view, rec("forms", e("sue")), None),

		// step 2: exemptFromRoles
		allow("§2.2 exempt type with edit: ReadWrite on every record (another branch)", e("teresa"), edit, rec("forms", e("sue")), RW),
		allow("§2.2/§2.4 exempt type with edit: reaches a non-member's record", e("teresa"), edit, rec("forms", ghost), RW),
		allow("§2.2/§2.4 exempt type with edit: reaches an inactive owner's record", e("teresa"), edit, rec("forms", e("olaf")), RW),
		allow("§2.2 exempt type without edit: Read on every record", e("fred"), view, rec("forms", e("sue")), R),
		deny("§2.2/§2.5 exempt type without edit: delete needs ReadWrite, has Read", e("fred"), del, rec("forms", e("sue")), R),
		allow("§2.2/§2.4 exempt type without edit: Read on a non-member's record", e("fred"), view, rec("forms", ghost), R),
		deny("§6 exempt type: Own does not add — own record is Read without edit", e("fred"), del, rec("forms", e("fred")), R),
		deny("§6 exempt type: CEO does not add — Read without edit", e("boss"), del, rec("forms", e("sue")), R),

		// step 3: All
		allow("§2.3 All: viewAll gives Read on every record", e("audrey"), view, rec("deals", e("sue")), R),
		allow("§2.3/§2.4 All: viewAll reaches a non-member's record", e("audrey"), view, rec("deals", ghost), R),
		allow("§2.3/§2.4 All: viewAll reaches an inactive owner's record", e("audrey"), view, rec("deals", e("olaf")), R),
		deny("§2.3/§2.5 All: viewAll gives Read only, edit needs ReadWrite", e("vic"), edit, rec("deals", e("sue")), R),
		allow("§2.3 the highest path counts: Own ReadWrite beats All Read", e("vic"), edit, rec("deals", e("vic")), RW),
		allow("§2.3 All: modifyAll gives ReadWrite on every record", e("max"), edit, rec("deals", e("sue")), RW),
		allow("§2.3/§2.4 All: modifyAll reaches a non-member's record", e("max"), del, rec("deals", ghost), RW),
		allow("§6 action viewAll on a record needs Read", e("audrey"), viewAll, rec("deals", e("sue")), R),
		allow("§6 action modifyAll on a record needs ReadWrite", e("max"), modifyAll, rec("deals", e("sue")), RW),

		// Own
		allow("§2.3 Own: owner gets ReadWrite (edit)", e("jim"), edit, rec("deals", e("jim")), RW),
		allow("§2.3 Own: owner gets ReadWrite (delete)", e("jim"), del, rec("deals", e("jim")), RW),
		allow("§2.3 Own: owner e-mail compared case-insensitively", e("jim"), edit, rec("deals", strings.ToUpper(e("jim"))), RW),
		deny("§2.3 same role without shareDataWithPeers gives nothing", e("jim"), view, rec("deals", e("jane")), None),

		// CEO
		allow("§2.3 CEO: ReadWrite on a member's records", e("boss"), edit, rec("deals", e("jane")), RW),
		allow("§2.3 CEO: ReadWrite on another branch's records", e("boss"), edit, rec("deals", e("sue")), RW),
		allow("§2.3 CEO: ReadWrite on a SuperAdmin's records", e("boss"), edit, rec("deals", e("root")), RW),
		allow("§6 CEO reaches records of non-members", e("boss"), edit, rec("deals", ghost), RW),
		allow("§6 CEO reaches records of inactive members", e("boss"), del, rec("deals", e("olaf")), RW),
		allow("§2.3 CEO: whatever the hierarchy setting (Disabled)", e("boss"), edit, rec("deals", e("jane")), RW).with(disabled),
		allow("§6 CEO reaches non-members with hierarchy Disabled", e("boss"), edit, rec("deals", ghost), RW).with(disabled),

		// Hierarchy
		allow("§2.3 hierarchy Enabled: parent role gets ReadWrite on a child role's records", e("teresa"), edit, rec("deals", e("jim")), RW),
		allow("§2.3 hierarchy Enabled: grand-children are reached", e("mike"), edit, rec("deals", e("jim")), RW),
		allow("§2.3 hierarchy Enabled: great-grand-children are reached", e("mike"), del, rec("deals", e("ivy")), RW),
		deny("§2.3 hierarchy: strict ancestor only — a subordinate does not see its superior's records", e("jim"), view, rec("deals", e("teresa")), None),
		deny("§2.3 hierarchy: no reach into another branch", e("teresa"), view, rec("deals", e("sue")), None),
		deny("§2.4 hierarchy does not reach an inactive subordinate", e("mike"), view, rec("deals", e("olaf")), None),
		deny("§2.4 hierarchy does not reach a non-member", e("mike"), view, rec("deals", ghost), None),
		deny("§2.3 hierarchy Disabled: parent role gets nothing on a child's records", e("teresa"), view, rec("deals", e("jim")), None).with(disabled),
		deny("§2.3 hierarchy Disabled: grand-children are not reached", e("mike"), view, rec("deals", e("ivy")), None).with(disabled),

		// Peers
		allow("§2.3 peers: same role with shareDataWithPeers gives ReadWrite", e("teresa"), edit, rec("deals", e("sam")), RW),
		allow("§2.3 peers apply with hierarchy Disabled too", e("teresa"), edit, rec("deals", e("sam")), RW).with(disabled),
		deny("§2.3 peers: a role without shareDataWithPeers gives nothing", e("oscar"), view, rec("deals", e("otto")), None),
		deny("§2.4 peers do not reach an inactive peer", e("teresa"), view, rec("deals", e("sid")), None),

		// Sharing rules
		allow("§2.3 sharing rule role→role shares a superior's records downwards (Read)", e("jim"), view, rec("deals", e("mike")), R),
		deny("§2.5 a Read sharing rule does not allow edit", e("jim"), edit, rec("deals", e("mike")), R),
		deny("§2.5 a Read sharing rule does not allow delete", e("jim"), del, rec("deals", e("mike")), R),
		allow("§2.5 export needs Read", e("jim"), export, rec("deals", e("mike")), R),
		allow("§2.3 sharing rule applies with hierarchy Disabled too", e("jim"), view, rec("deals", e("mike")), R).with(disabled),
		deny("§2.3 sharing rule applies only to its objectTypes", e("jim"), view, rec("contacts", e("mike")), None),
		deny("§2.3 sharing rule `to` role is exact, not the subtree", e("ivy"), view, rec("deals", e("mike")), None),
		deny("§2.3 sharing rule `from` role is exact, not an ancestor", e("jim"), view, rec("deals", e("boss")), None),
		deny("§2.4 sharing rule does not reach an inactive owner", e("jim"), view, rec("deals", e("mona")), None),
		allow("§2.3 sharing rule user→user gives its access", e("jim"), edit, rec("deals", e("sue")), RW),
		deny("§2.3 user→user rule gives nothing to another user", e("jane"), view, rec("deals", e("sue")), None),
		allow("§6 a side naming role and user must match both (both match)", e("teresa"), edit, rec("leads", e("sue")), RW),
		deny("§6 a side naming role and user: viewer in the role but not the user", e("sam"), view, rec("leads", e("sue")), None),
		deny("§6 a side naming role and user: owner is the user but not in the role", e("jim"), view, rec("leads", e("sue")), None),
		deny("§6 `*` is not special in a sharing rule's role", e("jim"), view, rec("contacts", e("sue")), None),
		// decided: "`*` is not special" in sharing rules covers objectTypes too (only PermissionSets give "*" a meaning).
		deny("§6 `*` is not special in a sharing rule's objectTypes", e("ivy"), view, rec("deals", e("sue")), None),
		// ... so it names no type: a viewer with view on every type gets no share on a type nobody names.
		deny("§6 `*` in a sharing rule's objectTypes does not reach an unnamed type", e("iva"), view, rec("widgets", e("sue")), None).
			with(et.MakeMember(acme, "iva").Role("sales-intern").Sets("star-view")),

		allow("§1/§2.3 a viewer whose actions come only from '*' still gets a type's sharing rule", e("wes"), view, rec("deals", e("mike")), R),
		allow("§1/§2.2 a viewer whose actions come only from '*' still gets a type's exempt path", e("wes"), view, rec("forms", e("sue")), R),
		allow("§1/§2.3 a viewer whose actions come only from '*' keeps Own", e("wes"), view, rec("widgets", e("wes")), RW),
		deny("§2.4 a user sharing rule does not reach its owner once inactive", e("jim"), view, rec("deals", e("sue")), None).
			with(et.MakeMember(acme, "sue").Role("support").Sets("rep", "forms-view").Inactive()),
		allow("api.md a sharing rule's user e-mails are compared case-insensitively", e("jane"), edit, rec("deals", e("oscar")), RW).
			with(hierarchyPolicy().Share("upper", types("deals"), et.UserSubject(strings.ToUpper(e("oscar"))), et.UserSubject(strings.ToUpper(e("jane"))), RW)),
		deny("§2.3 a role sharing rule from a role no one holds validly does not match a dangling-role owner", e("jim"), view, rec("deals", e("dan")), None).
			with(hierarchyPolicy().Share("from-dangling", types("deals"), et.RoleSubject("ghost-role"), et.RoleSubject("sales-junior"), RW),
				et.MakeMember(acme, "dan").Role("ghost-role").Sets("rep")),
		deny("§2.3 a sharing rule's access is per type: ReadWrite on deals is not ReadWrite on leads", e("jim"), view, rec("leads", e("sue")), None),
		// step 4
		deny("§2.4 a non-member's record: no Own/hierarchy/peer/rule path", e("jim"), view, rec("deals", ghost), None),

		// step 5
		allow("§2.5 create with an owner the viewer cannot reach: allowed, access None", e("jim"), create, rec("deals", e("oscar")), None),
		allow("§6 functional question without owner: allowed, access None", e("jim"), edit, fn("deals"), None),
		deny("§6 functional question without owner: denied without the action", e("jim"), view, fn("widgets"), None),
		allow("§2.5 view needs Read (ReadWrite suffices)", e("teresa"), view, rec("deals", e("jim")), RW),
	}
	runDecisions(t, hierarchyWorld(), rows)
}

// ---------------------------------------------------------------- §3 visibility modes

// pgWorld is Hot Profile's permission-group mode (after the meishi scenario).
func pgWorld(policy *et.PolicyWrapper) []any {
	const ns = acme
	m := func(name, role string, sets ...string) *et.MemberWrapper {
		return et.MakeMember(ns, name).Role(role).Sets(sets...)
	}
	return []any{
		et.MakeTenant(acme),
		et.MakeRole(ns, "sales"),
		et.MakeRole(ns, "engineering"),
		et.MakeRole(ns, "executives"),
		et.MakeRole(ns, "emea-sales").ReportsTo("sales"),
		et.MakePermissionSet(ns, "everyday").Objects(types("*"), view, create, edit),
		et.MakePermissionSet(ns, "contacts-only").Objects(types("contacts"), view),
		policy,
		et.MakeMember(ns, "root").SuperAdmin(),
		et.MakeMember(ns, "sasales").SuperAdmin().Role("sales"),
		et.MakeMember(ns, "dev").Developer().Sets("everyday"),
		m("boss", "ceo", "everyday"),
		m("s1", "sales", "everyday"),
		m("s2", "sales", "everyday"),
		m("gone", "sales", "everyday").Inactive(),
		m("t1", "emea-sales", "everyday"),
		m("e1", "engineering", "everyday"),
		m("x1", "executives", "everyday"),
		m("n1", "engineering", "contacts-only"),
		m("dan", "ghost-role", "everyday"),
		m("dana", "ghost-role", "everyday"),
		et.MakeRole(ns, "orphan").ReportsTo("nowhere"),
		et.MakeRole(ns, "orphan-child").ReportsTo("orphan"),
		m("oli", "orphan", "everyday"),
		m("olga", "orphan", "everyday"),
		m("ola", "orphan-child", "everyday"),
	}
}

func pgPolicy() *et.PolicyWrapper {
	return et.MakePolicy(acme).Mode(accessv1.ModePermissionGroup).HierarchyDisabled().
		ObjectType("business-cards", Group, Public, Group, Private).
		ObjectType("leads", Group, Group).
		ObjectType("reports", Public, Public, Group, OwnerAndGroups, Private).
		ObjectType("memos", accessv1.Visibility("Secret")).
		ObjectType("tasks", Private).
		ObjectType("quotes", "", Public, Private)
	// notes: no settings (default Group, all four allowed)
}

func TestSection3PermissionGroup(t *testing.T) {
	enabled := pgPolicy().Hierarchy(accessv1.HierarchyEnabled)
	rows := []decision{
		allow("§3 PermissionGroup Public: Read for everyone", e("e1"), view, recV("business-cards", e("s1"), Public), R),
		deny("§3 PermissionGroup Public: Read only, edit denied", e("e1"), edit, recV("business-cards", e("s1"), Public), R),
		allow("§3 Public: owner keeps ReadWrite (Own)", e("s1"), edit, recV("business-cards", e("s1"), Public), RW),
		deny("§3 Group: members of another role see nothing", e("e1"), view, recV("business-cards", e("s1"), Group), None),
		allow("§3 Group: Read for members of the owner's role", e("s2"), view, recV("business-cards", e("s1"), Group), R),
		deny("§3 Group: Read only, edit denied", e("s2"), edit, recV("business-cards", e("s1"), Group), R),
		deny("§3 Private: nothing beyond section 2 (same role)", e("s2"), view, recV("business-cards", e("s1"), Private), None),
		allow("§3 Private: the owner keeps ReadWrite", e("s1"), edit, recV("business-cards", e("s1"), Private), RW),
		allow("§3 OwnerAndGroups: Read for a role named in groups", e("e1"), view, recV("reports", e("s1"), OwnerAndGroups, "engineering"), R),
		allow("§3 OwnerAndGroups: Read for the owner's role", e("s2"), view, recV("reports", e("s1"), OwnerAndGroups, "engineering"), R),
		deny("§3 OwnerAndGroups: others see nothing", e("x1"), view, recV("reports", e("s1"), OwnerAndGroups, "engineering"), None),
		allow("§3 a record stating no visibility takes defaultVisibility (Public)", e("e1"), view, rec("reports", e("s1")), R),
		allow("§3 defaultVisibility defaults to Group (same role)", e("s2"), view, rec("notes", e("s1")), R),
		deny("§3 defaultVisibility defaults to Group (other role)", e("e1"), view, rec("notes", e("s1")), None),
		allow("§3 a type without settings allows all four visibilities", e("e1"), view, recV("notes", e("s1"), Public), R),
		deny("§3 a stated visibility not allowed takes the default (Public→Group, other role)", e("e1"), view, recV("leads", e("s1"), Public), None),
		allow("§3 a stated visibility not allowed takes the default (Public→Group, same role)", e("s2"), view, recV("leads", e("s1"), Public), R),
		deny("§3 a stated OwnerAndGroups not allowed takes the default Group", e("e1"), view, recV("business-cards", e("s1"), OwnerAndGroups, "engineering"), None),
		allow("§3 a stated Private not allowed takes the default Group", e("s2"), view, recV("leads", e("s1"), Private), R),
		deny("§6 a defaultVisibility outside the four values reads as Private", e("s2"), view, rec("memos", e("s1")), None),
		allow("§3 an unset defaultVisibility is Group even when allowedVisibilities omit Group", e("s2"), view, rec("quotes", e("s1")), R),
		deny("§3 an unset defaultVisibility is Group even when allowedVisibilities omit Group (other role)", e("e1"), view, rec("quotes", e("s1")), None),
		deny("§3 defaultVisibility Private", e("s2"), view, rec("tasks", e("s1")), None),
		deny("§6 Group matches exact role membership, not the subtree (viewer in a child role)", e("t1"), view, recV("business-cards", e("s1"), Group), None),
		deny("§6 Group matches exact role membership (owner in a child role)", e("s1"), view, recV("business-cards", e("t1"), Group), None),
		deny("§6 OwnerAndGroups groups match exact role membership", e("t1"), view, recV("reports", e("s1"), OwnerAndGroups, "sales"), None),
		allow("§2.4 Public reaches a non-member's record", e("e1"), view, recV("reports", ghost, Public), R),
		deny("§2.4 Group does not reach a non-member's record", e("s1"), view, recV("business-cards", ghost, Group), None),
		allow("§2.4 Public reaches an inactive owner's record", e("e1"), view, recV("business-cards", e("gone"), Public), R),
		deny("§2.4 Group does not reach an inactive owner's record", e("s2"), view, recV("business-cards", e("gone"), Group), None),
		deny("§2.4 OwnerAndGroups does not reach an inactive owner's record", e("e1"), view, recV("reports", e("gone"), OwnerAndGroups, "engineering"), None),
		deny("§2.1 Public does not lift a missing view", e("n1"), view, recV("business-cards", e("s1"), Public), None),
		allow("§3 PermissionGroup keeps the §2 CEO path (Private record)", e("boss"), edit, recV("business-cards", e("s1"), Private), RW),
		allow("§1 SuperAdmin edits a Private record", e("root"), edit, recV("deals", e("x1"), Private), RW),
		allow("§3 PermissionGroup with hierarchy Enabled keeps the hierarchy path (Private record)", e("s1"), edit, recV("business-cards", e("t1"), Private), RW).with(enabled),
		deny("§3 PermissionGroup with hierarchy Disabled: no hierarchy path", e("s1"), view, recV("business-cards", e("t1"), Private), None),
		allow("§6 a SuperAdmin's role is its permission group for others", e("s2"), view, recV("business-cards", e("sasales"), Group), R),
		deny("§6 dangling role: Group gives nothing between two members of the same dangling role", e("dana"), view, recV("business-cards", e("dan"), Group), None),
		allow("§6 dangling role: Public still applies", e("dan"), view, recV("business-cards", e("s1"), Public), R),
		allow("§6 dangling role: Own still applies", e("dan"), edit, recV("business-cards", e("dan"), Private), RW),
		deny("§6 missing parent: no mode paths — Public gives nothing to the role's members", e("oli"), view, recV("business-cards", e("s1"), Public), None),
		deny("§6 missing parent: no mode paths — Group gives nothing between the role's members", e("olga"), view, recV("business-cards", e("oli"), Group), None),
		allow("§6 missing parent: the role's members keep own records", e("oli"), edit, recV("business-cards", e("oli"), Private), RW),
		allow("§6 missing parent: roles below keep their mode paths (Public)", e("ola"), view, recV("business-cards", e("s1"), Public), R),
		deny("§2.4 OwnerAndGroups does not reach a non-member's record even when groups name the viewer's role", e("e1"), view, recV("reports", ghost, OwnerAndGroups, "engineering"), None),
		allow("§3 OwnerAndGroups: a record naming several groups reaches each", e("x1"), view, recV("reports", e("s1"), OwnerAndGroups, "engineering", "executives"), R),
		deny("§6 Developer is not widened by Public", e("dev"), view, recV("business-cards", e("s1"), Public), None),
		allow("§6 Developer: own records ReadWrite", e("dev"), edit, recV("business-cards", e("dev"), Group), RW),
		deny("§3 RoleHierarchy mode has no record-level visibility (Public is ignored)", e("jim"), view, recV("deals", e("oscar"), Public), None).on(hierarchyWorld()),
		deny("§3 RoleHierarchy is the default mode (no policy: Public is ignored)", e("e1"), view, recV("business-cards", e("s1"), Public), None).
			with(et.Delete("VisibilityPolicy", acme, "default")),
	}
	runDecisions(t, pgWorld(pgPolicy()), rows)
}

// deptWorld is Hot Profile's department mode (after the kaisha scenario).
func deptWorld(policy *et.PolicyWrapper) []any {
	const ns = acme
	m := func(name, role string, sets ...string) *et.MemberWrapper {
		return et.MakeMember(ns, name).Role(role).Sets(sets...)
	}
	return []any{
		et.MakeTenant(acme),
		et.MakeRole(ns, "sales"),
		et.MakeRole(ns, "engineering"),
		et.MakeRole(ns, "executives"),
		et.MakePermissionSet(ns, "everyday").Objects(types("*"), view, create, edit),
		et.MakePermissionSet(ns, "deals-view").Objects(types("deals"), view),
		et.MakePermissionSet(ns, "all-read").Objects(types("business-cards", "tickets"), viewAll),
		policy,
		et.MakeMember(ns, "root").SuperAdmin(),
		et.MakeMember(ns, "sasales").SuperAdmin().Role("sales"),
		et.MakeMember(ns, "dev").Developer().Sets("everyday"),
		et.MakeMember(ns, "adm").Admin(),
		m("boss", "ceo", "everyday"),
		m("s1", "sales", "everyday"),
		m("s2", "sales", "everyday"),
		m("gone", "sales", "everyday").Inactive(),
		m("e1", "engineering", "everyday"),
		m("e2", "engineering", "everyday"),
		m("cva", "engineering", "everyday", "all-read"),
		m("x1", "executives", "everyday"),
		m("n1", "engineering", "deals-view"),
		m("dan", "ghost-role", "everyday"),
		et.MakeRole(ns, "orphan").ReportsTo("nowhere"),
		m("oli", "orphan", "everyday"),
		m("olga", "orphan", "everyday"),
	}
}

func deptPolicy() *et.PolicyWrapper {
	cards := types("business-cards")
	rs := et.RoleSubject
	return et.MakePolicy(acme).Mode(accessv1.ModeDepartment).HierarchyDisabled().DeptDefault(None).
		// the kaisha scenario's matrix
		DeptRule(cards, rs("executives"), rs("engineering"), None).
		DeptRule(cards, rs("executives"), rs("sales"), None).
		DeptRule(cards, rs("sales"), rs("executives"), RW).
		DeptRule(cards, rs("engineering"), rs("executives"), RW).
		DeptRule(cards, rs("engineering"), rs("sales"), R).
		DeptRule(cards, rs("sales"), rs("engineering"), R, "email").
		DeptRule(cards, rs("sales"), rs("ceo"), R, "email").
		// last rule wins
		DeptRule(types("contacts"), rs("engineering"), rs("sales"), R).
		DeptRule(types("contacts"), rs("engineering"), rs("sales"), RW).
		DeptRule(types("leads"), rs("engineering"), rs("sales"), RW).
		DeptRule(types("leads"), rs("engineering"), rs("sales"), None).
		// a rule inside one department
		DeptRule(types("memos"), rs("sales"), rs("sales"), R, "notes").
		// hidden fields of a ReadWrite rule
		DeptRule(types("tickets"), rs("sales"), rs("engineering"), RW, "salary").
		// sides naming role and user
		DeptRule(types("quotes"), et.BothSubject("sales", e("s1")), rs("engineering"), R).
		DeptRule(types("orders"), rs("sales"), et.BothSubject("engineering", e("e1")), R).
		// "*" is not special
		DeptRule(types("tasks"), rs("*"), rs("engineering"), RW).
		// sharing rules are §2 paths and can unhide fields
		Share("s2-cards-to-e1", cards, et.UserSubject(e("s2")), et.UserSubject(e("e1")), R).
		Share("s1-tickets-to-e1", types("tickets"), et.UserSubject(e("s1")), et.UserSubject(e("e1")), R).
		Share("s2-tickets-to-e1", types("tickets"), et.UserSubject(e("s2")), et.UserSubject(e("e1")), RW)
}

func deptReadPolicy() *et.PolicyWrapper {
	return et.MakePolicy(acme).Mode(accessv1.ModeDepartment).HierarchyDisabled().DeptDefault(R).
		DeptRule(types("deals"), et.RoleSubject("ghost-role"), et.RoleSubject("engineering"), None).
		DeptRule(types("widgets"), et.RoleSubject("sales"), et.RoleSubject("engineering"), None)
}

func TestSection3Department(t *testing.T) {
	readWorld := deptWorld(deptReadPolicy())
	rulesOnly := deptWorld(et.MakePolicy(acme).Mode(accessv1.ModeDepartment).HierarchyDisabled().
		DeptRule(types("business-cards"), et.RoleSubject("executives"), et.RoleSubject("engineering"), None))
	pgSettings := deptWorld(deptPolicy().ObjectType("business-cards", Private, Private))
	cards := "business-cards"

	rows := []decision{
		// the kaisha scenario
		deny("§3 Department rule None: executives' cards hidden from engineering", e("e1"), view, recV(cards, e("x1"), Public), None),
		deny("§3 Department rule None: executives' cards hidden from sales", e("s1"), view, recV(cards, e("x1"), Public), None),
		allow("§3 Department rule ReadWrite: executives edit sales' cards", e("x1"), edit, recV(cards, e("s1"), Public), RW),
		allow("§3 Department rule Read: sales view engineering's cards", e("s1"), view, recV(cards, e("e1"), Public), R),
		deny("§3 Department rule Read: sales may not edit engineering's cards", e("s1"), edit, recV(cards, e("e1"), Public), R),
		allow("§3 hidden fields: a field not hidden is allowed", e("e1"), view, recF(cards, e("s1"), Public, "company"), R),
		// decided: a decision denied for a hidden field still reports the record's access level (the field, not the record, is denied).
		deny("§3/§6 hidden fields: --field denial of a hidden field", e("e1"), view, recF(cards, e("s1"), Public, "email"), R),
		allow("§3 same department: ReadWrite", e("s2"), edit, recV(cards, e("s1"), Public), RW),
		allow("§3 hidden fields are only hidden from the rule's viewer department", e("s2"), view, recF(cards, e("s1"), "", "email"), RW),
		deny("§3 Private record: nothing beyond section 2 (rule ReadWrite)", e("x1"), view, recV(cards, e("s2"), Private), None),
		allow("§6 Department mode: Group counts as Public", e("e1"), view, recV(cards, e("s1"), Group), R),
		deny("§3 departmentDefault None between departments no rule names", e("e1"), view, recV("deals", e("s1"), Public), None),

		// more of §3 / §6
		allow("§6 Department mode: OwnerAndGroups counts as Public", e("e1"), view, recV(cards, e("s1"), OwnerAndGroups, "executives"), R),
		allow("§6 Department mode: a record that states no visibility is Public", e("e1"), view, rec(cards, e("s1")), R),
		deny("§3 Private record: same department gets nothing", e("s2"), view, recV(cards, e("s1"), Private), None),
		allow("§3 Private record: the owner keeps ReadWrite", e("s1"), edit, recV(cards, e("s1"), Private), RW),
		allow("§6 defaultVisibility/allowedVisibilities do not apply in Department mode", e("e1"), view, rec(cards, e("s1")), R).on(pgSettings),
		allow("§3 a rule for the same department overrides ReadWrite (view)", e("s2"), view, recV("memos", e("s1"), Public), R),
		deny("§3 a rule for the same department overrides ReadWrite (edit)", e("s2"), edit, recV("memos", e("s1"), Public), R),
		allow("§3 the last matching rule wins (Read then ReadWrite)", e("s1"), edit, recV("contacts", e("e1"), Public), RW),
		deny("§3 the last matching rule wins (ReadWrite then None)", e("s1"), view, recV("leads", e("e1"), Public), None),
		allow("§3 departmentDefault Read between departments no rule names", e("e1"), view, recV("deals", e("s1"), Public), R).on(readWorld),
		deny("§3 departmentDefault Read gives no edit", e("e1"), edit, recV("deals", e("s1"), Public), R).on(readWorld),
		allow("§6 departmentDefault absent while rules exist means ReadWrite", e("e1"), edit, recV("deals", e("s1"), Public), RW).on(rulesOnly),
		deny("§6 departmentDefault absent: the rules still apply", e("e1"), view, recV(cards, e("x1"), Public), None).on(rulesOnly),
		deny("§6 `*` is not special in department rules", e("e1"), view, recV("tasks", e("s1"), Public), None),
		deny("§6 `*` in a department rule's objectTypes names no type (default None applies)", e("e1"), edit, recV("widgets", e("s1"), Public), None).
			with(deptPolicy().DeptRule(types("*"), et.RoleSubject("sales"), et.RoleSubject("engineering"), RW)),
		deny("§6 a Developer owner has no department: a rule naming the user does not match (default None)", e("e1"), edit, recV("deals", e("dev"), Public), None).
			with(deptPolicy().DeptRule(types("deals"), et.UserSubject(e("dev")), et.RoleSubject("engineering"), RW)),
		deny("§6 an owner with a dangling role has no department: a rule naming the user does not match", e("e1"), edit, recV("deals", e("dan"), Public), None).
			with(deptPolicy().DeptRule(types("deals"), et.UserSubject(e("dan")), et.RoleSubject("engineering"), RW)),
		deny("§6 an Admin owner has no department: a rule naming the user does not match", e("e1"), edit, recV("deals", e("adm"), Public), None).
			with(deptPolicy().DeptRule(types("deals"), et.UserSubject(e("adm")), et.RoleSubject("engineering"), RW)),
		allow("§6 department rule side naming role and user: both match", e("e1"), view, recV("quotes", e("s1"), Public), R),
		deny("§6 department rule side naming role and user: owner in the role but not the user", e("e1"), view, recV("quotes", e("s2"), Public), None),
		allow("§6 department rule `to` naming role and user: both match", e("e1"), view, recV("orders", e("s1"), Public), R),
		deny("§6 department rule `to` naming role and user: viewer in the role but not the user", e("e2"), view, recV("orders", e("s1"), Public), None),
		deny("§2.1 department access does not lift a missing view", e("n1"), view, recV(cards, e("s1"), Public), None),

		// hidden fields and unhiding
		deny("§6 --field: any action is denied when the field is hidden (create too)", e("e1"), create, recF(cards, e("s1"), Public, "email"), R),
		allow("§6 hidden fields are unhidden by Own", e("s1"), view, recF("memos", e("s1"), Public, "notes"), RW),
		deny("§6 hidden fields stay hidden for a same-department viewer under the rule", e("s2"), view, recF("memos", e("s1"), Public, "notes"), R),
		allow("§6 hidden fields are unhidden by the CEO path", e("boss"), view, recF(cards, e("s1"), Public, "email"), RW),
		allow("§6 hidden fields are unhidden by a sharing rule of the same level (Read ≥ Read)", e("e1"), view, recF(cards, e("s2"), Public, "email"), R),
		deny("§6 hidden fields stay hidden when the other path is lower (sharing Read < rule ReadWrite)", e("e1"), view, recF("tickets", e("s1"), Public, "salary"), RW),
		allow("§6 hidden fields are unhidden by a sharing rule of the rule's level (ReadWrite)", e("e1"), view, recF("tickets", e("s2"), Public, "salary"), RW),
		allow("§3 a ReadWrite department rule gives edit", e("e2"), edit, recV("tickets", e("s1"), Public), RW),
		deny("§3 a ReadWrite department rule's hidden field is hidden", e("e2"), view, recF("tickets", e("s1"), Public, "salary"), RW),
		allow("§6 hidden fields are unhidden by All of the same level (viewAll Read ≥ rule Read)", e("cva"), view, recF(cards, e("s1"), Public, "email"), R),
		deny("§6 hidden fields stay hidden under a lower All (viewAll Read < rule ReadWrite)", e("cva"), view, recF("tickets", e("s1"), Public, "salary"), RW),

		// departments of viewers and owners
		deny("§6 a viewer with no department (dangling role) gets no department access", e("dan"), view, recV("deals", e("s1"), Public), None).on(readWorld),
		allow("§6 an owner with no department (non-member): departmentDefault applies", e("e1"), view, recV("deals", ghost, Public), R).on(readWorld),
		deny("§3 a Private record of a non-member: the department default does not apply", e("e1"), view, recV("deals", ghost, Private), None).on(readWorld),
		deny("§6 an owner with no department (non-member): departmentDefault None", e("e1"), view, recV(cards, ghost, Public), None),
		allow("§6 an owner with a dangling role has no department: no rule matches, default applies", e("e1"), view, recV("deals", e("dan"), Public), R).on(readWorld),
		allow("§6 a Developer owner has no department: default applies", e("e1"), view, recV("deals", e("dev"), Public), R).on(readWorld),
		allow("§6 an Admin owner has no department: default applies", e("e1"), view, recV("deals", e("adm"), Public), R).on(readWorld),
		allow("§6 an inactive owner's declared role is still its department (rule Read)", e("e1"), view, recV(cards, e("gone"), Public), R),
		deny("§6 an inactive owner's department: its rule's hidden fields apply", e("e1"), view, recF(cards, e("gone"), Public, "email"), R),
		deny("§6 an inactive owner's department: its rule None applies, not the default Read", e("e1"), view, recV("widgets", e("gone"), Public), None).on(readWorld),
		allow("§2.4/§6 same department reaches an inactive owner's Public record", e("s2"), edit, recV(cards, e("gone"), Public), RW),
		allow("§6 a SuperAdmin's role is its department for others", e("e1"), view, recV(cards, e("sasales"), Public), R),
		deny("§6 a SuperAdmin's department: its rule's hidden fields apply", e("e1"), view, recF(cards, e("sasales"), Public, "email"), R),
		deny("§6 missing parent: no department path for the role's members", e("oli"), view, recV("deals", e("s1"), Public), None).on(readWorld),
		deny("§6 missing parent: no same-department path between the role's members", e("olga"), view, recV("deals", e("oli"), Public), None).on(readWorld),
		allow("§6 missing parent: the role is still its members' department for others (default Read)", e("e1"), view, recV("deals", e("oli"), Public), R).on(readWorld),
		deny("§6 Developer is not widened by the department default", e("dev"), view, recV("deals", e("s1"), Public), None).on(readWorld),
		allow("§6 Developer: own records ReadWrite in Department mode", e("dev"), edit, recV("deals", e("dev"), Public), RW).on(readWorld),
	}
	runDecisions(t, deptWorld(deptPolicy()), rows)
}

// TestSection3DepartmentHierarchyUnhides: a department rule's hidden fields
// are unhidden by the hierarchy path (§3, §6), which exists only while the
// hierarchy is Enabled.
func TestSection3DepartmentHierarchyUnhides(t *testing.T) {
	const ns = acme
	world := func(h accessv1.HierarchySetting) []any {
		return []any{
			et.MakeTenant(acme),
			et.MakeRole(ns, "eng-lead"),
			et.MakeRole(ns, "eng").ReportsTo("eng-lead"),
			et.MakePermissionSet(ns, "everyday").Objects(types("*"), view, create, edit),
			et.MakePolicy(ns).Mode(accessv1.ModeDepartment).Hierarchy(h).DeptDefault(None).
				DeptRule(types("tickets"), et.RoleSubject("eng"), et.RoleSubject("eng-lead"), R, "salary"),
			et.MakeMember(ns, "root").SuperAdmin(),
			et.MakeMember(ns, "lead").Role("eng-lead").Sets("everyday"),
			et.MakeMember(ns, "dev1").Role("eng").Sets("everyday"),
		}
	}
	on, off := world(accessv1.HierarchyEnabled), world(accessv1.HierarchyDisabled)
	runDecisions(t, on, []decision{
		allow("§6 hidden fields are unhidden by the hierarchy path", e("lead"), view, recF("tickets", e("dev1"), Public, "salary"), RW),
		allow("§2.3 hierarchy path in Department mode gives ReadWrite", e("lead"), edit, recV("tickets", e("dev1"), Public), RW),
		deny("§6 with hierarchy Disabled the rule's hidden field stays hidden", e("lead"), view, recF("tickets", e("dev1"), Public, "salary"), R).on(off),
		deny("§3 with hierarchy Disabled the department rule gives Read only", e("lead"), edit, recV("tickets", e("dev1"), Public), R).on(off),
	})
}

// ---------------------------------------------------------------- §5 determinism and explanation

func allWorlds() map[string][]any {
	return map[string][]any{
		"functional":  functionalWorld(),
		"hierarchy":   hierarchyWorld(),
		"roles":       rolesWorld(),
		"perm-group":  pgWorld(pgPolicy()),
		"department":  deptWorld(deptPolicy()),
		"partners":    partnerWorld(),
		"partner-mix": unionWorld(),
	}
}

func TestSection5Determinism(t *testing.T) {
	names := make([]string, 0)
	worlds := allWorlds()
	for n := range worlds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		world := worlds[n]
		t.Run("§5 same inputs give identical output: "+n, func(t *testing.T) {
			s := et.Snap(world)
			before := et.Snap(s) // a deep copy
			a := engine.Compute(s, et.Now)
			if !reflect.DeepEqual(s, before) {
				t.Errorf("Compute changed its input snapshot")
			}
			b := engine.Compute(et.Snap(world), et.Now)
			if !reflect.DeepEqual(a.EffectivePermissions, b.EffectivePermissions) {
				t.Errorf("two computations of the same snapshot differ")
			}
			c := engine.Compute(et.Reversed(s), et.Now)
			if !reflect.DeepEqual(a.EffectivePermissions, c.EffectivePermissions) {
				t.Errorf("input order changed the EffectivePermissions")
			}
			if !reflect.DeepEqual(a.Findings, c.Findings) {
				t.Errorf("input order changed the findings:\n%v\nvs\n%v", a.Findings, c.Findings)
			}
		})
		t.Run("§5 every list sorted, every grant explained: "+n, func(t *testing.T) {
			res := et.Compute(world)
			if len(res.EffectivePermissions) == 0 {
				t.Fatal("no EffectivePermissions computed")
			}
			checkSortedAndExplained(t, res)
		})
	}
}

func checkSortedAndExplained(t *testing.T, res *engine.Result) {
	t.Helper()
	eps := res.EffectivePermissions
	if !sort.SliceIsSorted(eps, func(i, j int) bool {
		if eps[i].Namespace != eps[j].Namespace {
			return eps[i].Namespace < eps[j].Namespace
		}
		return eps[i].Name < eps[j].Name
	}) {
		t.Errorf("EffectivePermissions not sorted by namespace/name")
	}
	for _, ep := range eps {
		id := ep.Namespace + "/" + ep.Name
		if ep.Kind != "EffectivePermission" || ep.APIVersion != accessv1.GroupVersion.String() {
			t.Errorf("%s: TypeMeta = %q %q", id, ep.APIVersion, ep.Kind)
		}
		if ep.Spec.User != strings.ToLower(ep.Spec.User) {
			t.Errorf("%s: spec.user %q is not lowercase", id, ep.Spec.User)
		}
		if ep.Spec.Tenant == "" {
			t.Errorf("%s: spec.tenant empty", id)
		}
		if !slices.IsSorted(ep.Spec.Capabilities) {
			t.Errorf("%s: capabilities not sorted: %v", id, ep.Spec.Capabilities)
		}
		if !slices.IsSorted(ep.Spec.WithheldCapabilities) {
			t.Errorf("%s: withheldCapabilities not sorted: %v", id, ep.Spec.WithheldCapabilities)
		}
		if !sort.SliceIsSorted(ep.Spec.Subordinates, func(i, j int) bool {
			return ep.Spec.Subordinates[i].Role < ep.Spec.Subordinates[j].Role
		}) {
			t.Errorf("%s: subordinates not sorted: %v", id, ep.Spec.Subordinates)
		}
		if !sort.SliceIsSorted(ep.Spec.Objects, func(i, j int) bool {
			return ep.Spec.Objects[i].Type < ep.Spec.Objects[j].Type
		}) {
			t.Errorf("%s: objects not sorted by type", id)
		}
		for _, cs := range ep.Spec.CapabilitySources {
			if cs.Via == "" {
				t.Errorf("%s: a capabilitySources entry has no via", id)
			}
			if !slices.IsSorted(cs.Capabilities) {
				t.Errorf("%s: capabilitySources %q not sorted", id, cs.Via)
			}
		}
		for _, o := range ep.Spec.Objects {
			if !slices.IsSorted(o.Actions) {
				t.Errorf("%s %s: actions not sorted: %v", id, o.Type, o.Actions)
			}
			for _, as := range o.ActionSources {
				if as.Via == "" {
					t.Errorf("%s %s: an actionSources entry has no via", id, o.Type)
				}
				if !slices.IsSorted(as.Actions) {
					t.Errorf("%s %s: actionSources %q not sorted", id, o.Type, as.Via)
				}
			}
			for _, g := range o.Grants {
				if len(g.Via) == 0 || slices.Contains(g.Via, "") {
					t.Errorf("%s %s: grant %+v has no via", id, o.Type, g)
				}
				if !slices.IsSorted(g.HiddenFields) {
					t.Errorf("%s %s: hiddenFields not sorted: %v", id, o.Type, g.HiddenFields)
				}
			}
		}
	}
}

// ---------------------------------------------------------------- §6 clarifications

// rolesWorld is the §2 world plus the broken and special roles of §6:
//
//	orphan (reportsTo nowhere, peers) > orphan-child > orphan-gc
//	east <-> west (a cycle) > south > south-jr
//	members with a role that names no Role (dan, dav)
func rolesWorld() []any {
	const ns = acme
	m := func(name, role string, sets ...string) *et.MemberWrapper {
		return et.MakeMember(ns, name).Role(role).Sets(sets...)
	}
	return append(hierarchyWorld(),
		hierarchyPolicy().
			Share("to-dangling", types("deals"), et.RoleSubject("sales-manager"), et.RoleSubject("ghost-role"), RW).
			Share("sue-to-dan", types("deals"), et.UserSubject(e("sue")), et.UserSubject(e("dan")), RW).
			Share("sue-to-olga", types("deals"), et.UserSubject(e("sue")), et.UserSubject(e("olga")), RW).
			Share("support-to-dev", types("deals"), et.RoleSubject("support"), et.UserSubject(e("dev")), RW).
			Share("mgr-to-eve", types("deals"), et.RoleSubject("sales-manager"), et.RoleSubject("east"), RW),
		et.MakeRole(ns, "orphan").ReportsTo("nowhere").Peers(),
		et.MakeRole(ns, "orphan-child").ReportsTo("orphan"),
		et.MakeRole(ns, "orphan-gc").ReportsTo("orphan-child"),
		et.MakeRole(ns, "east").ReportsTo("west"),
		et.MakeRole(ns, "west").ReportsTo("east"),
		et.MakeRole(ns, "south").ReportsTo("east"),
		et.MakeRole(ns, "south-jr").ReportsTo("south"),

		m("dan", "ghost-role", "rep"),
		m("dav", "ghost-role", "deals-viewall", "forms-view"),
		m("oli", "orphan", "rep", "deals-viewall", "forms-edit"),
		m("olga", "orphan", "rep"),
		m("ola", "orphan-child", "rep", "deals-viewall"),
		m("olg", "orphan-gc", "rep"),
		m("eve", "east", "rep", "deals-viewall"),
		m("sol", "south", "rep", "deals-viewall"),
		m("saj", "south-jr", "rep"),
		et.MakeMember(ns, "rootorph").SuperAdmin().Role("orphan"),
		et.MakeMember(ns, "admrole").Admin().Role("sales-junior"),
		et.MakeMember(ns, "sajr").SuperAdmin().Role("sales-junior"),
		et.MakeMember(ns, "saps").SuperAdmin().Role("sales-senior"),
		et.MakeMember(ns, "samgr").SuperAdmin().Role("sales-manager"),
		et.MakeMember(ns, "dev").Developer().Sets("rep", "forms-edit"),
		et.MakeMember(ns, "devva").Developer().Sets("deals-viewall"),
		et.MakeMember(ns, "devma").Developer().Sets("deals-modifyall"),
		et.MakeMember(ns, "pam").Role("sales-junior").Sets("partner-admin"),
		et.MakeMember(ns, "devceo").Developer().Role("ceo").Sets("rep"),
		et.MakeMember(ns, "sadang").SuperAdmin().Role("ghost-role"),
	)
}

func TestSection6Clarifications(t *testing.T) {
	userCEO := et.MakeRole(acme, "ceo").ReportsTo("sales-junior")
	userPartnerAdmin := et.MakePermissionSet(acme, "partner-admin").Objects(types("deals"), view).Caps("payments.instruments")
	rows := []decision{
		// dangling role
		allow("§6 dangling role: own records still ReadWrite", e("dan"), edit, rec("deals", e("dan")), RW),
		deny("§6 dangling role: a role sharing rule to the dangling role gives nothing", e("dan"), view, rec("deals", e("mike")), None),
		// decided: a user→user sharing rule is not a role path, so it still applies to a member whose role dangles.
		allow("§6 dangling role: a user sharing rule still applies (not a role path)", e("dan"), edit, rec("deals", e("sue")), RW),
		allow("§6 dangling role: All still applies", e("dav"), view, rec("deals", e("sue")), R),
		allow("§6 dangling role: exempt still applies", e("dav"), view, rec("forms", e("sue")), R),
		deny("§6 dangling role: the owner has no role, so no superior's hierarchy path reaches it", e("mike"), view, rec("deals", e("dan")), None),
		allow("§6 dangling role: the CEO still reaches the member's records", e("boss"), edit, rec("deals", e("dan")), RW),

		// missing parent
		allow("§6 missing parent: own records ReadWrite", e("oli"), edit, rec("deals", e("oli")), RW),
		deny("§6 missing parent: no All path (viewAll gives nothing on others' records)", e("oli"), view, rec("deals", e("sue")), None),
		allow("§6 missing parent: functional permissions unchanged (create)", e("oli"), create, fn("deals"), None),
		allow("§6 missing parent: functional permissions unchanged (viewAll)", e("oli"), viewAll, fn("deals"), None),
		deny("§6 missing parent: no exempt path", e("oli"), edit, rec("forms", e("sue")), None),
		allow("§6 missing parent: the exempt type's own record stays ReadWrite (own records)", e("oli"), edit, rec("forms", e("oli")), RW),
		deny("§6 missing parent: no hierarchy path to the roles below", e("oli"), view, rec("deals", e("ola")), None),
		deny("§6 missing parent: no peers path", e("olga"), view, rec("deals", e("oli")), None),
		deny("§6 missing parent: no sharing rule path", e("olga"), view, rec("deals", e("sue")), None),
		allow("§6 missing parent: roles below keep their hierarchy path", e("ola"), edit, rec("deals", e("olg")), RW),
		allow("§6 missing parent: roles below keep All", e("ola"), view, rec("deals", e("sue")), R),
		allow("§6 missing parent: the CEO still reaches the role's members", e("boss"), edit, rec("deals", e("oli")), RW),

		// cycle
		allow("§6 role in a cycle: own records ReadWrite", e("eve"), edit, rec("deals", e("eve")), RW),
		deny("§6 role in a cycle: no All path", e("eve"), view, rec("deals", e("sue")), None),
		deny("§6 role in a cycle: no sharing rule path", e("eve"), view, rec("deals", e("mike")), None),
		allow("§6 role in a cycle: roles below keep All", e("sol"), view, rec("deals", e("sue")), R),
		allow("§6 role in a cycle: roles below keep their hierarchy path", e("sol"), edit, rec("deals", e("saj")), RW),

		// account role wins
		allow("§6 SuperAdmin in an orphan role keeps everything (records)", e("rootorph"), edit, rec("deals", e("sue")), RW),
		capAllow("§6 SuperAdmin in an orphan role keeps everything (capabilities)", e("rootorph"), "billing.access"),
		allow("§6 an Admin's role is ignored: All ReadWrite stays", e("admrole"), edit, rec("deals", e("sue")), RW),
		deny("§6 an Admin's role is ignored as a position: no superior reaches its records", e("teresa"), view, rec("deals", e("admrole")), None),

		deny("§6 a Developer's role is ignored: a Developer in role ceo is no CEO", e("devceo"), view, rec("deals", e("sue")), None),
		deny("§6 a Developer's role is ignored: no peers path", e("devceo"), view, rec("deals", e("boss")), None),
		allow("§6 a Developer's role is ignored: own records stay", e("devceo"), edit, rec("deals", e("devceo")), RW),
		deny("§6 a SuperAdmin's dangling role gives others no path to its records", e("teresa"), view, rec("deals", e("sadang")), None),
		allow("§6 a SuperAdmin with a dangling role keeps everything", e("sadang"), edit, rec("deals", e("sue")), RW),
		// a SuperAdmin's role is a position for others
		allow("§6 a SuperAdmin's role is its tree position: hierarchy reaches it", e("teresa"), edit, rec("deals", e("sajr")), RW),
		allow("§6 a SuperAdmin's role is its tree position: peers reach it", e("sam"), edit, rec("deals", e("saps")), RW),
		allow("§6 a SuperAdmin's role is its tree position: role sharing rules match it", e("jim"), view, rec("deals", e("samgr")), R),

		// Developers
		allow("§6 Developer: own records ReadWrite", e("dev"), edit, rec("deals", e("dev")), RW),
		deny("§6 Developer: not widened by exempt types", e("dev"), edit, rec("forms", e("sue")), None),
		allow("§6 Developer: own record of an exempt type ReadWrite", e("dev"), edit, rec("forms", e("dev")), RW),
		deny("§6 Developer: not widened by a sharing rule naming it", e("dev"), view, rec("deals", e("sue")), None),
		allow("§6 Developer: viewAll adds Read on every record", e("devva"), view, rec("deals", e("sue")), R),
		allow("§6 Developer: viewAll reaches a non-member's record", e("devva"), view, rec("deals", ghost), R),
		allow("§6 Developer: modifyAll adds ReadWrite", e("devma"), edit, rec("deals", ghost), RW),

		// unknown tenant / user
		deny("§6 an unknown user is denied", "nobody@acme.example", view, rec("deals", e("jim")), None),
		capDeny("§6 an unknown user holds no capability", "nobody@acme.example", "reports.access"),
		deny("§6 an unknown tenant is denied", e("jim"), view, rec("deals", e("jim")), None).in("nowhere"),
		allow("api.md users are compared case-insensitively (viewer)", strings.ToUpper(e("jim")), edit, rec("deals", e("jim")), RW),

		// built-ins
		allow("§6 a user-written ceo Role is ignored: the CEO keeps its reach", e("boss"), edit, rec("deals", e("jane")), RW).with(userCEO),
		deny("§6 a user-written ceo Role is ignored: ceo is not re-parented below another role", e("jim"), view, rec("deals", e("boss")), None).with(userCEO),
		capAllow("§6 the built-in partner-admin set may be named by a Member (users.manage)", e("pam"), "users.manage"),
		capAllow("§6 the built-in partner-admin set may be named by a Member (payments.links)", e("pam"), "payments.links"),
		capDeny("§6 the built-in partner-admin set has no billing.access", e("pam"), "billing.access"),
		capDeny("§6 the built-in partner-admin set has no payments.instruments", e("pam"), "payments.instruments"),
		allow("§4/§6 the built-in partner-admin set: every action with ReadWrite on all records", e("pam"), del, rec("widgets", e("sue")), RW),
		capDeny("§6 a user-written partner-admin set is ignored (its payments.instruments is not granted)", e("pam"), "payments.instruments").with(userPartnerAdmin),
		allow("§6 a user-written partner-admin set is ignored (the built-in's actions stay)", e("pam"), edit, rec("contacts", e("sue")), RW).with(userPartnerAdmin),
	}
	runDecisions(t, rolesWorld(), rows)
}

// TestSection6NoSuperAdmin: a tenant without a SuperAdmin is reported; its
// other grants stand.
func TestSection6NoSuperAdmin(t *testing.T) {
	world := []any{
		et.MakeTenant("solo"),
		et.MakeRole("solo", "staff"),
		et.MakePermissionSet("solo", "rep").Objects(types("deals"), view, edit).Caps("reports.access"),
		et.MakeMember("solo", "pia").Role("staff").Sets("rep"),
		et.MakeMember("solo", "boss").Role("ceo").Sets("rep"),
	}
	runDecisions(t, world, []decision{
		allow("§6 tenant without SuperAdmin: other grants stand (own record)", et.Email("solo", "pia"), edit, rec("deals", et.Email("solo", "pia")), RW).in("solo"),
		capAllow("§6 tenant without SuperAdmin: other grants stand (capability)", et.Email("solo", "pia"), "reports.access").in("solo"),
		allow("§6 tenant without SuperAdmin: other grants stand (CEO)", et.Email("solo", "boss"), edit, rec("deals", et.Email("solo", "pia")), RW).in("solo"),
	})
}

// TestRecordOwner: what Result.RecordOwner says about owners (the inputs of
// every decision).
func TestRecordOwner(t *testing.T) {
	res := et.Compute(rolesWorld())
	cases := []struct {
		name  string
		email string
		want  engine.Owner
	}{
		{"a Standard member: its role, active", e("jim"), engine.Owner{Role: "sales-junior", Active: true}},
		{"e-mail compared case-insensitively", strings.ToUpper(e("jim")), engine.Owner{Role: "sales-junior", Active: true}},
		{"an inactive member keeps its declared role (§6 department), not active", e("olaf"), engine.Owner{Role: "sales-junior", Active: false}},
		{"a non-member: no role, not active", ghost, engine.Owner{}},
		{"§6 a role that names no Role: no role", e("dan"), engine.Owner{Role: "", Active: true}},
		{"§6 an Admin's role is ignored", e("admrole"), engine.Owner{Role: "", Active: true}},
		{"a Developer: no role", e("dev"), engine.Owner{Role: "", Active: true}},
		{"§6 a SuperAdmin's role is its position", e("sajr"), engine.Owner{Role: "sales-junior", Active: true}},
		{"a SuperAdmin without role", e("root"), engine.Owner{Role: "", Active: true}},
		{"a member of the ceo role", e("boss"), engine.Owner{Role: "ceo", Active: true}},
		{"§6 a Developer's role is ignored", e("devceo"), engine.Owner{Role: "", Active: true}},
		{"§6 a SuperAdmin's dangling role: no role", e("sadang"), engine.Owner{Role: "", Active: true}},
		{"§6 a member of a role with a missing parent keeps that role as owner", e("oli"), engine.Owner{Role: "orphan", Active: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := res.RecordOwner(acme, c.email); got != c.want {
				t.Errorf("RecordOwner(%s) = %+v, want %+v", c.email, got, c.want)
			}
		})
	}
}

// ---------------------------------------------------------------- worked scenarios (../shared/scenarios)

// northwindWorld is ../shared/scenarios/role-hierarchy, verbatim.
func northwindWorld() []any {
	const ns = "northwind"
	m := func(name string) *et.MemberWrapper { return et.MakeMember(ns, name) }
	return []any{
		et.MakeTenant(ns).DisplayName("Northwind Traders"),
		et.MakePolicy(ns).Mode(accessv1.ModeRoleHierarchy).Hierarchy(accessv1.HierarchyEnabled).
			Share("managers-deals-to-juniors", types("deals"), et.RoleSubject("sales-manager"), et.RoleSubject("sales-junior"), R),
		et.MakeRole(ns, "sales-manager").ReportsTo("ceo"),
		et.MakeRole(ns, "sales-senior").ReportsTo("sales-manager").Peers(),
		et.MakeRole(ns, "sales-junior").ReportsTo("sales-senior"),
		et.MakePermissionSet(ns, "sales-rep").Objects(types("deals"), view, create, edit, del),
		et.MakePermissionSet(ns, "deal-auditor").Objects(types("deals"), viewAll).Caps("reports.access"),
		m("carol").SuperAdmin(),
		m("ann").Admin(),
		m("boss").Role("ceo").Sets("sales-rep"),
		m("mike").Role("sales-manager").Sets("sales-rep"),
		m("teresa").Role("sales-senior").Sets("sales-rep"),
		m("sam").Role("sales-senior").Sets("sales-rep"),
		m("jim").Role("sales-junior").Sets("sales-rep"),
		m("jane").Role("sales-junior").Sets("sales-rep"),
		m("audrey").Role("sales-junior").Sets("deal-auditor"),
		m("olaf").Role("sales-senior").Sets("sales-rep").Inactive(),
	}
}

// meishiWorld is ../shared/scenarios/permission-group, verbatim.
func meishiWorld() []any {
	const ns = "meishi"
	m := func(name string) *et.MemberWrapper { return et.MakeMember(ns, name) }
	return []any{
		et.MakeTenant(ns),
		et.MakePolicy(ns).Mode(accessv1.ModePermissionGroup).HierarchyDisabled().
			ObjectType("business-cards", Group, Public, Group, Private).
			ObjectType("leads", Group, Group).
			ObjectType("deals", Group, Group).
			ObjectType("reports", Public, Public, Group, OwnerAndGroups, Private),
		et.MakeRole(ns, "sales").DisplayName("Sales"),
		et.MakeRole(ns, "engineering").DisplayName("Engineering"),
		et.MakeRole(ns, "executives").DisplayName("Executives"),
		et.MakePermissionSet(ns, "everyday").Objects(types("*"), view, create, edit),
		m("root").SuperAdmin(),
		m("s1").Role("sales").Sets("everyday"),
		m("s2").Role("sales").Sets("everyday"),
		m("e1").Role("engineering").Sets("everyday"),
		m("x1").Role("executives").Sets("everyday"),
	}
}

// kaishaWorld is ../shared/scenarios/department, verbatim.
func kaishaWorld() []any {
	const ns = "kaisha"
	m := func(name string) *et.MemberWrapper { return et.MakeMember(ns, name) }
	cards := types("business-cards")
	rs := et.RoleSubject
	return []any{
		et.MakeTenant(ns),
		et.MakePolicy(ns).Mode(accessv1.ModeDepartment).HierarchyDisabled().DeptDefault(None).
			DeptRule(cards, rs("executives"), rs("engineering"), None).
			DeptRule(cards, rs("executives"), rs("sales"), None).
			DeptRule(cards, rs("sales"), rs("executives"), RW).
			DeptRule(cards, rs("engineering"), rs("executives"), RW).
			DeptRule(cards, rs("engineering"), rs("sales"), R).
			DeptRule(cards, rs("sales"), rs("engineering"), R, "email"),
		et.MakeRole(ns, "sales").DisplayName("Sales"),
		et.MakeRole(ns, "engineering").DisplayName("Engineering"),
		et.MakeRole(ns, "executives").DisplayName("Executives"),
		et.MakePermissionSet(ns, "everyday").Objects(types("*"), view, create, edit),
		m("root").SuperAdmin(),
		m("s1").Role("sales").Sets("everyday"),
		m("s2").Role("sales").Sets("everyday"),
		m("e1").Role("engineering").Sets("everyday"),
		m("x1").Role("executives").Sets("everyday"),
	}
}

// partnersScenarioWorld is ../shared/scenarios/partners, verbatim.
func partnersScenarioWorld() []any {
	return []any{
		et.MakeTenant(acme).DisplayName("Acme Corp"),
		et.MakeMember(acme, "carol").SuperAdmin(),
		et.MakeMember(acme, "bob").Email(a("bob")).Role("ceo"),
		et.MakeMember(acme, "rita").Role("ceo").Sets("own-contacts"),
		et.MakePermissionSet(acme, "own-contacts").Objects(types("contacts"), view, create, edit),
		et.MakePartnerAccess(acme, agency).Method(accessv1.MethodAccessLink).ApprovedBy(e("carol")).
			Admin(a("dave")).MigratedAdmin(a("bob"), "bob", true),
		et.MakeTenant("globex"),
		et.MakeMember("globex", "hank").SuperAdmin(),
		et.MakeTenant(agency).DisplayName("Agency X").Partner(accessv1.TierSolutionsPartner),
		et.MakeMember(agency, "owner").SuperAdmin(),
		et.MakeMember(agency, "dave").Role("ceo").Employee().Seat(),
		et.MakeMember(agency, "bob").Role("ceo").Employee().Seat(),
		et.MakeMember(agency, "frank").Role("ceo").Employee().ClientAccess(acme, a("dave"), "campaign-editor"),
		et.MakeMember(agency, "erin").Email("erin@freelance.example").Role("ceo").Contractor().
			ClientAccess(acme, a("bob"), "report-reader"),
		et.MakePermissionSet(agency, "campaign-editor").Objects(types("contacts"), view, create, edit).Caps("reports.access"),
		et.MakePermissionSet(agency, "report-reader").Objects(types("reports"), viewAll).Caps("reports.access"),
	}
}

// TestScenarios replays every checks.tsv row of the worked scenarios. The
// tsv gives allow/deny only; the access level is the one the spec gives.
func TestScenarios(t *testing.T) {
	t.Run("role-hierarchy", func(t *testing.T) {
		n := func(s string) string { return et.Email("northwind", s) }
		in := func(d decision) decision { return d.in("northwind") }
		runDecisions(t, northwindWorld(), []decision{
			in(allow("scenario: own record", n("teresa"), view, rec("deals", n("teresa")), RW)),
			in(allow("scenario: hierarchy Enabled, senior edits junior's deal", n("teresa"), edit, rec("deals", n("jim")), RW)),
			in(deny("scenario: junior does not see senior's deal", n("jim"), view, rec("deals", n("teresa")), None)),
			in(deny("scenario: no peers in sales-junior", n("jim"), view, rec("deals", n("jane")), None)),
			in(allow("scenario: peers in sales-senior", n("teresa"), edit, rec("deals", n("sam")), RW)),
			in(allow("scenario: sharing rule managers→juniors (Read)", n("jim"), view, rec("deals", n("mike")), R)),
			in(deny("scenario: sharing rule Read gives no edit", n("jim"), edit, rec("deals", n("mike")), R)),
			in(deny("scenario: sharing rule only for deals (no contacts action)", n("jim"), view, rec("contacts", n("mike")), None)),
			in(allow("scenario: CEO edits any member's deal", n("boss"), edit, rec("deals", n("jane")), RW)),
			in(allow("scenario: Admin deletes any deal", n("ann"), del, rec("deals", n("teresa")), RW)),
			in(capAllow("scenario: Admin holds users.manage", n("ann"), "users.manage")),
			in(capDeny("scenario: Admin lacks billing.access", n("ann"), "billing.access")),
			in(capAllow("scenario: SuperAdmin holds billing.access", n("carol"), "billing.access")),
			in(allow("scenario: viewAll reads any deal", n("audrey"), view, rec("deals", n("mike")), R)),
			in(deny("scenario: viewAll gives no edit", n("audrey"), edit, rec("deals", n("jim")), None)),
			in(deny("scenario: viewAll gives no create", n("audrey"), create, fn("deals"), None)),
			in(capAllow("scenario: reports.access from deal-auditor", n("audrey"), "reports.access")),
			in(deny("scenario: deactivated member sees nothing, not even own", n("olaf"), view, rec("deals", n("olaf")), None)),
			in(capDeny("scenario: Standard without users.manage", n("mike"), "users.manage")),
		})
	})
	t.Run("permission-group", func(t *testing.T) {
		n := func(s string) string { return et.Email("meishi", s) }
		in := func(d decision) decision { return d.in("meishi") }
		runDecisions(t, meishiWorld(), []decision{
			in(allow("scenario: Public readable by another group", n("e1"), view, recV("business-cards", n("s1"), Public), R)),
			in(deny("scenario: Public not editable by another group", n("e1"), edit, recV("business-cards", n("s1"), Public), R)),
			in(deny("scenario: Group hidden from another group", n("e1"), view, recV("business-cards", n("s1"), Group), None)),
			in(allow("scenario: Group readable in the group", n("s2"), view, recV("business-cards", n("s1"), Group), R)),
			in(deny("scenario: Private hidden from the group", n("s2"), view, recV("business-cards", n("s1"), Private), None)),
			in(allow("scenario: owner edits own Private", n("s1"), edit, recV("business-cards", n("s1"), Private), RW)),
			in(deny("scenario: leads allow Group only, Public reads as Group", n("e1"), view, recV("leads", n("s1"), Public), None)),
			in(allow("scenario: leads Public reads as Group (same group)", n("s2"), view, recV("leads", n("s1"), Public), R)),
			in(allow("scenario: reports default Public", n("e1"), view, rec("reports", n("s1")), R)),
			in(allow("scenario: OwnerAndGroups names engineering", n("e1"), view, recV("reports", n("s1"), OwnerAndGroups, "engineering"), R)),
			in(deny("scenario: OwnerAndGroups does not name executives", n("x1"), view, recV("reports", n("s1"), OwnerAndGroups, "engineering"), None)),
			in(allow("scenario: SuperAdmin edits a Private deal", n("root"), edit, recV("deals", n("x1"), Private), RW)),
		})
	})
	t.Run("department", func(t *testing.T) {
		n := func(s string) string { return et.Email("kaisha", s) }
		in := func(d decision) decision { return d.in("kaisha") }
		cards := "business-cards"
		runDecisions(t, kaishaWorld(), []decision{
			in(deny("scenario: executives→engineering None", n("e1"), view, recV(cards, n("x1"), Public), None)),
			in(deny("scenario: executives→sales None", n("s1"), view, recV(cards, n("x1"), Public), None)),
			in(allow("scenario: sales→executives ReadWrite", n("x1"), edit, recV(cards, n("s1"), Public), RW)),
			in(allow("scenario: engineering→sales Read", n("s1"), view, recV(cards, n("e1"), Public), R)),
			in(deny("scenario: engineering→sales Read, no edit", n("s1"), edit, recV(cards, n("e1"), Public), R)),
			in(allow("scenario: sales→engineering Read, field company visible", n("e1"), view, recF(cards, n("s1"), Public, "company"), R)),
			in(deny("scenario: sales→engineering Read, field email hidden", n("e1"), view, recF(cards, n("s1"), Public, "email"), R)),
			in(allow("scenario: same department ReadWrite", n("s2"), edit, recV(cards, n("s1"), Public), RW)),
			in(allow("scenario: same department, no hidden field", n("s2"), view, recF(cards, n("s1"), "", "email"), RW)),
			in(deny("scenario: Private record", n("x1"), view, recV(cards, n("s2"), Private), None)),
			in(allow("scenario: Group counts as Public", n("e1"), view, recV(cards, n("s1"), Group), R)),
			in(deny("scenario: departmentDefault None for deals", n("e1"), view, recV("deals", n("s1"), Public), None)),
		})
	})
	t.Run("partners", func(t *testing.T) {
		runDecisions(t, partnersScenarioWorld(), []decision{
			capAllow("scenario: partner admin users.manage", a("dave"), "users.manage"),
			capAllow("scenario: partner admin payments.links", a("dave"), "payments.links"),
			capDeny("scenario: partner admin without billingAccess", a("dave"), "billing.access"),
			capDeny("scenario: partner admin never payments.instruments", a("dave"), "payments.instruments"),
			capDeny("scenario: partner admin never scim.provisioning", a("dave"), "scim.provisioning"),
			capDeny("scenario: partner admin never datacenter.migration", a("dave"), "datacenter.migration"),
			allow("scenario: partner admin edits any deal", a("dave"), edit, rec("deals", e("carol")), RW),
			capAllow("scenario: migrated admin keeps billing", a("bob"), "billing.access"),
			capDeny("scenario: migrated admin never payments.instruments", a("bob"), "payments.instruments"),
			capAllow("scenario: client SuperAdmin holds payments.instruments", e("carol"), "payments.instruments"),
			allow("scenario: staff create contacts", a("frank"), create, fn("contacts"), None),
			capAllow("scenario: staff reports.access", a("frank"), "reports.access"),
			deny("scenario: staff own records only", a("frank"), edit, rec("contacts", e("rita")), None),
			allow("scenario: staff edit own contact", a("frank"), edit, rec("contacts", a("frank")), RW),
			deny("scenario: staff no deals", a("frank"), view, fn("deals"), None),
			allow("scenario: contractor staff viewAll reports", "erin@freelance.example", view, rec("reports", e("carol")), R),
			capDeny("scenario: contractor staff no users.manage", "erin@freelance.example", "users.manage"),
			deny("scenario: tenant isolation (globex)", a("dave"), view, rec("deals", et.Email("globex", "hank")), None).in("globex"),
			capDeny("scenario: tenant isolation, staff (globex)", a("frank"), "reports.access").in("globex"),
			deny("scenario: partner admin only a Member in its own tenant", a("dave"), view, rec("deals", a("bob")), None).in(agency),
		})
	})
}

// api.md: one objects entry per type. A policy whose rules name "*" adds no
// second "*" entry.
func TestOneStarEntry(t *testing.T) {
	res := et.Compute(hierarchyWorld(), et.MakeMember(acme, "iva").Role("sales-intern").Sets("star-view"))
	for _, ep := range res.EffectivePermissions {
		seen := map[string]int{}
		for _, o := range ep.Spec.Objects {
			if seen[o.Type]++; seen[o.Type] == 2 {
				t.Errorf("%s/%s has two %q entries", ep.Namespace, ep.Name, o.Type)
			}
		}
	}
}

// "*" in a rule's objectTypes names no type (§6); it is refused with a word,
// so that nobody who meant "every type" is left guessing.
func TestStarInRuleObjectTypesIsRefused(t *testing.T) {
	policy := et.MakePolicy(acme).
		Share("everything", types("deals", "*"), et.RoleSubject("ceo"), et.RoleSubject("ceo"), R).
		DeptRule(types("*"), et.RoleSubject("ceo"), et.RoleSubject("ceo"), R)
	res := et.Compute(et.MakeTenant(acme), et.MakeMember(acme, "carol").SuperAdmin(), policy)
	for _, field := range []string{"spec.sharingRules[0].objectTypes[1]", "spec.departmentRules[0].objectTypes[0]"} {
		k := et.FindingKey{Kind: "VisibilityPolicy", Namespace: acme, Name: "default", Field: field, Reason: accessv1.ReasonInvalidValue, Severity: engine.Refused}
		f, ok := et.FindFinding(res, k)
		if !ok || !strings.Contains(f.Message, `"*" in a`) || !strings.Contains(f.Message, "list the types the rule is for") {
			t.Errorf("no refusal of %s with a reason and a fix:\n%s", field, et.DescribeFindings(res))
		}
	}
}
