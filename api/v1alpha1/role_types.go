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

// CEORole is the name of the built-in root Role of every tenant.
const CEORole = "ceo"

// RoleSpec declares a node of the tenant's role tree.
type RoleSpec struct {
	// displayName is the role's human-readable name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName,omitempty"`

	// description says what the role is for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// reportsTo is the parent Role's name. Defaults to ceo; only the built-in
	// ceo Role has no parent. A reportsTo that would close a cycle is refused;
	// one that names a Role not yet applied is reported, and the role's own
	// members see only their own records until the parent appears.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ReportsTo string `json:"reportsTo,omitempty"`

	// shareDataWithPeers, when true, lets members of this role see and edit
	// each other's records.
	// +optional
	ShareDataWithPeers bool `json:"shareDataWithPeers,omitempty"`
}

// RoleStatus is the observed state of a Role.
type RoleStatus struct {
	CommonStatus `json:",inline"`

	// depth is the role's distance from ceo (ceo is 0).
	// +optional
	Depth *int32 `json:"depth,omitempty"`

	// members is the number of Members holding this role.
	// +optional
	Members *int32 `json:"members,omitempty"`

	// subordinateRoles is the number of roles below this one in the tree.
	// +optional
	SubordinateRoles *int32 `json:"subordinateRoles,omitempty"`
}

// Role is a node of a tenant's role tree: a position (CEO > manager > staff),
// a permission group, or a department, depending on the VisibilityPolicy
// mode. Every tenant has a built-in Role ceo, kept by the controller, which is
// the root of the tree. Use `kubectl get roles.access.tenancy.dev` or the short
// name `trole`: plain `kubectl get roles` lists RBAC roles.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=tenancy,shortName=trole
// +kubebuilder:printcolumn:name="Reports to",type=string,JSONPath=`.spec.reportsTo`
// +kubebuilder:printcolumn:name="Depth",type=integer,JSONPath=`.status.depth`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name != 'ceo' || !has(self.spec) || !has(self.spec.reportsTo) || size(self.spec.reportsTo) == 0",message="the built-in ceo Role is the root of the role tree and cannot have a parent; remove spec.reportsTo",fieldPath=".spec.reportsTo",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.spec) || !has(self.spec.reportsTo) || self.spec.reportsTo != self.metadata.name",messageExpression="'Role \"' + self.metadata.name + '\" cannot report to itself; name its parent Role (default ceo)'",fieldPath=".spec.reportsTo",reason=FieldValueInvalid
type Role struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the role.
	// +optional
	Spec RoleSpec `json:"spec,omitempty"`

	// status is the role's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status RoleStatus `json:"status,omitempty"`
}

// Parent returns spec.reportsTo, defaulting to ceo; the ceo Role has none.
func (r *Role) Parent() string {
	if r.Name == CEORole {
		return ""
	}
	if r.Spec.ReportsTo == "" {
		return CEORole
	}
	return r.Spec.ReportsTo
}

// +kubebuilder:object:root=true

// RoleList contains a list of Role.
type RoleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Role `json:"items"`
}

func init() {
	register(&Role{}, &RoleList{})
}
