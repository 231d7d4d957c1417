package enginetest

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Now is the clock every engine test computes at.
var Now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: kind}
}

// Email is the fixtures' default e-mail of member name in namespace ns:
// name@ns.example.
func Email(ns, name string) string { return name + "@" + ns + ".example" }

// RoleSubject is a sharing or department rule side naming a role.
func RoleSubject(role string) accessv1.Subject { return accessv1.Subject{Role: role} }

// UserSubject is a sharing rule side naming a user.
func UserSubject(email string) accessv1.Subject { return accessv1.Subject{User: email} }

// BothSubject is a rule side naming a role and a user (both must match).
func BothSubject(role, email string) accessv1.Subject {
	return accessv1.Subject{Role: role, User: email}
}

// ---------------------------------------------------------------- Tenant

// TenantWrapper builds a Tenant.
type TenantWrapper struct{ accessv1.Tenant }

// MakeTenant starts a Tenant named name (namespace defaults to name).
func MakeTenant(name string) *TenantWrapper {
	return &TenantWrapper{accessv1.Tenant{
		TypeMeta:   typeMeta(accessv1.KindTenant),
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}}
}

// Namespace sets spec.namespace.
func (w *TenantWrapper) Namespace(ns string) *TenantWrapper {
	w.Spec.Namespace = ns
	return w
}

// DisplayName sets spec.displayName.
func (w *TenantWrapper) DisplayName(s string) *TenantWrapper {
	w.Spec.DisplayName = s
	return w
}

// Partner makes the tenant a partner agency of the given tier.
func (w *TenantWrapper) Partner(tier accessv1.PartnerTier) *TenantWrapper {
	w.Spec.PartnerProgram = &accessv1.PartnerProgram{Tier: tier}
	return w
}

// RoleLimit sets spec.limits.roles.
func (w *TenantWrapper) RoleLimit(n int32) *TenantWrapper {
	w.Spec.Limits = &accessv1.TenantLimits{Roles: &n}
	return w
}

// Obj returns the Tenant.
func (w *TenantWrapper) Obj() *accessv1.Tenant { return &w.Tenant }

// ---------------------------------------------------------------- Member

// MemberWrapper builds a Member.
type MemberWrapper struct{ accessv1.Member }

// MakeMember starts a Standard, active Member named name in namespace ns,
// with e-mail Email(ns, name).
func MakeMember(ns, name string) *MemberWrapper {
	return &MemberWrapper{accessv1.Member{
		TypeMeta:   typeMeta(accessv1.KindMember),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       accessv1.MemberSpec{Email: Email(ns, name)},
	}}
}

// Email sets spec.email.
func (w *MemberWrapper) Email(e string) *MemberWrapper {
	w.Spec.Email = e
	return w
}

// AccountRole sets spec.accountRole.
func (w *MemberWrapper) AccountRole(r accessv1.AccountRole) *MemberWrapper {
	w.Spec.AccountRole = r
	return w
}

// SuperAdmin makes the member a SuperAdmin.
func (w *MemberWrapper) SuperAdmin() *MemberWrapper {
	return w.AccountRole(accessv1.AccountRoleSuperAdmin)
}

// Admin makes the member an Admin.
func (w *MemberWrapper) Admin() *MemberWrapper { return w.AccountRole(accessv1.AccountRoleAdmin) }

// Developer makes the member a Developer.
func (w *MemberWrapper) Developer() *MemberWrapper {
	return w.AccountRole(accessv1.AccountRoleDeveloper)
}

// Standard makes the member Standard explicitly.
func (w *MemberWrapper) Standard() *MemberWrapper {
	return w.AccountRole(accessv1.AccountRoleStandard)
}

// Role sets spec.role.
func (w *MemberWrapper) Role(r string) *MemberWrapper {
	w.Spec.Role = r
	return w
}

// Sets sets spec.permissionSets.
func (w *MemberWrapper) Sets(names ...string) *MemberWrapper {
	w.Spec.PermissionSets = append([]string(nil), names...)
	return w
}

// Active sets spec.active explicitly.
func (w *MemberWrapper) Active(b bool) *MemberWrapper {
	w.Spec.Active = &b
	return w
}

// Inactive deactivates the member.
func (w *MemberWrapper) Inactive() *MemberWrapper { return w.Active(false) }

// Employment sets spec.employment.
func (w *MemberWrapper) Employment(e accessv1.Employment) *MemberWrapper {
	w.Spec.Employment = e
	return w
}

// Contractor makes the member a Contractor.
func (w *MemberWrapper) Contractor() *MemberWrapper {
	return w.Employment(accessv1.EmploymentContractor)
}

// Employee makes the member an Employee explicitly.
func (w *MemberWrapper) Employee() *MemberWrapper {
	return w.Employment(accessv1.EmploymentEmployee)
}

// Seat gives the member a partner seat.
func (w *MemberWrapper) Seat() *MemberWrapper {
	w.Spec.PartnerSeat = true
	return w
}

// NoSeat removes the member's partner seat.
func (w *MemberWrapper) NoSeat() *MemberWrapper {
	w.Spec.PartnerSeat = false
	return w
}

// ClientAccess appends a clientAccess entry.
func (w *MemberWrapper) ClientAccess(tenant, grantedBy string, sets ...string) *MemberWrapper {
	w.Spec.ClientAccess = append(w.Spec.ClientAccess, accessv1.ClientAccess{
		Tenant:         tenant,
		GrantedBy:      grantedBy,
		PermissionSets: append([]string(nil), sets...),
	})
	return w
}

// NoClientAccess removes every clientAccess entry.
func (w *MemberWrapper) NoClientAccess() *MemberWrapper {
	w.Spec.ClientAccess = nil
	return w
}

// Obj returns the Member.
func (w *MemberWrapper) Obj() *accessv1.Member { return &w.Member }

// ---------------------------------------------------------------- Role

// RoleWrapper builds a Role.
type RoleWrapper struct{ accessv1.Role }

// MakeRole starts a Role named name in ns (reporting to ceo by default).
func MakeRole(ns, name string) *RoleWrapper {
	return &RoleWrapper{accessv1.Role{
		TypeMeta:   typeMeta(accessv1.KindRole),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}}
}

// ReportsTo sets spec.reportsTo.
func (w *RoleWrapper) ReportsTo(parent string) *RoleWrapper {
	w.Spec.ReportsTo = parent
	return w
}

// Peers sets spec.shareDataWithPeers.
func (w *RoleWrapper) Peers() *RoleWrapper {
	w.Spec.ShareDataWithPeers = true
	return w
}

// DisplayName sets spec.displayName.
func (w *RoleWrapper) DisplayName(s string) *RoleWrapper {
	w.Spec.DisplayName = s
	return w
}

// Obj returns the Role.
func (w *RoleWrapper) Obj() *accessv1.Role { return &w.Role }

// ---------------------------------------------------------------- PermissionSet

// PermissionSetWrapper builds a PermissionSet.
type PermissionSetWrapper struct{ accessv1.PermissionSet }

// MakePermissionSet starts an empty PermissionSet named name in ns.
func MakePermissionSet(ns, name string) *PermissionSetWrapper {
	return &PermissionSetWrapper{accessv1.PermissionSet{
		TypeMeta:   typeMeta(accessv1.KindPermissionSet),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}}
}

// Objects appends an objects entry: actions on types.
func (w *PermissionSetWrapper) Objects(types []string, actions ...accessv1.Action) *PermissionSetWrapper {
	w.Spec.Objects = append(w.Spec.Objects, accessv1.ObjectActions{
		Types:   append([]string(nil), types...),
		Actions: append([]accessv1.Action(nil), actions...),
	})
	return w
}

// Caps appends capabilities.
func (w *PermissionSetWrapper) Caps(names ...string) *PermissionSetWrapper {
	w.Spec.Capabilities = append(w.Spec.Capabilities, names...)
	return w
}

// Obj returns the PermissionSet.
func (w *PermissionSetWrapper) Obj() *accessv1.PermissionSet { return &w.PermissionSet }

// ---------------------------------------------------------------- PartnerAccess

// PartnerAccessWrapper builds a PartnerAccess.
type PartnerAccessWrapper struct{ accessv1.PartnerAccess }

// MakePartnerAccess starts a PartnerAccess named name in the client
// namespace ns, naming partner name, method AccessLink.
func MakePartnerAccess(ns, name string) *PartnerAccessWrapper {
	return &PartnerAccessWrapper{accessv1.PartnerAccess{
		TypeMeta:   typeMeta(accessv1.KindPartnerAccess),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: accessv1.PartnerAccessSpec{
			Partner: name,
			Method:  accessv1.MethodAccessLink,
		},
	}}
}

// Partner sets spec.partner.
func (w *PartnerAccessWrapper) Partner(p string) *PartnerAccessWrapper {
	w.Spec.Partner = p
	return w
}

// Method sets spec.method.
func (w *PartnerAccessWrapper) Method(m accessv1.PartnerAccessMethod) *PartnerAccessWrapper {
	w.Spec.Method = m
	return w
}

// ApprovedBy sets spec.approvedBy.
func (w *PartnerAccessWrapper) ApprovedBy(email string) *PartnerAccessWrapper {
	w.Spec.ApprovedBy = email
	return w
}

// Admin appends a partner admin entry without billing.
func (w *PartnerAccessWrapper) Admin(email string) *PartnerAccessWrapper {
	return w.AdminEntry(accessv1.PartnerAdmin{Email: email})
}

// BillingAdmin appends a partner admin entry with billingAccess.
func (w *PartnerAccessWrapper) BillingAdmin(email string) *PartnerAccessWrapper {
	return w.AdminEntry(accessv1.PartnerAdmin{Email: email, BillingAccess: true})
}

// MigratedAdmin appends a partner admin entry migrated from member from.
func (w *PartnerAccessWrapper) MigratedAdmin(email, from string, billing bool) *PartnerAccessWrapper {
	return w.AdminEntry(accessv1.PartnerAdmin{Email: email, MigratedFrom: from, BillingAccess: billing})
}

// AdminEntry appends a partner admin entry as given.
func (w *PartnerAccessWrapper) AdminEntry(a accessv1.PartnerAdmin) *PartnerAccessWrapper {
	w.Spec.PartnerAdmins = append(w.Spec.PartnerAdmins, a)
	return w
}

// ExpiresAt sets spec.expiresAt.
func (w *PartnerAccessWrapper) ExpiresAt(s string) *PartnerAccessWrapper {
	w.Spec.ExpiresAt = s
	return w
}

// Obj returns the PartnerAccess.
func (w *PartnerAccessWrapper) Obj() *accessv1.PartnerAccess { return &w.PartnerAccess }

// ---------------------------------------------------------------- VisibilityPolicy

// PolicyWrapper builds a VisibilityPolicy.
type PolicyWrapper struct{ accessv1.VisibilityPolicy }

// MakePolicy starts the VisibilityPolicy "default" of namespace ns, with
// every setting at its default.
func MakePolicy(ns string) *PolicyWrapper {
	return &PolicyWrapper{accessv1.VisibilityPolicy{
		TypeMeta:   typeMeta(accessv1.KindVisibilityPolicy),
		ObjectMeta: metav1.ObjectMeta{Name: accessv1.DefaultPolicyName, Namespace: ns},
	}}
}

// Name renames the policy.
func (w *PolicyWrapper) Name(n string) *PolicyWrapper {
	w.ObjectMeta.Name = n
	return w
}

// Mode sets spec.mode.
func (w *PolicyWrapper) Mode(m accessv1.VisibilityMode) *PolicyWrapper {
	w.Spec.Mode = m
	return w
}

// Hierarchy sets spec.hierarchy.
func (w *PolicyWrapper) Hierarchy(h accessv1.HierarchySetting) *PolicyWrapper {
	w.Spec.Hierarchy = h
	return w
}

// HierarchyDisabled sets spec.hierarchy Disabled.
func (w *PolicyWrapper) HierarchyDisabled() *PolicyWrapper {
	return w.Hierarchy(accessv1.HierarchyDisabled)
}

// ObjectType appends an objectTypes entry with PermissionGroup settings.
func (w *PolicyWrapper) ObjectType(name string, def accessv1.Visibility, allowed ...accessv1.Visibility) *PolicyWrapper {
	w.Spec.ObjectTypes = append(w.Spec.ObjectTypes, accessv1.ObjectTypePolicy{
		Name:                name,
		DefaultVisibility:   def,
		AllowedVisibilities: append([]accessv1.Visibility(nil), allowed...),
	})
	return w
}

// Exempt appends an objectTypes entry exempt from roles.
func (w *PolicyWrapper) Exempt(name string) *PolicyWrapper {
	w.Spec.ObjectTypes = append(w.Spec.ObjectTypes, accessv1.ObjectTypePolicy{Name: name, ExemptFromRoles: true})
	return w
}

// Share appends a sharing rule.
func (w *PolicyWrapper) Share(name string, types []string, from, to accessv1.Subject, access accessv1.AccessLevel) *PolicyWrapper {
	w.Spec.SharingRules = append(w.Spec.SharingRules, accessv1.SharingRule{
		Name:        name,
		ObjectTypes: append([]string(nil), types...),
		From:        from,
		To:          to,
		Access:      access,
	})
	return w
}

// DeptDefault sets spec.departmentDefault.
func (w *PolicyWrapper) DeptDefault(a accessv1.AccessLevel) *PolicyWrapper {
	w.Spec.DepartmentDefault = &a
	return w
}

// DeptRule appends a department rule.
func (w *PolicyWrapper) DeptRule(types []string, from, to accessv1.Subject, access accessv1.AccessLevel, hidden ...string) *PolicyWrapper {
	w.Spec.DepartmentRules = append(w.Spec.DepartmentRules, accessv1.DepartmentRule{
		ObjectTypes:  append([]string(nil), types...),
		From:         from,
		To:           to,
		Access:       access,
		HiddenFields: append([]string(nil), hidden...),
	})
	return w
}

// Obj returns the VisibilityPolicy.
func (w *PolicyWrapper) Obj() *accessv1.VisibilityPolicy { return &w.VisibilityPolicy }

// ---------------------------------------------------------------- EffectivePermission

// EffectivePermissionWrapper builds a user-written EffectivePermission (the
// engine must report it: only the controller writes them).
type EffectivePermissionWrapper struct{ accessv1.EffectivePermission }

// MakeEffectivePermission starts an EffectivePermission named name in ns.
func MakeEffectivePermission(ns, name string) *EffectivePermissionWrapper {
	return &EffectivePermissionWrapper{accessv1.EffectivePermission{
		TypeMeta:   typeMeta(accessv1.KindEffectivePermission),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       accessv1.EffectivePermissionSpec{Tenant: ns, User: Email(ns, name), Active: true},
	}}
}

// User sets spec.user.
func (w *EffectivePermissionWrapper) User(e string) *EffectivePermissionWrapper {
	w.Spec.User = e
	return w
}

// AccountRole sets spec.accountRole.
func (w *EffectivePermissionWrapper) AccountRole(r accessv1.UserRole) *EffectivePermissionWrapper {
	w.Spec.AccountRole = r
	return w
}

// Caps sets spec.capabilities.
func (w *EffectivePermissionWrapper) Caps(names ...string) *EffectivePermissionWrapper {
	w.Spec.Capabilities = append([]string(nil), names...)
	return w
}

// Obj returns the EffectivePermission.
func (w *EffectivePermissionWrapper) Obj() *accessv1.EffectivePermission {
	return &w.EffectivePermission
}

// ---------------------------------------------------------------- metadata

// Terminating marks o (a wrapper or an API object) as being deleted:
// metadata.deletionTimestamp set a minute before Now, and a finalizer that
// holds it, as Kubernetes leaves an object whose finalizers have not run.
func Terminating[T metav1.Object](o T) T {
	ts := metav1.NewTime(Now.Add(-time.Minute))
	o.SetDeletionTimestamp(&ts)
	o.SetFinalizers(append(o.GetFinalizers(), "example.com/hold"))
	return o
}

// CreatedAt sets metadata.creationTimestamp of o (a wrapper or an API
// object).
func CreatedAt[T metav1.Object](o T, at time.Time) T {
	o.SetCreationTimestamp(metav1.NewTime(at))
	return o
}
