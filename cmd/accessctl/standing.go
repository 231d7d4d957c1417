package main

import (
	"fmt"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
)

// standing explains, for --explain, why a user holds nothing in a tenant:
// every object that names the person there (a Member of the tenant, a
// client's PartnerAccess entry, a partner's Member with clientAccess) and,
// from the engine's findings and client reach, why it grants nothing.
func standing(set *manifest.Set, res *engine.Result, tenant, email string) []string {
	sum, ok := res.Tenant(tenant)
	if !ok {
		return []string{fmt.Sprintf("no Tenant %q computes: it is missing, or its namespace is claimed by another Tenant", tenant)}
	}
	var out []string
	for _, m := range set.Snapshot.Members {
		if !strings.EqualFold(m.Spec.Email, email) {
			continue
		}
		ref := engine.ObjectRef{Kind: "Member", Namespace: m.Namespace, Name: m.Name}
		if m.Namespace == sum.Namespace {
			if !m.IsActive() {
				out = append(out, fmt.Sprintf("%s is deactivated (spec.active: false)", ref))
			}
			for _, f := range res.FindingsFor(ref) {
				out = append(out, f.String())
			}
			continue
		}
		for _, c := range res.Clients(m.Namespace, m.Name) {
			if c.Tenant == tenant && c.As == "" {
				out = append(out, fmt.Sprintf("%s: %s", ref, c.Reason))
			}
		}
	}
	for i := range set.Snapshot.PartnerAccesses {
		pa := &set.Snapshot.PartnerAccesses[i]
		if pa.Namespace != sum.Namespace || !namesAdmin(pa, email) {
			continue
		}
		ref := engine.ObjectRef{Kind: "PartnerAccess", Namespace: pa.Namespace, Name: pa.Name}
		if phase := res.PartnerAccess(pa.Namespace, pa.Name).Phase; phase != accessv1.PhaseActive {
			out = append(out, fmt.Sprintf("%s names the user as partner admin but is %s", ref, phase))
		}
		for _, f := range res.FindingsFor(ref) {
			out = append(out, f.String())
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("%s is no member of tenant %s, and no partner agency gives them access there", email, tenant))
	}
	return out
}

func namesAdmin(pa *accessv1.PartnerAccess, email string) bool {
	for _, e := range pa.Spec.PartnerAdmins {
		if strings.EqualFold(e.Email, email) {
			return true
		}
	}
	return false
}
