package engine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// partnerAdminCapabilities is what the built-in partner-admin set gives
// (semantics.md §4); billing.access is added per PartnerAccess entry.
var partnerAdminCapabilities = []string{
	"account.settings",
	"multiAccount.manage",
	"partner.staff.manage",
	"payments.links",
	"reports.access",
	"roles.manage",
	"sales.paidFeatures",
	"service.paidFeatures",
	"users.manage",
}

// neverGrantedToPartners are withheld from partner people in a client,
// whatever else they hold there.
var neverGrantedToPartners = []string{"datacenter.migration", "payments.instruments", "scim.provisioning"}

// adminWithheld are the capabilities an Admin does not hold.
var adminWithheld = []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"}

// developerCapabilities are what a Developer holds besides its sets.
var developerCapabilities = []string{"account.settings", "roles.manage"}

const capabilityBilling = "billing.access"

// capabilityUsersManage lets a member approve partner access.
const capabilityUsersManage = "users.manage"

// BuiltinCEORole is the ceo Role the controller keeps in every tenant
// namespace: the root of the role tree.
func BuiltinCEORole(namespace string) *accessv1.Role {
	return &accessv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: accessv1.KindRole},
		ObjectMeta: metav1.ObjectMeta{Name: accessv1.CEORole, Namespace: namespace},
		Spec: accessv1.RoleSpec{
			DisplayName: "CEO",
			Description: "Built-in root of the role tree; its members see every record. Managed by access-controller.",
		},
	}
}

// BuiltinPartnerAdminSet is the partner-admin PermissionSet the controller
// keeps in every tenant namespace: every action on every type, and the
// partner admin capabilities (billing.access is granted per PartnerAccess
// entry, never by the set).
func BuiltinPartnerAdminSet(namespace string) *accessv1.PermissionSet {
	return &accessv1.PermissionSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: accessv1.KindPermissionSet},
		ObjectMeta: metav1.ObjectMeta{Name: accessv1.PartnerAdminPermissionSet, Namespace: namespace},
		Spec: accessv1.PermissionSetSpec{
			Description:  "Built-in partner admin set: elevated access for a partner agency's admins. Managed by access-controller.",
			Objects:      []accessv1.ObjectActions{{Types: []string{accessv1.AllTypes}, Actions: []accessv1.Action{accessv1.ActionModifyAll, accessv1.ActionCreate, accessv1.ActionExport}}},
			Capabilities: append([]string(nil), partnerAdminCapabilities...),
		},
	}
}

// IsBuiltin reports whether obj is one of the built-ins the controller keeps
// in every tenant namespace (the ceo Role, the partner-admin PermissionSet).
// Read from a cluster they are the controller's, not inputs: the engine has
// its own, so readers of a cluster leave them out.
func IsBuiltin(obj any) bool {
	switch o := obj.(type) {
	case *accessv1.Role:
		return o.Name == accessv1.CEORole
	case *accessv1.PermissionSet:
		return o.Name == accessv1.PartnerAdminPermissionSet
	}
	return false
}
