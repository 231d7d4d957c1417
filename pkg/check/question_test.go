package check

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// The specs below are the EffectivePermissions the engine writes for each
// kind of user (cmd/accessctl/testdata/render), cut down to what the
// questions read.

// standardSpec is sam, a Standard member of sales-junior whose sets give him
// every action on deals but, as a Standard member, record access to his own,
// his peers' and his subordinates' deals only. Its quotes entry lists
// modifyAll without the All grant the engine would write beside it: a
// hand-written EP holding only the functional right.
func standardSpec() *accessv1.EffectivePermissionSpec {
	return &accessv1.EffectivePermissionSpec{
		Tenant: "northwind", User: "sam@northwind.example", Active: true,
		AccountRole: accessv1.UserRole(accessv1.AccountRoleStandard), Role: "sales-junior", Mode: accessv1.ModeRoleHierarchy,
		Subordinates: []accessv1.RoleEdge{{Role: "sales-intern", ReportsTo: "sales-junior"}},
		Objects: []accessv1.ObjectPermission{
			{Type: "deals", Actions: acts(create, del, edit, export, view), ActionSources: src("permissionSet: sales-rep", create, del, edit, export, view),
				Grants: []accessv1.RecordGrant{
					{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
					{Scope: accessv1.ScopeHierarchy, Access: rw, Via: []string{"hierarchy: below sales-junior"}},
					{Scope: accessv1.ScopeRole, Role: "sales-junior", Access: rw, Via: []string{"peers: sales-junior"}},
					{Scope: accessv1.ScopeUser, User: "carl@northwind.example", Access: r, Via: []string{"sharingRule: carl-deals"}},
				}},
			{Type: "quotes", Actions: acts(del, edit, modifyAll, view, viewAll), ActionSources: src("hand-written", del, edit, modifyAll, view, viewAll),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}}}},
		},
	}
}

// developerSpec is dev, a Developer: own records only, plus viewAll on
// reports.
func developerSpec() *accessv1.EffectivePermissionSpec {
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "dev@acme.example", Active: true,
		AccountRole: accessv1.UserRole(accessv1.AccountRoleDeveloper), Mode: accessv1.ModeRoleHierarchy,
		Objects: []accessv1.ObjectPermission{
			{Type: "deals", Actions: acts(create, del, edit, view), ActionSources: src("permissionSet: deal-editor", create, del, edit, view),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}}}},
			{Type: "reports", Actions: acts(view, viewAll), ActionSources: src("permissionSet: auditor", view, viewAll),
				Grants: []accessv1.RecordGrant{
					{Scope: accessv1.ScopeAll, Access: r, Via: []string{"viewAll: permissionSet: auditor"}},
					{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
				}},
		},
	}
}

// superAdminSpec is carol, a SuperAdmin: every action, ReadWrite on all
// records, through the "*" entry.
func superAdminSpec() *accessv1.EffectivePermissionSpec {
	all := acts(create, del, edit, export, modifyAll, view, viewAll)
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "carol@acme.example", Active: true,
		AccountRole: accessv1.UserRole(accessv1.AccountRoleSuperAdmin), Mode: accessv1.ModeRoleHierarchy,
		Capabilities: []string{"*"}, CapabilitySources: []accessv1.CapabilitySource{{Via: "accountRole: SuperAdmin", Capabilities: []string{"*"}}},
		Objects: []accessv1.ObjectPermission{{Type: "*", Actions: all, ActionSources: src("accountRole: SuperAdmin", all...), All: rw,
			Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: rw, Via: []string{"accountRole: SuperAdmin"}}}}},
	}
}

// staffSpec is erin, partner staff with edit and viewAll on reports: Read on
// every report, ReadWrite on her own.
func staffSpec() *accessv1.EffectivePermissionSpec {
	const via = "clientAccess: agency-x/erin permissionSet report-editor, granted by bob@agency-x.example"
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "erin@freelance.example", Active: true, Partner: "agency-x",
		AccountRole: accessv1.UserRolePartnerStaff, Mode: accessv1.ModeRoleHierarchy,
		Objects: []accessv1.ObjectPermission{{Type: "reports", Actions: acts(edit, view, viewAll), ActionSources: src(via, edit, view, viewAll), All: r,
			Grants: []accessv1.RecordGrant{
				{Scope: accessv1.ScopeAll, Access: r, Via: []string{"viewAll: " + via}},
				{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
			}}},
	}
}

// noOwner is a record of typ that names no owner. The role and membership
// it claims are what a careless application might pass along: an empty
// owner is a non-member's record whatever they say.
func noOwner(typ, claimedRole string) Record {
	return Record{Type: typ, OwnerRole: claimedRole, OwnerActive: claimedRole != ""}
}

// TestRecordWithoutOwner: a record question whose owner is empty is a
// question about a non-member's record (semantics.md §6, §2.4), never the
// functional question; it gets what All, Public and the department default
// give, and nothing else.
func TestRecordWithoutOwner(t *testing.T) {
	std, dev, super, staff := standardSpec(), developerSpec(), superAdminSpec(), staffSpec()
	pg, dep := permissionGroupSpec(), departmentSpec()
	tests := []struct {
		name    string
		spec    *accessv1.EffectivePermissionSpec
		action  accessv1.Action
		rec     Record
		allowed bool
		access  accessv1.AccessLevel
		reason  string // when set, one of the Reasons
	}{
		// A Standard member whose record access reaches only members' records.
		{name: "Standard: edit a record with no owner is denied", spec: std, action: edit, rec: noOwner("deals", ""), access: none,
			reason: "no grant on deals reaches a record with no owner: it is read as a non-member's record"},
		{name: "Standard: delete a record with no owner is denied", spec: std, action: del, rec: noOwner("deals", ""), access: none},
		{name: "Standard: view a record with no owner is denied", spec: std, action: view, rec: noOwner("deals", ""), access: none},
		{name: "Standard: export a record with no owner is denied", spec: std, action: export, rec: noOwner("deals", ""), access: none},
		{name: "Standard: modifyAll held only functionally is denied on a record with no owner", spec: std, action: modifyAll, rec: noOwner("quotes", ""), access: none},
		{name: "Standard: viewAll held only functionally is denied on a record with no owner", spec: std, action: viewAll, rec: noOwner("quotes", ""), access: none},
		{name: "Standard: a claimed peer role does not make a record with no owner a peer's", spec: std, action: edit, rec: noOwner("deals", "sales-junior"), access: none},
		{name: "Standard: a claimed subordinate role does not reach a record with no owner", spec: std, action: edit, rec: noOwner("deals", "sales-intern"), access: none},
		{name: "Standard: create needs only the functional permission, with no owner too", spec: std, action: create, rec: noOwner("deals", ""), allowed: true, access: none, reason: "permissionSet: sales-rep"},
		{name: "Standard: control, his own deal", spec: std, action: edit, rec: owner("sam@northwind.example", "sales-junior"), allowed: true, access: rw},

		// A Developer: own records, plus what viewAll gives.
		{name: "Developer: edit a record with no owner is denied", spec: dev, action: edit, rec: noOwner("deals", ""), access: none},
		{name: "Developer: delete a record with no owner is denied", spec: dev, action: del, rec: noOwner("deals", ""), access: none},
		{name: "Developer: view a record with no owner is denied", spec: dev, action: view, rec: noOwner("deals", ""), access: none},
		{name: "Developer: viewAll reaches a record with no owner", spec: dev, action: view, rec: noOwner("reports", ""), allowed: true, access: r, reason: "viewAll: permissionSet: auditor"},

		// A SuperAdmin: ReadWrite on all records, those with no owner too.
		{name: "SuperAdmin: edit a record with no owner", spec: super, action: edit, rec: noOwner("deals", ""), allowed: true, access: rw, reason: "accountRole: SuperAdmin"},
		{name: "SuperAdmin: delete a record with no owner", spec: super, action: del, rec: noOwner("deals", ""), allowed: true, access: rw},
		{name: "SuperAdmin: modifyAll a record with no owner", spec: super, action: modifyAll, rec: noOwner("deals", ""), allowed: true, access: rw},
		{name: "SuperAdmin: view a record with no owner", spec: super, action: view, rec: noOwner("deals", ""), allowed: true, access: rw},

		// Partner staff with viewAll: Read on every record, no more.
		{name: "Partner staff: viewAll gives Read on a record with no owner", spec: staff, action: view, rec: noOwner("reports", ""), allowed: true, access: r},
		{name: "Partner staff: viewAll on a record with no owner", spec: staff, action: viewAll, rec: noOwner("reports", ""), allowed: true, access: r},
		{name: "Partner staff: edit a record with no owner needs ReadWrite", spec: staff, action: edit, rec: noOwner("reports", ""), access: r,
			reason: "access Read on this reports record, but edit needs ReadWrite"},
		{name: "Partner staff: delete is not held", spec: staff, action: del, rec: noOwner("reports", ""), access: none},

		// Modes: Public and the department default reach a non-member's record.
		{name: "PermissionGroup: a Public record with no owner is read by everyone", spec: pg, action: view, rec: noOwner("deals", "").vis(accessv1.VisibilityPublic), allowed: true, access: r},
		{name: "PermissionGroup: a Group record with no owner reaches no group", spec: pg, action: view, rec: noOwner("deals", "east").vis(accessv1.VisibilityGroup), access: none},
		{name: "PermissionGroup: an OwnerAndGroups record with no owner reaches no group", spec: pg, action: view, rec: noOwner("deals", "east").vis(accessv1.VisibilityOwnerAndGroups).groups("east"), access: none},
		{name: "Department: a record with no owner gets the department default", spec: dep, action: view, rec: noOwner("deals", ""), allowed: true, access: r, reason: "departmentDefault"},
		{name: "Department: a claimed department does not apply to a record with no owner", spec: dep, action: edit, rec: noOwner("deals", "sales"), access: r},
		{name: "Department: a claimed department's hidden fields do not apply either", spec: dep, action: view, rec: noOwner("deals", "marketing").field("email"), allowed: true, access: r},
		{name: "Department: a Private record with no owner is reached by nothing", spec: dep, action: view, rec: noOwner("deals", "").vis(accessv1.VisibilityPrivate), access: none},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Compile(tc.spec)
			d := p.Action(tc.action, tc.rec)
			if d.Allowed != tc.allowed || d.Access != tc.access {
				t.Errorf("Action(%s, %+v) = allowed %v access %s %q; want allowed %v access %s\nexplain: %q",
					tc.action, tc.rec, d.Allowed, d.Access, d.Reasons, tc.allowed, tc.access, p.Explain(tc.action, tc.rec))
			}
			if tc.reason != "" && !slices.Contains(d.Reasons, tc.reason) {
				t.Errorf("reasons %q do not contain %q", d.Reasons, tc.reason)
			}
			if got := Decide(tc.spec, tc.action, tc.rec); got.Allowed != d.Allowed || got.Access != d.Access {
				t.Errorf("Decide = %+v, Compile+Action = %+v", got, d)
			}
			if tc.rec.Owner != "" {
				return
			}
			// A record with no owner is a non-member's record, exactly.
			stranger := tc.rec
			stranger.Owner, stranger.OwnerRole, stranger.OwnerActive = "stranger@elsewhere.example", "", false
			if s := p.Action(tc.action, stranger); s.Allowed != d.Allowed || s.Access != d.Access {
				t.Errorf("no owner: allowed %v access %s; a non-member's record: allowed %v access %s", d.Allowed, d.Access, s.Allowed, s.Access)
			}
			// Past the functional permission, Explain says why the owner matters.
			lines := p.Explain(tc.action, tc.rec)
			if !strings.HasPrefix(lines[0], "no functional permission") && !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "no owner given") }) {
				t.Errorf("Explain does not say the record has no owner:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

// wildcardDepartmentSpec is departmentSpec with a "*" entry giving every
// action with ReadWrite on own records: a type in the wrong case would fall
// back to it and skip the deals entry's department rules and hidden fields.
func wildcardDepartmentSpec() *accessv1.EffectivePermissionSpec {
	s := departmentSpec()
	all := acts(create, del, edit, export, modifyAll, view, viewAll)
	s.Objects = append([]accessv1.ObjectPermission{{Type: "*", Actions: all, ActionSources: src("permissionSet: everything", all...),
		Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: rw, Via: []string{"modifyAll: permissionSet: everything"}}}}}, s.Objects...)
	return s
}

// typeNameRE is the pattern the API gives object type names (ObjectTypePolicy.name
// and PermissionSet types, "*" aside), with at most 63 characters.
var typeNameRE = regexp.MustCompile(accessv1.TypeNamePattern)

// badTypes are not lowercase type names: none matches an entry, not even "*".
var badTypes = []string{"Deals", "DEALS", "deals ", " deals", "", "de.als", "de_als", "*", "-deals", "deals-", "déals", "deals\x00",
	strings.Repeat("d", 64)}

// TestTypeNames: a type that is not a lowercase type name matches nothing
// (semantics.md §6): the record question is denied with a reason naming it,
// instead of falling back to the "*" entry.
func TestTypeNames(t *testing.T) {
	p := Compile(wildcardDepartmentSpec())
	if d := p.Action(view, owner("mo@acme.example", "marketing").inactive().field("email")); d.Allowed {
		t.Fatalf("control: the deals entry's hidden field is not hidden: %+v", d)
	}
	for _, typ := range badTypes {
		for _, rec := range []Record{
			owner("dora@acme.example", "sales").typ(typ),                             // her own record
			owner("mo@acme.example", "marketing").inactive().typ(typ).field("email"), // a field hidden on deals
			noOwner(typ, ""),
		} {
			for _, a := range actionNames {
				d := p.Action(a, rec)
				if d.Allowed || d.Access != none {
					t.Errorf("Action(%s, %+v) = %+v; want denied, access None", a, rec, d)
				}
				want := fmt.Sprintf("type %q is not an object type name", typ)
				if !slices.ContainsFunc(d.Reasons, func(r string) bool { return strings.Contains(r, want) }) {
					t.Errorf("Action(%s, %+v) reasons %q do not name the type (%s)", a, rec, d.Reasons, want)
				}
				if lines := p.Explain(a, rec); !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, want) }) {
					t.Errorf("Explain(%s, %+v) = %q does not name the type", a, rec, lines)
				}
			}
		}
	}
}

// TestFunctional: Functional answers the functional question as Action
// answered a record with no owner before it became a record question:
// allowed, access None, with the action's sources, when the entry for the
// type (or "*") lists the action.
func TestFunctional(t *testing.T) {
	rh, dep := roleHierarchySpec(), departmentSpec()
	tests := []struct {
		name    string
		spec    *accessv1.EffectivePermissionSpec
		action  accessv1.Action
		typ     string
		allowed bool
		reasons []string
		explain []string // substrings, each in some line of ExplainFunctional
	}{
		{name: "held: allowed with the action's sources", spec: rh, action: edit, typ: "deals", allowed: true, reasons: []string{"permissionSet: sales-rep"},
			explain: []string{"functional: edit on deals via permissionSet: sales-rep", "functional question: no record is looked at (access None)"}},
		{name: "held though no grant reaches any record", spec: standardSpec(), action: modifyAll, typ: "quotes", allowed: true, reasons: []string{"hand-written"}},
		{name: "held without view: create", spec: rh, action: create, typ: "contacts", allowed: true, reasons: []string{"permissionSet: lead-capture"}},
		{name: "the * entry answers for a type with no entry", spec: rh, action: view, typ: "invoices", allowed: true, reasons: []string{"permissionSet: read-only"},
			explain: []string{`functional: view on invoices (through the "*" entry) via permissionSet: read-only`}},
		{name: "a type's own entry replaces the * entry", spec: rh, action: view, typ: "contacts",
			reasons: []string{"no functional permission: the user may not view on contacts"}, explain: []string{"(actions: create)"}},
		{name: "not held", spec: rh, action: edit, typ: "reports", reasons: []string{"no functional permission: the user may not edit on reports"}},
		{name: "no entry and no * entry", spec: dep, action: view, typ: "tickets", reasons: []string{"no functional permission: the user has no permission on this type"},
			explain: []string{`no entry for type "tickets" and no "*" entry`}},
		{name: "a hidden field does not matter: no record is looked at", spec: dep, action: view, typ: "deals", allowed: true, reasons: []string{"permissionSet: sales-rep"}},
		{name: "SuperAdmin: every action on every type", spec: superAdminSpec(), action: modifyAll, typ: "deals", allowed: true, reasons: []string{"accountRole: SuperAdmin"}},
		{name: "unknown action", spec: rh, action: "approve", typ: "deals", reasons: []string{"unknown action: denied"}, explain: []string{`unknown action "approve"`}},
		{name: "inactive EP", spec: modify(func(s *accessv1.EffectivePermissionSpec) { s.Active = false }), action: view, typ: "deals",
			reasons: []string{"inactive: teresa@northwind.example holds nothing in tenant northwind"}},
		{name: "nil spec", action: view, typ: "deals", reasons: []string{"no EffectivePermission: the user holds nothing"}},
		{name: "a type in the wrong case does not fall back to *", spec: rh, action: view, typ: "Deals",
			reasons: []string{`type "Deals" is not an object type name (a lowercase DNS label such as deals): it matches no entry, not even "*"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Compile(tc.spec)
			d := p.Functional(tc.action, tc.typ)
			if d.Allowed != tc.allowed || d.Access != none || !slices.Equal(d.Reasons, tc.reasons) {
				t.Errorf("Functional(%s, %q) = %+v; want allowed %v, access None, reasons %q", tc.action, tc.typ, d, tc.allowed, tc.reasons)
			}
			lines := p.ExplainFunctional(tc.action, tc.typ)
			if len(lines) == 0 {
				t.Fatal("ExplainFunctional returned nothing")
			}
			for _, w := range tc.explain {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
					t.Errorf("no line contains %q:\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
	for _, typ := range badTypes {
		want := fmt.Sprintf("type %q is not an object type name", typ)
		for _, spec := range []*accessv1.EffectivePermissionSpec{rh, superAdminSpec(), wildcardDepartmentSpec()} {
			p := Compile(spec)
			for _, a := range actionNames {
				if d := p.Functional(a, typ); d.Allowed || d.Access != none || len(d.Reasons) != 1 || !strings.HasPrefix(d.Reasons[0], want) {
					t.Errorf("%s: Functional(%s, %q) = %+v; want denied, reason %s...", spec.User, a, typ, d, want)
				}
				if lines := p.ExplainFunctional(a, typ); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
					t.Errorf("%s: ExplainFunctional(%s, %q) = %q", spec.User, a, typ, lines)
				}
			}
		}
	}
}

// TestFunctionalBoundsAction: an action on a record is allowed only when the
// functional question allows it, and then with the same reasons for create.
func TestFunctionalBoundsAction(t *testing.T) {
	recs := []Record{noOwner("deals", ""), owner("teresa@northwind.example", "sales-senior"), owner("ivy@northwind.example", "sales-intern"),
		owner("x@acme.example", "east").vis(accessv1.VisibilityPublic), owner("mo@acme.example", "marketing").inactive(), noOwner("tickets", "")}
	for _, spec := range []*accessv1.EffectivePermissionSpec{roleHierarchySpec(), permissionGroupSpec(), departmentSpec(),
		standardSpec(), developerSpec(), superAdminSpec(), staffSpec(), wildcardDepartmentSpec()} {
		p := Compile(spec)
		for _, rec := range recs {
			for _, typ := range []string{"deals", "quotes", "reports", "tickets", "contacts", "invoices", "Deals"} {
				rec := rec.typ(typ)
				for _, a := range actionNames {
					f, d := p.Functional(a, typ), p.Action(a, rec)
					if d.Allowed && !f.Allowed {
						t.Errorf("%s: Action(%s, %+v) allowed, Functional denied: %q", spec.User, a, rec, f.Reasons)
					}
					if !f.Allowed && (d.Access != none || !slices.Equal(d.Reasons, f.Reasons)) {
						t.Errorf("%s: functionally denied %s on %q, but Action says %+v (Functional %q)", spec.User, a, typ, d, f.Reasons)
					}
				}
			}
		}
	}
}

// TestValidType: ValidType is the API's type-name pattern with its length
// limit, and the API still declares that pattern.
func TestValidType(t *testing.T) {
	for _, typ := range append([]string{"deals", "business-cards", "a", "0", "a-b-c", "x2", strings.Repeat("d", 63), "web-forms"}, badTypes...) {
		want := typeNameRE.MatchString(typ) && len(typ) <= 63
		if got := ValidType(typ); got != want {
			t.Errorf("ValidType(%q) = %v; want %v", typ, got, want)
		}
	}
	for _, typ := range badTypes {
		if ValidType(typ) {
			t.Errorf("ValidType(%q) = true", typ)
		}
	}
	src, err := os.ReadFile("../../api/v1alpha1/visibilitypolicy_types.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, marker := range []string{"+kubebuilder:validation:MaxLength=63", "+kubebuilder:validation:Pattern=`" + typeNameRE.String() + "`"} {
		if !strings.Contains(string(src), marker) {
			t.Errorf("api/v1alpha1/visibilitypolicy_types.go no longer declares %s for object type names: update ValidType and this test", marker)
		}
	}
}

func FuzzValidType(f *testing.F) {
	for _, typ := range append([]string{"deals", "business-cards", strings.Repeat("d", 63)}, badTypes...) {
		f.Add(typ)
	}
	f.Fuzz(func(t *testing.T, typ string) {
		if got, want := ValidType(typ), typeNameRE.MatchString(typ) && len(typ) <= 63; got != want {
			t.Fatalf("ValidType(%q) = %v; the API's pattern says %v", typ, got, want)
		}
	})
}
