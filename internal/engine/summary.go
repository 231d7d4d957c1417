package engine

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// TenantSummary is what a Tenant's status reports.
type TenantSummary struct {
	Namespace         string
	Members           int32
	ActiveSuperAdmins int32
	Roles             int32
	PartnerAccess     []string // partners with active access here, sorted
	Clients           []string // on a partner: clients where it has active access, sorted
}

// RoleSummary is what a Role's status reports.
type RoleSummary struct {
	// InTree is false for a role whose chain of parents does not reach ceo
	// (a missing parent, a cycle): it has no depth.
	InTree           bool
	Depth            int32
	Members          int32
	SubordinateRoles int32
}

// PartnerAccessSummary is what a PartnerAccess's status reports.
type PartnerAccessSummary struct {
	Phase         accessv1.PartnerAccessPhase
	PartnerAdmins []string // valid entries' e-mails, sorted
	Staff         int32
}

// summaries are filled by Compute.
type summaries struct {
	tenants  map[string]TenantSummary  // by Tenant name
	roles    map[ObjectRef]RoleSummary // Role refs
	setUsers map[ObjectRef]int32       // PermissionSet refs → Members and staff entries using it
	access   map[ObjectRef]PartnerAccessSummary
	findings map[ObjectRef][]Finding // by object
	dropped  map[ObjectRef][]Finding // EP ref → what was dropped of its user's entries
	reach    map[ObjectRef][]accessv1.ClientReach
	tenantOf map[string]string // namespace → Tenant name
}

// Tenant returns a tenant's summary, and false when no Tenant of that name
// computes (missing, or its namespace is claimed by another).
func (r *Result) Tenant(name string) (TenantSummary, bool) {
	s, ok := r.sum.tenants[name]
	return s, ok
}

// TenantOfNamespace returns the name of the Tenant claiming namespace ns.
func (r *Result) TenantOfNamespace(ns string) (string, bool) {
	t, ok := r.sum.tenantOf[ns]
	return t, ok
}

// PermissionSetUsers returns how many use a PermissionSet (the built-in
// partner-admin included): the tenant's Members naming it in
// spec.permissionSets, its partner staff's clientAccess entries naming it
// as a template, and, for partner-admin, the partner admins holding it here.
func (r *Result) PermissionSetUsers(namespace, name string) int32 {
	return r.sum.setUsers[refOf(accessv1.KindPermissionSet, namespace, name)]
}

// Role returns a Role's summary (the built-in ceo included), and false when
// the engine computed none (no Tenant claims the namespace).
func (r *Result) Role(namespace, name string) (RoleSummary, bool) {
	s, ok := r.sum.roles[refOf(accessv1.KindRole, namespace, name)]
	return s, ok
}

// PartnerAccess returns a PartnerAccess's summary.
func (r *Result) PartnerAccess(namespace, name string) PartnerAccessSummary {
	return r.sum.access[refOf(accessv1.KindPartnerAccess, namespace, name)]
}

// Clients returns, for a partner tenant's Member, every client it reaches
// (as partner admin or staff) or tries to through clientAccess, and why not,
// sorted by client tenant.
func (r *Result) Clients(namespace, name string) []accessv1.ClientReach {
	return r.sum.reach[refOf(accessv1.KindMember, namespace, name)]
}

// FindingsFor returns the findings about one object, sorted.
func (r *Result) FindingsFor(ref ObjectRef) []Finding { return r.sum.findings[ref] }

// Sources returns the input objects an EffectivePermission is computed from:
// the Member of that e-mail in the tenant, and the PartnerAccess objects its
// partner grants come from. The controller makes them its owners.
func (r *Result) Sources(namespace, name string) []ObjectRef {
	if i, ok := r.indexOf(namespace, name); ok && i < len(r.people) { // a Result not made by Compute has none
		return r.people[i].sources
	}
	return nil
}

// SourcesAt is Sources of EffectivePermissions[i], with each one's UID as
// the snapshot had it ("" for objects read offline).
func (r *Result) SourcesAt(i int) ([]ObjectRef, []types.UID) {
	return r.people[i].sources, r.people[i].uids
}

// indexOf finds the EffectivePermission namespace/name in
// EffectivePermissions (sorted by namespace and name).
func (r *Result) indexOf(namespace, name string) (int, bool) {
	return slices.BinarySearchFunc(r.EffectivePermissions, [2]string{namespace, name}, func(ep accessv1.EffectivePermission, k [2]string) int {
		if c := strings.Compare(ep.Namespace, k[0]); c != 0 {
			return c
		}
		return strings.Compare(ep.Name, k[1])
	})
}

// Dropped returns the findings that dropped part of what an
// EffectivePermission's user would hold in its tenant through their own
// entries: their Member's missing role or PermissionSets, their partner
// admin entry in a PartnerAccess, their clientAccess entries and the
// capabilities stripped from their templates. Sorted; nil when nothing was.
// Problems of shared objects (a sharing rule naming a missing role) are
// reported on those objects only.
func (r *Result) Dropped(namespace, name string) []Finding {
	return r.sum.dropped[refOf(accessv1.KindEffectivePermission, namespace, name)]
}

// summarize fills the summaries once everything is computed.
func (w *world) summarize(res *Result) {
	s := &res.sum
	s.tenants, s.roles, s.access = map[string]TenantSummary{}, map[ObjectRef]RoleSummary{}, map[ObjectRef]PartnerAccessSummary{}
	s.findings, s.tenantOf, s.setUsers = map[ObjectRef][]Finding{}, map[string]string{}, map[ObjectRef]int32{}
	for _, f := range res.Findings {
		s.findings[f.Object] = append(s.findings[f.Object], f)
	}
	s.dropped = map[ObjectRef][]Finding{}
	for k, fs := range w.dropped {
		if ep := res.Lookup(k.tenant, k.email); ep != nil {
			ref := refOf(accessv1.KindEffectivePermission, ep.Namespace, ep.Name)
			s.dropped[ref] = append(s.dropped[ref], fs...)
		}
	}
	for ref, fs := range s.dropped {
		s.dropped[ref] = slices.Compact(findings(fs).sorted())
	}
	s.reach = map[ObjectRef][]accessv1.ClientReach{}
	for ref, rs := range w.reach {
		slices.SortFunc(rs, func(a, b accessv1.ClientReach) int {
			return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.As, b.As), cmp.Compare(a.Reason, b.Reason))
		})
		s.reach[ref] = slices.Compact(rs)
	}
	clients := map[string][]string{}
	for _, t := range w.tenants {
		s.tenantOf[t.ns] = t.name
		for _, p := range slices.Sorted(maps.Keys(t.activePartners)) {
			clients[p] = append(clients[p], t.name)
		}
	}
	for _, t := range w.tenants {
		sum := TenantSummary{Namespace: t.ns, Members: int32(len(t.members)), Roles: int32(len(t.roles.nodes) - 1),
			PartnerAccess: slices.Sorted(maps.Keys(t.activePartners)), Clients: clients[t.name]}
		for _, node := range t.roles.nodes {
			node.members = 0
		}
		for _, m := range t.members {
			if m.isActiveSuperAdmin() {
				sum.ActiveSuperAdmins++
			}
			if m.node != nil { // m.role names it
				m.node.members++
			}
		}
		s.tenants[t.name] = sum
		// Each Member, and each clientAccess entry, counts once for each
		// set it names, however often it names it (countSetUsers, as the
		// Members are validated).
		for name, n := range t.setUsers {
			s.setUsers[refOf(accessv1.KindPermissionSet, t.ns, name)] += n
		}
		if n := len(t.admins); n > 0 {
			s.setUsers[refOf(accessv1.KindPermissionSet, t.ns, accessv1.PartnerAdminPermissionSet)] += int32(n)
		}
		counts := map[string]int32{}
		for name, node := range t.roles.nodes {
			s.roles[refOf(accessv1.KindRole, t.ns, name)] = RoleSummary{InTree: node.inTree, Depth: node.depth, Members: node.members,
				SubordinateRoles: t.roles.descendants(name, counts)}
		}
		staff := map[string]int32{}
		for _, pp := range t.partnerParts {
			if !pp.admin {
				for _, p := range pp.partners {
					staff[p]++
				}
			}
		}
		for _, pa := range t.pas {
			sum := PartnerAccessSummary{Phase: t.paPhase[pa.Name]}
			if sum.Phase == accessv1.PhaseActive {
				for _, key := range slices.Sorted(maps.Keys(t.admins)) {
					if g := t.admins[key]; g.partner == pa.Spec.Partner && slices.Contains(g.pas, pa.Name) {
						sum.PartnerAdmins = append(sum.PartnerAdmins, g.member.email)
					}
				}
				sum.Staff = staff[pa.Spec.Partner]
			}
			s.access[refOf(accessv1.KindPartnerAccess, t.ns, pa.Name)] = sum
		}
	}
}
