package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Compute computes every EffectivePermission and finding of the snapshot at
// time now (used only for PartnerAccess expiry). It never panics on bad input
// and never reads the clock; the same snapshot, in any order, gives the same
// result.
//
// A pass is six stages, each reading what the ones before it built:
//
//  1. index (index.go): place every object in the tenant that claims its
//     namespace; terminating objects count as gone, a second claim and an
//     unclaimed object are reported.
//  2. validate (index.go, roles.go, policy.go): each tenant's role tree and
//     limit, visibility policy, PermissionSets and Members.
//  3. resolve partners (partners.go): which PartnerAccess objects are
//     active and which partner admin entries stand, then what each partner
//     admin and staff person holds in each client.
//  4. compute grants (compute.go, functional.go, policy.go): every user's
//     EffectivePermission, from its parts.
//  5. summarize (summary.go): the numbers and findings statuses show.
//  6. compact: each EffectivePermission in the shape it is written in
//     (accessv1.EffectivePermissionSpec.Compact).
func Compute(s *Snapshot, now time.Time) *Result {
	res := computeSpelledOut(s, now)
	res.compact()
	return res
}

// computeSpelledOut is every stage but the last: the EffectivePermissions
// with their grants and sources spelled out, as the stages read them.
func computeSpelledOut(s *Snapshot, now time.Time) *Result {
	return index(s).compute(now)
}

// compute runs the stages after the first (index) on w.
func (w *world) compute(now time.Time) *Result {
	w.validate()
	w.partnerAccesses(now)
	w.partnerGrants()
	res := w.computeGrants()
	w.summarize(res)
	return res
}

// computeGrants is the fourth stage: every tenant's EffectivePermissions,
// sorted, indexed by user, with the owners of records and the findings.
func (w *world) computeGrants() *Result {
	res := &Result{owners: make(map[string][]recordOwner, len(w.tenants)), lookups: &lookups{}}
	people := 0
	for _, t := range w.tenants {
		people += len(t.byEmail) + len(t.partnerParts)
	}
	res.people = make([]person, 0, people)
	// Every person's sources, one after another.
	refs := sources{objs: make([]ObjectRef, 0, people), uids: make([]types.UID, 0, people)}
	// Sorted by namespace and name as they are made, each written once:
	// tenants in namespace order, each one's people by name.
	byNS := slices.Clone(w.tenants)
	slices.SortFunc(byNS, func(a, b *tenant) int { return cmp.Compare(a.ns, b.ns) })
	res.EffectivePermissions = make([]accessv1.EffectivePermission, 0, people)
	for _, t := range byNS {
		res.owners[t.name] = t.recordOwners()
		refs = t.effectivePermissions(w, res, refs)
	}
	res.Findings = w.fs.sorted()
	res.pending = w.pending
	return res
}

// compact is the last stage: every EffectivePermission in the compact shape
// it is written in (accessv1.EffectivePermissionSpec.Compact); the stages
// before read the spelled-out grants.
func (res *Result) compact() {
	for i := range res.EffectivePermissions {
		if !res.people[i].reused { // compact already, and not ours to change
			res.EffectivePermissions[i].Spec.Compact()
		}
	}
}

// recordOwner is what a record owned by email needs (Result.RecordOwner).
type recordOwner struct {
	email string // lowercase
	Owner
}

// recordOwners says, for each member e-mail, what a record it owns needs:
// a list, made into a map only when a decision asks (Result.RecordOwner).
func (t *tenant) recordOwners() []recordOwner {
	out := make([]recordOwner, 0, len(t.members))
	for _, m := range t.members {
		if len(m.same) == 1 { // duplicates are nobody: fail closed
			out = append(out, recordOwner{email: m.email, Owner: Owner{Role: m.role, Active: m.usable}})
		}
	}
	return out
}

// effectivePermissions appends to res the EP of every person with standing
// here — each Member, and each partner admin or staff person reaching the
// tenant — in order of name. Their sources are appended to refs, which is
// returned.
func (t *tenant) effectivePermissions(w *world, res *Result, refs sources) sources {
	// The people with no Member here (partner admins and staff), named
	// after their partners in e-mail order (epNames), then put in order of
	// name. (The others are named after their first Member, below.)
	var partnerOnly []string
	for e := range t.partnerParts {
		if len(t.byEmail[e]) == 0 {
			partnerOnly = append(partnerOnly, e)
		}
	}
	slices.Sort(partnerOnly)
	names := t.epNames(partnerOnly)
	type person struct{ name, email string }
	others := make([]person, 0, len(partnerOnly))
	for _, e := range partnerOnly {
		others = append(others, person{names[e], e})
	}
	slices.SortFunc(others, func(a, b person) int { return strings.Compare(a.name, b.name) })
	// A person with Members here is named after the first of them by name:
	// t.members is in order of name, so the people are too, met at their
	// first Member. The others are merged in.
	next := 0
	for _, m := range t.members {
		if m.same[0] != m {
			continue
		}
		for ; next < len(others) && others[next].name < m.name(); next++ {
			refs = t.personEP(w, res, refs, others[next].name, others[next].email, nil)
		}
		refs = t.personEP(w, res, refs, m.name(), m.email, m.same)
	}
	for ; next < len(others); next++ {
		refs = t.personEP(w, res, refs, others[next].name, others[next].email, nil)
	}
	return refs
}

// personEP appends the EffectivePermission of one person (name, e-mail,
// its Members here ms in order of name: none for a partner person with no
// Member here) to res, and its sources to refs: the spec it was computed
// with before when its fingerprint is the same (ComputeReusing), otherwise
// computed.
func (t *tenant) personEP(w *world, res *Result, refs sources, name, email string, ms []*member) sources {
	pp := t.partnerParts[email]
	from := len(refs.objs)
	refs = t.sourcesOf(refs, ms, pp)
	p := person{sources: refs.objs[from:len(refs.objs):len(refs.objs)], uids: refs.uids[from:len(refs.uids):len(refs.uids)]}
	if w.reusing && pp == nil && len(ms) > 0 {
		fp := t.personFingerprint(email, ms)
		p.fingerprinted = true
		r, ok := w.reuse(refOf(accessv1.KindEffectivePermission, t.ns, name))
		same := ok && string(r.Fingerprint) == string(fp)
		if same {
			p.fingerprint = r.Fingerprint // kept, not made again
		} else {
			p.fingerprint = Fingerprint(fp)
		}
		if same && r.Spec != nil {
			p.reused = true
			res.reused++
			res.people = append(res.people, p)
			// Made in place: computeGrants made room for everyone, zeroed,
			// and the slice is only ever appended to, so the slot was
			// never written (the other fields stay empty, as in the
			// literal this replaces).
			n := len(res.EffectivePermissions)
			res.EffectivePermissions = slices.Grow(res.EffectivePermissions, 1)[:n+1]
			ep := &res.EffectivePermissions[n]
			ep.TypeMeta, ep.Name, ep.Namespace, ep.Spec = epTypeMeta, name, t.ns, *r.Spec
			return refs
		}
	}
	res.people = append(res.people, p)
	res.EffectivePermissions = append(res.EffectivePermissions, t.effectivePermission(name, email, ms, pp))
	return refs
}

// maxName is the longest object name Kubernetes takes (a DNS subdomain).
const maxName = 253

// epNames names the EffectivePermission of each partner person with no
// Member here (lowercase e-mails, sorted) so that no two people can have
// one name (docs/effectivepermission.md). A person with a Member here has
// the Member's name (the first by name, if several share the e-mail;
// effectivePermissions); Member names are unique in a namespace. The others:
//
//   - <partner>.<member> after its Member in a partner
//     (the first such name in order that qualifies), when the partner's name
//     has no dot, no Member here has that name, and it fits in 253
//     characters. The partner name is then everything before the first dot,
//     so the name tells partner and member apart: two people (two Members
//     of partners) never share it.
//   - otherwise <partner>-<member>-<hash>, dots made dashes, hash the first
//     10 hex digits of the SHA-256 of the e-mail, cut to fit: it has no dot,
//     so it is no <partner>.<member> name; should a Member here (or, by a
//     hash collision, another person) have it already, -2, -3, ... is added,
//     in e-mail order.
func (t *tenant) epNames(emails []string) map[string]string {
	out := make(map[string]string, len(emails))
	given := make(map[string]bool, len(emails)) // the names in out
	taken := func(name string) bool {           // by a Member (t.members is in order of name) or in out
		_, member := slices.BinarySearchFunc(t.members, name, func(m *member, name string) int { return strings.Compare(m.name(), name) })
		return member || given[name]
	}
	var rest []string
	for _, email := range emails {
		for _, n := range t.partnerParts[email].names {
			if name := n.String(); !strings.Contains(n.partner, ".") && !taken(name) && len(name) <= maxName {
				out[email] = name
				break
			}
		}
		if _, ok := out[email]; !ok {
			rest = append(rest, email)
		}
	}
	for _, name := range out {
		given[name] = true
	}
	for _, email := range rest {
		n := t.partnerParts[email].names[0]
		sum := sha256.Sum256([]byte(email))
		base := strings.ReplaceAll(n.partner+"-"+n.member, ".", "-")
		suffix := "-" + hex.EncodeToString(sum[:])[:10]
		name := fitName(base, suffix)
		for i := 2; taken(name); i++ {
			name = fitName(base, suffix+"-"+strconv.Itoa(i))
		}
		given[name] = true
		out[email] = name
	}
	return out
}

// fitName joins base and suffix, cutting base so that the name fits in a
// Kubernetes object name; base starts with a letter or digit, and a dash
// left at the cut is dropped.
func fitName(base, suffix string) string {
	if len(base)+len(suffix) > maxName {
		base = strings.TrimRight(base[:maxName-len(suffix)], "-")
	}
	return base + suffix
}

var epTypeMeta = metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: accessv1.KindEffectivePermission}

func (t *tenant) effectivePermission(name, email string, ms []*member, pp *partnerPerson) accessv1.EffectivePermission {
	ep := accessv1.EffectivePermission{TypeMeta: epTypeMeta, ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.ns}}
	spec := &ep.Spec
	spec.Tenant, spec.User = t.name, email

	var m *member
	if len(ms) == 1 {
		m = ms[0]
	}
	var parts []*part
	var memberPart *part
	if m != nil {
		memberPart = t.memberPart(m)
		if memberPart != nil {
			parts = append(parts, memberPart)
		}
	}
	if pp != nil {
		parts = append(parts, pp.parts...)
		spec.Partner = strings.Join(pp.partners, ",")
	}
	switch {
	case memberPart != nil:
		spec.AccountRole = accessv1.UserRole(m.accountRole)
	case pp != nil && pp.admin:
		spec.AccountRole = accessv1.UserRolePartnerAdmin
	case pp != nil:
		spec.AccountRole = accessv1.UserRolePartnerStaff
	case len(ms) > 0:
		spec.AccountRole = accessv1.UserRole(ms[0].accountRole)
	}
	if r := accessv1.AccountRole(spec.AccountRole); len(ms) > 0 && (r == accessv1.AccountRoleStandard || r == accessv1.AccountRoleSuperAdmin) {
		spec.Role = ms[0].declaredRole
	}
	if len(parts) == 0 {
		return ep // inactive: holds nothing
	}
	spec.Active = true
	spec.Mode = t.policy.mode

	caps := capabilities(parts, pp != nil)
	if caps.all {
		spec.Capabilities = []string{accessv1.AllCapabilities}
	} else {
		spec.Capabilities = slices.Sorted(maps.Keys(caps.has))
	}
	spec.WithheldCapabilities = slices.Sorted(maps.Keys(caps.withheld))
	for _, p := range parts {
		for _, s := range p.sources {
			if len(s.caps) > 0 {
				spec.CapabilitySources = append(spec.CapabilitySources, accessv1.CapabilitySource{Via: s.via, Capabilities: slices.Clone(s.caps)})
			}
		}
	}
	slices.SortFunc(spec.CapabilitySources, func(a, b accessv1.CapabilitySource) int { return cmp.Compare(a.Via, b.Via) })

	keys := t.typeKeys(parts)
	entries := make([]accessv1.ObjectPermission, 0, len(keys))
	for _, typ := range keys {
		entries = append(entries, t.memoEntry(parts, typ))
	}
	wildcard := entries[len(entries)-1]
	spec.Objects = make([]accessv1.ObjectPermission, 0, len(entries))
	for _, e := range entries {
		if len(e.Actions) == 0 {
			continue
		}
		if e.Type != accessv1.AllTypes && sameButType(e, wildcard) {
			continue // the "*" entry already says the same
		}
		spec.Objects = append(spec.Objects, e)
	}
	if len(spec.Objects) == 0 {
		spec.Objects = nil
	}
	slices.SortFunc(spec.Objects, func(a, b accessv1.ObjectPermission) int { return cmp.Compare(a.Type, b.Type) })

	if memberPart != nil && memberPart.viewer.role != "" && hasScope(spec.Objects, accessv1.ScopeHierarchy) {
		spec.Subordinates = t.roles.subordinatesOf(memberPart.viewer.role)
	}
	return ep
}

// memoEntry is unitedEntry, computed once per pass for all the people of
// one part (most Members) who hold the same on typ: what unitedEntry reads
// of a part is its sources' actions on typ and where they come from, its
// mode, and its viewer's role, and its viewer's e-mail only when a rule's
// "to" names a user (entryKey). Each person gets its own copy.
func (t *tenant) memoEntry(parts []*part, typ string) accessv1.ObjectPermission {
	if len(parts) != 1 || !memoize {
		return t.unitedEntry(parts, typ)
	}
	if t.entries == nil {
		t.entries = map[string]*accessv1.ObjectPermission{}
	}
	t.key = t.entryKey(t.key[:0], parts[0], typ)
	if e, ok := t.entries[string(t.key)]; ok {
		return *e.DeepCopy()
	}
	e := t.unitedEntry(parts, typ)
	t.entries[string(t.key)] = e.DeepCopy()
	return e
}

// memoize is false only in the test that holds memoEntry and memberSource
// to what computing every person afresh gives.
var memoize = true

// entryKey appends to b what unitedEntry reads of part p for type typ (the
// tenant's policy and role tree aside, which are the same for everyone).
func (t *tenant) entryKey(b []byte, p *part, typ string) []byte {
	b = append(b, typ...)
	b = append(b, 0, byte(p.mode))
	b = append(b, p.allVia...)
	b = append(b, 0)
	b = append(b, p.viewer.role...)
	b = append(b, 0)
	if p.viewer.named == 0 {
		p.viewer.named = 1
		if t.policy.namesViewer(p.viewer.email) {
			p.viewer.named = 2
		}
	}
	if p.viewer.named == 2 {
		b = append(b, p.viewer.email...)
	}
	for _, s := range p.sources {
		bits := s.types[accessv1.AllTypes]
		if typ != accessv1.AllTypes {
			bits |= s.types[typ]
		}
		if bits != 0 {
			b = append(b, 0, byte(bits))
			b = append(b, s.via...)
		}
	}
	return b
}

// unitedEntry unites every part's actions and grants on one type.
func (t *tenant) unitedEntry(parts []*part, typ string) accessv1.ObjectPermission {
	e := accessv1.ObjectPermission{Type: typ}
	var bits actionBits
	for _, p := range parts {
		b, srcs, grants := t.entry(p, typ)
		bits |= b
		e.ActionSources = append(e.ActionSources, srcs...)
		e.Grants = append(e.Grants, grants...)
	}
	e.Actions = bits.list()
	slices.SortFunc(e.ActionSources, func(a, b accessv1.ActionSource) int { return cmp.Compare(a.Via, b.Via) })
	e.Grants = normalizeGrants(e.Grants)
	for _, g := range e.Grants {
		if g.Scope == accessv1.ScopeAll && g.Access.Rank() > e.All.Rank() {
			e.All = g.Access
		}
		if g.Scope == accessv1.ScopeVisibility && e.Visibility == nil {
			e.Visibility = t.policy.typeVisibility(typ)
		}
	}
	return e
}

// normalizeGrants sorts grants and merges those that differ only in via.
func normalizeGrants(gs []accessv1.RecordGrant) []accessv1.RecordGrant {
	if len(gs) == 0 {
		return nil
	}
	key := func(g accessv1.RecordGrant) string { return g.SortKey() }
	slices.SortStableFunc(gs, func(a, b accessv1.RecordGrant) int { return cmp.Compare(key(a), key(b)) })
	out := gs[:0:0]
	for _, g := range gs {
		if n := len(out); n > 0 && key(out[n-1]) == key(g) {
			out[n-1].Via = sortedCopy(append(slices.Clone(out[n-1].Via), g.Via...))
			continue
		}
		g.Via = sortedCopy(g.Via)
		out = append(out, g)
	}
	return out
}

func sameButType(a, b accessv1.ObjectPermission) bool {
	a.Type = b.Type
	return equalEntry(a, b)
}

func hasScope(objs []accessv1.ObjectPermission, s accessv1.GrantScope) bool {
	for _, o := range objs {
		for _, g := range o.Grants {
			if g.Scope == s {
				return true
			}
		}
	}
	return false
}

// sources are objects EffectivePermissions are computed from, with their
// UIDs ("" for objects read offline).
type sources struct {
	objs []ObjectRef
	uids []types.UID
}

// sourcesOf appends to out the objects an EP is computed from: its Members,
// and the active PartnerAccess objects naming its partners.
func (t *tenant) sourcesOf(out sources, ms []*member, pp *partnerPerson) sources {
	for _, m := range ms {
		out.objs = append(out.objs, refOf(accessv1.KindMember, t.ns, m.name()))
		out.uids = append(out.uids, m.obj.UID)
	}
	if pp != nil {
		for _, pa := range t.pas {
			if t.paPhase[pa.Name] == accessv1.PhaseActive && slices.Contains(pp.partners, pa.Spec.Partner) {
				out.objs = append(out.objs, refOf(accessv1.KindPartnerAccess, t.ns, pa.Name))
				out.uids = append(out.uids, pa.UID)
			}
		}
	}
	return out
}
