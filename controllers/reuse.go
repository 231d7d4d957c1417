package controllers

import (
	"slices"
	"sync"

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
	byNamespace sync.Map // namespace → map[string]fingerprinted
}

type fingerprinted struct {
	fingerprint     engine.Fingerprint
	resourceVersion string
}

// offer is what the namespace's pass may reuse: the stored specs (by name)
// still at the version whose fingerprint is known.
func (f *fingerprints) offer(ns string, stored map[string]*accessv1.EffectivePermission) engine.Offer {
	v, ok := f.byNamespace.Load(ns)
	if !ok {
		return nil
	}
	known := v.(map[string]fingerprinted)
	return func(ref engine.ObjectRef) (engine.Reused, bool) {
		if ref.Namespace != ns || ref.Kind != accessv1.KindEffectivePermission {
			return engine.Reused{}, false
		}
		k, ok := known[ref.Name]
		ep := stored[ref.Name]
		if !ok || ep == nil || k.resourceVersion != ep.ResourceVersion || ep.DeletionTimestamp != nil {
			return engine.Reused{}, false
		}
		return engine.Reused{Fingerprint: k.fingerprint, Spec: &ep.Spec}, true
	}
}

// remember records, after a pass's writes, the fingerprint of each desired
// EffectivePermission (the result's lo:hi) that is now stored as computed:
// those the pass did not need to write at their stored version, those it
// wrote at the version the write returned (written, which names every
// planned write: "" for one that failed, which is then not known). A
// reused spec was offered from what is known, and is known as it was.
func (f *fingerprints) remember(ns string, res *engine.Result, lo, hi int, stored map[string]*accessv1.EffectivePermission, written map[string]string) {
	var known map[string]fingerprinted
	if v, ok := f.byNamespace.Load(ns); ok {
		known = v.(map[string]fingerprinted) // only this namespace's pass reads it
	} else {
		known = make(map[string]fingerprinted, hi-lo)
	}
	n := 0 // entries known for desired EffectivePermissions
	for i := lo; i < hi; i++ {
		if res.ReusedAt(i) {
			n++
			continue
		}
		name := res.EffectivePermissions[i].Name
		fp, ok := res.FingerprintAt(i)
		rv, planned := written[name]
		if !planned {
			if ep := stored[name]; ep != nil {
				rv = ep.ResourceVersion
			}
		}
		if !ok || rv == "" {
			delete(known, name)
			continue
		}
		known[name] = fingerprinted{fingerprint: fp, resourceVersion: rv}
		n++
	}
	if len(known) != n { // some are no longer desired: forget them
		desired := res.EffectivePermissions[lo:hi]
		for name := range known {
			if _, ok := slices.BinarySearchFunc(desired, name, byName); !ok {
				delete(known, name)
			}
		}
	}
	f.byNamespace.Store(ns, known)
}

// forget drops what is known of a namespace.
func (f *fingerprints) forget(ns string) { f.byNamespace.Delete(ns) }
