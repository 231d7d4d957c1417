/*
Copyright 2026 The access-controller Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// PartnerTier is a partner agency's program tier.
// +kubebuilder:validation:Enum=SolutionsPartner;Provider
type PartnerTier string

// The partner tiers.
const (
	TierSolutionsPartner PartnerTier = "SolutionsPartner"
	TierProvider         PartnerTier = "Provider"
)

// TenantSpec declares one client account, or a partner agency's own account.
type TenantSpec struct {
	// displayName is the account's human-readable name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName,omitempty"`

	// namespace is the namespace that holds this tenant's Members, Roles,
	// PermissionSets, PartnerAccess and VisibilityPolicy. Defaults to
	// metadata.name. At most one Tenant may claim a namespace, and a Tenant
	// cannot move to another namespace once created.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`

	// limits are the plan's limits for this tenant.
	// +optional
	Limits *TenantLimits `json:"limits,omitempty"`

	// partnerProgram is present only on a partner agency's own tenant. Its
	// Members are then the agency's staff, who may work in client tenants that
	// grant the agency a PartnerAccess.
	// +optional
	PartnerProgram *PartnerProgram `json:"partnerProgram,omitempty"`
}

// TenantLimits are plan limits.
type TenantLimits struct {
	// roles is the most custom Roles the tenant may have; the built-in ceo
	// Role does not count. Unset means no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Roles *int32 `json:"roles,omitempty"`
}

// PartnerProgram marks a tenant as a partner agency.
type PartnerProgram struct {
	// tier is the agency's partner tier.
	// +required
	Tier PartnerTier `json:"tier"`
}

// TenantStatus is the observed state of a Tenant.
type TenantStatus struct {
	CommonStatus `json:",inline"`

	// members is the number of Members in the tenant's namespace.
	// +optional
	Members *int32 `json:"members,omitempty"`

	// activeSuperAdmins is the number of active SuperAdmin Members. A tenant
	// must keep at least one.
	// +optional
	ActiveSuperAdmins *int32 `json:"activeSuperAdmins,omitempty"`

	// roles is the number of custom Roles (the built-in ceo not counted).
	// +optional
	Roles *int32 `json:"roles,omitempty"`

	// partnerAccess lists the partner tenants with active access here, sorted.
	// +optional
	// +listType=atomic
	PartnerAccess []string `json:"partnerAccess,omitempty"`

	// clients lists, on a partner tenant, the client tenants where it has
	// active access, sorted.
	// +optional
	// +listType=atomic
	Clients []string `json:"clients,omitempty"`

	// observedInputs says how far the controller's view of the inputs
	// reached in its last pass that wrote this tenant's EffectivePermissions
	// in full: per input kind, a resourceVersion such that every change to an
	// object of that kind which affects this tenant, up to and including it,
	// is reflected in the EffectivePermissions now stored. The decision
	// server reads it to answer "after my write" questions
	// (docs/decision-server.md, "Read your revocation"). Resource versions
	// compare as integers only within one kind.
	// +optional
	ObservedInputs *ObservedInputs `json:"observedInputs,omitempty"`
}

// ObservedInputs is, per input kind, the resourceVersion up to which every
// change that affects a tenant is reflected in its EffectivePermissions.
// An empty field means no change of that kind has been recorded yet.
type ObservedInputs struct {
	// tenants covers changes to Tenants (this one, its partners, its clients).
	// +optional
	Tenants string `json:"tenants,omitempty"`
	// members covers changes to Members (the tenant's and its partners' staff).
	// +optional
	Members string `json:"members,omitempty"`
	// roles covers changes to Roles.
	// +optional
	Roles string `json:"roles,omitempty"`
	// permissionSets covers changes to PermissionSets.
	// +optional
	PermissionSets string `json:"permissionSets,omitempty"`
	// partnerAccesses covers changes to PartnerAccess objects.
	// +optional
	PartnerAccesses string `json:"partnerAccesses,omitempty"`
	// visibilityPolicies covers changes to VisibilityPolicies.
	// +optional
	VisibilityPolicies string `json:"visibilityPolicies,omitempty"`
}

// Tenant is one client account (or a partner agency's own account) of the
// business application. It is cluster-scoped; its other objects live in one
// namespace, spec.namespace (default: the Tenant's name).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=tenancy,shortName=tnt
// +kubebuilder:printcolumn:name="Display name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Partner",type=string,JSONPath=`.spec.partnerProgram.tier`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Super admins",type=integer,JSONPath=`.status.activeSuperAdmins`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="(has(self.spec) && has(self.spec.__namespace__) ? self.spec.__namespace__ : self.metadata.name) == (has(oldSelf.spec) && has(oldSelf.spec.__namespace__) ? oldSelf.spec.__namespace__ : oldSelf.metadata.name)",message="spec.namespace is immutable: a Tenant cannot move to another namespace; create a new Tenant instead",fieldPath=".spec.namespace",reason=FieldValueForbidden
type Tenant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the tenant.
	// +optional
	Spec TenantSpec `json:"spec,omitempty"`

	// status is the tenant's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status TenantStatus `json:"status,omitempty"`
}

// NamespaceOrDefault returns spec.namespace, or the Tenant's name when unset.
func (t *Tenant) NamespaceOrDefault() string {
	if t.Spec.Namespace != "" {
		return t.Spec.Namespace
	}
	return t.Name
}

// IsPartner reports whether the tenant is a partner agency.
func (t *Tenant) IsPartner() bool {
	return t.Spec.PartnerProgram != nil && (t.Spec.PartnerProgram.Tier == TierSolutionsPartner || t.Spec.PartnerProgram.Tier == TierProvider)
}

// +kubebuilder:object:root=true

// TenantList contains a list of Tenant.
type TenantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Tenant `json:"items"`
}

func init() {
	register(&Tenant{}, &TenantList{})
}
