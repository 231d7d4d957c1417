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

// AccountRole is a member's account-level role.
// +kubebuilder:validation:Enum=SuperAdmin;Admin;Developer;Standard
type AccountRole string

// The account roles a Member may hold.
const (
	AccountRoleSuperAdmin AccountRole = "SuperAdmin"
	AccountRoleAdmin      AccountRole = "Admin"
	AccountRoleDeveloper  AccountRole = "Developer"
	AccountRoleStandard   AccountRole = "Standard"
)

// UserRole is how an EffectivePermission names a user's standing: a Member's
// account role, or PartnerAdmin / PartnerStaff for partner people without a
// usable Member in the tenant.
// +kubebuilder:validation:Enum=SuperAdmin;Admin;Developer;Standard;PartnerAdmin;PartnerStaff
type UserRole string

// The two standings of partner people.
const (
	UserRolePartnerAdmin UserRole = "PartnerAdmin"
	UserRolePartnerStaff UserRole = "PartnerStaff"
)

// Employment is how a partner agency's staff member is employed.
// +kubebuilder:validation:Enum=Employee;Contractor
type Employment string

// The employments.
const (
	EmploymentEmployee   Employment = "Employee"
	EmploymentContractor Employment = "Contractor"
)

// MemberSpec declares a user of the tenant.
type MemberSpec struct {
	// email identifies the user; compared case-insensitively and unique within
	// the tenant.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\\\.[A-Za-z0-9-]+)+$')",messageExpression="self + ' is not a valid e-mail address; write it as name@example.com'",reason=FieldValueInvalid
	Email string `json:"email"`

	// accountRole is the member's account role. SuperAdmin holds everything;
	// Admin everything but billing, payment instruments, data-centre migration
	// and SCIM; Developer roles.manage and account.settings plus its
	// permission sets; Standard only its permission sets, and sees records
	// through the role tree and the VisibilityPolicy.
	// +optional
	// +kubebuilder:default=Standard
	AccountRole AccountRole `json:"accountRole,omitempty"`

	// role is the member's position in the role tree (its permission group or
	// department, depending on the VisibilityPolicy mode). Required for
	// Standard members, forbidden for Admin and Developer, optional for
	// SuperAdmin.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Role string `json:"role,omitempty"`

	// permissionSets names the PermissionSets in this namespace whose
	// functional permissions the member holds (their union).
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=atomic
	PermissionSets []string `json:"permissionSets,omitempty"`

	// active is false for a deactivated member, who holds no access at all.
	// Defaults to true.
	// +optional
	// +kubebuilder:default=true
	Active *bool `json:"active,omitempty"`

	// employment applies to a partner agency's staff: Employee or
	// Contractor. Contractors may work in clients as staff but never as
	// partner admins. Defaults to Employee.
	// +optional
	// +kubebuilder:default=Employee
	Employment Employment `json:"employment,omitempty"`

	// partnerSeat is true when the member holds a paid partner seat, which a
	// partner admin must have.
	// +optional
	PartnerSeat bool `json:"partnerSeat,omitempty"`

	// clientAccess is, on a partner agency's staff member, this person's
	// access to client tenants (the agency's Client Access Manager). Each
	// entry takes effect only while the client grants the agency an active
	// PartnerAccess and grantedBy is a partner admin there.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	ClientAccess []ClientAccess `json:"clientAccess,omitempty"`
}

// ClientAccess is a partner staff member's access to one client tenant.
type ClientAccess struct {
	// tenant is the client Tenant's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Tenant string `json:"tenant"`

	// permissionSets names PermissionSets in the partner tenant's own
	// namespace, used as templates. What they grant is intersected with what
	// the granting partner admin holds.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=atomic
	PermissionSets []string `json:"permissionSets,omitempty"`

	// grantedBy is the e-mail of the partner admin of this agency in the
	// client who granted this access.
	// +required
	// +kubebuilder:validation:MaxLength=254
	GrantedBy string `json:"grantedBy"`
}

// ClientReach says whether a partner staff member reaches a client tenant.
type ClientReach struct {
	// tenant is the client tenant.
	Tenant string `json:"tenant"`
	// as is PartnerAdmin or PartnerStaff when reached, empty otherwise.
	// +optional
	As UserRole `json:"as,omitempty"`
	// reason says why the client is not reached, when it is not.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// MemberStatus is the observed state of a Member.
type MemberStatus struct {
	CommonStatus `json:",inline"`

	// clients lists, on a partner agency's staff member, every client tenant
	// the person reaches or tries to reach, and why not when not.
	// +optional
	// +listType=atomic
	Clients []ClientReach `json:"clients,omitempty"`
}

// Member is a user of a tenant, identified by e-mail address.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=tenancy,shortName=mbr
// +kubebuilder:selectablefield:JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Account role",type=string,JSONPath=`.spec.accountRole`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.spec.active`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.spec.accountRole != 'Standard' || (has(self.spec.role) && size(self.spec.role) > 0)",messageExpression="'member \"' + self.metadata.name + '\" is Standard and must have a role: set spec.role to a Role of its tenant (for example ceo), or choose another accountRole'",fieldPath=".spec.role",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!(self.spec.accountRole in ['Admin', 'Developer']) || !has(self.spec.role) || size(self.spec.role) == 0",messageExpression="'member \"' + self.metadata.name + '\" is ' + self.spec.accountRole + ' and must not have a role (admins and developers hold no role): remove spec.role, or make the member Standard'",fieldPath=".spec.role",reason=FieldValueForbidden
type Member struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the member.
	// +required
	Spec MemberSpec `json:"spec"`

	// status is the member's observed state.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status MemberStatus `json:"status,omitempty"`
}

// IsActive reports spec.active, which defaults to true.
func (m *Member) IsActive() bool { return m.Spec.Active == nil || *m.Spec.Active }

// AccountRoleOrDefault returns spec.accountRole, Standard when unset.
func (m *Member) AccountRoleOrDefault() AccountRole {
	if m.Spec.AccountRole == "" {
		return AccountRoleStandard
	}
	return m.Spec.AccountRole
}

// EmploymentOrDefault returns spec.employment, Employee when unset.
func (m *Member) EmploymentOrDefault() Employment {
	if m.Spec.Employment == "" {
		return EmploymentEmployee
	}
	return m.Spec.Employment
}

// +kubebuilder:object:root=true

// MemberList contains a list of Member.
type MemberList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Member `json:"items"`
}

func init() {
	register(&Member{}, &MemberList{})
}
