package engine

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

var emailRE = regexp.MustCompile(accessv1.EmailPattern)

// ValidEmail reports whether s is an e-mail address as Members and
// PartnerAccess entries must write one (accessv1.EmailPattern, the CRDs' CEL
// rule).
func ValidEmail(s string) bool { return emailRE.MatchString(s) }

// tenant is everything the engine knows about one tenant.
type tenant struct {
	name string
	ns   string
	obj  *accessv1.Tenant

	members []*member            // sorted by name
	byEmail map[string][]*member // lowercase e-mail → members (more than one: duplicates)
	roles   *roleTree
	sets    map[string]*accessv1.PermissionSet // the built-in partner-admin included
	pas     []*accessv1.PartnerAccess          // sorted by name
	policy  policy

	// filled by the partner pass
	activePartners map[string]bool           // partner tenant → has an active PartnerAccess here
	admins         map[string]*adminGrant    // partner + "/" + e-mail → grant
	partnerParts   map[string]*partnerPerson // e-mail → partner grants in this tenant
	// phases of PartnerAccess objects, by name
	paPhase map[string]accessv1.PartnerAccessPhase
}

// member is one Member with what the engine resolved about it.
type member struct {
	obj   *accessv1.Member
	email string // lowercase
	// usable is false for inactive, duplicate-e-mail, invalid-e-mail or
	// unknown-account-role members: they grant nothing.
	usable      bool
	active      bool
	accountRole accessv1.AccountRole
	// role is the member's resolved role: an existing Role for Standard and
	// SuperAdmin members, "" otherwise (no role, dangling role, Admin, Developer).
	role string
	// declaredRole is spec.role as written (shown in the EffectivePermission).
	declaredRole string
}

func (m *member) name() string { return m.obj.Name }

func (m *member) isActiveSuperAdmin() bool {
	return m.usable && m.accountRole == accessv1.AccountRoleSuperAdmin
}

// unique returns the one usable member with this e-mail, or nil.
func (t *tenant) unique(email string) *member {
	ms := t.byEmail[strings.ToLower(email)]
	if len(ms) != 1 || !ms[0].usable {
		return nil
	}
	return ms[0]
}

// single returns the one member with this e-mail, usable or not, or nil
// when there is none or more than one.
func (t *tenant) single(email string) *member {
	ms := t.byEmail[strings.ToLower(email)]
	if len(ms) != 1 {
		return nil
	}
	return ms[0]
}

func (t *tenant) isPartner() bool { return t.obj.IsPartner() }

// world is the indexed snapshot.
type world struct {
	tenants []*tenant          // sorted by name
	byName  map[string]*tenant // Tenant name → tenant
	fs      findings
	// reach records, per partner Member, each client it reaches or tries to.
	reach map[ObjectRef][]accessv1.ClientReach
	// pending holds the Refused findings that objects yet to arrive could
	// clear (admission accepts and reports them, see Admit).
	pending map[Finding]bool
	// dropped holds, per person in a tenant, the findings that dropped part
	// of what the person's own entries would give there: their Member's
	// missing role or PermissionSets, their partner admin entry, their
	// clientAccess entries and templates. Keyed by tenant name and
	// lowercase e-mail; the person's EffectivePermission says Degraded.
	dropped map[personKey][]Finding
	// deleting holds the input objects being deleted (semantics.md §6:
	// they count as gone), so that findings can say why something is
	// missing; leaving maps the namespace of each Tenant being deleted to
	// its name.
	deleting map[ObjectRef]any
	leaving  map[string]string
	// neverSeen: the PermissionSets used as partner admins' own sets
	// already reported for holding never-granted capabilities.
	neverSeen map[*accessv1.PermissionSet]bool
}

// beingDeleted reports whether the input object kind namespace/name is
// being deleted.
func (w *world) beingDeleted(kind, namespace, name string) bool {
	_, ok := w.deleting[refOf(kind, namespace, name)]
	return ok
}

// deletingMembers returns the Members of namespace ns being deleted for
// which keep says true, sorted by name.
func (w *world) deletingMembers(ns string, keep func(*accessv1.Member) bool) []*accessv1.Member {
	var out []*accessv1.Member
	for ref, o := range w.deleting {
		if m, ok := o.(*accessv1.Member); ok && ref.Namespace == ns && keep(m) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *accessv1.Member) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// deletingMember returns a Member of namespace ns with this e-mail that is
// being deleted, or nil.
func (w *world) deletingMember(ns, email string) *accessv1.Member {
	ms := w.deletingMembers(ns, func(m *accessv1.Member) bool { return strings.EqualFold(m.Spec.Email, email) })
	if len(ms) == 0 {
		return nil
	}
	return ms[0]
}

// deletingAccess returns the name of a PartnerAccess of namespace ns naming
// partner that is being deleted (the first by name), or "".
func (w *world) deletingAccess(ns, partner string) string {
	name := ""
	for ref, o := range w.deleting {
		if pa, ok := o.(*accessv1.PartnerAccess); ok && ref.Namespace == ns && pa.Spec.Partner == partner && (name == "" || pa.Name < name) {
			name = pa.Name
		}
	}
	return name
}

// duplicateTenant is the message for Tenant name claiming namespace ns,
// which holder holds: since when, when the API server says.
func duplicateTenant(name, ns string, holder *accessv1.Tenant) string {
	held := "already holds"
	if !holder.CreationTimestamp.IsZero() {
		held += " (since " + holder.CreationTimestamp.UTC().Format(time.RFC3339) + "; the oldest claim holds a namespace)"
	}
	return fmt.Sprintf("Tenant %q claims namespace %q, which Tenant %q %s; a namespace belongs to one tenant: set spec.namespace to a namespace of its own",
		name, ns, holder.Name, held)
}

// superAdminsLeaving says, for a message, that the SuperAdmins named (sorted)
// are being deleted and count no more; "" for none.
func superAdminsLeaving(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s %s %s being deleted and no longer %s)", plural(len(names), "SuperAdmin", "SuperAdmins"), quoted(names, ", "),
		plural(len(names), "is", "are"), plural(len(names), "counts", "count"))
}

// terminating reports whether an input object is being deleted: its
// metadata.deletionTimestamp is set, whatever finalizers hold it. It then
// counts as gone from that moment (semantics.md §6: deletion is revocation).
func terminating(o metav1.Object) bool { return o.GetDeletionTimestamp() != nil }

// alive returns pointers to the objects that are not being deleted and
// records the others in w.deleting. Indexing drops them here, in one place,
// so that render, the controller and admission agree.
func alive[T any, P interface {
	*T
	metav1.Object
}](w *world, kind string, objs []T) []*T {
	out := make([]*T, 0, len(objs))
	for i := range objs {
		o := P(&objs[i])
		if terminating(o) {
			w.deleting[refOf(kind, o.GetNamespace(), o.GetName())] = o
			continue
		}
		out = append(out, &objs[i])
	}
	return out
}

// personKey is one person (lowercase e-mail) in one tenant (by name).
type personKey struct{ tenant, email string }

// dropLast records that the finding added last dropped part of what email
// would hold in tenant.
func (w *world) dropLast(tenant, email string) {
	w.drop(tenant, email, w.fs[len(w.fs)-1])
}

func (w *world) drop(tenant, email string, f Finding) {
	if w.dropped == nil {
		w.dropped = map[personKey][]Finding{}
	}
	k := personKey{tenant, strings.ToLower(email)}
	w.dropped[k] = append(w.dropped[k], f)
}

// controllerOwned is the finding on an EffectivePermission written by
// anyone but the controller: among offline inputs, or in an admission request.
func controllerOwned(namespace, name string) Finding {
	return refusal(refOf(accessv1.KindEffectivePermission, namespace, name), "metadata.name", accessv1.ReasonControllerOwned,
		"EffectivePermission %s/%s is written only by access-controller; remove it from your manifests (the controller computes it from Members, Roles, PermissionSets, PartnerAccess and the VisibilityPolicy)",
		namespace, name)
}

// pendLast marks the finding added last as pending.
func (w *world) pendLast() {
	if w.pending == nil {
		w.pending = map[Finding]bool{}
	}
	w.pending[w.fs[len(w.fs)-1]] = true
}

func (w *world) reached(p *tenant, m *member, client string, as accessv1.UserRole, reason string) {
	if w.reach == nil {
		w.reach = map[ObjectRef][]accessv1.ClientReach{}
	}
	ref := refOf(accessv1.KindMember, p.ns, m.name())
	w.reach[ref] = append(w.reach[ref], accessv1.ClientReach{Tenant: client, As: as, Reason: reason})
}

func index(s *Snapshot) *world {
	w := &world{byName: map[string]*tenant{}, deleting: map[ObjectRef]any{}, leaving: map[string]string{}}
	byNS := map[string]*tenant{}

	for i := range s.Tenants {
		if t := &s.Tenants[i]; terminating(t) {
			w.leaving[t.NamespaceOrDefault()] = t.Name
		}
	}
	tenants := alive(w, accessv1.KindTenant, s.Tenants)
	// The oldest claim holds a namespace (ties, and offline manifests
	// without a creationTimestamp: the first name).
	slices.SortFunc(tenants, func(a, b *accessv1.Tenant) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	for _, obj := range tenants {
		ns := obj.NamespaceOrDefault()
		if other, ok := byNS[ns]; ok {
			w.fs.add(Refused, obj.Name, refOf(accessv1.KindTenant, "", obj.Name), "spec.namespace", accessv1.ReasonDuplicateTenant, "%s",
				duplicateTenant(obj.Name, ns, other.obj))
			continue
		}
		t := &tenant{name: obj.Name, ns: ns, obj: obj, byEmail: map[string][]*member{},
			sets:           map[string]*accessv1.PermissionSet{accessv1.PartnerAdminPermissionSet: BuiltinPartnerAdminSet(ns)},
			activePartners: map[string]bool{}, admins: map[string]*adminGrant{}, partnerParts: map[string]*partnerPerson{},
			paPhase: map[string]accessv1.PartnerAccessPhase{}}
		byNS[ns] = t
		w.byName[obj.Name] = t
		w.tenants = append(w.tenants, t)
	}
	slices.SortFunc(w.tenants, func(a, b *tenant) int { return cmp.Compare(a.name, b.name) })

	// claim places a namespaced object in its tenant, or reports it.
	claim := func(kind, ns, name string) *tenant {
		if t, ok := byNS[ns]; ok {
			return t
		}
		if leaving, ok := w.leaving[ns]; ok {
			w.fs.add(Reported, "", refOf(kind, ns, name), "metadata.namespace", accessv1.ReasonNoTenant,
				"%s %s/%s is in namespace %q, whose Tenant %q is being deleted; it grants nothing (deletion is revocation): delete the object too, or create a Tenant with spec.namespace %q",
				kind, ns, name, ns, leaving, ns)
			return nil
		}
		w.fs.add(Reported, "", refOf(kind, ns, name), "metadata.namespace", accessv1.ReasonNoTenant,
			"%s %s/%s is in namespace %q, which no Tenant claims; it grants nothing: create a Tenant with spec.namespace %q or move the object into a tenant's namespace",
			kind, ns, name, ns, ns)
		return nil
	}

	rolesByTenant := map[*tenant][]*accessv1.Role{}
	for _, r := range alive(w, accessv1.KindRole, s.Roles) {
		t := claim(accessv1.KindRole, r.Namespace, r.Name)
		if t == nil {
			continue
		}
		if r.Name == accessv1.CEORole {
			if r.Spec.ReportsTo != "" { // the CEL rule's words
				w.fs.add(Refused, t.name, refOf(accessv1.KindRole, t.ns, r.Name), "spec.reportsTo", accessv1.ReasonBuiltIn,
					"the built-in ceo Role is the root of the role tree and cannot have a parent; remove spec.reportsTo")
			}
			w.fs.add(Refused, t.name, refOf(accessv1.KindRole, t.ns, r.Name), "metadata.name", accessv1.ReasonBuiltIn,
				"Role ceo is built in: access-controller creates it in every tenant and it cannot be changed; remove it from your manifests (roles report to ceo by default)")
			continue
		}
		rolesByTenant[t] = append(rolesByTenant[t], r)
	}
	for _, ps := range alive(w, accessv1.KindPermissionSet, s.PermissionSets) {
		t := claim(accessv1.KindPermissionSet, ps.Namespace, ps.Name)
		if t == nil {
			continue
		}
		if ps.Name == accessv1.PartnerAdminPermissionSet {
			w.fs.add(Refused, t.name, refOf(accessv1.KindPermissionSet, t.ns, ps.Name), "metadata.name", accessv1.ReasonBuiltIn,
				"PermissionSet partner-admin is built in: access-controller keeps it in every tenant and it cannot be changed; remove it from your manifests or choose another name")
			continue
		}
		t.sets[ps.Name] = ps
		checkPermissionSet(t, ps, &w.fs)
	}
	for _, pa := range alive(w, accessv1.KindPartnerAccess, s.PartnerAccesses) {
		if t := claim(accessv1.KindPartnerAccess, pa.Namespace, pa.Name); t != nil {
			t.pas = append(t.pas, pa)
		}
	}
	for _, p := range alive(w, accessv1.KindVisibilityPolicy, s.VisibilityPolicies) {
		t := claim(accessv1.KindVisibilityPolicy, p.Namespace, p.Name)
		if t == nil {
			continue
		}
		if p.Name != accessv1.DefaultPolicyName {
			w.fs.add(Refused, t.name, refOf(accessv1.KindVisibilityPolicy, t.ns, p.Name), "metadata.name", accessv1.ReasonPolicyName,
				"a tenant has one VisibilityPolicy and it must be named default, not %s; rename it to default", p.Name)
			continue
		}
		t.policy.obj = p
	}
	for _, ep := range s.EffectivePermissions {
		w.fs = append(w.fs, controllerOwned(ep.Namespace, ep.Name))
	}
	membersByTenant := map[*tenant][]*accessv1.Member{}
	for _, m := range alive(w, accessv1.KindMember, s.Members) {
		if t := claim(accessv1.KindMember, m.Namespace, m.Name); t != nil {
			membersByTenant[t] = append(membersByTenant[t], m)
		}
	}

	for _, t := range w.tenants {
		slices.SortFunc(t.pas, func(a, b *accessv1.PartnerAccess) int { return cmp.Compare(a.Name, b.Name) })
		roles := rolesByTenant[t]
		slices.SortFunc(roles, func(a, b *accessv1.Role) int { return cmp.Compare(a.Name, b.Name) })
		t.roles = buildRoleTree(t, roles, &w.fs)
		if t.obj.Spec.Limits != nil && t.obj.Spec.Limits.Roles != nil && int32(len(roles)) > *t.obj.Spec.Limits.Roles {
			w.fs.add(Refused, t.name, refOf(accessv1.KindTenant, "", t.name), "spec.limits.roles", accessv1.ReasonRoleLimitExceeded,
				"tenant %q has %d custom roles, more than its limit of %d (the built-in ceo does not count); delete roles or raise spec.limits.roles",
				t.name, len(roles), *t.obj.Spec.Limits.Roles)
		}
		t.policy.build(t, &w.fs)
		ms := membersByTenant[t]
		slices.SortFunc(ms, func(a, b *accessv1.Member) int { return cmp.Compare(a.Name, b.Name) })
		w.indexMembers(t, ms)
	}
	return w
}

// indexMembers resolves each member's e-mail, account role and role, and
// reports what is wrong with them.
func (w *world) indexMembers(t *tenant, ms []*accessv1.Member) {
	fs := &w.fs
	for _, obj := range ms {
		m := &member{obj: obj, email: strings.ToLower(obj.Spec.Email), active: obj.IsActive(),
			accountRole: obj.AccountRoleOrDefault(), declaredRole: obj.Spec.Role}
		m.usable = m.active
		ref := refOf(accessv1.KindMember, t.ns, obj.Name)
		if !emailRE.MatchString(obj.Spec.Email) {
			m.usable = false
			fs.add(Refused, t.name, ref, "spec.email", accessv1.ReasonInvalidEmail,
				"%s is not a valid e-mail address; write it as name@example.com", obj.Spec.Email)
		}
		switch m.accountRole {
		case accessv1.AccountRoleStandard, accessv1.AccountRoleSuperAdmin:
			switch {
			case obj.Spec.Role == "" && m.accountRole == accessv1.AccountRoleStandard:
				fs.add(Refused, t.name, ref, "spec.role", accessv1.ReasonRoleRequired,
					"member %q is Standard and must have a role: set spec.role to a Role of its tenant (for example ceo), or choose another accountRole", obj.Name)
			case obj.Spec.Role == "":
			case t.roles.has(obj.Spec.Role):
				m.role = obj.Spec.Role
			case w.beingDeleted(accessv1.KindRole, t.ns, obj.Spec.Role):
				fs.add(Reported, t.name, ref, "spec.role", accessv1.ReasonRoleNotFound,
					"member %q has role %q, which is being deleted in tenant %q; from now on the member has no role (own records, All and Public paths only): set spec.role to another Role",
					obj.Name, obj.Spec.Role, t.name)
				w.dropLast(t.name, m.email)
			default:
				fs.add(Reported, t.name, ref, "spec.role", accessv1.ReasonRoleNotFound,
					"member %q has role %q, which does not exist in tenant %q; until it does, the member has no role (own records, All and Public paths only): create Role %q or fix spec.role",
					obj.Name, obj.Spec.Role, t.name, obj.Spec.Role)
				w.dropLast(t.name, m.email)
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
		for i, name := range obj.Spec.PermissionSets {
			if _, ok := t.sets[name]; !ok && w.beingDeleted(accessv1.KindPermissionSet, t.ns, name) {
				fs.add(Reported, t.name, ref, fieldIndex("spec.permissionSets", i), accessv1.ReasonPermissionSetNotFound,
					"member %q names PermissionSet %q, which is being deleted in tenant %q; it grants nothing from now on: remove it from spec.permissionSets",
					obj.Name, name, t.name)
				w.dropLast(t.name, m.email)
			} else if !ok {
				fs.add(Reported, t.name, ref, fieldIndex("spec.permissionSets", i), accessv1.ReasonPermissionSetNotFound,
					"member %q names PermissionSet %q, which does not exist in tenant %q; it grants nothing until it does: create it or remove it from spec.permissionSets",
					obj.Name, name, t.name)
				w.dropLast(t.name, m.email)
			}
		}
		t.members = append(t.members, m)
		t.byEmail[m.email] = append(t.byEmail[m.email], m)
	}
	for _, email := range slices.Sorted(maps.Keys(t.byEmail)) {
		ms := t.byEmail[email]
		if len(ms) < 2 {
			continue
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
