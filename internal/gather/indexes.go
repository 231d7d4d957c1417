package gather

import (
	"context"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Field indexes, so that mapping an event to the tenants it affects reads an
// index instead of listing and filtering.
const (
	// IndexTenantNamespace indexes Tenants by the namespace they claim.
	IndexTenantNamespace = "tenant.namespace"
	// IndexPartner indexes PartnerAccess objects by the partner tenant they name.
	IndexPartner = "spec.partner"
	// IndexClient indexes Members by the client tenants of their clientAccess.
	IndexClient = "spec.clientAccess.tenant"
)

// SetupIndexes registers the field indexes that Gather, the reconcilers and
// the webhooks read. Register them once per manager, before its cache starts.
// It is safe to call more than once with the same indexer (the reconcilers'
// and the webhooks' Setup both do): only the first call registers.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	registered.Lock()
	defer registered.Unlock()
	if registered.done[indexer] {
		return nil
	}
	if err := setupIndexes(ctx, indexer); err != nil {
		return err
	}
	registered.done[indexer] = true
	return nil
}

var registered = struct {
	sync.Mutex
	done map[client.FieldIndexer]bool
}{done: map[client.FieldIndexer]bool{}}

func setupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &accessv1.Tenant{}, IndexTenantNamespace, func(o client.Object) []string {
		return []string{o.(*accessv1.Tenant).NamespaceOrDefault()}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &accessv1.PartnerAccess{}, IndexPartner, func(o client.Object) []string {
		return []string{o.(*accessv1.PartnerAccess).Spec.Partner}
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &accessv1.Member{}, IndexClient, func(o client.Object) []string {
		var out []string
		for _, ca := range o.(*accessv1.Member).Spec.ClientAccess {
			out = append(out, ca.Tenant)
		}
		return out
	})
}
