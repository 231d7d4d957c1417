package engine_test

// Result.Dropped: what an EffectivePermission's status reports as Degraded
// (api.md: "Degraded with the reason when inputs were dropped").

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// drop is one expected dropped finding: the object, field and reason.
type drop struct{ Object, Field, Reason string }

func dropsOf(fs []engine.Finding) []drop {
	var out []drop
	for _, f := range fs {
		out = append(out, drop{f.Object.String(), f.Field, f.Reason})
	}
	return out
}

func TestDropped(t *testing.T) {
	const frankInAcme = "agency-x.frank"
	ok := partnerPA()
	for _, tc := range []struct {
		name      string
		overrides []any
		ep        string // EffectivePermission name in acme, or "tenant/name"
		want      []drop
	}{
		{"a member naming a missing PermissionSet",
			[]any{et.MakeMember(acme, "stan").Role("staff").Sets("user-admin", "ghost")}, "stan",
			[]drop{{"Member acme/stan", "spec.permissionSets[1]", accessv1.ReasonPermissionSetNotFound}}},
		{"a member naming a missing Role",
			[]any{et.MakeMember(acme, "stan").Role("nope")}, "stan",
			[]drop{{"Member acme/stan", "spec.role", accessv1.ReasonRoleNotFound}}},
		{"staff whose template is missing in the partner tenant",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor", "ghost"))}, frankInAcme,
			[]drop{{"Member agency-x/frank", "spec.clientAccess[0].permissionSets[1]", accessv1.ReasonPermissionSetNotFound}}},
		{"staff with a second entry granted by someone who is not a partner admin there",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry(acme, a("owner"), "deals-viewer"))}, frankInAcme,
			[]drop{{"Member agency-x/frank", "spec.clientAccess[1].grantedBy", accessv1.ReasonGranterNotPartnerAdmin}}},
		{"staff granted more than the partner admin holds",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor", "money"))}, frankInAcme,
			[]drop{{"Member agency-x/frank", "spec.clientAccess[0].permissionSets", accessv1.ReasonDelegationExceeded}}},
		{"staff whose template holds never-granted capabilities",
			[]any{frankWith(entry(acme, a("dave"), "danger"))}, frankInAcme,
			[]drop{{"PermissionSet agency-x/danger", "spec.capabilities", accessv1.ReasonNeverGranted}}},
		{"the never-granted finding, reported once on the set, reaches every staff using it",
			[]any{frankWith(entry(acme, a("dave"), "danger")),
				et.MakeMember(agency, "erin").Email("erin@freelance.example").Role("ceo").Contractor().Seat().ClientAccess(acme, a("bob"), "danger")},
			"agency-x.erin",
			[]drop{{"PermissionSet agency-x/danger", "spec.capabilities", accessv1.ReasonNeverGranted}}},
		{"staff who is also named in an invalid partner admin entry",
			[]any{ok.Admin(a("frank"))}, frankInAcme,
			[]drop{{"PartnerAccess acme/agency-x", "spec.partnerAdmins[2].email", accessv1.ReasonPartnerAdminInvalid}}},
		{"a migration from a member that does not exist, on the migrating member's own EP",
			[]any{et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave")).MigratedAdmin(a("bob"), "ghost", true)}, "bob",
			[]drop{{"PartnerAccess acme/agency-x", "spec.partnerAdmins[1].migratedFrom", accessv1.ReasonMigrationInvalid}}},
		{"a migration of someone else, on the EP of the entry's person",
			[]any{et.MakePartnerAccess(acme, agency).ApprovedBy(e("carol")).Admin(a("dave")).MigratedAdmin(a("bob"), "carol", true)}, "bob",
			[]drop{{"PartnerAccess acme/agency-x", "spec.partnerAdmins[1].migratedFrom", accessv1.ReasonMigrationInvalid}}},
		{"staff with an entry for a client that declared the partner but whose access is not active",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry("globex", a("dave"), "deals-viewer")),
				et.MakeMember("globex", "frank").Email(a("frank")).Role("ceo"),
				et.MakePartnerAccess("globex", agency).ApprovedBy("nobody@globex.example").Admin(a("dave"))},
			"globex/frank",
			[]drop{{"Member agency-x/frank", "spec.clientAccess[1].tenant", accessv1.ReasonNoPartnerAccess}}},
		{"a partner cannot write into the status of a client that never declared it",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry("globex", a("dave"), "deals-viewer", "ghost")),
				et.MakeMember("globex", "frank").Email(a("frank")).Role("ceo")},
			"globex/frank",
			nil},
		{"an entry for another client stays with that client: nothing dropped here",
			[]any{frankWith(entry(acme, a("dave"), "campaign-editor"), entry("globex", a("dave"), "deals-viewer"))}, frankInAcme,
			nil},
		{"a problem of a shared object is reported there only",
			[]any{et.MakePolicy(acme).Share("to-nobody", types("contacts"), et.RoleSubject("ghost"), et.RoleSubject("staff"), R)}, "stan",
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, name, ok := strings.Cut(tc.ep, "/")
			if !ok {
				ns, name = acme, tc.ep
			}
			res := et.Compute(partnerWorld(), tc.overrides)
			if !slices.ContainsFunc(res.EffectivePermissions, func(ep accessv1.EffectivePermission) bool {
				return ep.Namespace == ns && ep.Name == name
			}) {
				t.Fatalf("no EffectivePermission %s/%s:\n%s", ns, name, et.DescribeFindings(res))
			}
			if diff := cmp.Diff(tc.want, dropsOf(res.Dropped(ns, name))); diff != "" {
				t.Errorf("Dropped(%s, %s) (-want +got):\n%s\nall findings:\n%s", ns, name, diff, et.DescribeFindings(res))
			}
		})
	}
}

// In a world with no findings, no EffectivePermission has anything dropped.
func TestDroppedNothingInAValidWorld(t *testing.T) {
	res := et.Compute(partnerWorld())
	if len(res.Findings) != 0 {
		t.Fatalf("partnerWorld has findings:\n%s", et.DescribeFindings(res))
	}
	for _, ep := range res.EffectivePermissions {
		if d := res.Dropped(ep.Namespace, ep.Name); d != nil {
			t.Errorf("%s/%s: dropped %v in a valid world", ep.Namespace, ep.Name, d)
		}
	}
}
