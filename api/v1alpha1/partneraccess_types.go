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

// PartnerAccessMethod is how a client granted a partner access (audited).
// +kubebuilder:validation:Enum=AccessLink;Migration;ClientCreated
type PartnerAccessMethod string

// The grant methods.
const (
	MethodAccessLink    PartnerAccessMethod = "AccessLink"
	MethodMigration     PartnerAccessMethod = "Migration"
	MethodClientCreated PartnerAccessMethod = "ClientCreated"
)

// PartnerAccessPhase summarises a PartnerAccess for printer columns; the
// conditions are the truth.
// +kubebuilder:validation:Enum=Pending;Active;Expired;Invalid
type PartnerAccessPhase string

// The phases.
const (
	PhasePending PartnerAccessPhase = "Pending"
	PhaseActive  PartnerAccessPhase = "Active"
	PhaseExpired PartnerAccessPhase = "Expired"
	PhaseInvalid PartnerAccessPhase = "Invalid"
)

// PartnerAccessSpec is a client's consent that a partner agency works in
// this tenant.
type PartnerAccessSpec struct {
	// partner is the name of the partner agency's Tenant, which must have
	// spec.partnerProgram. Until it exists the access is Pending.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Partner string `json:"partner"`

	// method records how the access was granted.
	// +optional
	// +kubebuilder:default=AccessLink
	Method PartnerAccessMethod `json:"method,omitempty"`

	// approvedBy is the e-mail of the active member of this tenant who
	// approved the access: a SuperAdmin, or a member holding users.manage
	// through its own permission sets. Otherwise nothing is granted
	// (reason ApproverNotAuthorized).
	// +required
	// +kubebuilder:validation:MaxLength=254
	ApprovedBy string `json:"approvedBy"`

	// partnerAdmins are the agency's people who become partner admins here.
	// Each must be an active Employee of the partner with a partner seat;
	// invalid entries are reported and grant nothing.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	PartnerAdmins []PartnerAdmin `json:"partnerAdmins,omitempty"`

	// expiresAt, an RFC 3339 time, ends the access by itself: it is active
	// while now < expiresAt. An unparseable value counts as expired.
	// +optional
	// +kubebuilder:validation:Format=date-time
	ExpiresAt string `json:"expiresAt,omitempty"`
}

// PartnerAdmin is one partner admin entry.
type PartnerAdmin struct {
	// email of the partner agency's member.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\\\.[A-Za-z0-9-]+)+$')",messageExpression="self + ' is not a valid e-mail address; write it as name@example.com'",reason=FieldValueInvalid
	Email string `json:"email"`

	// billingAccess grants billing.access too, which a partner admin gets
	// only at the client's request.
	// +optional
	BillingAccess bool `json:"billingAccess,omitempty"`

	// migratedFrom names the Member of this tenant, a super admin, who moved
	// to partner admin (method Migration). Only oneself can migrate: that
	// Member's e-mail must equal email, and another active super admin must
	// remain.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	MigratedFrom string `json:"migratedFrom,omitempty"`

	// permissionSet names a PermissionSet of this (the client's) namespace
	// that this partner admin gets instead of the built-in partner-admin
	// set: the client removed or added individual permissions. It is capped
	// by the partner-admin ceiling — every action; account.settings,
	// multiAccount.manage, partner.staff.manage, payments.links,
	// reports.access, roles.manage, sales.paidFeatures,
	// service.paidFeatures, users.manage; billing.access only with
	// billingAccess — and anything beyond is dropped and reported. Record
	// access follows from its actions, as for partner staff: modifyAll gives
	// ReadWrite and viewAll Read on every record of the type, else own
	// records only. A set that does not exist grants this admin nothing
	// (reported), never the built-in set. The person is still a partner
	// admin, and the staff it grants get at most what this set holds.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PermissionSet string `json:"permissionSet,omitempty"`
}

// PartnerAccessStatus is the observed state of a PartnerAccess.
type PartnerAccessStatus struct {
	CommonStatus `json:",inline"`

	// phase summarises the conditions: Pending (the partner is not there
	// yet), Active, Expired or Invalid.
	// +optional
	Phase PartnerAccessPhase `json:"phase,omitempty"`

	// partnerAdmins lists the e-mails of the valid partner admin entries.
	// +optional
	// +listType=atomic
	PartnerAdmins []string `json:"partnerAdmins,omitempty"`

	// staff is the number of the partner's staff who reach this tenant.
	// +optional
	Staff *int32 `json:"staff,omitempty"`
}

// PartnerAccess, in a client tenant's namespace, is the client's consent that
// a partner agency works in the tenant: its partner admins get the built-in
// partner-admin set, and they may delegate to the agency's staff. Deleting it,
// its expiry, or its approver losing authority revokes everything it carried.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=tenancy,shortName=pacc
// +kubebuilder:selectablefield:JSONPath=`.spec.partner`
// +kubebuilder:printcolumn:name="Partner",type=string,JSONPath=`.spec.partner`
// +kubebuilder:printcolumn:name="Method",type=string,JSONPath=`.spec.method`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.spec.expiresAt`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PartnerAccess struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the access.
	// +required
	Spec PartnerAccessSpec `json:"spec"`

	// status is the access's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status PartnerAccessStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PartnerAccessList contains a list of PartnerAccess.
type PartnerAccessList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PartnerAccess `json:"items"`
}

func init() {
	register(&PartnerAccess{}, &PartnerAccessList{})
}
