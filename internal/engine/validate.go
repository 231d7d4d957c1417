package engine

import (
	"maps"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// validate is the engine's second stage: within each tenant, the role tree
// and the role limit, the visibility policy, the PermissionSets and the
// Members (e-mails, account roles, roles, sets), each reported where it is
// wrong. What is broken is marked so that the later stages grant nothing
// from it.
func (w *world) validate() {
	for _, t := range w.tenants {
		t.roles = buildRoleTree(t, t.roleObjs, &w.fs)
		if t.obj.Spec.Limits != nil && t.obj.Spec.Limits.Roles != nil && int32(len(t.roleObjs)) > *t.obj.Spec.Limits.Roles {
			w.fs.add(Refused, t.name, refOf(accessv1.KindTenant, "", t.name), "spec.limits.roles", accessv1.ReasonRoleLimitExceeded,
				"tenant %q has %d custom roles, more than its limit of %d (the built-in ceo does not count); delete roles or raise spec.limits.roles",
				t.name, len(t.roleObjs), *t.obj.Spec.Limits.Roles)
		}
		t.policy.build(t, &w.fs)
		for _, name := range slices.Sorted(maps.Keys(t.sets)) {
			if name != accessv1.PartnerAdminPermissionSet {
				checkPermissionSet(t, t.sets[name], &w.fs)
			}
		}
		w.validateMembers(t, t.memberObjs)
	}
}

// validateMembers resolves each member's e-mail, account role and role, and
// reports what is wrong with them.
func (w *world) validateMembers(t *tenant, ms []*accessv1.Member) {
	fs := &w.fs
	// One allocation for every member, and one for every e-mail's list of
	// members while it has one (a second one moves it).
	slab, lists := make([]member, len(ms)), make([]*member, len(ms))
	t.members = slices.Grow(t.members, len(ms))
	if len(t.byEmail) == 0 {
		t.byEmail = make(map[string][]*member, len(ms))
	}
	t.setUsers = make(map[string]int32, len(t.sets))
	for i, obj := range ms {
		m := &slab[i]
		*m = member{obj: obj, email: strings.ToLower(obj.Spec.Email), active: obj.IsActive(),
			accountRole: obj.AccountRoleOrDefault(), declaredRole: obj.Spec.Role}
		m.usable = m.active
		ref := refOf(accessv1.KindMember, t.ns, obj.Name)
		if !ValidEmail(obj.Spec.Email) {
			m.usable = false
			fs.add(Refused, t.name, ref, "spec.email", accessv1.ReasonInvalidEmail,
				"%s is not a valid e-mail address; write it as name@example.com", obj.Spec.Email)
		}
		switch m.accountRole {
		case accessv1.AccountRoleStandard, accessv1.AccountRoleSuperAdmin:
			var node *roleNode
			if obj.Spec.Role != "" {
				node = t.roles.nodes[obj.Spec.Role]
			}
			switch {
			case obj.Spec.Role == "" && m.accountRole == accessv1.AccountRoleStandard:
				fs.add(Refused, t.name, ref, "spec.role", accessv1.ReasonRoleRequired,
					"member %q is Standard and must have a role: set spec.role to a Role of its tenant (for example ceo), or choose another accountRole", obj.Name)
			case obj.Spec.Role == "":
			case node != nil:
				m.role, m.node = obj.Spec.Role, node
			case w.beingDeleted(accessv1.KindRole, t.ns, obj.Spec.Role):
				f := fs.add(Reported, t.name, ref, "spec.role", accessv1.ReasonRoleNotFound,
					"member %q has role %q, which is being deleted in tenant %q; from now on the member has no role (own records, All and Public paths only): set spec.role to another Role",
					obj.Name, obj.Spec.Role, t.name)
				w.drop(t.name, m.email, f)
			default:
				f := fs.add(Reported, t.name, ref, "spec.role", accessv1.ReasonRoleNotFound,
					"member %q has role %q, which does not exist in tenant %q; until it does, the member has no role (own records, All and Public paths only): create Role %q or fix spec.role",
					obj.Name, obj.Spec.Role, t.name, obj.Spec.Role)
				w.drop(t.name, m.email, f)
			}
		case accessv1.AccountRoleAdmin, accessv1.AccountRoleDeveloper:
			if obj.Spec.Role != "" {
				fs.add(Refused, t.name, ref, "spec.role", accessv1.ReasonRoleForbidden,
					"member %q is %s and must not have a role (admins and developers hold no role): remove spec.role, or make the member Standard", obj.Name, m.accountRole)
			}
		default:
			m.usable = false
			fs.add(Refused, t.name, ref, "spec.accountRole", accessv1.ReasonInvalidValue,
				"member %q has accountRole %q; it must be one of SuperAdmin, Admin, Developer, Standard; it grants nothing until fixed", obj.Name, m.accountRole)
		}
		if e := obj.Spec.Employment; e != "" && e != accessv1.EmploymentEmployee && e != accessv1.EmploymentContractor {
			fs.add(Refused, t.name, ref, "spec.employment", accessv1.ReasonInvalidValue,
				"member %q has employment %q; it must be Employee or Contractor", obj.Name, e)
		}
		t.countSetUsers(obj)
		for i, name := range obj.Spec.PermissionSets {
			if _, ok := t.sets[name]; !ok && w.beingDeleted(accessv1.KindPermissionSet, t.ns, name) {
				f := fs.add(Reported, t.name, ref, fieldIndex("spec.permissionSets", i), accessv1.ReasonPermissionSetNotFound,
					"member %q names PermissionSet %q, which is being deleted in tenant %q; it grants nothing from now on: remove it from spec.permissionSets",
					obj.Name, name, t.name)
				w.drop(t.name, m.email, f)
			} else if !ok {
				f := fs.add(Reported, t.name, ref, fieldIndex("spec.permissionSets", i), accessv1.ReasonPermissionSetNotFound,
					"member %q names PermissionSet %q, which does not exist in tenant %q; it grants nothing until it does: create it or remove it from spec.permissionSets",
					obj.Name, name, t.name)
				w.drop(t.name, m.email, f)
			}
		}
		t.members = append(t.members, m)
		if same, ok := t.byEmail[m.email]; ok {
			t.byEmail[m.email] = append(same, m) // cap 1: a new array
		} else {
			lists[i] = m
			t.byEmail[m.email] = lists[i : i+1 : i+1]
		}
	}
	for _, ms := range t.byEmail { // each Member's group, without a lookup each
		for _, m := range ms {
			m.same = ms
		}
	}
	for _, first := range t.members {
		email, ms := first.email, first.same
		if len(ms) < 2 || ms[0] != first {
			continue // one Member, or a group met already at its first
		}
		names := make([]string, len(ms))
		for i, m := range ms {
			names[i] = m.name()
		}
		for _, m := range ms {
			m.usable = false
			fs.add(Refused, t.name, refOf(accessv1.KindMember, t.ns, m.name()), "spec.email", accessv1.ReasonDuplicateEmail,
				"e-mail %s is used by members %s of tenant %q; an e-mail must be unique in a tenant and neither is granted anything: remove or change the duplicates",
				email, quoted(names, " and "), t.name)
		}
	}
	supers := 0
	for _, m := range t.members {
		if m.isActiveSuperAdmin() {
			supers++
		}
	}
	if supers == 0 {
		leaving := w.deletingMembers(t.ns, func(m *accessv1.Member) bool {
			return m.IsActive() && m.AccountRoleOrDefault() == accessv1.AccountRoleSuperAdmin
		})
		names := make([]string, len(leaving))
		for i, m := range leaving {
			names[i] = m.Name
		}
		why := superAdminsLeaving(names)
		fs.add(Reported, t.name, refOf(accessv1.KindTenant, "", t.name), "spec", accessv1.ReasonNoSuperAdmin,
			"tenant %q has no active SuperAdmin%s; every tenant needs at least one: make an active member accountRole SuperAdmin", t.name, why)
	}
}

// countSetUsers counts, for the summary, the Member obj as a user of each
// set of the tenant it names, and each of its clientAccess entries as one
// of each set that entry names: once, however often it names it. Counted
// here, where the Member is read anyway: a second walk over 10,000 Members
// for it (in summarize) read each one's lists again, about 4 ms of a big
// tenant's pass after a pause.
func (t *tenant) countSetUsers(obj *accessv1.Member) {
	count := func(names []string) {
		for i, name := range names {
			if _, ok := t.sets[name]; ok && !slices.Contains(names[:i], name) {
				t.setUsers[name]++
			}
		}
	}
	count(obj.Spec.PermissionSets)
	for _, ca := range obj.Spec.ClientAccess {
		count(ca.PermissionSets)
	}
}

// checkPermissionSet reports values the API server's schema would refuse
// (offline manifests are not schema-checked) and the "*" capability.
func checkPermissionSet(t *tenant, ps *accessv1.PermissionSet, fs *findings) {
	ref := refOf(accessv1.KindPermissionSet, t.ns, ps.Name)
	for i, o := range ps.Spec.Objects {
		for j, a := range o.Actions {
			if _, ok := actionBit(a); !ok {
				fs.add(Refused, t.name, ref, fieldIndex(fieldIndex("spec.objects", i)+".actions", j), accessv1.ReasonInvalidValue,
					"PermissionSet %q has action %q; it must be one of view, create, edit, delete, export, viewAll, modifyAll; it grants nothing", ps.Name, a)
			}
		}
	}
	for i, c := range ps.Spec.Capabilities {
		if c == accessv1.AllCapabilities || c == "" {
			fs.add(Refused, t.name, ref, fieldIndex("spec.capabilities", i), accessv1.ReasonInvalidValue,
				"PermissionSet %q has capability %q, which is not a capability name; name each capability (only a SuperAdmin holds every capability)", ps.Name, c)
		}
	}
}
