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

// VisibilityMode is the tenant's record-sharing model; the modes are exclusive.
// +kubebuilder:validation:Enum=RoleHierarchy;PermissionGroup;Department
type VisibilityMode string

// The modes.
const (
	ModeRoleHierarchy   VisibilityMode = "RoleHierarchy"
	ModePermissionGroup VisibilityMode = "PermissionGroup"
	ModeDepartment      VisibilityMode = "Department"
)

// HierarchySetting turns the role hierarchy's reach on or off.
// +kubebuilder:validation:Enum=Enabled;Disabled
type HierarchySetting string

// The hierarchy settings.
const (
	HierarchyEnabled  HierarchySetting = "Enabled"
	HierarchyDisabled HierarchySetting = "Disabled"
)

// DefaultPolicyName is the only name a VisibilityPolicy may have.
const DefaultPolicyName = "default"

// VisibilityPolicySpec declares how records are shared ("access permissions").
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'Department' || has(self.departmentDefault) || (has(self.departmentRules) && size(self.departmentRules) > 0)",message="Department mode with no departmentRules and no explicit departmentDefault would open every record to every member; set departmentDefault (for example None) or add departmentRules",fieldPath=".departmentDefault",reason=FieldValueRequired
type VisibilityPolicySpec struct {
	// mode is the record-sharing model. RoleHierarchy (default): the role
	// tree and sharing rules only. PermissionGroup: each record also carries a
	// visibility (Public, Group, OwnerAndGroups, Private). Department: each
	// Role is a department, and departmentRules say which department sees
	// which.
	// +optional
	// +kubebuilder:default=RoleHierarchy
	Mode VisibilityMode `json:"mode,omitempty"`

	// hierarchy Enabled (default) lets members of a role see and edit the
	// records of members of every role below it.
	// +optional
	// +kubebuilder:default=Enabled
	Hierarchy HierarchySetting `json:"hierarchy,omitempty"`

	// objectTypes configures object types: their record visibilities in
	// PermissionGroup mode, and whether they are exempt from roles.
	// +optional
	// +kubebuilder:validation:MaxItems=512
	// +listType=map
	// +listMapKey=name
	ObjectTypes []ObjectTypePolicy `json:"objectTypes,omitempty"`

	// sharingRules share the records of some owners with some viewers, on
	// top of the hierarchy. They never lift the viewer's functional
	// permission: a viewer without view on the type sees nothing.
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	SharingRules []SharingRule `json:"sharingRules,omitempty"`

	// departmentDefault is, in Department mode, the access between two
	// different departments that no rule names. Absent while rules exist
	// means ReadWrite. Department mode with neither rules nor this field is
	// refused.
	// +optional
	DepartmentDefault *AccessLevel `json:"departmentDefault,omitempty"`

	// departmentRules give, in Department mode, the access of a viewer's
	// department (to) to the Public records of an owner's department (from).
	// When several match, the last one wins.
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	DepartmentRules []DepartmentRule `json:"departmentRules,omitempty"`
}

// ObjectTypePolicy configures one object type.
type ObjectTypePolicy struct {
	// name is the object type.
	// +required
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// defaultVisibility is, in PermissionGroup mode, the visibility of a
	// record that states none or states one not in allowedVisibilities.
	// Defaults to Group.
	// +optional
	DefaultVisibility Visibility `json:"defaultVisibility,omitempty"`

	// allowedVisibilities are the visibilities a record of this type may
	// state in PermissionGroup mode. Empty means all four.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	// +listType=atomic
	AllowedVisibilities []Visibility `json:"allowedVisibilities,omitempty"`

	// exemptFromRoles, when true, makes roles not apply to this type (Zoho's
	// integration forms): whoever may view the type sees all its records,
	// and may change them when it holds edit.
	// +optional
	ExemptFromRoles bool `json:"exemptFromRoles,omitempty"`
}

// Subject names a role, a user, or both (then both must match).
type Subject struct {
	// role is a Role name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Role string `json:"role,omitempty"`
	// user is an e-mail address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	User string `json:"user,omitempty"`
}

// SharingRule shares records of some owners with some viewers.
// +kubebuilder:validation:XValidation:rule="(has(self.from.role) && size(self.from.role) > 0) || (has(self.from.user) && size(self.from.user) > 0)",message="from names nobody: set from.role or from.user, whose records the rule shares; until then the rule grants nothing",fieldPath=".from",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="(has(self.to.role) && size(self.to.role) > 0) || (has(self.to.user) && size(self.to.user) > 0)",message="to names nobody: set to.role or to.user, who the rule shares the records with; until then the rule grants nothing",fieldPath=".to",reason=FieldValueRequired
type SharingRule struct {
	// name identifies the rule in explanations (via).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// objectTypes the rule applies to: type names (lowercase DNS labels such
	// as deals or business-cards); "*" is no type here.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:XValidation:rule="self.matches('^[-a-z0-9]+$') && !self.startsWith('-') && !self.endsWith('-')",messageExpression="self == '*' ? '\"*\" in a sharing rule is no type (only a PermissionSet reads \"*\" as every type): list the types the rule is for' : 'object type \"' + self + '\" is not a type name (a lowercase DNS label such as deals or business-cards, at most 63 characters): write the name of the type'",reason=FieldValueInvalid
	// +listType=atomic
	ObjectTypes []string `json:"objectTypes"`

	// from matches the records' owners.
	// +required
	From Subject `json:"from"`

	// to matches the viewers.
	// +required
	To Subject `json:"to"`

	// access given: Read or ReadWrite.
	// +required
	// +kubebuilder:validation:Enum=Read;ReadWrite
	Access AccessLevel `json:"access"`
}

// DepartmentRule gives one department access to another's records.
// +kubebuilder:validation:XValidation:rule="(has(self.from.role) && size(self.from.role) > 0) || (has(self.from.user) && size(self.from.user) > 0)",message="from names nobody: set from.role (the owners' department) or from.user; until then the rule's types have no department access (None)",fieldPath=".from",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="(has(self.to.role) && size(self.to.role) > 0) || (has(self.to.user) && size(self.to.user) > 0)",message="to names nobody: set to.role (the viewers' department) or to.user; until then the rule's types have no department access (None)",fieldPath=".to",reason=FieldValueRequired
type DepartmentRule struct {
	// objectTypes the rule applies to: type names (lowercase DNS labels such
	// as deals or business-cards); "*" is no type here. A stored rule with
	// anything else gives every type no department access until fixed.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:XValidation:rule="self.matches('^[-a-z0-9]+$') && !self.startsWith('-') && !self.endsWith('-')",messageExpression="self == '*' ? '\"*\" in a department rule is no type (only a PermissionSet reads \"*\" as every type): list the types the rule is for' : 'object type \"' + self + '\" is not a type name (a lowercase DNS label such as deals or business-cards, at most 63 characters): write the name of the type'",reason=FieldValueInvalid
	// +listType=atomic
	ObjectTypes []string `json:"objectTypes"`

	// from is the owners' department (a role).
	// +required
	From Subject `json:"from"`

	// to is the viewers' department (a role).
	// +required
	To Subject `json:"to"`

	// access given: None, Read or ReadWrite.
	// +required
	Access AccessLevel `json:"access"`

	// hiddenFields are fields the viewer may not see on those records,
	// unless another path already gives at least this rule's access.
	// +optional
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=atomic
	HiddenFields []string `json:"hiddenFields,omitempty"`
}

// VisibilityConversion is how one stored record visibility reads after a
// mode switch.
type VisibilityConversion struct {
	// from is the stored visibility.
	From Visibility `json:"from"`
	// to is how it now reads.
	To Visibility `json:"to"`
}

// ModeChange records one switch of the visibility mode.
type ModeChange struct {
	// from is the previous mode.
	From VisibilityMode `json:"from"`
	// to is the new mode.
	To VisibilityMode `json:"to"`
	// observedAt is when the controller saw the switch.
	// +optional
	ObservedAt *metav1.Time `json:"observedAt,omitempty"`
	// generation is the policy's metadata.generation after the switch.
	// +optional
	Generation int64 `json:"generation,omitempty"`
	// conversions say how stored record visibilities read now, so that
	// applications can migrate their stored values.
	// +optional
	// +listType=atomic
	Conversions []VisibilityConversion `json:"conversions,omitempty"`
}

// VisibilityPolicyStatus is the observed state of a VisibilityPolicy.
type VisibilityPolicyStatus struct {
	CommonStatus `json:",inline"`

	// mode is the mode in force, as last observed.
	// +optional
	Mode VisibilityMode `json:"mode,omitempty"`

	// modeChanges lists each mode switch, oldest first; the 32 newest are
	// kept.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	ModeChanges []ModeChange `json:"modeChanges,omitempty"`
}

// VisibilityPolicy declares how a tenant's records are shared. A tenant has at
// most one, named default; without one every setting takes its default.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=tenancy,shortName=vpol
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Hierarchy",type=string,JSONPath=`.spec.hierarchy`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'",messageExpression="'a tenant has one VisibilityPolicy and it must be named default, not ' + self.metadata.name + '; rename it to default'",reason=FieldValueInvalid
type VisibilityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the policy.
	// +optional
	Spec VisibilityPolicySpec `json:"spec,omitempty"`

	// status is the policy's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status VisibilityPolicyStatus `json:"status,omitempty"`
}

// ModeOrDefault returns spec.mode, RoleHierarchy when unset.
func (p *VisibilityPolicy) ModeOrDefault() VisibilityMode {
	if p == nil || p.Spec.Mode == "" {
		return ModeRoleHierarchy
	}
	return p.Spec.Mode
}

// HierarchyEnabled reports spec.hierarchy, Enabled when unset.
func (p *VisibilityPolicy) HierarchyEnabled() bool {
	return p == nil || p.Spec.Hierarchy != HierarchyDisabled
}

// +kubebuilder:object:root=true

// VisibilityPolicyList contains a list of VisibilityPolicy.
type VisibilityPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VisibilityPolicy `json:"items"`
}

func init() {
	register(&VisibilityPolicy{}, &VisibilityPolicyList{})
}
