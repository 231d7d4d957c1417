package controllers

import (
	"slices"
	"strings"
	"sync"
	"weak"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// fingerprints remembers, per namespace, what each EffectivePermission's
// stored spec was computed from (engine.Fingerprint) and the
// resourceVersion the spec is stored at, so that the next pass computes
// only the people whose inputs changed (engine.ComputeReusing): in a tenant
// of 10,000 members, a role move computes the few dozen people above and
// below it rather than everyone. An EffectivePermission someone else wrote
// since (a hand edit, another shard) has another resourceVersion and is
// computed afresh, which puts it right. A restart forgets them all: the
// first pass computes everyone, as it always did.
type fingerprints struct {
	byNamespace sync.Map // namespace → []fingerprinted, in order of name
}

type fingerprinted struct {
	name            string
	fingerprint     engine.Fingerprint
	resourceVersion string
	// ep, once found, is the cache's object at that version (never one
	// being deleted): a later pass that still lists it knows it by
	// identity, without reading it or looking its name up. It is weak: an
	// object the cache has replaced since (a status written after an
	// outage, a hand edit) is not kept alive for the namespace's next pass,
	// which may be hours away.
	ep weak.Pointer[accessv1.EffectivePermission]
}

// offer is what the namespace's pass may reuse: the stored specs still at
// the version whose fingerprint is known (the very objects found there
// before, when the cache still holds them; else found by name, and then
// known by identity). The engine asks for its people in order of name, and
// the known are in that order: each is found by walking on from the one
// before (a map lookup per person was a tenth of a pass that reuses
// everyone); a name asked out of order is searched.
func (f *fingerprints) offer(ns string, stored *storedEPs) engine.Offer {
	v, ok := f.byNamespace.Load(ns)
	if !ok {
		return nil
	}
	known := v.([]fingerprinted) // only this namespace's pass reads or writes it
	next := 0                    // where the walk goes on
	return func(ref engine.ObjectRef) (engine.Reused, bool) {
		if ref.Namespace != ns || ref.Kind != accessv1.KindEffectivePermission {
			return engine.Reused{}, false
		}
		i, found := seek(known, next, ref.Name)
		if found {
			next = i + 1
		} else if j, found := slices.BinarySearchFunc(known, ref.Name, knownByName); found {
			i = j
		} else {
			next = i
			return engine.Reused{}, false
		}
		k := &known[i]
		ep := k.ep.Value()
		if ep == nil || !stored.holds(ep) {
			ep = stored.named(ref.Name)
			if ep == nil || k.resourceVersion != ep.ResourceVersion || ep.DeletionTimestamp != nil {
				return engine.Reused{}, false
			}
			k.ep = weak.Make(ep)
		}
		return engine.Reused{Fingerprint: k.fingerprint, Spec: &ep.Spec}, true
	}
}

func knownByName(k fingerprinted, name string) int { return strings.Compare(k.name, name) }

// seek walks known (in order of name) on from i to name: where it is, or
// where the walk stopped, the first name after it.
func seek(known []fingerprinted, i int, name string) (int, bool) {
	for i < len(known) && known[i].name < name {
		i++
	}
	return i, i < len(known) && known[i].name == name
}

// remember records, after a pass's writes, the fingerprint of each desired
// EffectivePermission (the result's lo:hi) that is now stored as computed:
// those the pass did not need to write at their stored version, those it
// wrote at the version the write returned (written, which names every
// planned write: "" for one that failed, which is then not known). A
// reused spec was offered from what is known, and is known as it was.
// What is no longer desired is forgotten.
func (f *fingerprints) remember(ns string, res *engine.Result, lo, hi int, stored *storedEPs, written map[string]string) {
	var old []fingerprinted
	if v, ok := f.byNamespace.Load(ns); ok {
		old = v.([]fingerprinted) // only this namespace's pass writes it
	}
	known := make([]fingerprinted, 0, hi-lo)
	j := 0 // the walk through old, in order of name as the result is
	for i := lo; i < hi; i++ {
		name := res.EffectivePermissions[i].Name
		if res.ReusedAt(i) {
			var found bool
			if j, found = seek(old, j, name); found {
				known = append(known, old[j])
				continue
			}
		}
		fp, ok := res.FingerprintAt(i)
		if !ok {
			continue
		}
		rv, planned := written[name]
		var at weak.Pointer[accessv1.EffectivePermission]
		if !planned {
			if ep := stored.named(name); ep != nil {
				rv = ep.ResourceVersion
				if ep.DeletionTimestamp == nil {
					at = weak.Make(ep)
				}
			}
		}
		if rv != "" {
			known = append(known, fingerprinted{name: name, fingerprint: fp, resourceVersion: rv, ep: at})
		}
	}
	f.byNamespace.Store(ns, known)
}

// forget drops what is known of a namespace.
func (f *fingerprints) forget(ns string) { f.byNamespace.Delete(ns) }
