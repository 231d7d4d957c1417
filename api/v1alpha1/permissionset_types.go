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

// PartnerAdminPermissionSet is the name of the built-in PermissionSet every
// tenant namespace holds: what a partner admin gets in a client.
const PartnerAdminPermissionSet = "partner-admin"

// AllTypes in a PermissionSet's types means every object type.
const AllTypes = "*"

// PermissionSetSpec declares functional permissions: what a user may do, not
// whose records they see.
type PermissionSetSpec struct {
	// description says what the set is for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// objects grants actions on object types.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	Objects []ObjectActions `json:"objects,omitempty"`

	// capabilities grants account-level features such as reports.access or
	// users.manage. Unknown names pass through to the EffectivePermission.
	// +optional
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=atomic
	Capabilities []string `json:"capabilities,omitempty"`
}

// ObjectActions grants actions on some object types.
type ObjectActions struct {
	// types are object type names (lowercase DNS labels such as deals or
	// contacts), or "*" for every type.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
	// +listType=atomic
	Types []string `json:"types"`

	// actions granted on those types. edit, delete, export and viewAll imply
	// view; modifyAll implies viewAll, edit, delete and view.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +listType=atomic
	Actions []Action `json:"actions"`
}

// PermissionSetStatus is the observed state of a PermissionSet.
type PermissionSetStatus struct {
	CommonStatus `json:",inline"`

	// members is how many use the set: Members naming it in
	// spec.permissionSets, partner staff clientAccess entries naming it as a
	// template, and for the built-in partner-admin the partner admins
	// holding it in this tenant.
	// +optional
	Members *int32 `json:"members,omitempty"`
}

// PermissionSet is a named bundle of functional permissions ("system
// permissions"). The controller keeps a built-in PermissionSet partner-admin
// in every tenant namespace, which users cannot change.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=tenancy,shortName=pset
// +kubebuilder:printcolumn:name="Description",type=string,JSONPath=`.spec.description`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PermissionSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the permissions.
	// +optional
	Spec PermissionSetSpec `json:"spec,omitempty"`

	// status is the set's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status PermissionSetStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PermissionSetList contains a list of PermissionSet.
type PermissionSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PermissionSet `json:"items"`
}

func init() {
	register(&PermissionSet{}, &PermissionSetList{})
}
