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

// Package v1alpha1 contains the API of access-controller, group access.tenancy.dev.
//
// Seven kinds describe who may do what in many client accounts of a business
// application: Tenant (an account), Member (a user), Role (the role tree),
// PermissionSet (functional permissions), PartnerAccess (an agency's consent to
// work in a client account), VisibilityPolicy (how records are shared) and
// EffectivePermission (the computed answer, written only by the controller).
//
// +kubebuilder:object:generate=true
// +groupName=access.tenancy.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is group version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "access.tenancy.dev", Version: "v1alpha1"}

	// SchemeBuilder adds this group-version's types to a scheme. The API
	// package depends on apimachinery only, so anyone can import it.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme

	// knownTypes are registered by each kind's file.
	knownTypes []runtime.Object
)

func register(objs ...runtime.Object) { knownTypes = append(knownTypes, objs...) }

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
