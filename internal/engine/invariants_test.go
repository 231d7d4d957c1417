package engine_test

// Table tests of ../shared/spec/invariants.md and docs/findings.md: for each
// invariant, the finding (object, field, reason, severity) that a broken
// snapshot must produce, that its message names the object and says what to
// do, that nothing is granted from the broken part, and that the nearest
// legal snapshot has no finding at all.

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

func fk(kind, ns, name, field, reason string, sev engine.Severity) et.FindingKey {
	return et.FindingKey{Kind: kind, Namespace: ns, Name: name, Field: field, Reason: reason, Severity: sev}
}

const (
	refused  = engine.Refused
	reported = engine.Reported
)

// whatToDo matches the imperative of a message that says what to do (or the
// condition under which it will work: "nothing is granted until ...").
var whatToDo = regexp.MustCompile(`(?i)\b(set|add|remove|make|rename|create|choose|delete|give|ask|move|change|grant|use|apply|renew|extend|wait|approve|fix|correct|write|update|activate|reactivate|drop|assign|raise|increase|reduce|edit|replace|restore|request|name|point|list|keep|break|demote|promote|deactivate|must|should|until)\b`)

type findingCase struct {
	name  string
	world []any // instead of partnerWorld()
	extra []any
	want  []et.FindingKey
	words []string   // the message of every wanted finding contains each (case-insensitive)
	then  []decision // on the same result: nothing granted from the broken part, the rest stands
}

func (c findingCase) compute() *engine.Result {
	w := c.world
	if w == nil {
		w = partnerWorld()
	}
	return et.Compute(w, c.extra)
}

func TestInvariantFindings(t *testing.T) {
	sal := et.MakeMember(acme, "sal").Role("staff").Sets("own-contacts")
	cases := []findingCase{
		// 1
		{
			name:  "#1 a tenant created without a SuperAdmin is reported (NoSuperAdmin)",
			extra: []any{et.MakeTenant("solo"), et.MakePermissionSet("solo", "rep").Objects(types("deals"), view, edit), et.MakeMember("solo", "pia").Role("ceo").Sets("rep")},
			want:  []et.FindingKey{fk("Tenant", "", "solo", "spec", accessv1.ReasonNoSuperAdmin, reported)},
			words: []string{"solo", "SuperAdmin"},
			then:  []decision{allow("§6 its other grants stand", et.Email("solo", "pia"), edit, rec("deals", et.Email("solo", "pia")), RW).in("solo")},
		},
		{
			name:  "#1 a tenant whose only SuperAdmin is deactivated is reported",
			extra: []any{et.MakeMember("globex", "hank").SuperAdmin().Inactive()},
			want:  []et.FindingKey{fk("Tenant", "", "globex", "spec", accessv1.ReasonNoSuperAdmin, reported)},
			words: []string{"globex"},
		},
		// 2
		{
			name:  "#2 a Standard member without a role (RoleRequired)",
			extra: []any{et.MakeMember(acme, "norole").Standard()},
			want:  []et.FindingKey{fk("Member", acme, "norole", "spec.role", accessv1.ReasonRoleRequired, refused)},
			words: []string{"norole"},
		},
		{
			name:  "#2 a member with no accountRole (Standard by default) and no role",
			extra: []any{et.MakeMember(acme, "norole")},
			want:  []et.FindingKey{fk("Member", acme, "norole", "spec.role", accessv1.ReasonRoleRequired, refused)},
			words: []string{"norole"},
		},
		{
			name:  "#2 an Admin with a role (RoleForbidden)",
			extra: []any{et.MakeMember(acme, "adminwithrole").Admin().Role("staff")},
			want:  []et.FindingKey{fk("Member", acme, "adminwithrole", "spec.role", accessv1.ReasonRoleForbidden, refused)},
			words: []string{"adminwithrole"},
		},
		{
			name:  "#2 a Developer with a role (RoleForbidden)",
			extra: []any{et.MakeMember(acme, "devwithrole").Developer().Role("staff")},
			want:  []et.FindingKey{fk("Member", acme, "devwithrole", "spec.role", accessv1.ReasonRoleForbidden, refused)},
			words: []string{"devwithrole"},
		},
		// 3
		{
			name:  "#3 a malformed member e-mail (InvalidEmail)",
			extra: []any{et.MakeMember(acme, "bad").Role("staff").Email("bad-address")},
			want:  []et.FindingKey{fk("Member", acme, "bad", "spec.email", accessv1.ReasonInvalidEmail, refused)},
			words: []string{"bad-address"},
		},
		{
			name:  "#3 a malformed partner admin e-mail (InvalidEmail)",
			extra: []any{partnerPA().Admin("not-an-email")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[2].email", accessv1.ReasonInvalidEmail, refused)},
			words: []string{"not-an-email"},
		},
		{
			name: "#3 two members with one e-mail, compared case-insensitively: each gets DuplicateEmail",
			extra: []any{
				et.MakeMember(acme, "alice").Role("staff").Sets("user-admin", "own-contacts"),
				et.MakeMember(acme, "alice2").Email("Alice@ACME.example").Role("staff").Sets("user-admin"),
			},
			want: []et.FindingKey{
				fk("Member", acme, "alice", "spec.email", accessv1.ReasonDuplicateEmail, refused),
				fk("Member", acme, "alice2", "spec.email", accessv1.ReasonDuplicateEmail, refused),
			},
			words: []string{"alice@acme.example"},
			then: []decision{
				capDeny("#3 fail closed: neither duplicate is granted (capability)", e("alice"), "users.manage"),
				deny("#3 fail closed: neither duplicate is granted (own record)", e("alice"), edit, rec("contacts", e("alice")), None),
			},
		},
		// 4
		{
			name:  "#4 roles in a reportsTo cycle: each role of the cycle (RoleCycle)",
			extra: []any{et.MakeRole(acme, "east").ReportsTo("west"), et.MakeRole(acme, "west").ReportsTo("east")},
			want: []et.FindingKey{
				fk("Role", acme, "east", "spec.reportsTo", accessv1.ReasonRoleCycle, refused),
				fk("Role", acme, "west", "spec.reportsTo", accessv1.ReasonRoleCycle, refused),
			},
			words: []string{"cycle"},
		},
		{
			name:  "#5 a Role reporting to itself (RoleCycle)",
			extra: []any{et.MakeRole(acme, "solo").ReportsTo("solo")},
			want:  []et.FindingKey{fk("Role", acme, "solo", "spec.reportsTo", accessv1.ReasonRoleCycle, refused)},
			words: []string{"solo"},
		},
		{
			name: "#4 a Role whose parent does not exist (ParentNotFound)",
			extra: []any{
				et.MakeRole(acme, "orphan").ReportsTo("nowhere"),
				et.MakePermissionSet(acme, "deals-all").Objects(types("deals"), viewAll, edit),
				et.MakeMember(acme, "oli").Role("orphan").Sets("deals-all"),
			},
			want:  []et.FindingKey{fk("Role", acme, "orphan", "spec.reportsTo", accessv1.ReasonParentNotFound, reported)},
			words: []string{"orphan", "nowhere"},
			then: []decision{
				deny("#4 its members get own records only (viewAll gives nothing)", e("oli"), view, rec("deals", e("rita")), None),
				allow("#4 its members keep their own records", e("oli"), edit, rec("deals", e("oli")), RW),
			},
		},
		{
			name:  "findings.md a Member whose role does not exist (RoleNotFound)",
			extra: []any{et.MakeMember(acme, "dan").Role("ghost-role").Sets("own-contacts")},
			want:  []et.FindingKey{fk("Member", acme, "dan", "spec.role", accessv1.ReasonRoleNotFound, reported)},
			words: []string{"dan", "ghost-role"},
			then:  []decision{allow("§6 own records still apply", e("dan"), edit, rec("contacts", e("dan")), RW)},
		},
		{
			name:  "findings.md a Member naming a missing PermissionSet (PermissionSetNotFound)",
			extra: []any{et.MakeMember(acme, "stan").Role("staff").Sets("user-admin", "nope")},
			want:  []et.FindingKey{fk("Member", acme, "stan", "spec.permissionSets[1]", accessv1.ReasonPermissionSetNotFound, reported)},
			words: []string{"stan", "nope"},
			// decided: only the missing reference is the broken part; the member's other sets stand.
			then: []decision{capAllow("the member's other sets stand", e("stan"), "users.manage")},
		},
		// 5, 17
		{
			name:  "#5/17 a user-written ceo Role (BuiltIn)",
			extra: []any{et.MakeRole(acme, "ceo").DisplayName("Boss")},
			want:  []et.FindingKey{fk("Role", acme, "ceo", "metadata.name", accessv1.ReasonBuiltIn, refused)},
			words: []string{"ceo"},
		},
		{
			name:  "#5 ceo given a parent (BuiltIn on spec.reportsTo)",
			extra: []any{et.MakeRole(acme, "ceo").ReportsTo("staff")},
			want:  []et.FindingKey{fk("Role", acme, "ceo", "spec.reportsTo", accessv1.ReasonBuiltIn, refused)},
			words: []string{"ceo"},
			then: []decision{
				allow("§6 the built-in ceo stays the root: CEO path intact", e("rita"), edit, rec("contacts", e("uma")), RW),
			},
		},
		{
			name:  "#17 a user-written partner-admin PermissionSet (BuiltIn)",
			extra: []any{et.MakePermissionSet(acme, "partner-admin").Caps("payments.instruments")},
			want:  []et.FindingKey{fk("PermissionSet", acme, "partner-admin", "metadata.name", accessv1.ReasonBuiltIn, refused)},
			words: []string{"partner-admin"},
			then: []decision{
				capDeny("#17 the user-written set is ignored (no payments.instruments)", a("dave"), "payments.instruments"),
				capAllow("#17 the built-in set stands", a("dave"), "users.manage"),
			},
		},
		// 6
		{
			name:  "#6 more custom Roles than spec.limits.roles (RoleLimitExceeded)",
			extra: []any{et.MakeTenant(acme).RoleLimit(1), et.MakeRole(acme, "sales")},
			want:  []et.FindingKey{fk("Tenant", "", acme, "spec.limits.roles", accessv1.ReasonRoleLimitExceeded, refused)},
			words: []string{acme},
		},
		{
			name:  "#6 a limit of 0 with one custom Role",
			extra: []any{et.MakeTenant(acme).RoleLimit(0)},
			want:  []et.FindingKey{fk("Tenant", "", acme, "spec.limits.roles", accessv1.ReasonRoleLimitExceeded, refused)},
			words: []string{acme},
		},
		// 7 and the other PartnerAccess conditions
		{
			name:  "#7 approver not an active SuperAdmin or holder of users.manage (ApproverNotAuthorized)",
			extra: []any{partnerPA().ApprovedBy(e("stan"))},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.approvedBy", accessv1.ReasonApproverNotAuthorized, reported)},
			words: []string{agency, e("stan")},
			then: []decision{
				capDeny("#7 fail closed: partner admins get nothing", a("dave"), "users.manage"),
				capDeny("#7 fail closed: the migrated admin gets nothing", a("bob"), "billing.access"),
				deny("#7 fail closed: staff get nothing", a("frank"), create, fn("contacts"), None),
			},
		},
		{
			name:  "#7 approver deactivated",
			extra: []any{et.MakeMember(acme, "carol").SuperAdmin().Inactive()},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.approvedBy", accessv1.ReasonApproverNotAuthorized, reported)},
			words: []string{agency},
			then:  []decision{capDeny("#7 fail closed", a("dave"), "users.manage")},
		},
		{
			name:  "findings.md partner tenant missing (PartnerNotFound)",
			extra: []any{et.MakePartnerAccess(acme, "agency-q").ApprovedBy(e("carol")).Admin("quinn@agency-q.example")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, "agency-q", "spec.partner", accessv1.ReasonPartnerNotFound, reported)},
			words: []string{"agency-q"},
			then:  []decision{capDeny("fail closed: nothing granted", "quinn@agency-q.example", "users.manage")},
		},
		{
			name:  "findings.md partner tenant without partnerProgram (NotAPartner)",
			extra: []any{et.MakePartnerAccess(acme, "globex").ApprovedBy(e("carol")).Admin(et.Email("globex", "hank"))},
			want:  []et.FindingKey{fk("PartnerAccess", acme, "globex", "spec.partner", accessv1.ReasonNotAPartner, reported)},
			words: []string{"globex"},
			then:  []decision{capDeny("fail closed: nothing granted", et.Email("globex", "hank"), "users.manage")},
		},
		{
			name:  "findings.md access past expiresAt (Expired)",
			extra: []any{partnerPA().ExpiresAt("2026-11-01T00:00:00Z")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.expiresAt", accessv1.ReasonExpired, reported)},
			words: []string{agency},
			then: []decision{
				capDeny("fail closed: partner admins get nothing", a("dave"), "users.manage"),
				deny("fail closed: staff get nothing", a("frank"), create, fn("contacts"), None),
			},
		},
		{
			name:  "findings.md expiresAt equal to now (Expired)",
			extra: []any{partnerPA().ExpiresAt("2026-11-25T12:00:00Z")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.expiresAt", accessv1.ReasonExpired, reported)},
			words: []string{agency},
		},
		{
			name:  "findings.md an unparseable expiresAt (Expired)",
			extra: []any{partnerPA().ExpiresAt("soon")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.expiresAt", accessv1.ReasonExpired, reported)},
			words: []string{agency},
			then:  []decision{capDeny("fail closed", a("dave"), "users.manage")},
		},
		// 8
		{
			name:  "#8 a contractor as partner admin (PartnerAdminInvalid), only valid entries granted",
			extra: []any{partnerPA().Admin("erin@freelance.example")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[2].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{"erin@freelance.example"},
			then: []decision{
				capDeny("#8 the invalid entry grants nothing", "erin@freelance.example", "users.manage"),
				capAllow("#8 the valid entries stand", a("dave"), "users.manage"),
			},
		},
		{
			name:  "#8 a partner admin without a seat",
			extra: []any{et.MakeMember(agency, "dave").Role("ceo")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[0].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{a("dave")},
			then: []decision{
				capDeny("#8 the invalid entry grants nothing", a("dave"), "users.manage"),
				capAllow("#8 the other entry stands", a("bob"), "billing.access"),
			},
		},
		{
			name:  "#8 an inactive partner admin",
			extra: []any{et.MakeMember(agency, "dave").Role("ceo").Seat().Inactive()},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[0].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{a("dave")},
			then:  []decision{capDeny("#8 the invalid entry grants nothing", a("dave"), "users.manage")},
		},
		{
			name:  "#8 a partner admin who is no member of the partner",
			extra: []any{partnerPA().Admin("zoe@agency-x.example")},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[2].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{"zoe@agency-x.example"},
		},
		{
			name:  "#8 a partner admin e-mail shared by two Members of the partner",
			extra: []any{et.MakeMember(agency, "dave2").Email(a("dave")).Role("ceo").Seat()},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[0].email", accessv1.ReasonPartnerAdminInvalid, reported)},
			words: []string{a("dave")},
			then:  []decision{capDeny("§6 nobody's", a("dave"), "users.manage")},
		},
		// 9
		{
			name: "#9 migration of someone else (MigrationInvalid)",
			extra: []any{et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).
				MigratedAdmin(a("dave"), "carol", false).MigratedAdmin(a("bob"), "bob", true)},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[0].migratedFrom", accessv1.ReasonMigrationInvalid, refused)},
			words: []string{"carol"},
			then: []decision{
				// decided: an entry breaking invariant 9 grants nothing if it slips in (principle 3, fail closed).
				capDeny("#9 fail closed: the invalid entry grants nothing", a("dave"), "users.manage"),
				capAllow("#9 the valid entry stands", a("bob"), "billing.access"),
				capAllow("#9 the named member is untouched", e("carol"), "payments.instruments"),
			},
		},
		{
			name: "#9 migration leaving no other active SuperAdmin (MigrationInvalid)",
			extra: []any{
				et.MakeMember(acme, "carol").Role("staff"),
				et.MakeMember(acme, "cleo").Role("staff"),
				et.MakeMember(acme, "bob").Email(a("bob")).SuperAdmin(),
				partnerPA().ApprovedBy(a("bob")),
			},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[1].migratedFrom", accessv1.ReasonMigrationInvalid, refused)},
			words: []string{"bob"},
		},
		{
			name:  "#9 migratedFrom naming no member of the client (MigrationInvalid)",
			extra: []any{et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave")).MigratedAdmin(a("bob"), "robert", true)},
			want:  []et.FindingKey{fk("PartnerAccess", acme, agency, "spec.partnerAdmins[1].migratedFrom", accessv1.ReasonMigrationInvalid, refused)},
			words: []string{"robert"},
		},
		// 10 and the other clientAccess conditions
		{
			name:  "#10 a clientAccess entry granting more than its granting admin holds (DelegationExceeded)",
			extra: []any{frankWith(entry(acme, a("dave"), "money"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].permissionSets", accessv1.ReasonDelegationExceeded, refused)},
			words: []string{"frank", "billing.access"},
			then: []decision{
				capDeny("#10 the excess is not granted", a("frank"), "billing.access"),
				capAllow("#10 the intersection is granted", a("frank"), "reports.access"),
			},
		},
		{
			name:  "findings.md grantedBy not a partner admin of this partner in that client (GranterNotPartnerAdmin)",
			extra: []any{frankWith(entry(acme, a("owner"), "campaign-editor"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].grantedBy", accessv1.ReasonGranterNotPartnerAdmin, reported)},
			words: []string{"frank", a("owner")},
			then:  []decision{deny("fail closed: nothing granted", a("frank"), create, fn("contacts"), None)},
		},
		{
			name:  "#18 clientAccess to a tenant giving this partner no PartnerAccess (NoPartnerAccess)",
			extra: []any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry("globex", a("dave"), "campaign-editor"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[1].tenant", accessv1.ReasonNoPartnerAccess, reported)},
			words: []string{"frank", "globex"},
			then: []decision{
				deny("#18 nothing in that tenant", a("frank"), create, fn("contacts"), None).in("globex"),
				allow("#18 the other entry stands", a("frank"), create, fn("contacts"), None),
			},
		},
		{
			name:  "#18 clientAccess to a tenant that does not exist (NoPartnerAccess)",
			extra: []any{frankWith(entry("nowhere", a("dave"), "campaign-editor"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].tenant", accessv1.ReasonNoPartnerAccess, reported)},
			words: []string{"frank", "nowhere"},
		},
		{
			name:  "#18 clientAccess to a tenant whose PartnerAccess expired (NoPartnerAccess)",
			extra: []any{partnerPA().ExpiresAt("2026-11-01T00:00:00Z")},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].tenant", accessv1.ReasonNoPartnerAccess, reported)},
			words: []string{"frank", acme},
		},
		{
			name:  "findings.md a clientAccess PermissionSet missing in the partner's namespace (PermissionSetNotFound)",
			extra: []any{frankWith(entry(acme, a("dave"), "campaign-editor", "ghost-set"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].permissionSets[1]", accessv1.ReasonPermissionSetNotFound, reported)},
			words: []string{"ghost-set"},
			then:  []decision{allow("the entry's other sets stand", a("frank"), create, fn("contacts"), None)},
		},
		{
			name:  "findings.md a clientAccess set that exists only in the client's namespace (PermissionSetNotFound)",
			extra: []any{frankWith(entry(acme, a("dave"), "own-contacts"))},
			want:  []et.FindingKey{fk("Member", agency, "frank", "spec.clientAccess[0].permissionSets[0]", accessv1.ReasonPermissionSetNotFound, reported)},
			words: []string{"own-contacts"},
			then:  []decision{deny("#18 tenant isolation: the client's set is not used", a("frank"), create, fn("contacts"), None)},
		},
		// 11
		{
			name:  "#11 a PermissionSet used as a partner template holding payments.instruments (NeverGrantedCapability)",
			extra: []any{frankWith(entry(acme, a("bob"), "danger"))},
			want:  []et.FindingKey{fk("PermissionSet", agency, "danger", "spec.capabilities", accessv1.ReasonNeverGranted, reported)},
			words: []string{"danger", "payments.instruments"},
			then: []decision{
				capDeny("#11 stripped always", a("frank"), "payments.instruments"),
				capAllow("#11 the rest of the template stands", a("frank"), "reports.access"),
			},
		},
		{
			name: "#11 a template holding scim.provisioning and datacenter.migration",
			extra: []any{
				et.MakePermissionSet(agency, "ops").Caps("scim.provisioning", "datacenter.migration"),
				frankWith(entry(acme, a("bob"), "ops")),
			},
			want:  []et.FindingKey{fk("PermissionSet", agency, "ops", "spec.capabilities", accessv1.ReasonNeverGranted, reported)},
			words: []string{"ops"},
			then: []decision{
				capDeny("#11 scim.provisioning stripped", a("frank"), "scim.provisioning"),
				capDeny("#11 datacenter.migration stripped", a("frank"), "datacenter.migration"),
			},
		},
		// 12
		{
			name:  "#12 Department mode with no departmentRules and no departmentDefault (DepartmentModeOpen)",
			extra: []any{et.MakePolicy(acme).Mode(accessv1.ModeDepartment), sal},
			want:  []et.FindingKey{fk("VisibilityPolicy", acme, "default", "spec.departmentDefault", accessv1.ReasonDepartmentOpen, refused)},
			words: []string{"departmentDefault"},
			then: []decision{
				// decided: fail closed — the open default (ReadWrite between departments) is not applied.
				deny("#12 fail closed: it does not open every record to every member", e("sal"), view, recV("contacts", e("rita"), Public), None),
			},
		},
		// 13
		{
			name:  "#13 a VisibilityPolicy not named default (PolicyNameNotDefault)",
			extra: []any{et.MakePolicy(acme).Name("strict").Mode(accessv1.ModePermissionGroup)},
			want:  []et.FindingKey{fk("VisibilityPolicy", acme, "strict", "metadata.name", accessv1.ReasonPolicyName, refused)},
			words: []string{"strict", "default"},
		},
		// 14
		{
			name: "#14 a second Tenant claiming a namespace: the later name alphabetically (DuplicateTenantNamespace)",
			extra: []any{
				et.MakeTenant("alpha").Namespace("shared"), et.MakeTenant("beta").Namespace("shared"),
				et.MakeMember("shared", "root").SuperAdmin(),
			},
			want:  []et.FindingKey{fk("Tenant", "", "beta", "spec.namespace", accessv1.ReasonDuplicateTenant, refused)},
			words: []string{"beta", "shared"},
			then: []decision{
				// decided: the namespace belongs to the earlier Tenant; the later one is granted nothing from it.
				capDeny("#14 fail closed: the later Tenant gets nothing from the namespace", et.Email("shared", "root"), "users.manage").in("beta"),
				capAllow("#14 the earlier Tenant keeps its namespace", et.Email("shared", "root"), "users.manage").in("alpha"),
			},
		},
		{
			name: "#14 a Tenant whose default namespace another Tenant claims: the later name gets it",
			extra: []any{
				et.MakeTenant("zeta"), et.MakeTenant("able").Namespace("zeta"),
				et.MakeMember("zeta", "root").SuperAdmin(),
			},
			want:  []et.FindingKey{fk("Tenant", "", "zeta", "spec.namespace", accessv1.ReasonDuplicateTenant, refused)},
			words: []string{"zeta"},
		},
		// 15
		{
			name:  "#15 a Member in a namespace no Tenant claims (NoTenant)",
			extra: []any{et.MakeMember("orphan-ns", "xena").SuperAdmin()},
			want:  []et.FindingKey{fk("Member", "orphan-ns", "xena", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"xena", "orphan-ns"},
			then:  []decision{capDeny("#15 grants nothing", et.Email("orphan-ns", "xena"), "users.manage").in("orphan-ns")},
		},
		{
			name:  "#15 a Role in a namespace no Tenant claims",
			extra: []any{et.MakeRole("orphan-ns", "r")},
			want:  []et.FindingKey{fk("Role", "orphan-ns", "r", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"orphan-ns"},
		},
		{
			name:  "#15 a PermissionSet in a namespace no Tenant claims",
			extra: []any{et.MakePermissionSet("orphan-ns", "p").Caps("reports.access")},
			want:  []et.FindingKey{fk("PermissionSet", "orphan-ns", "p", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"orphan-ns"},
		},
		{
			name:  "#15 a PartnerAccess in a namespace no Tenant claims",
			extra: []any{et.MakePartnerAccess("orphan-ns", agency).ApprovedBy("x@orphan-ns.example").Admin(a("dave"))},
			want:  []et.FindingKey{fk("PartnerAccess", "orphan-ns", agency, "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"orphan-ns"},
		},
		{
			name:  "#15 a VisibilityPolicy in a namespace no Tenant claims",
			extra: []any{et.MakePolicy("orphan-ns")},
			want:  []et.FindingKey{fk("VisibilityPolicy", "orphan-ns", "default", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"orphan-ns"},
		},
		{
			name: "#15 objects in the Tenant's name when the Tenant claims another namespace",
			extra: []any{
				et.MakeTenant("delta").Namespace("delta-ns"),
				et.MakeMember("delta-ns", "root").SuperAdmin(),
				et.MakeMember("delta", "stray").SuperAdmin(),
			},
			want:  []et.FindingKey{fk("Member", "delta", "stray", "metadata.namespace", accessv1.ReasonNoTenant, reported)},
			words: []string{"stray"},
			then: []decision{
				capDeny("#15 the stray member grants nothing", et.Email("delta", "stray"), "users.manage").in("delta"),
				capAllow("the tenant's own namespace works", et.Email("delta-ns", "root"), "users.manage").in("delta"),
			},
		},
		// 16
		{
			name:  "#16 an EffectivePermission among the inputs (ControllerOwned)",
			extra: []any{et.MakeEffectivePermission(acme, "rita").User(e("rita")).AccountRole(accessv1.UserRole(accessv1.AccountRoleSuperAdmin)).Caps("*")},
			want:  []et.FindingKey{fk("EffectivePermission", acme, "rita", "metadata.name", accessv1.ReasonControllerOwned, refused)},
			words: []string{"rita"},
			then: []decision{
				capDeny("#16 the user-written EP grants nothing", e("rita"), "billing.access"),
				allow("#16 the computed EP stands", e("rita"), edit, rec("contacts", e("rita")), RW),
			},
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
}

func checkMessage(t *testing.T, f engine.Finding, words []string) {
	t.Helper()
	msg := strings.ToLower(f.Message)
	if msg == "" {
		t.Errorf("%s: empty message", f.Object)
		return
	}
	// The object is named by the rendered finding (`Kind namespace/name:
	// field: message`, what accessctl validate prints and what a condition
	// sits on); the message itself must name the offending value (words).
	if !strings.Contains(strings.ToLower(f.String()), strings.ToLower(f.Object.Name)) {
		t.Errorf("%s: finding %q does not name the object %q", f.Object, f.String(), f.Object.Name)
	}
	for _, w := range words {
		if !strings.Contains(msg, strings.ToLower(w)) {
			t.Errorf("%s: message %q does not mention %q", f.Object, f.Message, w)
		}
	}
	if !whatToDo.MatchString(f.Message) {
		t.Errorf("%s: message %q does not say what to do", f.Object, f.Message)
	}
}

// TestInvariantNearestLegal: the nearest legal snapshot of each invariant has
// no finding at all.
func TestInvariantNearestLegal(t *testing.T) {
	cases := []struct {
		name  string
		world []any
		extra []any
		then  []decision
	}{
		{name: "valid scenario: the partners world has no findings"},
		{name: "#1 a tenant with one active SuperAdmin", extra: []any{et.MakeTenant("solo"), et.MakeMember("solo", "pia").SuperAdmin()}},
		{name: "#1 an inactive SuperAdmin beside an active one", extra: []any{et.MakeMember(acme, "old").SuperAdmin().Inactive()}},
		{name: "#2 a Standard member with a role", extra: []any{et.MakeMember(acme, "withrole").Role("staff")}},
		{name: "#2 a SuperAdmin's role is optional (with one)", extra: []any{et.MakeMember(acme, "sarole").SuperAdmin().Role("staff")}},
		{name: "#2 an Admin and a Developer without a role", extra: []any{et.MakeMember(acme, "adm").Admin(), et.MakeMember(acme, "dev").Developer()}},
		{name: "#3 a valid e-mail with plus and subdomain", extra: []any{et.MakeMember(acme, "plus").Role("staff").Email("first.last+crm@mail.acme.example")}},
		{name: "#3 one e-mail in two different tenants", extra: []any{et.MakeMember("globex", "carol").Email(e("carol")).Role("ceo")}},
		{name: "#4 a Role reporting to an existing role", extra: []any{et.MakeRole(acme, "orphan").ReportsTo("staff"), et.MakeRole(acme, "deep").ReportsTo("orphan")}},
		{name: "#4 a Role reporting to ceo explicitly", extra: []any{et.MakeRole(acme, "top").ReportsTo("ceo")}},
		{name: "#5/17 a Member naming the built-in partner-admin set", extra: []any{et.MakeMember(acme, "pam").Role("staff").Sets("partner-admin")}},
		{name: "#5 members of the built-in ceo role", extra: []any{et.MakeMember(acme, "boss").Role("ceo")}},
		{name: "#6 exactly spec.limits.roles custom Roles (ceo not counted)", extra: []any{et.MakeTenant(acme).RoleLimit(1)}},
		{name: "#7 approver holding users.manage through its own set", extra: []any{partnerPA().ApprovedBy(e("uma"))}},
		{name: "#7 approver e-mail in another case", extra: []any{partnerPA().ApprovedBy("Carol@Acme.Example")}},
		{name: "findings.md expiresAt in the future", extra: []any{partnerPA().ExpiresAt("2027-03-31T00:00:00Z")}},
		{name: "findings.md partner tier Provider", extra: []any{et.MakeTenant(agency).Partner(accessv1.TierProvider)}},
		{name: "#9 self-migration leaving another active SuperAdmin", extra: []any{et.MakeMember(acme, "cleo").Role("staff")}},
		{name: "#9 self-migration: e-mails compared case-insensitively", extra: []any{et.MakeMember(acme, "bob").Email("Bob@Agency-X.Example").Role("staff")}},
		{name: "#10 delegation within the granting admin's permissions (billing via bob)", extra: []any{frankWith(entry(acme, a("bob"), "money"))}},
		{name: "#10 two entries from two admins", extra: []any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("bob"), "deals-viewer"))}},
		{name: "#11 a partner set holding payments.instruments but used as no template", extra: []any{et.MakePermissionSet(agency, "danger").Caps("payments.instruments")}},
		{name: "#11 a client set holding payments.instruments used by a Member", extra: []any{et.MakePermissionSet(acme, "pay").Caps("payments.instruments"), et.MakeMember(acme, "stan").Role("staff").Sets("pay")}},
		{name: "#12 Department mode with an explicit departmentDefault", extra: []any{et.MakePolicy(acme).Mode(accessv1.ModeDepartment).DeptDefault(None)}},
		{name: "#12 Department mode with rules and no departmentDefault", extra: []any{et.MakePolicy(acme).Mode(accessv1.ModeDepartment).
			DeptRule(types("deals"), et.RoleSubject("staff"), et.RoleSubject("ceo"), R)}},
		{name: "#13 the policy named default", extra: []any{et.MakePolicy(acme).Mode(accessv1.ModePermissionGroup)}},
		{name: "#14 two Tenants in two namespaces", extra: []any{
			et.MakeTenant("alpha").Namespace("shared"), et.MakeTenant("beta").Namespace("other"),
			et.MakeMember("shared", "root").SuperAdmin(), et.MakeMember("other", "root").SuperAdmin(),
		}},
		{
			name: "#15 a Tenant claiming a namespace other than its name",
			extra: []any{
				et.MakeTenant("delta").Namespace("delta-ns"),
				et.MakeMember("delta-ns", "root").SuperAdmin(),
			},
			then: []decision{capAllow("the tenant's members are found by tenant name", et.Email("delta-ns", "root"), "users.manage").in("delta")},
		},
		{name: "scenario role-hierarchy validates", world: northwindWorld()},
		{name: "scenario permission-group validates", world: meishiWorld()},
		{name: "scenario department validates", world: kaishaWorld()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.world
			if w == nil {
				w = partnerWorld()
			}
			res := et.Compute(w, c.extra)
			if len(res.Findings) != 0 {
				t.Errorf("want no findings, got:\n%s", et.DescribeFindings(res))
			}
			if len(res.EffectivePermissions) == 0 {
				t.Errorf("no EffectivePermissions computed")
			}
			for _, row := range c.then {
				t.Run(row.name, func(t *testing.T) { decide(t, res, row) })
			}
		})
	}
}

// TestInvalidScenarios replays ../shared/scenarios/invalid-*: the finding
// each must produce, with the word `accessctl validate` must print.
func TestInvalidScenarios(t *testing.T) {
	cases := []struct {
		name  string
		world []any
		want  []et.FindingKey
		words []string
	}{
		{
			name: "invalid-members: Admin with a role, Standard without, no SuperAdmin",
			world: []any{
				et.MakeTenant("rolesco"),
				et.MakeMember("rolesco", "adminwithrole").Email("a@rolesco.example").Admin().Role("ceo"),
				et.MakeMember("rolesco", "norole").Email("n@rolesco.example").Standard(),
			},
			want: []et.FindingKey{
				fk("Member", "rolesco", "adminwithrole", "spec.role", accessv1.ReasonRoleForbidden, refused),
				fk("Member", "rolesco", "norole", "spec.role", accessv1.ReasonRoleRequired, refused),
				fk("Tenant", "", "rolesco", "spec", accessv1.ReasonNoSuperAdmin, reported),
			},
		},
		{
			name: "invalid-role-cycle: east and west",
			world: []any{
				et.MakeTenant("loopco"),
				et.MakeMember("loopco", "root").SuperAdmin(),
				et.MakeRole("loopco", "east").ReportsTo("west"),
				et.MakeRole("loopco", "west").ReportsTo("east"),
			},
			want: []et.FindingKey{
				fk("Role", "loopco", "east", "spec.reportsTo", accessv1.ReasonRoleCycle, refused),
				fk("Role", "loopco", "west", "spec.reportsTo", accessv1.ReasonRoleCycle, refused),
			},
			words: []string{"cycle"},
		},
		{
			name: "invalid-department-open",
			world: []any{
				et.MakeTenant("opencorp"),
				et.MakeMember("opencorp", "root").SuperAdmin(),
				et.MakePolicy("opencorp").Mode(accessv1.ModeDepartment),
			},
			want:  []et.FindingKey{fk("VisibilityPolicy", "opencorp", "default", "spec.departmentDefault", accessv1.ReasonDepartmentOpen, refused)},
			words: []string{"departmentDefault"},
		},
		{
			name: "invalid-delegation: money template by an admin without billing",
			world: []any{
				et.MakeTenant("agency-y").Partner(accessv1.TierSolutionsPartner),
				et.MakeMember("agency-y", "owner").SuperAdmin(),
				et.MakeMember("agency-y", "dora").Role("ceo").Seat(),
				et.MakeMember("agency-y", "finn").Role("ceo").ClientAccess("initech", et.Email("agency-y", "dora"), "money"),
				et.MakePermissionSet("agency-y", "money").Caps("billing.access", "reports.access"),
				et.MakeTenant("initech"),
				et.MakeMember("initech", "peter").SuperAdmin(),
				et.MakePartnerAccess("initech", "agency-y").Method(accessv1.MethodClientCreated).
					ApprovedBy(et.Email("initech", "peter")).Admin(et.Email("agency-y", "dora")),
			},
			want:  []et.FindingKey{fk("Member", "agency-y", "finn", "spec.clientAccess[0].permissionSets", accessv1.ReasonDelegationExceeded, refused)},
			words: []string{"billing.access"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := et.Compute(c.world)
			for _, want := range c.want {
				f, ok := et.FindFinding(res, want)
				if !ok {
					t.Errorf("missing finding %+v; findings:\n%s", want, et.DescribeFindings(res))
					continue
				}
				checkMessage(t, f, c.words)
			}
		})
	}
}

// TestFindingsSorted: findings are sorted by object (kind, namespace, name),
// then field, then reason (docs/findings.md).
func TestFindingsSorted(t *testing.T) {
	res := et.Compute(partnerWorld(),
		et.MakeMember(acme, "norole"),
		et.MakeMember(acme, "adminwithrole").Admin().Role("staff"),
		et.MakeRole(acme, "east").ReportsTo("west"), et.MakeRole(acme, "west").ReportsTo("east"),
		et.MakeRole(acme, "orphan").ReportsTo("nowhere"),
		et.MakeMember("globex", "hank").SuperAdmin().Inactive(),
		partnerPA().ApprovedBy(e("stan")).Admin("zoe@agency-x.example"),
		frankWith(entry(acme, a("owner"), "campaign-editor"), entry("globex", a("dave"), "nope")),
		et.MakePolicy("orphan-ns"),
		et.MakeEffectivePermission(acme, "rita"),
	)
	if len(res.Findings) < 8 {
		t.Fatalf("expected many findings, got:\n%s", et.DescribeFindings(res))
	}
	less := func(x, y engine.Finding) int {
		for _, p := range [][2]string{
			{x.Object.Kind, y.Object.Kind}, {x.Object.Namespace, y.Object.Namespace}, {x.Object.Name, y.Object.Name},
			{x.Field, y.Field}, {x.Reason, y.Reason},
		} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return 0
	}
	if !slices.IsSortedFunc(res.Findings, less) {
		t.Errorf("findings not sorted by kind, namespace, name, field, reason:\n%s", et.DescribeFindings(res))
	}
}

// TestOldestTenantHoldsNamespace: when two Tenants claim one namespace
// (invariant 14, refused, reported if it slips in), the one created first
// holds it, ties broken by name; the other's finding says which Tenant holds
// the namespace and since when.
func TestOldestTenantHoldsNamespace(t *testing.T) {
	jan := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	jun := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	shared := func(objs ...any) []any {
		return append([]any{et.MakeMember("shared", "root").SuperAdmin()}, objs...)
	}
	cases := []struct {
		name    string
		world   []any
		holder  string
		other   string
		words   []string
		noFinds bool
	}{
		{"the older Tenant holds, though its name sorts last",
			shared(et.CreatedAt(et.MakeTenant("zeta").Namespace("shared"), jan), et.CreatedAt(et.MakeTenant("alpha").Namespace("shared"), jun)),
			"zeta", "alpha", []string{`Tenant "zeta"`, "since 2026-01-02T03:04:05Z", `"shared"`}, false},
		{"the older Tenant holds, its name sorting first",
			shared(et.CreatedAt(et.MakeTenant("alpha").Namespace("shared"), jan), et.CreatedAt(et.MakeTenant("zeta").Namespace("shared"), jun)),
			"alpha", "zeta", []string{`Tenant "alpha"`, "since 2026-01-02T03:04:05Z"}, false},
		{"created in the same second: the first name holds",
			shared(et.CreatedAt(et.MakeTenant("zeta").Namespace("shared"), jan), et.CreatedAt(et.MakeTenant("alpha").Namespace("shared"), jan)),
			"alpha", "zeta", []string{`Tenant "alpha"`, "since 2026-01-02T03:04:05Z"}, false},
		{"no creationTimestamp (offline): the first name holds",
			shared(et.MakeTenant("zeta").Namespace("shared"), et.MakeTenant("alpha").Namespace("shared")),
			"alpha", "zeta", []string{`Tenant "alpha"`, "already holds"}, false},
		{"the older Tenant being deleted holds nothing: the younger holds",
			shared(et.Terminating(et.CreatedAt(et.MakeTenant("zeta").Namespace("shared"), jan)), et.CreatedAt(et.MakeTenant("alpha").Namespace("shared"), jun)),
			"alpha", "zeta", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := et.Compute(c.world)
			if got, _ := res.TenantOfNamespace("shared"); got != c.holder {
				t.Errorf("namespace shared is held by %q, want %q", got, c.holder)
			}
			decide(t, res, capAllow("the holder's members are its members", et.Email("shared", "root"), "users.manage").in(c.holder))
			decide(t, res, capDeny("the other Tenant computes nothing", et.Email("shared", "root"), "users.manage").in(c.other))
			if c.noFinds {
				if len(res.Findings) != 0 {
					t.Errorf("want no findings, got:\n%s", et.DescribeFindings(res))
				}
				return
			}
			f, ok := et.FindFinding(res, fk("Tenant", "", c.other, "spec.namespace", accessv1.ReasonDuplicateTenant, refused))
			if !ok {
				t.Fatalf("no DuplicateTenantNamespace finding on %q:\n%s", c.other, et.DescribeFindings(res))
			}
			checkMessage(t, f, c.words)
			if _, ok := et.FindFinding(res, fk("Tenant", "", c.holder, "spec.namespace", accessv1.ReasonDuplicateTenant, refused)); ok {
				t.Errorf("the holder %q has a DuplicateTenantNamespace finding too", c.holder)
			}
		})
	}
}
