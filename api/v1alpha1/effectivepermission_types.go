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

// AllCapabilities in an EffectivePermission's capabilities means every
// capability name, custom ones included, except the withheld ones.
const AllCapabilities = "*"

// GrantScope says which records of a type a RecordGrant reaches.
// +kubebuilder:validation:Enum=All;Own;Role;User;Hierarchy;Visibility;Department
type GrantScope string

// The grant scopes. Each says which records it reaches; "owner is an active
// member" means the record's owner is an active member of the tenant (the
// check package's Record.OwnerActive).
const (
	// ScopeAll reaches every record of the type.
	ScopeAll GrantScope = "All"
	// ScopeOwn reaches records the user owns.
	ScopeOwn GrantScope = "Own"
	// ScopeRole reaches records whose owner is an active member holding role.
	ScopeRole GrantScope = "Role"
	// ScopeUser reaches records owned by user (an active member).
	ScopeUser GrantScope = "User"
	// ScopeHierarchy reaches records whose owner is an active member holding
	// one of spec.subordinates.
	ScopeHierarchy GrantScope = "Hierarchy"
	// ScopeVisibility (PermissionGroup mode) reaches records whose effective
	// visibility is visibility: Public for everyone; Group when the owner is
	// an active member of the user's role; OwnerAndGroups when it is, or when
	// the record's groups name the user's role.
	ScopeVisibility GrantScope = "Visibility"
	// ScopeDepartment (Department mode) reaches non-Private records: with
	// user set, records that user owns; else with role set, records whose
	// owner's department is role; with neither, records of every other
	// department and of owners with none (the departmentDefault). Only the
	// most specific of an entry's Department grants applies to a record.
	ScopeDepartment GrantScope = "Department"
)

// EffectivePermissionSpec is the computed access of one user in one tenant.
// It is self-contained: with it and a record's type, owner, owner's role,
// visibility and groups, the check package decides any record access.
type EffectivePermissionSpec struct {
	// tenant is the Tenant's name.
	// +required
	Tenant string `json:"tenant"`

	// user is the user's e-mail address, lowercase.
	// +required
	User string `json:"user"`

	// active is false when the user holds nothing here (a deactivated or
	// broken Member with no partner grants).
	// +required
	Active bool `json:"active"`

	// accountRole is the Member's account role, or PartnerAdmin /
	// PartnerStaff for partner people without a usable Member here.
	// +optional
	AccountRole UserRole `json:"accountRole,omitempty"`

	// role is the user's Role (position, permission group or department).
	// +optional
	Role string `json:"role,omitempty"`

	// partner is the partner tenant, for partner people.
	// +optional
	Partner string `json:"partner,omitempty"`

	// mode is the tenant's visibility mode, which tells how a record's
	// visibility reads.
	// +optional
	Mode VisibilityMode `json:"mode,omitempty"`

	// capabilities held, sorted; "*" means every capability name.
	// +optional
	// +listType=atomic
	Capabilities []string `json:"capabilities,omitempty"`

	// withheldCapabilities are never held, even under "*".
	// +optional
	// +listType=atomic
	WithheldCapabilities []string `json:"withheldCapabilities,omitempty"`

	// capabilitySources say why each capability is held. A source that
	// omits capabilities gave every one of spec.capabilities (the common
	// case of one source, written without repeating the list).
	// +optional
	// +listType=atomic
	CapabilitySources []CapabilitySource `json:"capabilitySources,omitempty"`

	// subordinates are the roles strictly below spec.role, each with its
	// parent (so the path can be explained), sorted by role. Written once
	// for all types; a Hierarchy grant on a type refers to it.
	// +optional
	// +listType=atomic
	Subordinates []RoleEdge `json:"subordinates,omitempty"`

	// objects has one entry per object type the user may act on, sorted by
	// type. The entry of type "*" applies to every type with no entry of its
	// own.
	// +optional
	// +listType=atomic
	Objects []ObjectPermission `json:"objects,omitempty"`
}

// CapabilitySource is one source of capabilities.
type CapabilitySource struct {
	// via is the source, e.g. "permissionSet: sales-rep".
	Via string `json:"via"`
	// capabilities it gives, sorted; omitted when it gives every one of
	// spec.capabilities.
	// +optional
	// +listType=atomic
	Capabilities []string `json:"capabilities,omitempty"`
}

// RoleEdge is a role and its parent.
type RoleEdge struct {
	// role is a role name.
	Role string `json:"role"`
	// reportsTo is its parent.
	ReportsTo string `json:"reportsTo"`
}

// ObjectPermission is what a user may do with one object type.
type ObjectPermission struct {
	// type is the object type, or "*" for every type with no entry.
	Type string `json:"type"`

	// actions the user may perform, sorted, implied actions expanded.
	// +optional
	// +listType=atomic
	Actions []Action `json:"actions,omitempty"`

	// actionSources say why each action is held. A source that omits
	// actions gave every one of this entry's actions.
	// +optional
	// +listType=atomic
	ActionSources []ActionSource `json:"actionSources,omitempty"`

	// own is the access to the records the user owns: the grant of scope
	// Own via "owner" that every entry with actions carries, written as one
	// field rather than as an item of grants (both forms mean the same;
	// pkg/check reads either).
	// +optional
	Own AccessLevel `json:"own,omitempty"`

	// all is the access to every record of the type (the highest All grant).
	// +optional
	All AccessLevel `json:"all,omitempty"`

	// visibility is, in PermissionGroup mode, how a record's stated
	// visibility reads for this type.
	// +optional
	Visibility *TypeVisibility `json:"visibility,omitempty"`

	// grants give access to records, each with why. Empty when the user has
	// no view on the type: then it sees no record.
	// +optional
	// +listType=atomic
	Grants []RecordGrant `json:"grants,omitempty"`
}

// ActionSource is one source of actions on a type.
type ActionSource struct {
	// via is the source.
	Via string `json:"via"`
	// actions it gives, sorted, implied actions expanded; omitted when it
	// gives every one of the entry's actions.
	// +optional
	// +listType=atomic
	Actions []Action `json:"actions,omitempty"`
}

// TypeVisibility is a type's PermissionGroup visibility settings.
type TypeVisibility struct {
	// default is the visibility of a record that states none or one not
	// allowed.
	Default Visibility `json:"default"`
	// allowed visibilities; empty means all four.
	// +optional
	// +listType=atomic
	Allowed []Visibility `json:"allowed,omitempty"`
}

// RecordGrant gives access to some records of a type.
type RecordGrant struct {
	// scope says which records the grant reaches.
	Scope GrantScope `json:"scope"`
	// role is the owner's role for Role grants, the owner's department for
	// Department grants (empty: the department default).
	// +optional
	Role string `json:"role,omitempty"`
	// user is the owner for User grants and user-specific Department grants.
	// +optional
	User string `json:"user,omitempty"`
	// visibility is the record visibility a Visibility grant reaches.
	// +optional
	Visibility Visibility `json:"visibility,omitempty"`
	// access given.
	Access AccessLevel `json:"access"`
	// hiddenFields are hidden from the user on these records unless another
	// grant gives at least this access.
	// +optional
	// +listType=atomic
	HiddenFields []string `json:"hiddenFields,omitempty"`
	// via is the path that gave the grant.
	// +listType=atomic
	Via []string `json:"via"`
}

// EffectivePermissionStatus is the observed state of an EffectivePermission.
type EffectivePermissionStatus struct {
	CommonStatus `json:",inline"`
}

// EffectivePermission is the computed access of one user in one tenant,
// written only by the controller; applications read it to enforce access.
// Named after the Member, or <partner-tenant>.<member> for partner people
// without a Member here.
//
// It has no status subresource: the controller, its only writer, writes the
// status in the same request as the spec (one request per change, not two).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=tenancy,shortName=eperm
// +kubebuilder:selectablefield:JSONPath=`.spec.user`
// +kubebuilder:selectablefield:JSONPath=`.spec.partner`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.spec.active`
// +kubebuilder:printcolumn:name="Account role",type=string,JSONPath=`.spec.accountRole`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Partner",type=string,JSONPath=`.spec.partner`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type EffectivePermission struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the computed access.
	// +required
	Spec EffectivePermissionSpec `json:"spec"`

	// status is the object's observed state.
	// +optional
	Status EffectivePermissionStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// EffectivePermissionList contains a list of EffectivePermission.
type EffectivePermissionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EffectivePermission `json:"items"`
}

func init() {
	register(&EffectivePermission{}, &EffectivePermissionList{})
}
