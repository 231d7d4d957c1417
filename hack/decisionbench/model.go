package decisionbench

import (
	"fmt"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Tuple is one OpenFGA relationship tuple.
type Tuple struct {
	User     string `json:"user"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

// fgaAction is the OpenFGA name of an action: a relation of objecttype, and
// with "can_" before it, of a record.
var fgaAction = map[accessv1.Action]string{
	accessv1.ActionView: "view", accessv1.ActionCreate: "create", accessv1.ActionEdit: "edit",
	accessv1.ActionDelete: "delete", accessv1.ActionExport: "export", accessv1.ActionViewAll: "view_all",
	accessv1.ActionModifyAll: "modify_all",
}

// Model is the OpenFGA authorization model (DSL) of the world's rules, for
// the record types given. Every object but user is scoped by tenant in its
// id ("role:client/role-0001"), so nothing reaches across tenants except
// where the model says (a PartnerAccess's partner).
//
// What it says, by semantics.md:
//   - §1 functional permissions: objecttype:<tenant>/<type> holds the
//     actions PermissionSets grant (g_*), with the implications (edit,
//     delete, export and viewAll imply view; modifyAll implies viewAll, edit
//     and delete); SuperAdmins, Admins and partner admins hold every action.
//   - capabilities: capability:<tenant>/<name> holds what PermissionSets
//     grant and what each account role's table row gives; the three
//     never-granted ones are withheld from partner admins.
//   - §2 record access of a record <type>:<tenant>/<owner>: All (modifyAll
//     ReadWrite, viewAll Read), Own, CEO (members of the ceo role), the
//     hierarchy (members of strict ancestors of the owner's role), peers
//     (the owner's role shares with its own members), sharing rules (per
//     type, from the owner's role or the owner, to a role's members or a
//     user), all gated by the functional action; create is functional only.
//   - §4 partner admins: an entry of a PartnerAccess whose person is, in
//     the partner tenant, both an Employee and seated.
//
// Account roles, activity and approval are the tuple writer's (Tuples):
// deactivated members get no tuple at all, Developers and Admins are in no
// role, and only an approved, unexpired PartnerAccess is linked.
func Model(types []string) string {
	var b strings.Builder
	b.WriteString(`model
  schema 1.1

type user

type tenant
  relations
    define superadmin: [user]
    define admin: [user]
    define developer: [user]
    define ceo: [role#member]
    define employee: [user]
    define seat: [user]
    define seated_employee: employee and seat
    define partner_access: [partner_access]
    define partner_admin: valid_admin from partner_access
    define partner_admin_billing: billing_admin from partner_access
    define all_access: superadmin or admin or partner_admin

type partner_access
  relations
    define partner: [tenant]
    define admin_entry: [user]
    define billing_entry: [user]
    define valid_admin: admin_entry and seated_employee from partner
    define billing_admin: billing_entry and valid_admin

type permset
  relations
    define member: [user]

type capability
  relations
    define granted: [permset#member, tenant#superadmin, tenant#admin, tenant#developer, tenant#partner_admin, tenant#partner_admin_billing]
    define withheld: [tenant#partner_admin]
    define holder: granted but not withheld

type objecttype
  relations
    define tenant: [tenant]
    define g_view: [permset#member]
    define g_create: [permset#member]
    define g_edit: [permset#member]
    define g_delete: [permset#member]
    define g_export: [permset#member]
    define g_view_all: [permset#member]
    define g_modify_all: [permset#member]
    define modify_all: g_modify_all or all_access from tenant
    define view_all: g_view_all or modify_all
    define edit: g_edit or modify_all
    define delete: g_delete or modify_all
    define export: g_export or all_access from tenant
    define create: g_create or all_access from tenant
    define view: g_view or edit or delete or export or view_all

type role
  relations
    define parent: [role]
    define member: [user]
    define above: member from parent or above from parent
    define peer: [role#member]
`)
	for _, typ := range types {
		fmt.Fprintf(&b, "    define share_read_%[1]s: [role#member, user]\n    define share_rw_%[1]s: [role#member, user]\n", fgaName(typ))
	}
	b.WriteString(`
type member
  relations
    define person: [user]
    define role: [role]
    define hierarchy: above from role
    define peers: peer from role
`)
	for _, typ := range types {
		fmt.Fprintf(&b, "    define share_read_%[1]s: [role#member, user] or share_read_%[1]s from role\n    define share_rw_%[1]s: [role#member, user] or share_rw_%[1]s from role\n", fgaName(typ))
	}
	for _, typ := range types {
		fmt.Fprintf(&b, `
type %[1]s
  relations
    define tenant: [tenant]
    define objtype: [objecttype]
    define owner: [member]
    define read_write: modify_all from objtype or ceo from tenant or person from owner or hierarchy from owner or peers from owner or share_rw_%[1]s from owner
    define read: read_write or view_all from objtype or share_read_%[1]s from owner
    define can_view: read and view from objtype
    define can_export: read and export from objtype
    define can_view_all: read and view_all from objtype
    define can_edit: read_write and edit from objtype
    define can_delete: read_write and delete from objtype
    define can_modify_all: read_write and modify_all from objtype
    define can_create: create from objtype
`, fgaName(typ))
	}
	return b.String()
}

// fgaName is an object type as an OpenFGA type or relation name part.
func fgaName(typ string) string { return strings.ReplaceAll(typ, "-", "_") }

// The account-role rows of semantics.md §1 and §4 for capabilities.
var (
	adminWithheld        = []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"}
	developerCaps        = []string{"account.settings", "roles.manage"}
	partnerAdminCaps     = []string{"account.settings", "multiAccount.manage", "partner.staff.manage", "payments.links", "reports.access", "roles.manage", "sales.paidFeatures", "service.paidFeatures", "users.manage"}
	neverGrantedPartners = []string{"datacenter.migration", "payments.instruments", "scim.provisioning"}
)

// Tuples writes the world as OpenFGA tuples for Model(types): what an
// application keeping OpenFGA in step with these inputs would write. It
// decides what the model does not express: activity (a deactivated member
// gets no tuple), account roles (which of superadmin, admin, developer or a
// role), and whether a PartnerAccess is approved and unexpired (every one
// the generator makes is).
func (w *World) Tuples(types []string) []Tuple {
	var out []Tuple
	add := func(user, relation, object string) {
		out = append(out, Tuple{User: user, Relation: relation, Object: object})
	}
	for _, t := range w.Tenants {
		tn := t.Name()
		tenant := "tenant:" + tn
		obj := func(kind, name string) string { return kind + ":" + tn + "/" + name }
		add("role:"+tn+"/"+accessv1.CEORole+"#member", "ceo", tenant)
		for _, typ := range types {
			add(tenant, "tenant", obj("objecttype", typ))
		}
		for i := range t.Roles {
			r := &t.Roles[i]
			add(obj("role", r.Parent()), "parent", obj("role", r.Name))
			if r.Spec.ShareDataWithPeers {
				add(obj("role", r.Name)+"#member", "peer", obj("role", r.Name))
			}
		}
		for i := range t.Sets {
			ps := &t.Sets[i]
			subject := obj("permset", ps.Name) + "#member"
			for _, o := range ps.Spec.Objects {
				for _, typ := range expandTypes(o.Types, types) {
					for _, a := range o.Actions {
						add(subject, "g_"+fgaAction[a], obj("objecttype", typ))
					}
				}
			}
			for _, c := range ps.Spec.Capabilities {
				add(subject, "granted", obj("capability", c))
			}
		}
		for _, c := range Capabilities {
			add(tenant+"#superadmin", "granted", obj("capability", c))
			if !slices.Contains(adminWithheld, c) {
				add(tenant+"#admin", "granted", obj("capability", c))
			}
			if slices.Contains(developerCaps, c) {
				add(tenant+"#developer", "granted", obj("capability", c))
			}
			if slices.Contains(partnerAdminCaps, c) {
				add(tenant+"#partner_admin", "granted", obj("capability", c))
			}
			if c == "billing.access" {
				add(tenant+"#partner_admin_billing", "granted", obj("capability", c))
			}
			if slices.Contains(neverGrantedPartners, c) {
				add(tenant+"#partner_admin", "withheld", obj("capability", c))
			}
		}
		for i := range t.Members {
			m := &t.Members[i]
			if !m.IsActive() {
				continue
			}
			user := "user:" + m.Spec.Email
			add(user, "person", obj("member", m.Spec.Email))
			switch m.AccountRoleOrDefault() {
			case accessv1.AccountRoleSuperAdmin:
				add(user, "superadmin", tenant)
				if m.Spec.Role != "" {
					add(obj("role", m.Spec.Role), "role", obj("member", m.Spec.Email))
				}
			case accessv1.AccountRoleAdmin:
				add(user, "admin", tenant)
			case accessv1.AccountRoleDeveloper:
				add(user, "developer", tenant)
			case accessv1.AccountRoleStandard:
				add(user, "member", obj("role", m.Spec.Role))
				add(obj("role", m.Spec.Role), "role", obj("member", m.Spec.Email))
			}
			for _, ps := range m.Spec.PermissionSets {
				add(user, "member", obj("permset", ps))
			}
			if t.Tenant.IsPartner() && m.EmploymentOrDefault() == accessv1.EmploymentEmployee {
				add(user, "employee", tenant)
			}
			if t.Tenant.IsPartner() && m.Spec.PartnerSeat {
				add(user, "seat", tenant)
			}
		}
		if t.Policy != nil {
			for _, r := range t.Policy.Spec.SharingRules {
				to := "user:" + r.To.User
				if r.To.Role != "" {
					to = obj("role", r.To.Role) + "#member"
				}
				from := obj("member", r.From.User)
				if r.From.Role != "" {
					from = obj("role", r.From.Role)
				} else if m := t.Member(r.From.User); m == nil || !m.IsActive() {
					continue // the rule names no active member: it reaches no record
				}
				level := "share_read_"
				if r.Access == accessv1.AccessReadWrite {
					level = "share_rw_"
				}
				for _, typ := range r.ObjectTypes {
					if slices.Contains(types, typ) {
						add(to, level+fgaName(typ), from)
					}
				}
			}
		}
		for _, pa := range t.Access {
			link := obj("partner_access", pa.Name)
			add(link, "partner_access", tenant)
			add("tenant:"+pa.Spec.Partner, "partner", link)
			for _, e := range pa.Spec.PartnerAdmins {
				add("user:"+e.Email, "admin_entry", link)
				if e.BillingAccess {
					add("user:"+e.Email, "billing_entry", link)
				}
			}
		}
		for _, typ := range types {
			for _, owner := range t.Owners() {
				rec := RecordObject(tn, typ, owner)
				add(tenant, "tenant", rec)
				add(obj("objecttype", typ), "objtype", rec)
				add(obj("member", owner), "owner", rec)
			}
		}
	}
	return out
}

// RecordObject is the OpenFGA object of the record of typ owned by owner in
// tenant (each owner has one record of each type).
func RecordObject(tenant, typ, owner string) string {
	return fgaName(typ) + ":" + tenant + "/" + owner
}

func expandTypes(named, types []string) []string {
	if slices.Contains(named, accessv1.AllTypes) {
		return types
	}
	var out []string
	for _, t := range named {
		if slices.Contains(types, t) {
			out = append(out, t)
		}
	}
	return out
}
