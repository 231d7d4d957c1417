package anchorbench

import (
	"fmt"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/hack/decisionbench"
)

// What the policy writers decide before any engine sees a tuple or a
// policy line, as decisionbench's OpenFGA tuple writer does: which members
// are active, each member's account role, whether a PartnerAccess is
// active, which of its entries make a partner admin, and what a valid
// partner staff grant gives after its admin's ceiling. What stays a graph
// for the engines to walk at check time: PermissionSets and the
// implications between actions, the role tree, peers, sharing rules, the
// CEO role, and the owner of each record.

// Account-role rows of semantics.md §1 and §4 for capabilities.
var (
	adminWithheld        = []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"}
	developerCaps        = []string{"account.settings", "roles.manage"}
	neverGrantedPartners = []string{"datacenter.migration", "payments.instruments", "scim.provisioning"}
)

// allActions are the seven object actions.
var allActions = []accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// implied are the actions a granted action gives (semantics.md §1), itself
// included.
func implied(a accessv1.Action) []accessv1.Action {
	switch a {
	case accessv1.ActionEdit, accessv1.ActionDelete, accessv1.ActionExport, accessv1.ActionViewAll:
		return []accessv1.Action{a, accessv1.ActionView}
	case accessv1.ActionModifyAll:
		return []accessv1.Action{a, accessv1.ActionViewAll, accessv1.ActionEdit, accessv1.ActionDelete, accessv1.ActionView}
	}
	return []accessv1.Action{a}
}

// directImplied are the edges of the implication graph: what a granted
// action gives directly (the role-graph model walks them).
func directImplied(a accessv1.Action) []accessv1.Action {
	switch a {
	case accessv1.ActionEdit, accessv1.ActionDelete, accessv1.ActionExport, accessv1.ActionViewAll:
		return []accessv1.Action{accessv1.ActionView}
	case accessv1.ActionModifyAll:
		return []accessv1.Action{accessv1.ActionViewAll, accessv1.ActionEdit, accessv1.ActionDelete}
	}
	return nil
}

// expandTypes are the world's types an ObjectActions entry names ("*" is
// every type).
func expandTypes(named []string) []string {
	if slices.Contains(named, accessv1.AllTypes) {
		return decisionbench.Types
	}
	var out []string
	for _, t := range named {
		if slices.Contains(decisionbench.Types, t) {
			out = append(out, t)
		}
	}
	return out
}

// Facts are one tenant's inputs as the policy writers resolve them.
type Facts struct {
	Tenant string
	Sets   []accessv1.PermissionSet
	Roles  []accessv1.Role
	Policy *accessv1.VisibilityPolicy
	// Active members by account role (e-mails); Role is each active
	// member's role in the tree (Standard members and SuperAdmins holding
	// one), PermissionSets each active member's sets.
	SuperAdmins, Admins, Developers, Standard []string
	Role                                      map[string]string
	PermissionSets                            map[string][]string
	// PartnerAdmins are the valid partner admins in the tenant, with
	// whether each has billingAccess.
	PartnerAdmins map[string]bool
	// Staff are the valid partner staff grants in the tenant.
	Staff []StaffGrant
	// ActiveMember says whether an e-mail is an active member (owns
	// records others may reach through role paths).
	ActiveMember map[string]bool
}

// Facts resolves every tenant of the world.
func (b *Bench) Facts() []*Facts {
	var out []*Facts
	for _, t := range b.World.Tenants {
		f := &Facts{Tenant: t.Name(), Sets: t.Sets, Roles: t.Roles, Policy: t.Policy,
			Role: map[string]string{}, PermissionSets: map[string][]string{}, PartnerAdmins: map[string]bool{}, ActiveMember: map[string]bool{}}
		for i := range t.Members {
			m := &t.Members[i]
			if !m.IsActive() {
				continue
			}
			e := m.Spec.Email
			f.ActiveMember[e] = true
			f.PermissionSets[e] = m.Spec.PermissionSets
			switch m.AccountRoleOrDefault() {
			case accessv1.AccountRoleSuperAdmin:
				f.SuperAdmins = append(f.SuperAdmins, e)
				if m.Spec.Role != "" {
					f.Role[e] = m.Spec.Role
				}
			case accessv1.AccountRoleAdmin:
				f.Admins = append(f.Admins, e)
			case accessv1.AccountRoleDeveloper:
				f.Developers = append(f.Developers, e)
			case accessv1.AccountRoleStandard:
				f.Standard = append(f.Standard, e)
				f.Role[e] = m.Spec.Role
			}
		}
		for _, pa := range t.Access {
			// Every PartnerAccess the generator writes is approved by the
			// client's first SuperAdmin and never expires.
			approver := t.Member(pa.Spec.ApprovedBy)
			if approver == nil || !approver.IsActive() || approver.AccountRoleOrDefault() != accessv1.AccountRoleSuperAdmin || pa.Spec.ExpiresAt != "" {
				panic(fmt.Sprintf("anchorbench: PartnerAccess %s/%s is not approved by an active SuperAdmin without expiry: the writers here do not resolve that", t.Name(), pa.Name))
			}
			partner := b.World.Tenant(pa.Spec.Partner)
			for _, e := range pa.Spec.PartnerAdmins {
				if m := partner.Member(e.Email); m != nil && m.IsActive() && m.Spec.PartnerSeat && m.EmploymentOrDefault() == accessv1.EmploymentEmployee {
					f.PartnerAdmins[e.Email] = e.BillingAccess
				}
			}
		}
		if t.Name() == decisionbench.ClientTenant {
			f.Staff = b.Staff
		}
		out = append(out, f)
	}
	return out
}

// Members of role r among the active Standard members, and SuperAdmins
// holding it.
func (f *Facts) members() map[string][]string {
	out := map[string][]string{}
	for _, e := range f.Standard {
		out[f.Role[e]] = append(out[f.Role[e]], e)
	}
	return out
}

// children are the roles reporting to each role (ceo included).
func (f *Facts) children() map[string][]string {
	out := map[string][]string{}
	for i := range f.Roles {
		out[f.Roles[i].Parent()] = append(out[f.Roles[i].Parent()], f.Roles[i].Name)
	}
	return out
}

// parent is the role each role reports to.
func (f *Facts) parent() map[string]string {
	out := map[string]string{}
	for i := range f.Roles {
		out[f.Roles[i].Name] = f.Roles[i].Parent()
	}
	return out
}

// allAccess are the users holding every action with ReadWrite on every
// record: SuperAdmins, Admins and partner admins (semantics.md §1, §4).
func (f *Facts) allAccess() []string {
	out := slices.Concat(f.SuperAdmins, f.Admins)
	for e := range f.PartnerAdmins {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// capsOf are the capabilities of an account role's row among the asked
// capability names.
func capsOf(accountRole string, billing bool) []string {
	var out []string
	for _, c := range decisionbench.Capabilities {
		switch accountRole {
		case "superadmin":
			out = append(out, c)
		case "admin":
			if !slices.Contains(adminWithheld, c) {
				out = append(out, c)
			}
		case "developer":
			if slices.Contains(developerCaps, c) {
				out = append(out, c)
			}
		case "partneradmin":
			if slices.Contains(partnerAdminCaps, c) || (c == "billing.access" && billing) {
				out = append(out, c)
			}
		}
	}
	return out
}
