package gather

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Live is Gather for a judgement that must see what the API server holds
// now: the objects of namespace ns — every kind the engine reads there —
// and the Tenants that claim it are read from live (the API server, a
// quorum read), everything else (neighbour tenants, other Tenants) from
// cache. With allTenants, every Tenant is read live (a request on a Tenant
// is judged against every claim of its namespace).
func Live(ctx context.Context, cache, live client.Reader, ns string, allTenants bool, also ...client.Object) (*engine.Snapshot, error) {
	s, err := Gather(ctx, split{cache: cache, live: live, ns: ns, tenants: allTenants}, ns, also...)
	if err != nil || allTenants {
		return s, err
	}
	// The cache's Tenants that claim ns, read again: their limits and their
	// deletion are part of the judgement.
	tenants := s.Tenants[:0:0]
	for _, t := range s.Tenants {
		if t.NamespaceOrDefault() == ns {
			var fresh accessv1.Tenant
			err := live.Get(ctx, client.ObjectKeyFromObject(&t), &fresh)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			t = fresh
		}
		tenants = append(tenants, t)
	}
	s.Tenants = slices.Clip(tenants)
	return s, nil
}

// split lists namespace ns (and, with tenants, the Tenants) from live and
// everything else from cache. A list by field selector always goes to the
// cache, which holds the indexes.
type split struct {
	cache, live client.Reader
	ns          string
	tenants     bool
}

func (s split) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return s.cache.Get(ctx, key, obj, opts...)
}

func (s split) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	var o client.ListOptions
	o.ApplyOptions(opts)
	_, isTenants := list.(*accessv1.TenantList)
	if o.FieldSelector == nil && ((o.Namespace == s.ns && s.ns != "" && !isTenants) || (isTenants && s.tenants)) {
		return s.live.List(ctx, list, opts...)
	}
	return s.cache.List(ctx, list, opts...)
}
