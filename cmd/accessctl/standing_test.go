package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainStanding: check --explain says why a user holds nothing in a
// tenant: the objects that name the person and why each grants nothing.
func TestExplainStanding(t *testing.T) {
	partners := filepath.Join(scenariosDir, "partners")
	agency := filepath.Join(partners, "agency.yaml")
	expired := agency + "," + filepath.Join("testdata", "diff", "partneraccess-expired")
	approver := agency + "," + filepath.Join("testdata", "explain", "approver-not-authorized")
	hierarchy := filepath.Join(scenariosDir, "role-hierarchy")
	for _, tc := range []struct {
		name, files, tenant, user string
		want                      []string
	}{
		{"partner admin, PartnerAccess expired", expired, "acme", "dave@agency-x.example", []string{
			"no EffectivePermission for dave@agency-x.example in tenant acme",
			`Member agency-x/dave: partner admin in PartnerAccess "agency-x", which is Expired`,
			`PartnerAccess acme/agency-x: spec.expiresAt: PartnerAccess "agency-x" expired at 2026-05-01T00:00:00Z`,
		}},
		{"partner staff, PartnerAccess expired", expired, "acme", "frank@agency-x.example", []string{
			"Member agency-x/frank: no active PartnerAccess for agency-x there",
		}},
		{"approver not authorized", approver, "acme", "dave@agency-x.example", []string{
			"PartnerAccess acme/agency-x names the user as partner admin but is Invalid",
			"spec.approvedBy: PartnerAccess \"agency-x\" was approved by rita@acme.example, who is not an active SuperAdmin",
		}},
		{"deactivated member", hierarchy, "northwind", "olaf@northwind.example", []string{
			"inactive: olaf@northwind.example holds nothing in tenant northwind",
			"Member northwind/olaf is deactivated (spec.active: false)",
		}},
		{"a stranger", hierarchy, "northwind", "nobody@northwind.example", []string{
			"nobody@northwind.example is no member of tenant northwind, and no partner agency gives them access there",
		}},
		{"an unknown tenant", hierarchy, "nope", "jim@northwind.example", []string{
			`no Tenant "nope" computes`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := accessctl(t, nil, "check", "-f", tc.files, "--now", testNow, "--tenant", tc.tenant, "--user", tc.user,
				"--action", "view", "--type", "deals", "--explain")
			if r.code != exitNo {
				t.Fatalf("exit %d, want %d: %s%s", r.code, exitNo, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("--explain lacks %q:\n%s", w, r.stdout)
				}
			}
			if plain := accessctl(t, nil, "check", "-f", tc.files, "--now", testNow, "--tenant", tc.tenant, "--user", tc.user,
				"--action", "view", "--type", "deals"); plain.stdout != "denied\n" {
				t.Errorf("without --explain: %q", plain.stdout)
			}
		})
	}
}
