package decision

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/gather"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Field indexes of the EffectivePermissions in the cache.
const (
	// IndexTenant indexes EffectivePermissions by spec.tenant.
	IndexTenant = "spec.tenant"
	// IndexTenantUser indexes them by spec.tenant, a slash and the
	// lowercase spec.user (tenant names hold no slash).
	IndexTenantUser = "spec.tenant+user"
)

func tenantUser(tenant, user string) string { return tenant + "/" + strings.ToLower(user) }

// SetupIndexes registers the field indexes the server reads, its own and
// internal/gather's, before the cache starts.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &accessv1.EffectivePermission{}, IndexTenant, func(o client.Object) []string {
		return []string{o.(*accessv1.EffectivePermission).Spec.Tenant}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &accessv1.EffectivePermission{}, IndexTenantUser, func(o client.Object) []string {
		ep := o.(*accessv1.EffectivePermission)
		return []string{tenantUser(ep.Spec.Tenant, ep.Spec.User)}
	}); err != nil {
		return err
	}
	return gather.SetupIndexes(ctx, indexer)
}

// userEP is the EffectivePermission of user (any case) in tenant, nil when
// there is none: the first by namespace and name, as accessctl finds it.
func (s *Server) userEP(ctx context.Context, tenant, user string) (*accessv1.EffectivePermission, error) {
	eps, err := s.listEPs(ctx, client.MatchingFields{IndexTenantUser: tenantUser(tenant, user)})
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	return eps[0], nil
}

// tenantEPs are the EffectivePermissions of tenant's users, sorted by
// namespace and name, as accessctl's who-can lists them.
func (s *Server) tenantEPs(ctx context.Context, tenant string) ([]*accessv1.EffectivePermission, error) {
	return s.listEPs(ctx, client.MatchingFields{IndexTenant: tenant})
}

func (s *Server) listEPs(ctx context.Context, sel client.MatchingFields) ([]*accessv1.EffectivePermission, error) {
	var l accessv1.EffectivePermissionList
	// The objects are only read, never changed: the cache need not copy
	// them (a tenant's who-can reads all its users').
	if err := s.reader.List(ctx, &l, sel, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	out := make([]*accessv1.EffectivePermission, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	sortEPs(out)
	return out, nil
}

// sortEPs sorts by namespace and name, as accessctl reads them.
func sortEPs(eps []*accessv1.EffectivePermission) {
	slices.SortFunc(eps, func(a, b *accessv1.EffectivePermission) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}

// compiled caches each EffectivePermission compiled (pkg/check), per
// resourceVersion: a new version is compiled on first use, a deleted one
// dropped.
type compiled struct {
	mu sync.RWMutex
	m  map[types.NamespacedName]compiledEP
}

type compiledEP struct {
	rv string
	p  *check.Permissions
}

// get is ep compiled. One without a resourceVersion (never from the API
// server) is compiled afresh each time.
func (c *compiled) get(ep *accessv1.EffectivePermission) *check.Permissions {
	if ep.ResourceVersion == "" {
		return check.Compile(&ep.Spec)
	}
	k := types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && e.rv == ep.ResourceVersion {
		return e.p
	}
	p := check.Compile(&ep.Spec)
	c.mu.Lock()
	c.m[k] = compiledEP{rv: ep.ResourceVersion, p: p}
	c.mu.Unlock()
	return p
}

func (c *compiled) forget(ep *accessv1.EffectivePermission) {
	c.mu.Lock()
	delete(c.m, types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name})
	c.mu.Unlock()
}

func (c *compiled) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
