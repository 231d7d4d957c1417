package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// A Fingerprint is every input a person's EffectivePermission is computed
// from (personFingerprint), written out: the digest of what the whole
// tenant reads alike, the person's e-mail, its Members by identity, and for
// each one's role the digest of that role and everything below it. Two
// snapshots that give a person the same fingerprint give it the same
// EffectivePermission spec, so a pass can take the spec it wrote before
// instead of computing it again (ComputeReusing). It is compared whole
// rather than hashed again: a SHA-256 per person was a fifth of a pass that
// reuses everyone. Only Members with no partner standing in the tenant have
// one; every other person is computed on every pass.
type Fingerprint string

// digest is a SHA-256 of inputs many people read (tenantDigest, nodeDigest).
type digest [sha256.Size]byte

// Reused is an EffectivePermission spec computed before, with the
// fingerprint it was computed from.
type Reused struct {
	Fingerprint Fingerprint
	// Spec is as it was written (compact). ComputeReusing's result refers
	// to it; it must not change while the result is in use.
	Spec *accessv1.EffectivePermissionSpec
}

// An Offer gives the spec computed before for an EffectivePermission, when
// there is one (ComputeReusing). ComputeReusing asks one EffectivePermission
// after another, never at once, each namespace's in order of name: an offer
// may keep state between calls (the controller's walks its known
// fingerprints), and serves one computation.
type Offer func(ep ObjectRef) (Reused, bool)

// OfferMap offers the specs of m.
func OfferMap(m map[ObjectRef]Reused) Offer {
	return func(ep ObjectRef) (Reused, bool) { r, ok := m[ep]; return r, ok }
}

// ComputeReusing is Compute, except that a person whose fingerprint equals
// the one reuse offers for its EffectivePermission (by namespace and name)
// gets reuse's spec rather than a fresh computation; the result is the same,
// only cheaper where few inputs changed (a role moved in a tenant of 10,000
// members re-computes the people above it and below it, not everyone). The
// result gives each person's fingerprint (Result.Fingerprint) for the next
// pass. TestReuseAgrees holds it byte for byte to Compute over random worlds
// and random changes.
func ComputeReusing(s *Snapshot, now time.Time, reuse Offer) *Result {
	if reuse == nil {
		reuse = func(ObjectRef) (Reused, bool) { return Reused{}, false }
	}
	w := index(s)
	w.reuse, w.reusing = reuse, true
	res := w.compute(now)
	res.compact()
	return res
}

// Reused is how many people kept the spec offered (ComputeReusing only).
func (r *Result) Reused() int { return r.reused }

// Fingerprint returns the fingerprint the EffectivePermission namespace/name
// was computed from, when it has one (ComputeReusing only).
func (r *Result) Fingerprint(namespace, name string) (Fingerprint, bool) {
	if i, ok := r.indexOf(namespace, name); ok && i < len(r.people) { // a Result not made by Compute has none
		return r.FingerprintAt(i)
	}
	return "", false
}

// FingerprintAt is Fingerprint of EffectivePermissions[i].
func (r *Result) FingerprintAt(i int) (Fingerprint, bool) {
	return r.people[i].fingerprint, r.people[i].fingerprinted
}

// ReusedAt reports whether EffectivePermissions[i] has the spec offered for
// it (ComputeReusing): the very object, unchanged.
func (r *Result) ReusedAt(i int) bool { return r.people[i].reused }

// fingerprintVersion changes whenever what an EffectivePermission is
// computed from changes meaning, so that nothing computed by another
// version of the engine is reused.
const fingerprintVersion = "access-controller/fingerprint/2"

// personFingerprint writes out what the EffectivePermission of a person
// with Members ms (one e-mail, no partner standing) reads, into the
// tenant's scratch buffer, which it returns:
//
//   - everything of the tenant that is not a Member or a Role: the Tenant,
//     its PermissionSets, VisibilityPolicy and PartnerAccess objects, and
//     the role names with whether each is broken (tenantDigest);
//   - every Member some rule names by e-mail, as the rules read it;
//   - the person's own Members (appendIdentity), and for each one's role
//     that role and everything below it (nodeDigest).
//
// A change to anything else — another Member, a Role in another branch —
// leaves the fingerprint as it was.
func (t *tenant) personFingerprint(email string, ms []*member) []byte {
	td := t.tenantDigest()
	b := append(t.buf[:0], td[:]...)
	b = appendString(b, email)
	for _, m := range ms {
		b = m.appendIdentity(b)
		b = appendString(b, m.role)
		if m.node != nil { // m.role names it
			rd := t.nodeDigest(m.node)
			b = append(b, rd[:]...)
		}
	}
	t.buf = b
	return b
}

// appendIdentity appends what identifies the part of the Member the engine
// reads (its name and spec): its name, and then its UID and generation when
// it has them — an object read from the API server, which bumps a Member's
// generation with every change to its spec, and not when only its status
// changes (the status subresource) — or else its spec as JSON (manifests
// read offline, tests). Either way a change to any field of the spec
// changes the bytes; the first way costs no encoding, which at 10,000
// members is most of a pass's fingerprinting, and a status the controller
// writes does not make the person's next pass compute it again.
func (m *member) appendIdentity(b []byte) []byte {
	b = appendString(b, m.name())
	return appendObject(b, m.obj.UID, m.obj.Generation, &m.obj.Spec)
}

// appendObject appends what identifies an input object's spec (a Member's,
// a Role's): its UID and generation when an API server served it, which
// bumps the generation with every change to the spec and not when the
// controller writes the status; else (manifests read offline, tests) the
// spec itself as JSON.
func appendObject(b []byte, uid types.UID, generation int64, spec any) []byte {
	if uid != "" && generation != 0 {
		b = append(b, 'g')
		b = appendString(b, string(uid))
		return binary.AppendUvarint(b, uint64(generation))
	}
	js, _ := json.Marshal(spec) // plain data: it cannot fail
	b = append(b, 's')
	return appendString(b, string(js))
}

// tenantDigest digests what every person of the tenant reads alike
// (personFingerprint), once per pass.
func (t *tenant) tenantDigest() digest {
	if t.digest != nil {
		return *t.digest
	}
	h := t.hasher()
	writeString(h, fingerprintVersion)
	writeString(h, t.name)
	writeString(h, t.ns)
	writeJSON(h, &t.obj.Spec)
	for _, name := range slices.Sorted(maps.Keys(t.sets)) {
		writeString(h, name)
		writeJSON(h, &t.sets[name].Spec)
	}
	if p := t.policy.obj; p != nil {
		writeString(h, p.Name)
		writeJSON(h, &p.Spec)
	}
	for _, pa := range t.pas {
		writeString(h, pa.Name)
		writeJSON(h, &pa.Spec)
	}
	for _, name := range slices.Sorted(maps.Keys(t.roles.nodes)) {
		node := t.roles.nodes[name]
		writeString(h, name)
		writeBool(h, node.broken)
	}
	// Members named by a rule, as unique and single read them, and
	// subjectMatchesViewer (which folds case: the named user's own e-mail
	// is in its fingerprint).
	named := map[string]bool{}
	if p := t.policy.obj; p != nil {
		for _, r := range p.Spec.SharingRules {
			named[strings.ToLower(r.From.User)], named[strings.ToLower(r.To.User)] = true, true
		}
		for _, r := range p.Spec.DepartmentRules {
			named[strings.ToLower(r.From.User)], named[strings.ToLower(r.To.User)] = true, true
		}
	}
	delete(named, "")
	for _, email := range slices.Sorted(maps.Keys(named)) {
		writeString(h, email)
		for _, m := range t.byEmail[email] {
			writeString(h, m.name())
			writeJSON(h, &m.obj.Spec)
			writeBool(h, m.usable)
			writeString(h, m.role)
		}
	}
	var f digest
	h.Sum(f[:0])
	t.digest = &f
	return f
}

// nodeDigest digests a role and every role below it, with their specs (by
// identity, as appendIdentity takes a Member's) and whether each is broken,
// once per role per pass, kept in the node (a person's fingerprint finds its
// role's digest without a lookup by name).
func (t *tenant) nodeDigest(node *roleNode) digest {
	if node.digested {
		return node.digest
	}
	children := make([]digest, len(node.children)) // first: each is hashed with the tenant's hash
	for i, c := range node.children {
		children[i] = t.nodeDigest(t.roles.nodes[c])
	}
	h := t.hasher()
	writeString(h, node.name)
	writeBool(h, node.broken)
	writeBool(h, node.inCycle)
	if o := node.obj; o != nil {
		// Not into t.buf: personFingerprint is writing there.
		var scratch [64]byte
		h.Write(appendObject(scratch[:0], o.UID, o.Generation, &o.Spec))
	}
	for _, d := range children {
		h.Write(d[:])
	}
	h.Sum(node.digest[:0])
	node.digested = true
	return node.digest
}

// hasher is a reset SHA-256 of the tenant's, reused across its people.
func (t *tenant) hasher() hash.Hash {
	if t.sha == nil {
		t.sha = sha256.New()
	}
	t.sha.Reset()
	return t.sha
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func writeString(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

func writeBool(h hash.Hash, b bool) {
	if b {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
}

// writeJSON writes a spec as JSON: every field, so that a field added to an
// input is in the fingerprint without anyone remembering to add it.
func writeJSON(h hash.Hash, v any) {
	b, _ := json.Marshal(v) // plain data: it cannot fail
	writeString(h, string(b))
}
