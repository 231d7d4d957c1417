package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Field indexes, so that mapping an event to the tenants it affects reads an
// index instead of listing and filtering.
const (
	// indexTenantNamespace indexes Tenants by the namespace they claim.
	indexTenantNamespace = "tenant.namespace"
	// indexPartner indexes PartnerAccess objects by the partner tenant they name.
	indexPartner = "spec.partner"
	// indexClient indexes Members by the client tenants of their clientAccess.
	indexClient = "spec.clientAccess.tenant"
)

// SetupIndexes registers the field indexes the reconcilers use.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &accessv1.Tenant{}, indexTenantNamespace, func(o client.Object) []string {
		return []string{o.(*accessv1.Tenant).NamespaceOrDefault()}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &accessv1.PartnerAccess{}, indexPartner, func(o client.Object) []string {
		return []string{o.(*accessv1.PartnerAccess).Spec.Partner}
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &accessv1.Member{}, indexClient, func(o client.Object) []string {
		var out []string
		for _, ca := range o.(*accessv1.Member).Spec.ClientAccess {
			out = append(out, ca.Tenant)
		}
		return out
	})
}
