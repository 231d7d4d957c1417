package controllers

import (
	"context"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

// A shard is the set of tenants one manager converges, chosen by a label
// selector on Tenant objects (cmd/manager's --watch-label-selector), the way
// Flux shards its controllers: a large fleet runs several managers, each
// with its own selector and its own leader election, and every tenant
// matched by exactly one. A manager reads every tenant (a client's
// PartnerAccess names partner tenants in other shards) but writes only in
// its own: EffectivePermissions and statuses in the namespaces of its
// tenants, built-in Roles and PermissionSets for its tenants. The webhooks
// judge every tenant whatever the shard. docs/controller.md, "Sharding".

// inShard says whether the manager converges namespace ns: every manager
// when it has no selector; otherwise when the namespace's Tenant (the first
// by name of those claiming it, a conflict being reported on them) carries
// matching labels. A namespace no Tenant claims reads as a Tenant with no
// labels, so the shard whose selector matches no labels ("!shard", as
// Flux's main controller) converges it.
func inShard(ctx context.Context, c client.Reader, shard labels.Selector, ns string) (bool, error) {
	if shard == nil || shard.Empty() {
		return true, nil
	}
	var tenants accessv1.TenantList
	if err := c.List(ctx, &tenants, client.MatchingFields{gather.IndexTenantNamespace: ns}); err != nil {
		return false, err
	}
	if len(tenants.Items) == 0 {
		return shard.Matches(labels.Set(nil)), nil
	}
	first := slices.MinFunc(tenants.Items, func(a, b accessv1.Tenant) int { return strings.Compare(a.Name, b.Name) })
	return tenantInShard(shard, &first), nil
}

// tenantInShard says whether the manager converges tenant t's built-ins.
func tenantInShard(shard labels.Selector, t *accessv1.Tenant) bool {
	return shard == nil || shard.Empty() || shard.Matches(labels.Set(t.Labels))
}
