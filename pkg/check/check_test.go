package check

import (
	"slices"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Shorthands for hand-built specs.
const (
	none = accessv1.AccessNone
	r    = accessv1.AccessRead
	rw   = accessv1.AccessReadWrite
)

func acts(as ...accessv1.Action) []accessv1.Action { return as }

func src(via string, as ...accessv1.Action) []accessv1.ActionSource {
	return []accessv1.ActionSource{{Via: via, Actions: as}}
}

var (
	view      = accessv1.ActionView
	create    = accessv1.ActionCreate
	edit      = accessv1.ActionEdit
	del       = accessv1.ActionDelete
	export    = accessv1.ActionExport
	viewAll   = accessv1.ActionViewAll
	modifyAll = accessv1.ActionModifyAll
)

// roleHierarchySpec is teresa, a sales-senior with sales-junior below her and
// sales-intern below that, in a RoleHierarchy tenant.
func roleHierarchySpec() *accessv1.EffectivePermissionSpec {
	return &accessv1.EffectivePermissionSpec{
		Tenant: "northwind", User: "teresa@northwind.example", Active: true,
		AccountRole: accessv1.UserRole(accessv1.AccountRoleStandard), Role: "sales-senior", Mode: accessv1.ModeRoleHierarchy,
		Capabilities:      []string{"reports.access", "users.manage"},
		CapabilitySources: []accessv1.CapabilitySource{{Via: "permissionSet: auditor", Capabilities: []string{"reports.access"}}, {Via: "permissionSet: user-admin", Capabilities: []string{"users.manage"}}},
		Subordinates: []accessv1.RoleEdge{
			{Role: "sales-intern", ReportsTo: "sales-junior"},
			{Role: "sales-junior", ReportsTo: "sales-senior"},
		},
		Objects: []accessv1.ObjectPermission{
			{Type: "*", Actions: acts(view), ActionSources: src("permissionSet: read-only", view),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}}}},
			// Grants without view are malformed, but step 4 must still win.
			{Type: "contacts", Actions: acts(create), ActionSources: src("permissionSet: lead-capture", create),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: rw, Via: []string{"modifyAll: x"}}}},
			{Type: "deals", Actions: acts(create, del, edit, export, view), ActionSources: src("permissionSet: sales-rep", create, del, edit, export, view),
				Grants: []accessv1.RecordGrant{
					{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
					{Scope: accessv1.ScopeHierarchy, Access: rw, Via: []string{"hierarchy: below sales-senior"}},
					{Scope: accessv1.ScopeRole, Role: "sales-senior", Access: rw, Via: []string{"peers: sales-senior"}},
					{Scope: accessv1.ScopeUser, User: "carl@northwind.example", Access: r, Via: []string{"sharingRule: carl-deals"}},
					{Scope: accessv1.ScopeRole, Role: "support", Access: r, Via: []string{"sharingRule: support-deals"}},
					{Scope: accessv1.ScopeUser, User: "sam@northwind.example", Access: r, Via: []string{"sharingRule: sam-deals"}},
					{Scope: "Everything", Access: rw, Via: []string{"bogus"}},
					{Scope: accessv1.ScopeRole, Role: "marketing", Access: "Full", Via: []string{"sharingRule: garbage"}},
				}},
			{Type: "quotes", Actions: acts(create, edit, view), ActionSources: src("permissionSet: sales-rep", create, edit, view),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}}}},
			{Type: "reports", Actions: acts(export, view, viewAll), ActionSources: src("permissionSet: auditor", export, view, viewAll),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: r, Via: []string{"viewAll: permissionSet: auditor"}}}},
			{Type: "tickets", Actions: acts(create, del, edit, modifyAll, view, viewAll), ActionSources: src("permissionSet: support-lead", create, del, edit, modifyAll, view, viewAll),
				Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: rw, Via: []string{"modifyAll: permissionSet: support-lead"}}}},
		},
	}
}

// visibilityGrants are the grants of a PermissionGroup member of east.
func visibilityGrants() []accessv1.RecordGrant {
	return []accessv1.RecordGrant{
		{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
		{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityGroup, Access: r, Via: []string{"mode: PermissionGroup (Group of east)"}},
		{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityOwnerAndGroups, Access: r, Via: []string{"mode: PermissionGroup (OwnerAndGroups with east)"}},
		{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityPublic, Access: r, Via: []string{"mode: PermissionGroup (Public)"}},
		{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityPrivate, Access: r, Via: []string{"not a real grant: Private reaches nobody"}},
	}
}

// permissionGroupSpec is gina of group east in a PermissionGroup tenant.
// deals has no visibility settings; leads allows Group and Private only,
// default Public; quotes has a default outside the four.
func permissionGroupSpec() *accessv1.EffectivePermissionSpec {
	a := acts(edit, view)
	s := src("permissionSet: sales-rep", edit, view)
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "gina@acme.example", Active: true, Role: "east", Mode: accessv1.ModePermissionGroup,
		Objects: []accessv1.ObjectPermission{
			{Type: "deals", Actions: a, ActionSources: s, Grants: visibilityGrants()},
			{Type: "leads", Actions: a, ActionSources: s, Grants: visibilityGrants(),
				Visibility: &accessv1.TypeVisibility{Default: accessv1.VisibilityPublic, Allowed: []accessv1.Visibility{accessv1.VisibilityGroup, accessv1.VisibilityPrivate}}},
			{Type: "quotes", Actions: a, ActionSources: s, Grants: visibilityGrants(),
				Visibility: &accessv1.TypeVisibility{Default: "Everyone"}},
		},
	}
}

// departmentSpec is dora of department sales in a Department tenant.
func departmentSpec() *accessv1.EffectivePermissionSpec {
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "dora@acme.example", Active: true, Role: "sales", Mode: accessv1.ModeDepartment,
		Objects: []accessv1.ObjectPermission{
			{Type: "deals", Actions: acts(edit, view), ActionSources: src("permissionSet: sales-rep", edit, view),
				Grants: []accessv1.RecordGrant{
					{Scope: accessv1.ScopeDepartment, Access: r, Via: []string{"departmentDefault"}},
					{Scope: accessv1.ScopeDepartment, Role: "finance", Access: rw, HiddenFields: []string{"salary"}, Via: []string{"departmentRule: 1"}},
					{Scope: accessv1.ScopeDepartment, Role: "marketing", Access: r, HiddenFields: []string{"phone", "email"}, Via: []string{"departmentRule: 0"}},
					{Scope: accessv1.ScopeDepartment, Role: "sales", Access: rw, Via: []string{"department: same (sales)"}},
					{Scope: accessv1.ScopeDepartment, User: "erin@acme.example", Access: rw, Via: []string{"departmentRule: 3"}},
					{Scope: accessv1.ScopeDepartment, User: "mallory@acme.example", Access: none, Via: []string{"departmentRule: 2"}},
					{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
					{Scope: accessv1.ScopeRole, Role: "finance", Access: r, Via: []string{"sharingRule: finance-deals"}},
					{Scope: accessv1.ScopeRole, Role: "marketing", Access: r, Via: []string{"sharingRule: marketing-deals"}},
				}},
		},
	}
}

func owner(email, role string) Record {
	return Record{Type: "deals", Owner: email, OwnerRole: role, OwnerActive: true}
}

func (rec Record) inactive() Record                 { rec.OwnerActive = false; return rec }
func (rec Record) typ(t string) Record              { rec.Type = t; return rec }
func (rec Record) vis(v accessv1.Visibility) Record { rec.Visibility = v; return rec }
func (rec Record) field(f string) Record            { rec.Field = f; return rec }
func (rec Record) groups(g ...string) Record        { rec.Groups = g; return rec }
func modify(f func(*accessv1.EffectivePermissionSpec)) *accessv1.EffectivePermissionSpec {
	s := roleHierarchySpec()
	f(s)
	return s
}

func TestAction(t *testing.T) {
	rh, pg, dep := roleHierarchySpec(), permissionGroupSpec(), departmentSpec()
	junior := owner("jim@northwind.example", "sales-junior")
	tests := []struct {
		name    string
		spec    *accessv1.EffectivePermissionSpec
		action  accessv1.Action
		rec     Record
		allowed bool
		access  accessv1.AccessLevel
		reason  string // when set, one of the Reasons
	}{
		// Step 1.
		{name: "Inactive: an inactive EP denies everything", spec: modify(func(s *accessv1.EffectivePermissionSpec) { s.Active = false }),
			action: view, rec: owner("teresa@northwind.example", "sales-senior"), access: none},
		{name: "Inactive: a nil spec denies everything", spec: nil, action: view, rec: owner("x@y.example", ""), access: none},
		{name: "Fail closed: an unknown action is denied", spec: rh, action: "approve", rec: owner("teresa@northwind.example", "sales-senior"), access: none},

		// Step 2.
		{name: "Entry: no entry for the type and no * entry denies", spec: dep, action: view, rec: owner("dora@acme.example", "sales").typ("tickets"), access: none},
		{name: "Entry: the * entry answers for a type with no entry", spec: rh, action: view, rec: owner("teresa@northwind.example", "").typ("invoices"), allowed: true, access: rw, reason: "owner"},
		{name: "Entry: a type's own entry replaces the * entry", spec: rh, action: view, rec: Record{Type: "contacts"}, access: none},
		{name: "Functional: an action not in the entry is denied with access None", spec: rh, action: del, rec: owner("teresa@northwind.example", "sales-senior").typ("quotes"), access: none},

		// Step 3: a record with no owner is a non-member's record (the
		// functional question is Functional's, TestFunctional).
		{name: "No owner: a non-member's record, which no grant on deals reaches", spec: rh, action: edit, rec: Record{Type: "deals"}, access: none, reason: "no grant on deals reaches a record with no owner: it is read as a non-member's record"},
		{name: "No owner: All reaches it", spec: rh, action: edit, rec: Record{Type: "tickets"}, allowed: true, access: rw, reason: "modifyAll: permissionSet: support-lead"},
		{name: "No owner: action not held", spec: rh, action: edit, rec: Record{Type: "reports"}, access: none},

		// Step 4: no view.
		{name: "No view: access None even with grants", spec: rh, action: view, rec: owner("teresa@northwind.example", "sales-senior").typ("contacts"), access: none},
		{name: "No view: create needs only the functional permission", spec: rh, action: create, rec: owner("x@northwind.example", "").typ("contacts"), allowed: true, access: none, reason: "permissionSet: lead-capture"},

		// Step 4: scopes.
		{name: "All: reaches every record, inactive owners too", spec: rh, action: view, rec: owner("gone@elsewhere.example", "").inactive().typ("reports"), allowed: true, access: r, reason: "viewAll: permissionSet: auditor"},
		{name: "All: ReadWrite reaches an inactive owner's record", spec: rh, action: edit, rec: owner("gone@elsewhere.example", "").inactive().typ("tickets"), allowed: true, access: rw},
		{name: "Own: the owner is the user, case-insensitively", spec: rh, action: edit, rec: owner("Teresa@NorthWind.Example", "sales-senior").inactive(), allowed: true, access: rw, reason: "owner"},
		{name: "Own: another owner does not match", spec: rh, action: view, rec: owner("teresa2@northwind.example", "").typ("quotes"), access: none},
		{name: "Role: an active owner holding the role", spec: rh, action: edit, rec: owner("pat@northwind.example", "sales-senior"), allowed: true, access: rw, reason: "peers: sales-senior"},
		{name: "Role: an inactive owner is not reached", spec: rh, action: view, rec: owner("pat@northwind.example", "sales-senior").inactive(), access: none},
		{name: "Role: another role does not match", spec: rh, action: view, rec: owner("pat@northwind.example", "finance"), access: none},
		{name: "User: an active owner, case-insensitively", spec: rh, action: view, rec: owner("CARL@northwind.example", "finance"), allowed: true, access: r, reason: "sharingRule: carl-deals"},
		{name: "User: an inactive owner is not reached", spec: rh, action: view, rec: owner("carl@northwind.example", "finance").inactive(), access: none},
		{name: "Hierarchy: an owner two levels below", spec: rh, action: del, rec: owner("ivy@northwind.example", "sales-intern"), allowed: true, access: rw, reason: "hierarchy: below sales-senior"},
		{name: "Hierarchy: a role not below the user's does not match", spec: rh, action: view, rec: owner("max@northwind.example", "sales-manager"), access: none},
		{name: "Hierarchy: the user's own role is not below itself", spec: rmPeers(), action: view, rec: owner("pat@northwind.example", "sales-senior"), access: none},
		{name: "Hierarchy: an inactive owner is not reached", spec: rh, action: view, rec: junior.inactive(), access: none},
		{name: "Hierarchy: an owner with no role is not reached", spec: rh, action: view, rec: owner("x@northwind.example", ""), access: none},
		{name: "Highest access: Hierarchy ReadWrite beats a User Read", spec: modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Subordinates = append(s.Subordinates, accessv1.RoleEdge{Role: "finance", ReportsTo: "sales-senior"})
		}),
			action: edit, rec: owner("carl@northwind.example", "finance"), allowed: true, access: rw, reason: "hierarchy: below sales-senior"},
		{name: "Fail closed: an unknown scope matches nothing", spec: rh, action: view, rec: owner("nobody@northwind.example", "finance"), access: none},
		{name: "Fail closed: an unknown access level ranks None", spec: rh, action: view, rec: owner("mia@northwind.example", "marketing"), access: none},

		// Step 6.
		{name: "Decide: view needs Read", spec: rh, action: view, rec: owner("sue@northwind.example", "support"), allowed: true, access: r, reason: "sharingRule: support-deals"},
		{name: "Decide: export needs Read", spec: rh, action: export, rec: owner("sue@northwind.example", "support"), allowed: true, access: r},
		{name: "Decide: edit needs ReadWrite, Read is not enough", spec: rh, action: edit, rec: owner("sue@northwind.example", "support"), access: r},
		{name: "Decide: delete needs ReadWrite", spec: rh, action: del, rec: owner("sue@northwind.example", "support"), access: r},
		{name: "Decide: viewAll needs Read", spec: rh, action: viewAll, rec: owner("x@northwind.example", "").typ("reports"), allowed: true, access: r},
		{name: "Decide: modifyAll needs ReadWrite", spec: rh, action: modifyAll, rec: owner("x@northwind.example", "").typ("tickets"), allowed: true, access: rw},
		{name: "Decide: create needs only the functional permission, access is still reported", spec: rh, action: create, rec: owner("sue@northwind.example", "support"), allowed: true, access: r, reason: "permissionSet: sales-rep"},
		{name: "Decide: create with an owner no grant reaches", spec: rh, action: create, rec: owner("x@northwind.example", "finance"), allowed: true, access: none},

		// PermissionGroup visibility.
		{name: "Visibility: Public is read by everyone, inactive owners too", spec: pg, action: view, rec: owner("x@acme.example", "").inactive().vis(accessv1.VisibilityPublic), allowed: true, access: r, reason: "mode: PermissionGroup (Public)"},
		{name: "Visibility: Public gives Read only", spec: pg, action: edit, rec: owner("x@acme.example", "east").vis(accessv1.VisibilityPublic), access: r},
		{name: "Visibility: Group reaches an active owner of the user's role", spec: pg, action: view, rec: owner("x@acme.example", "east").vis(accessv1.VisibilityGroup), allowed: true, access: r, reason: "mode: PermissionGroup (Group of east)"},
		{name: "Visibility: Group does not reach another role", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityGroup), access: none},
		{name: "Visibility: Group does not reach an inactive owner", spec: pg, action: view, rec: owner("x@acme.example", "east").vis(accessv1.VisibilityGroup).inactive(), access: none},
		{name: "Visibility: OwnerAndGroups reaches through the record's groups", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityOwnerAndGroups).groups("north", "east"), allowed: true, access: r, reason: "mode: PermissionGroup (OwnerAndGroups with east)"},
		{name: "Visibility: OwnerAndGroups reaches the owner's role", spec: pg, action: view, rec: owner("x@acme.example", "east").vis(accessv1.VisibilityOwnerAndGroups), allowed: true, access: r},
		{name: "Visibility: OwnerAndGroups does not reach an inactive owner", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityOwnerAndGroups).groups("east").inactive(), access: none},
		{name: "Visibility: OwnerAndGroups with groups not naming the user's role", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityOwnerAndGroups).groups("north"), access: none},
		{name: "Visibility: Private reaches nobody beyond the other paths", spec: pg, action: view, rec: owner("x@acme.example", "east").vis(accessv1.VisibilityPrivate), access: none},
		{name: "Visibility: Private still lets the owner in", spec: pg, action: edit, rec: owner("gina@acme.example", "east").vis(accessv1.VisibilityPrivate), allowed: true, access: rw, reason: "owner"},
		{name: "Visibility: no stated visibility reads as the default Group when the type has no settings", spec: pg, action: view, rec: owner("x@acme.example", "east"), allowed: true, access: r},
		{name: "Visibility: a stated value outside the four reads as the type's default (Group)", spec: pg, action: view, rec: owner("x@acme.example", "east").vis("Everyone"), allowed: true, access: r, reason: "mode: PermissionGroup (Group of east)"},
		{name: "Visibility: a stated value outside the four reads as the default (Group), not wider", spec: pg, action: view, rec: owner("x@acme.example", "west").vis("Everyone"), access: none},
		{name: "Visibility: a stated value outside the four reads as the type's default (Public)", spec: pg, action: view, rec: owner("x@acme.example", "west").vis("Secret").typ("leads"), allowed: true, access: r, reason: "mode: PermissionGroup (Public)"},
		{name: "Visibility: a stated visibility not allowed reads as the type's default", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityOwnerAndGroups).groups("east").typ("leads"), allowed: true, access: r, reason: "mode: PermissionGroup (Public)"},
		{name: "Visibility: an allowed stated visibility stands", spec: pg, action: view, rec: owner("x@acme.example", "west").vis(accessv1.VisibilityGroup).typ("leads"), access: none},
		{name: "Visibility: no stated visibility takes the type's default", spec: pg, action: view, rec: owner("x@acme.example", "west").typ("leads"), allowed: true, access: r},
		{name: "Visibility: a default outside the four reads as Private", spec: pg, action: view, rec: owner("x@acme.example", "east").typ("quotes"), access: none},

		// Department.
		{name: "Department: user-specific grant beats role grant", spec: dep, action: edit, rec: owner("erin@acme.example", "marketing"), allowed: true, access: rw, reason: "departmentRule: 3"},
		{name: "Department: a user-specific grant of None beats the role grant", spec: dep, action: view, rec: owner("mallory@acme.example", "marketing").inactive(), access: none},
		{name: "Department: role grant beats the default", spec: dep, action: edit, rec: owner("sid@acme.example", "sales").inactive(), allowed: true, access: rw, reason: "department: same (sales)"},
		{name: "Department: the default reaches other departments", spec: dep, action: view, rec: owner("otto@acme.example", "ops").inactive(), allowed: true, access: r, reason: "departmentDefault"},
		{name: "Department: the default reaches owners with no department", spec: dep, action: view, rec: Record{Type: "deals", Owner: "stranger@else.example"}, allowed: true, access: r, reason: "departmentDefault"},
		{name: "Department: the default gives Read only", spec: dep, action: edit, rec: owner("otto@acme.example", "ops"), access: r},
		{name: "Department: Private records never match Department grants", spec: dep, action: view, rec: owner("sid@acme.example", "sales").vis(accessv1.VisibilityPrivate), access: none},
		{name: "Department: Private records still reach their owner", spec: dep, action: edit, rec: owner("dora@acme.example", "sales").vis(accessv1.VisibilityPrivate), allowed: true, access: rw, reason: "owner"},
		{name: "Department: Group reads as Public", spec: dep, action: edit, rec: owner("sid@acme.example", "sales").vis(accessv1.VisibilityGroup), allowed: true, access: rw},
		{name: "Department: OwnerAndGroups reads as Public", spec: dep, action: edit, rec: owner("sid@acme.example", "sales").vis(accessv1.VisibilityOwnerAndGroups), allowed: true, access: rw},
		{name: "Fail closed: Department reads a visibility outside the four as Private", spec: dep, action: view, rec: owner("sid@acme.example", "sales").vis("Shared"), access: none},
		{name: "Department: Public reads as Public", spec: dep, action: edit, rec: owner("sid@acme.example", "sales").vis(accessv1.VisibilityPublic), allowed: true, access: rw},

		// Step 5: hidden fields.
		{name: "Hidden fields: a Department rule hides a field", spec: dep, action: view, rec: owner("mo@acme.example", "marketing").inactive().field("email"), access: r, reason: "field hidden: departmentRule: 0 hides it and no other path gives Read or more"},
		{name: "Hidden fields: the rule hides nothing without a field", spec: dep, action: view, rec: owner("mo@acme.example", "marketing").inactive(), allowed: true, access: r, reason: "departmentRule: 0"},
		{name: "Hidden fields: a field the rule does not name", spec: dep, action: view, rec: owner("mo@acme.example", "marketing").inactive().field("name"), allowed: true, access: r},
		{name: "Hidden fields: another path with at least the rule's access unhides them", spec: dep, action: view, rec: owner("mo@acme.example", "marketing").field("email"), allowed: true, access: r},
		{name: "Hidden fields: another path with less access does not unhide them", spec: dep, action: view, rec: owner("fay@acme.example", "finance").field("salary"), access: rw},
		{name: "Hidden fields: the field is hidden for every action", spec: dep, action: edit, rec: owner("fay@acme.example", "finance").inactive().field("salary"), access: rw},
		{name: "Hidden fields: only the applying Department grant hides", spec: dep, action: view, rec: owner("erin@acme.example", "marketing").field("email"), allowed: true, access: rw},
		{name: "Hidden fields: a record with no owner gets the department default, which hides nothing", spec: dep, action: view, rec: Record{Type: "deals", Field: "email"}, allowed: true, access: r, reason: "departmentDefault"},

		// Scopes outside their mode are read by their own rule.
		{name: "Robust: a Department grant in RoleHierarchy mode reads by its own rule", spec: modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[2].Grants = append(s.Objects[2].Grants, accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Access: r, Via: []string{"departmentDefault"}})
		}), action: view, rec: owner("x@northwind.example", "finance").inactive(), allowed: true, access: r, reason: "departmentDefault"},
		{name: "Robust: a Visibility grant in RoleHierarchy mode reads by its own rule", spec: modify(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects[2].Grants = append(s.Objects[2].Grants, accessv1.RecordGrant{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityPublic, Access: r, Via: []string{"public"}})
		}), action: view, rec: owner("x@northwind.example", "finance").vis(accessv1.VisibilityPublic), allowed: true, access: r, reason: "public"},
		{name: "Robust: Department grants of one specificity, the lower access stands", spec: &accessv1.EffectivePermissionSpec{
			User: "a@b.example", Active: true, Role: "x", Mode: accessv1.ModeDepartment,
			Objects: []accessv1.ObjectPermission{{Type: "*", Actions: acts(edit, view), Grants: []accessv1.RecordGrant{
				{Scope: accessv1.ScopeDepartment, Access: rw, Via: []string{"a"}},
				{Scope: accessv1.ScopeDepartment, Access: r, Via: []string{"b"}},
			}}},
		}, action: edit, rec: owner("c@b.example", "y"), access: r},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Compile(tc.spec)
			d := p.Action(tc.action, tc.rec)
			if d.Allowed != tc.allowed || d.Access != tc.access {
				t.Errorf("Action(%s, %+v) = allowed %v access %s %q; want allowed %v access %s\nexplain: %q",
					tc.action, tc.rec, d.Allowed, d.Access, d.Reasons, tc.allowed, tc.access, p.Explain(tc.action, tc.rec))
			}
			if len(d.Reasons) == 0 {
				t.Errorf("no reasons")
			}
			if tc.reason != "" && !slices.Contains(d.Reasons, tc.reason) {
				t.Errorf("reasons %q do not contain %q", d.Reasons, tc.reason)
			}
			if got := Decide(tc.spec, tc.action, tc.rec); got.Allowed != d.Allowed || got.Access != d.Access {
				t.Errorf("Decide = %+v, Compile+Action = %+v", got, d)
			}
			if len(p.Explain(tc.action, tc.rec)) == 0 {
				t.Errorf("Explain returned nothing")
			}
		})
	}
}

// rmPeers drops the peers grant, so that only Hierarchy could reach the
// user's own role.
func rmPeers() *accessv1.EffectivePermissionSpec {
	s := roleHierarchySpec()
	s.Objects[2].Grants = slices.DeleteFunc(s.Objects[2].Grants, func(g accessv1.RecordGrant) bool { return g.Scope == accessv1.ScopeRole })
	return s
}

func TestCapability(t *testing.T) {
	admin := &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "ada@acme.example", Active: true, AccountRole: accessv1.UserRole(accessv1.AccountRoleAdmin),
		Capabilities:         []string{"*"},
		WithheldCapabilities: []string{"billing.access", "scim.provisioning"},
		CapabilitySources: []accessv1.CapabilitySource{
			{Via: "accountRole: Admin", Capabilities: []string{"*"}},
			{Via: "permissionSet: reporting", Capabilities: []string{"reports.access"}},
		},
	}
	tests := []struct {
		name       string
		spec       *accessv1.EffectivePermissionSpec
		capability string
		allowed    bool
		reasons    []string
	}{
		{name: "Capability: listed is held, with its source", spec: roleHierarchySpec(), capability: "users.manage", allowed: true, reasons: []string{"permissionSet: user-admin"}},
		{name: "Capability: not listed is denied", spec: roleHierarchySpec(), capability: "billing.access"},
		{name: "Capability: * holds any name, custom ones too", spec: admin, capability: "custom.thing", allowed: true, reasons: []string{"accountRole: Admin"}},
		{name: "Capability: * and an explicit source both explain", spec: admin, capability: "reports.access", allowed: true, reasons: []string{"accountRole: Admin", "permissionSet: reporting"}},
		{name: "Capability: withheld beats *", spec: admin, capability: "billing.access"},
		{name: "Capability: an inactive EP holds nothing", spec: modify(func(s *accessv1.EffectivePermissionSpec) { s.Active = false }), capability: "users.manage"},
		{name: "Capability: a nil spec holds nothing", capability: "users.manage"},
		{name: "Capability: held without a source still has a reason", spec: &accessv1.EffectivePermissionSpec{Active: true, Capabilities: []string{"x"}}, capability: "x", allowed: true, reasons: []string{"capabilities list x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Compile(tc.spec)
			d := p.Capability(tc.capability)
			if d.Allowed != tc.allowed || d.Access != none || len(d.Reasons) == 0 {
				t.Errorf("Capability(%s) = %+v; want allowed %v, access None, reasons", tc.capability, d, tc.allowed)
			}
			if tc.reasons != nil && !slices.Equal(d.Reasons, tc.reasons) {
				t.Errorf("reasons = %q; want %q", d.Reasons, tc.reasons)
			}
			if len(p.ExplainCapability(tc.capability)) == 0 {
				t.Errorf("ExplainCapability returned nothing")
			}
		})
	}
}

// TestCompileCopies: changing the spec after Compile changes no decision.
func TestCompileCopies(t *testing.T) {
	spec := departmentSpec()
	p := Compile(spec)
	rec := owner("mo@acme.example", "marketing").inactive().field("email")
	before := p.Action(view, rec)
	g := &spec.Objects[0].Grants[2]
	g.HiddenFields[0], g.HiddenFields[1] = "x", "y"
	g.Via[0] = "changed"
	g.Access = rw
	spec.Objects[0].Actions[1] = create
	spec.Objects[0].ActionSources[0].Via = "changed"
	spec.Active = false
	after := p.Action(view, rec)
	if after.Allowed != before.Allowed || after.Access != before.Access || !slices.Equal(after.Reasons, before.Reasons) {
		t.Errorf("decision changed after mutating the spec: %+v then %+v", before, after)
	}
	if d := p.Action(view, owner("mo@acme.example", "marketing").inactive()); !slices.Equal(d.Reasons, []string{"departmentRule: 0"}) {
		t.Errorf("via was not copied: %q", d.Reasons)
	}
}

// TestExplain checks that Explain names the path, or why each did not apply.
func TestExplain(t *testing.T) {
	rh, dep := Compile(roleHierarchySpec()), Compile(departmentSpec())
	tests := []struct {
		name string
		p    *Permissions
		act  accessv1.Action
		rec  Record
		want []string // substrings, each in some line
	}{
		{"deciding Hierarchy path", rh, edit, owner("ivy@northwind.example", "sales-intern"),
			[]string{"Hierarchy (ReadWrite) via hierarchy: below sales-senior: owner's role sales-intern is below sales-senior (sales-senior > sales-junior > sales-intern)"}},
		{"why nothing applied", rh, view, owner("max@northwind.example", "sales-manager"),
			[]string{"Hierarchy (ReadWrite) via hierarchy: below sales-senior: owner's role sales-manager is not below sales-senior",
				"Own (ReadWrite) via owner: record owned by max@northwind.example, not by the user",
				"Role sales-senior (ReadWrite) via peers: sales-senior: owner's role sales-manager is not sales-senior",
				`unknown scope "Everything" matches nothing`,
				`Role marketing ("Full", read as None)`}},
		{"inactive owner", rh, view, owner("carl@northwind.example", "finance").inactive(),
			[]string{"User carl@northwind.example (Read) via sharingRule: carl-deals: the owner carl@northwind.example is not an active member"}},
		{"Read but ReadWrite needed", rh, edit, owner("sue@northwind.example", "support"), []string{"access Read, but edit needs ReadWrite"}},
		{"hidden field", dep, view, owner("mo@acme.example", "marketing").inactive().field("email"),
			[]string{"Department rule hides field email: Department marketing (Read) via departmentRule: 0"}},
		{"most specific Department grant", dep, view, owner("mallory@acme.example", "marketing").inactive(),
			[]string{"Department marketing (Read) via departmentRule: 0: the more specific Department user mallory@acme.example (None) via departmentRule: 2 applies instead"}},
		{"no owner", rh, edit, Record{Type: "deals"}, []string{"functional: edit on deals via permissionSet: sales-rep",
			"no owner given: the record is read as a non-member's record",
			"no path gives access to this record; edit needs ReadWrite",
			"Own (ReadWrite) via owner: the record names no owner, so it is not the user's",
			"Role sales-senior (ReadWrite) via peers: sales-senior: the record names no owner (a non-member's record)"}},
		{"not a type name", rh, view, owner("teresa@northwind.example", "sales-senior").typ("Deals"), []string{`type "Deals" is not an object type name`}},
		{"no functional", rh, del, Record{Type: "quotes"}, []string{"no functional permission: the user may not delete on quotes (actions: create, edit, view)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := tc.p.Explain(tc.act, tc.rec)
			for _, w := range tc.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
					t.Errorf("no line contains %q:\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
}

// TestNoAllocations: Action and Capability do not allocate, whatever path
// decides.
func TestNoAllocations(t *testing.T) {
	rh, pg, dep := Compile(roleHierarchySpec()), Compile(permissionGroupSpec()), Compile(departmentSpec())
	inactive := Compile(modify(func(s *accessv1.EffectivePermissionSpec) { s.Active = false }))
	questions := []struct {
		p   *Permissions
		act accessv1.Action
		rec Record
	}{
		{rh, edit, owner("ivy@northwind.example", "sales-intern")},
		{rh, edit, owner("CARL@northwind.example", "finance")},
		{rh, view, owner("max@northwind.example", "sales-manager")},
		{rh, edit, Record{Type: "deals"}},
		{rh, del, Record{Type: "quotes"}},
		{rh, view, owner("x@y.example", "").typ("invoices")},
		{rh, "approve", owner("x@y.example", "")},
		{inactive, view, owner("x@y.example", "")},
		{pg, view, owner("x@acme.example", "west").vis(accessv1.VisibilityOwnerAndGroups).groups("north", "east")},
		{pg, view, owner("x@acme.example", "east").typ("leads").vis(accessv1.VisibilityPrivate)},
		{dep, view, owner("mo@acme.example", "marketing").inactive().field("email")},
		{dep, edit, owner("Erin@acme.example", "marketing")},
		{dep, view, owner("otto@acme.example", "ops")},
	}
	for i, q := range questions {
		if n := testing.AllocsPerRun(100, func() { _ = q.p.Action(q.act, q.rec) }); n != 0 {
			t.Errorf("question %d: Action allocates %v times", i, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = q.p.Functional(q.act, q.rec.Type) }); n != 0 {
			t.Errorf("question %d: Functional allocates %v times", i, n)
		}
	}
	admin := Compile(&accessv1.EffectivePermissionSpec{Active: true, Capabilities: []string{"*"}, WithheldCapabilities: []string{"billing.access"}})
	for _, c := range []struct {
		p    *Permissions
		name string
	}{{rh, "users.manage"}, {rh, "billing.access"}, {admin, "custom"}, {admin, "billing.access"}, {inactive, "users.manage"}} {
		if n := testing.AllocsPerRun(100, func() { _ = c.p.Capability(c.name) }); n != 0 {
			t.Errorf("Capability(%s) allocates %v times", c.name, n)
		}
	}
}

// fuzzSpecs are the EPs FuzzAction asks about.
var fuzzSpecs = []*accessv1.EffectivePermissionSpec{roleHierarchySpec(), permissionGroupSpec(), departmentSpec()}

func FuzzAction(f *testing.F) {
	f.Add(uint8(0), "edit", "deals", "ivy@northwind.example", "sales-intern", true, "", "", "")
	f.Add(uint8(1), "view", "leads", "x@acme.example", "east", true, "OwnerAndGroups", "east,west", "")
	f.Add(uint8(2), "view", "deals", "mo@acme.example", "marketing", false, "Public", "", "email")
	f.Add(uint8(2), "edit", "deals", "ERIN@acme.example", "marketing", true, "Private", "", "phone")
	f.Add(uint8(0), "create", "contacts", "", "", false, "", "", "")
	f.Add(uint8(0), "modifyAll", "tickets", "a", "b", false, "Bogus", ",", "x")
	f.Add(uint8(0), "edit", "deals", "", "sales-junior", true, "", "", "")
	f.Add(uint8(1), "view", "deals", "", "east", true, "Group", "", "")
	f.Add(uint8(2), "edit", "deals", "", "sales", true, "Public", "", "")
	f.Add(uint8(0), "view", "Deals", "teresa@northwind.example", "sales-senior", true, "", "", "")
	f.Add(uint8(0), "view", "", "", "", false, "", "", "")
	compiled := make([]*Permissions, len(fuzzSpecs))
	for i, s := range fuzzSpecs {
		compiled[i] = Compile(s)
	}
	f.Fuzz(func(t *testing.T, which uint8, action, typ, ownerEmail, ownerRole string, ownerActive bool, visibility, groups, field string) {
		spec := fuzzSpecs[int(which)%len(fuzzSpecs)]
		p := compiled[int(which)%len(fuzzSpecs)]
		rec := Record{Type: typ, Owner: ownerEmail, OwnerRole: ownerRole, OwnerActive: ownerActive,
			Visibility: accessv1.Visibility(visibility), Field: field}
		if groups != "" {
			rec.Groups = strings.Split(groups, ",")
		}
		a := accessv1.Action(action)
		d := p.Action(a, rec)
		_ = p.Explain(a, rec)
		if len(d.Reasons) == 0 {
			t.Fatalf("no reasons for %+v", d)
		}
		if d.Access != none && d.Access != r && d.Access != rw {
			t.Fatalf("access %q is not a level", d.Access)
		}
		// A record with no owner never gets more than a record of a
		// non-member (semantics.md §6), whatever role and membership the
		// caller claims for it.
		if rec.Owner == "" {
			stranger := rec
			stranger.Owner, stranger.OwnerRole, stranger.OwnerActive = "stranger@elsewhere.example", "", false
			s := p.Action(a, stranger)
			if (d.Allowed && !s.Allowed) || d.Access.Rank() > s.Access.Rank() {
				t.Fatalf("no owner: %+v; a non-member's record: %+v", d, s)
			}
		}
		// A type that is not a lowercase type name matches nothing.
		if !typeNameRE.MatchString(typ) || len(typ) > 63 {
			if f := p.Functional(a, typ); d.Allowed || d.Access != none || f.Allowed {
				t.Fatalf("type %q is not a type name, got %+v and Functional %+v", typ, d, f)
			}
			return
		}
		// The entry step 2 finds, by hand.
		var e *accessv1.ObjectPermission
		for i := range spec.Objects {
			if spec.Objects[i].Type == typ {
				e = &spec.Objects[i]
				break
			}
		}
		if e == nil {
			for i := range spec.Objects {
				if spec.Objects[i].Type == "*" {
					e = &spec.Objects[i]
				}
			}
		}
		// Functional answers steps 1 and 2 alone, as Action with no owner
		// answered before it became a record question.
		held := e != nil && slices.Contains(e.Actions, a) && actionIndex(a) >= 0
		if f := p.Functional(a, typ); f.Allowed != held || f.Access != none || len(f.Reasons) == 0 {
			t.Fatalf("Functional(%s, %q) = %+v; the entry holds it: %v", a, typ, f, held)
		}
		if !held {
			if d.Allowed || d.Access != none {
				t.Fatalf("denied by functional permission, got %+v", d)
			}
			return
		}
		maxRank := 0
		for _, g := range e.Grants {
			maxRank = max(maxRank, g.Access.Rank())
		}
		if d.Access.Rank() > maxRank {
			t.Fatalf("access %s above the entry's highest grant (%d)", d.Access, maxRank)
		}
		if d.Allowed && d.Access.Rank() < actionNeed[actionIndex(a)] {
			t.Fatalf("allowed %s with access %s", a, d.Access)
		}
	})
}
