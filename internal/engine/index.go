package engine

import (
	"cmp"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// ValidEmail reports whether s is an e-mail address as Members and
// PartnerAccess entries must write one: whether it matches
// accessv1.EmailPattern (the CRDs' CEL rule), one or more of A-Z a-z 0-9 and
// ._%+- before the @, then two or more labels of A-Z a-z 0-9 and -, joined
// by dots. Written out rather than run as the pattern: every pass checks
// every Member, and the regular expression took a tenth of a pass over
// 10,000 unchanged Members. FuzzValidEmail holds it to the pattern.
func ValidEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	for i := range at {
		if c := s[i]; !alnum(c) && !strings.ContainsRune("._%+-", rune(c)) {
			return false
		}
	}
	dots, label := 0, 0 // dots seen; length of the label being read
	for i := at + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && label > 0:
			dots, label = dots+1, 0
		case alnum(c) || c == '-':
			label++
		default:
			return false
		}
	}
	return dots > 0 && label > 0
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// tenant is everything the engine knows about one tenant.
type tenant struct {
	name string
	ns   string
	obj  *accessv1.Tenant

	// placed by index: the tenant's objects
	roleObjs   []*accessv1.Role                   // custom Roles, sorted by name
	memberObjs []*accessv1.Member                 // sorted by name
	sets       map[string]*accessv1.PermissionSet // the built-in partner-admin included
	pas        []*accessv1.PartnerAccess          // sorted by name

	// resolved by validate
	members []*member            // sorted by name
	byEmail map[string][]*member // lowercase e-mail → members (more than one: duplicates)
	roles   *roleTree
	policy  policy

	// filled by the partner pass
	activePartners map[string]bool           // partner tenant → has an active PartnerAccess here
	admins         map[string]*adminGrant    // partner + "/" + e-mail → grant
	partnerParts   map[string]*partnerPerson // e-mail → partner grants in this tenant
	// phases of PartnerAccess objects, by name
	paPhase map[string]accessv1.PartnerAccessPhase

	// setUsers counts, by set name, the Members and clientAccess entries
	// naming each set of the tenant (countSetUsers)
	setUsers map[string]int32

	// computed entries, by entryKey (memoEntry), and the key's buffer;
	// each PermissionSet's source for Members (memberSource)
	entries       map[string]*accessv1.ObjectPermission
	key           []byte
	memberSources map[string]source

	// fingerprint.go's digests, once per pass, and its hash
	digest *digest
	sha    hash.Hash
	buf    []byte // personFingerprint's scratch
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
	// node is role's node in the tenant's tree (nil when role is "").
	node *roleNode
	// same is every Member of the tenant with this e-mail, in order of
	// name (the tenant's byEmail entry, this member among them).
	same []*member
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
	// reuse offers specs computed before, by EP; reusing is set when
	// each person gets a fingerprint (ComputeReusing only).
	reuse   Offer
	reusing bool
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
	neverSeen map[*accessv1.PermissionSet]Finding
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
}](w *world, kind string, objs []T) []P {
	ps := make([]P, len(objs))
	for i := range objs {
		ps[i] = &objs[i]
	}
	return aliveOf(w, kind, ps)
}

// aliveOf is alive of objects held by pointer (Snapshot.Members).
func aliveOf[P metav1.Object](w *world, kind string, objs []P) []P {
	out := make([]P, 0, len(objs))
	for _, o := range objs {
		if terminating(o) {
			w.deleting[refOf(kind, o.GetNamespace(), o.GetName())] = o
			continue
		}
		out = append(out, o)
	}
	return out
}

// personKey is one person (lowercase e-mail) in one tenant (by name).
type personKey struct{ tenant, email string }

// drop records that finding f dropped part of what email would hold in
// tenant: the person's EffectivePermission says Degraded.
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

// pend marks finding f as pending: objects yet to arrive could clear it
// (admission accepts and reports it, see Admit).
func (w *world) pend(f Finding) {
	if w.pending == nil {
		w.pending = map[Finding]bool{}
	}
	w.pending[f] = true
}

func (w *world) reached(p *tenant, m *member, client string, as accessv1.UserRole, reason string) {
	if w.reach == nil {
		w.reach = map[ObjectRef][]accessv1.ClientReach{}
	}
	ref := refOf(accessv1.KindMember, p.ns, m.name())
	w.reach[ref] = append(w.reach[ref], accessv1.ClientReach{Tenant: client, As: as, Reason: reason})
}

// index is the engine's first stage: every object placed in the tenant that
// claims its namespace (see Compute).
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
		t.roleObjs = append(t.roleObjs, r)
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
	for _, m := range aliveOf(w, accessv1.KindMember, s.Members) {
		if t := claim(accessv1.KindMember, m.Namespace, m.Name); t != nil {
			t.memberObjs = append(t.memberObjs, m)
		}
	}
	for _, t := range w.tenants {
		slices.SortFunc(t.pas, func(a, b *accessv1.PartnerAccess) int { return cmp.Compare(a.Name, b.Name) })
		slices.SortFunc(t.roleObjs, func(a, b *accessv1.Role) int { return cmp.Compare(a.Name, b.Name) })
		sortMembers(t.memberObjs)
	}
	return w
}

// sortMembers sorts ms by name. A cache lists a namespace's Members in no
// order, and a big tenant has 10,000 of them: each is sorted with its name
// beside it, so that a comparison reads two names and no Member.
func sortMembers(ms []*accessv1.Member) {
	if slices.IsSortedFunc(ms, func(a, b *accessv1.Member) int { return strings.Compare(a.Name, b.Name) }) {
		return
	}
	type named struct {
		name string
		m    *accessv1.Member
	}
	keyed := make([]named, len(ms))
	for i, m := range ms {
		keyed[i] = named{m.Name, m}
	}
	slices.SortFunc(keyed, func(a, b named) int { return strings.Compare(a.name, b.name) })
	for i := range keyed {
		ms[i] = keyed[i].m
	}
}
