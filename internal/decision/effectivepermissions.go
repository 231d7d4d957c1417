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
// dropped. The EffectivePermissions of one tenant are compiled by one
// check.Compiler, prepared with the tenant's EffectivePermissions in the
// cache when the first of them is compiled: they share role ids, entries and
// reasons, in a twentieth of the memory (docs/performance.md).
type compiled struct {
	mu sync.RWMutex
	m  map[types.NamespacedName]compiledEP
	// tenants holds each tenant's Compiler while m holds any of its
	// EffectivePermissions.
	tenants map[string]*tenantCompiler
	// specs lists a tenant's EffectivePermissions in the cache, to prepare
	// its Compiler; nil prepares none (the Compiler learns the names as
	// they come).
	specs func(tenant string) []*accessv1.EffectivePermissionSpec
}

type compiledEP struct {
	rv     string
	tenant string
	p      *check.Permissions
}

// tenantCompiler is a tenant's Compiler and how many entries of m are its.
type tenantCompiler struct {
	c *check.Compiler
	n int
}

func newCompiled() compiled {
	return compiled{m: map[types.NamespacedName]compiledEP{}, tenants: map[string]*tenantCompiler{}}
}

// get is ep compiled. One without a resourceVersion (never from the API
// server) is compiled afresh each time, on its own.
func (c *compiled) get(ep *accessv1.EffectivePermission) *check.Permissions {
	if ep.ResourceVersion == "" {
		return check.Compile(&ep.Spec)
	}
	k := types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}
	c.mu.RLock()
	e, ok := c.m[k]
	tc := c.tenants[ep.Spec.Tenant]
	c.mu.RUnlock()
	if ok && e.rv == ep.ResourceVersion {
		return e.p
	}
	if tc == nil {
		tc = c.compiler(ep.Spec.Tenant)
	}
	p := tc.c.Compile(&ep.Spec)
	c.mu.Lock()
	if old, had := c.m[k]; had {
		c.release(old.tenant)
	}
	c.m[k] = compiledEP{rv: ep.ResourceVersion, tenant: ep.Spec.Tenant, p: p}
	c.hold(ep.Spec.Tenant, tc)
	c.mu.Unlock()
	return p
}

// compiler returns tenant's Compiler, prepared with its EffectivePermissions
// (outside the lock: listing them takes a moment) when it has none yet.
func (c *compiled) compiler(tenant string) *tenantCompiler {
	var specs []*accessv1.EffectivePermissionSpec
	if c.specs != nil {
		specs = c.specs(tenant)
	}
	fresh := &tenantCompiler{c: check.NewCompiler(specs...)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tc := c.tenants[tenant]; tc != nil {
		return tc
	}
	c.tenants[tenant] = fresh
	return fresh
}

// hold counts an entry of m for tenant, whose Compiler is tc (c.mu held).
func (c *compiled) hold(tenant string, tc *tenantCompiler) {
	if cur := c.tenants[tenant]; cur != nil {
		tc = cur
	}
	tc.n++
	c.tenants[tenant] = tc
}

// release uncounts an entry of m for tenant, and drops its Compiler when
// it was the last (c.mu held).
func (c *compiled) release(tenant string) {
	if tc := c.tenants[tenant]; tc != nil {
		if tc.n--; tc.n <= 0 {
			delete(c.tenants, tenant)
		}
	}
}

func (c *compiled) forget(ep *accessv1.EffectivePermission) {
	k := types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}
	c.mu.Lock()
	if old, had := c.m[k]; had {
		delete(c.m, k)
		c.release(old.tenant)
	}
	c.mu.Unlock()
}

func (c *compiled) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// tenantSpecs are the specs of tenant's EffectivePermissions in the cache,
// nil when they cannot be listed.
func (s *Server) tenantSpecs(tenant string) []*accessv1.EffectivePermissionSpec {
	eps, err := s.tenantEPs(context.Background(), tenant)
	if err != nil {
		return nil
	}
	specs := make([]*accessv1.EffectivePermissionSpec, len(eps))
	for i, ep := range eps {
		specs[i] = &ep.Spec
	}
	return specs
}
