package controllers

import (
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

// offer is what the namespace's pass may reuse: the stored specs still at
// the version whose fingerprint is known.
func (f *fingerprints) offer(ns string, current []accessv1.EffectivePermission) map[engine.ObjectRef]engine.Reused {
	v, ok := f.byNamespace.Load(ns)
	if !ok {
		return nil
	}
	known := v.(map[string]fingerprinted)
	out := make(map[engine.ObjectRef]engine.Reused, len(known))
	for i := range current {
		ep := &current[i]
		if k, ok := known[ep.Name]; ok && k.resourceVersion == ep.ResourceVersion && ep.DeletionTimestamp == nil {
			out[engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: ns, Name: ep.Name}] = engine.Reused{Fingerprint: k.fingerprint, Spec: &ep.Spec}
		}
	}
	return out
}

// remember records, after a pass's writes, the fingerprint of each desired
// EffectivePermission that is now stored as computed: those the pass did
// not need to write at their version, those it wrote at the version the
// write returned (written, which names every planned write: "" for one
// that failed, which is then not known).
func (f *fingerprints) remember(ns string, res *engine.Result, desired, current []accessv1.EffectivePermission, written map[string]string) {
	stored := make(map[string]string, len(current))
	for i := range current {
		stored[current[i].Name] = current[i].ResourceVersion
	}
	known := make(map[string]fingerprinted, len(desired))
	for i := range desired {
		d := &desired[i]
		fp, ok := res.Fingerprint(d.Namespace, d.Name)
		if !ok {
			continue
		}
		rv, planned := written[d.Name]
		if !planned {
			rv = stored[d.Name]
		}
		if rv != "" {
			known[d.Name] = fingerprinted{fingerprint: fp, resourceVersion: rv}
		}
	}
	f.byNamespace.Store(ns, known)
}

// forget drops what is known of a namespace.
func (f *fingerprints) forget(ns string) { f.byNamespace.Delete(ns) }
