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

// EmailPattern is the regular expression every e-mail address must match. The
// same expression is written into the CRDs' CEL rules (the API server checks it)
// and used by the engine (accessctl validate checks it offline); a test keeps the
// two equal.
const EmailPattern = `^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`

// TypeNamePattern is the regular expression an object type name matches: a
// lowercase DNS label (deals, business-cards), at most 63 characters. The
// same expression is written into the CRDs' rules and used by the engine; a
// test keeps them equal.
const TypeNamePattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`

// Action is an operation a user may perform on records of an object type.
// +kubebuilder:validation:Enum=view;create;edit;delete;export;viewAll;modifyAll
type Action string

// The actions, in the order semantics.md lists them.
const (
	ActionView      Action = "view"
	ActionCreate    Action = "create"
	ActionEdit      Action = "edit"
	ActionDelete    Action = "delete"
	ActionExport    Action = "export"
	ActionViewAll   Action = "viewAll"
	ActionModifyAll Action = "modifyAll"
)

// AllActions lists every action, sorted as they appear in an EffectivePermission.
var AllActions = []Action{ActionCreate, ActionDelete, ActionEdit, ActionExport, ActionModifyAll, ActionView, ActionViewAll}

// AccessLevel is the access a user has to a record: None < Read < ReadWrite.
// +kubebuilder:validation:Enum=None;Read;ReadWrite
type AccessLevel string

// The access levels.
const (
	AccessNone      AccessLevel = "None"
	AccessRead      AccessLevel = "Read"
	AccessReadWrite AccessLevel = "ReadWrite"
)

// Rank orders access levels: None 0, Read 1, ReadWrite 2. An unknown value
// ranks as None, so a bad input never widens access.
func (a AccessLevel) Rank() int {
	switch a {
	case AccessRead:
		return 1
	case AccessReadWrite:
		return 2
	default:
		return 0
	}
}

// Visibility is how widely a single record is shared in PermissionGroup mode
// (Department mode reads only Public and Private).
// +kubebuilder:validation:Enum=Public;Group;OwnerAndGroups;Private
type Visibility string

// The record visibilities.
const (
	VisibilityPublic         Visibility = "Public"
	VisibilityGroup          Visibility = "Group"
	VisibilityOwnerAndGroups Visibility = "OwnerAndGroups"
	VisibilityPrivate        Visibility = "Private"
)

// CommonStatus is embedded in every kind's status.
type CommonStatus struct {
	// observedGeneration is the metadata.generation the controller last
	// computed this status from. When it is lower than metadata.generation the
	// status is out of date.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the object's state. `Ready` is the summary that
	// GitOps tools read for health; `Degraded` says what was dropped and why.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// Common is the part every kind's status shares (for code that handles the
// statuses of every kind alike).
func (s *CommonStatus) Common() *CommonStatus { return s }

// Kind names: an object's kind, as findings, events and ownerReferences
// name it.
const (
	KindTenant              = "Tenant"
	KindMember              = "Member"
	KindRole                = "Role"
	KindPermissionSet       = "PermissionSet"
	KindPartnerAccess       = "PartnerAccess"
	KindVisibilityPolicy    = "VisibilityPolicy"
	KindEffectivePermission = "EffectivePermission"
)

// Condition types used on every kind, each with the reasons it carries.
const (
	// ConditionReady is the summary condition.
	//   True: every input of the object is valid and its grants are in force.
	//   False: something is wrong; the reason is that of the object's first
	//   finding, one of the finding reasons below.
	//   Unknown: the controller has not computed the object yet, or cannot now.
	ConditionReady = "Ready"
	// ReasonReady is Ready=True's reason.
	ReasonReady = "Ready"
	// ReasonStale is Ready=Unknown's reason on an EffectivePermission kept as
	// last written while its inputs cannot be read (fail closed: nothing is
	// deleted for lack of information).
	ReasonStale = "Stale"

	// ConditionDegraded is True when part of the object was dropped (grants
	// nothing) while the rest stands; the message lists what and why, and
	// the reason is that of the first dropped finding.
	ConditionDegraded = "Degraded"
	// ReasonAsExpected is Degraded=False's and Stalled=False's reason:
	// nothing was dropped, nothing needs a person.
	ReasonAsExpected = "AsExpected"

	// ConditionReconciling is True while the object's problems wait for
	// inputs that may still arrive (an object it names, an approval); the
	// reason is the first such finding's. kstatus reads it as InProgress.
	// Until the controller has looked at a generation, status.observedGeneration
	// (0 by default) is below metadata.generation, which kstatus reads as
	// InProgress too.
	ConditionReconciling = "Reconciling"
	// ReasonReconciled is Reconciling=False's reason: nothing awaited.
	ReasonReconciled = "Reconciled"

	// ConditionStalled is True when a problem of the object needs a person
	// to change an object: a broken invariant no input yet to arrive could
	// clear (a role cycle, a duplicate e-mail, a delegation beyond its
	// admin); the reason is the first such finding's. kstatus reads it as
	// Failed.
	ConditionStalled = "Stalled"
)

// Finding reasons: each finding the engine reports carries one, and Ready=False
// (or Degraded=True) carries the first finding's.
const (
	ReasonNoSuperAdmin           = "NoSuperAdmin"
	ReasonRoleRequired           = "RoleRequired"
	ReasonRoleForbidden          = "RoleForbidden"
	ReasonInvalidEmail           = "InvalidEmail"
	ReasonDuplicateEmail         = "DuplicateEmail"
	ReasonRoleCycle              = "RoleCycle"
	ReasonParentNotFound         = "ParentNotFound"
	ReasonRoleNotFound           = "RoleNotFound"
	ReasonBuiltIn                = "BuiltIn"
	ReasonRoleLimitExceeded      = "RoleLimitExceeded"
	ReasonApproverNotAuthorized  = "ApproverNotAuthorized"
	ReasonPartnerNotFound        = "PartnerNotFound"
	ReasonNotAPartner            = "NotAPartner"
	ReasonPartnerAdminInvalid    = "PartnerAdminInvalid"
	ReasonMigrationInvalid       = "MigrationInvalid"
	ReasonExpired                = "Expired"
	ReasonDelegationExceeded     = "DelegationExceeded"
	ReasonGranterNotPartnerAdmin = "GranterNotPartnerAdmin"
	ReasonNoPartnerAccess        = "NoPartnerAccess"
	ReasonNeverGranted           = "NeverGrantedCapability"
	ReasonDepartmentOpen         = "DepartmentModeOpen"
	ReasonPolicyName             = "PolicyNameNotDefault"
	ReasonDuplicateTenant        = "DuplicateTenantNamespace"
	ReasonNoTenant               = "NoTenant"
	ReasonControllerOwned        = "ControllerOwned"
	ReasonPermissionSetNotFound  = "PermissionSetNotFound"
	ReasonInvalidValue           = "InvalidValue"
	ReasonInactive               = "Inactive"
	// ReasonLastSuperAdmin refuses a request that would leave a tenant
	// without an active SuperAdmin (invariant 1).
	ReasonLastSuperAdmin = "LastSuperAdmin"
	// ReasonRoleInUse refuses deleting a Role that members hold or roles
	// report to (invariant 5).
	ReasonRoleInUse = "RoleInUse"
	// ReasonBeyondPartnerCeiling reports a partner admin's own PermissionSet
	// holding capabilities beyond the partner-admin ceiling, which are
	// dropped (invariant 11a).
	ReasonBeyondPartnerCeiling = "BeyondPartnerAdminCeiling"
)
