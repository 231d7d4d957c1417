package gather

import (
	"context"
	"maps"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Gather reads from the cache every object the engine needs to compute the
// tenant of namespace ns: all Tenants; the namespace's own objects; the
// Members and PermissionSets of each partner its PartnerAccess names (their
// staff and templates); and, when it is a partner, the Members,
// PermissionSets and PartnerAccess of each client its staff or its
// PartnerAccess relations name (to judge the staff's client access). The
// built-in ceo Role and partner-admin PermissionSet are left out: the engine
// has its own. The neighbours the objects in also would name are read too
// (admission judges a request with the tenants its new object reaches).
func Gather(ctx context.Context, c client.Reader, ns string, also ...client.Object) (*engine.Snapshot, error) {
	s := &engine.Snapshot{}
	var tenants accessv1.TenantList
	if err := c.List(ctx, &tenants); err != nil {
		return nil, err
	}
	s.Tenants = tenants.Items
	nsOf := map[string]string{}
	var self string
	for _, t := range tenants.Items {
		nsOf[t.Name] = t.NamespaceOrDefault()
		if t.NamespaceOrDefault() == ns {
			self = t.Name
		}
	}
	if err := listInto(ctx, c, ns, s, true); err != nil {
		return nil, err
	}
	related := map[string]bool{}
	pas := s.PartnerAccesses
	members := s.Members
	for _, obj := range also {
		switch o := obj.(type) {
		case *accessv1.PartnerAccess:
			pas = append(slices.Clip(pas), *o)
		case *accessv1.Member:
			members = append(slices.Clip(members), o)
		}
	}
	for _, pa := range pas {
		if pns, ok := nsOf[pa.Spec.Partner]; ok && pns != ns {
			related[pns] = true
		}
	}
	if self != "" {
		// Clients of this tenant as a partner: PartnerAccess naming it, and
		// the clients its staff's clientAccess names.
		var pas accessv1.PartnerAccessList
		if err := c.List(ctx, &pas, client.MatchingFields{IndexPartner: self}); err != nil {
			return nil, err
		}
		for _, pa := range pas.Items {
			related[pa.Namespace] = true
		}
		for _, m := range members {
			for _, ca := range m.Spec.ClientAccess {
				if cns, ok := nsOf[ca.Tenant]; ok {
					related[cns] = true
				}
			}
		}
	}
	delete(related, ns)
	for _, rns := range slices.Sorted(maps.Keys(related)) {
		if err := listInto(ctx, c, rns, s, false); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Namespace adds namespace ns's input objects to s as Gather reads a
// tenant's own (the built-in ceo Role and partner-admin PermissionSet left
// to the engine), through a reader that needs no field index (a client of
// the API server).
func Namespace(ctx context.Context, c client.Reader, ns string, s *engine.Snapshot) error {
	return listInto(ctx, c, ns, s, true)
}

// listInto adds a namespace's objects: everything when all is set, else the
// Members, PermissionSets and PartnerAccess a neighbour's computation reads.
func listInto(ctx context.Context, c client.Reader, ns string, s *engine.Snapshot, all bool) error {
	in := client.InNamespace(ns)
	members, err := listMembers(ctx, c, ns)
	if err != nil {
		return err
	}
	var sets accessv1.PermissionSetList
	var pas accessv1.PartnerAccessList
	if err := c.List(ctx, &sets, in); err != nil {
		return err
	}
	if err := c.List(ctx, &pas, in); err != nil {
		return err
	}
	// A tenant's own Members come first: taken as listed, not copied again
	// (10,000 of them in a big tenant); a neighbour's are added after.
	if s.Members == nil {
		s.Members = members
	} else {
		s.Members = append(s.Members, members...)
	}
	s.PartnerAccesses = append(s.PartnerAccesses, pas.Items...)
	for _, ps := range sets.Items {
		if !engine.IsBuiltin(&ps) {
			s.PermissionSets = append(s.PermissionSets, ps)
		}
	}
	if !all {
		return nil
	}
	var roles accessv1.RoleList
	var policies accessv1.VisibilityPolicyList
	if err := c.List(ctx, &roles, in); err != nil {
		return err
	}
	if err := c.List(ctx, &policies, in); err != nil {
		return err
	}
	for _, r := range roles.Items {
		if !engine.IsBuiltin(&r) {
			s.Roles = append(s.Roles, r)
		}
	}
	s.VisibilityPolicies = policies.Items
	return nil
}

// MemberLister is a reader that gives a namespace's Members as the objects
// it holds, without copying them: the controller's cache, whose store
// holds a big tenant's 10,000 Members (copying each into a list was most
// of a pass's gather). What it gives must not be changed.
type MemberLister interface {
	ListMembers(ctx context.Context, ns string) ([]*accessv1.Member, error)
}

// listMembers lists namespace ns's Members: as c holds them when it is a
// MemberLister, else through List.
func listMembers(ctx context.Context, c client.Reader, ns string) ([]*accessv1.Member, error) {
	if ml, ok := c.(MemberLister); ok {
		return ml.ListMembers(ctx, ns)
	}
	var l accessv1.MemberList
	if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return engine.Pointers(l.Items), nil
}
