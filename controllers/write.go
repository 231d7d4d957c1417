package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// FieldOwner is the server-side apply field manager of every write.
const FieldOwner = "access-controller"

// Labels on every EffectivePermission the controller writes.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelTenant    = "access.tenancy.dev/tenant"
)

// epWrite is one planned change to an EffectivePermission.
type epWrite struct {
	kind    writeKind
	desired *accessv1.EffectivePermission // nil for deletes
	current *accessv1.EffectivePermission // nil for creates
	dropped []engine.Finding              // what its status reports as Degraded
	// revokes is true when the user held something and holds nothing after
	// the write (the EP deleted, or its user deactivated): a Revoked Event.
	revokes bool
}

// writeKind orders writes: revocations before grants (invariants.md). What
// removes and what adds access is engine.ClassifyDirection's answer, the one
// `accessctl diff` gives: decided by what pkg/check allows.
type writeKind int

const (
	writeDelete writeKind = iota
	writeNarrow           // removes access, adds none
	writeMixed            // removes and adds
	writeWiden            // adds access, or only changes how it reads
	writeCreate
)

// revocation reports whether the kind removes access: such writes land
// before any other (waves).
func (k writeKind) revocation() bool { return k <= writeMixed }

// planWrites compares the EffectivePermissions the engine wants in a
// namespace (desired, sorted by name) with those stored, and returns only
// the changes, revocations first. An EP whose spec, labels and owners
// already match is not written, and neither is one whose spec is the
// stored one itself (reused(i), from engine.ComputeReusing): it was offered only from what is stored, at the
// version the controller wrote or found matching, so it is stored and its
// labels and owners match too (the owners are its Members, whose UIDs are
// in its fingerprint).
func planWrites(desired []accessv1.EffectivePermission, stored *storedEPs, owners func(i int) []metav1.OwnerReference, reused func(i int) bool) []epWrite {
	var out []epWrite
	matched := 0 // desired EPs that are stored
	for i := range desired {
		d := &desired[i]
		if reused != nil && reused(i) { // offered from what is stored: it is, as it was
			matched++
			continue
		}
		cur := stored.named(d.Name)
		if cur == nil {
			d.OwnerReferences = owners(i)
			d.Labels = epLabels(&d.Spec)
			out = append(out, epWrite{kind: writeCreate, desired: d})
			continue
		}
		matched++
		d.OwnerReferences = owners(i)
		if cur.Spec.Same(&d.Spec) && hasEPLabels(cur.Labels, &d.Spec) && ownersMatch(cur.OwnerReferences, d.OwnerReferences) {
			continue // unchanged: write nothing
		}
		d.Labels = epLabels(&d.Spec)
		out = append(out, epWrite{desired: d, current: cur}) // classified below
	}
	classifyUpdates(out)
	if matched < len(stored.list) { // some stored EPs are no longer desired
		for _, cur := range stored.list {
			if _, ok := slices.BinarySearchFunc(desired, cur.Name, byName); !ok {
				out = append(out, epWrite{kind: writeDelete, current: cur, revokes: !holdsNothing(&cur.Spec)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b epWrite) int { return int(a.kind) - int(b.kind) })
	return out
}

// classifyUpdates sets the kind of each update in ws (engine.ClassifyDirection,
// about a millisecond for a department head's EP at 10,000 members), on
// every CPU: the API server waits for the pass's first write meanwhile.
func classifyUpdates(ws []epWrite) {
	var updates []int
	for i := range ws {
		if ws[i].current != nil && ws[i].desired != nil {
			updates = append(updates, i)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(updates)) {
		wg.Go(func() {
			for j := int(next.Add(1)) - 1; j < len(updates); j = int(next.Add(1)) - 1 {
				w := &ws[updates[j]]
				w.kind = classify(&w.current.Spec, &w.desired.Spec)
				w.revokes = w.kind == writeNarrow && holdsNothing(&w.desired.Spec)
			}
		})
	}
	wg.Wait()
}

// byName orders EffectivePermissions by name (slices.BinarySearchFunc).
func byName(ep accessv1.EffectivePermission, name string) int { return strings.Compare(ep.Name, name) }

// storedEPs is a namespace's EffectivePermissions as a pass listed them
// from the cache. A pass reuses most of them as they are (reuse.go): it
// knows each by identity (holds), which reads no object — the cache
// replaces an object on every change and never changes one — and finds by
// name only the few it computes or writes (named). Indexing 10,000 of them
// by name read every one's name from all over the heap: in a big tenant's
// pass after a pause, when the host has reused the cache, about 5 ms.
type storedEPs struct {
	list   []*accessv1.EffectivePermission
	listed map[*accessv1.EffectivePermission]struct{}
	// store, when the cache has one, is the informer's: it finds a name
	// without reading the others.
	store toolscache.KeyGetter
	ns    string
	// byName indexes list, made on first need (no store, or an object that
	// changed since it was listed).
	byName map[string]*accessv1.EffectivePermission
}

func newStoredEPs(ns string, list []*accessv1.EffectivePermission, store toolscache.KeyGetter) *storedEPs {
	s := &storedEPs{list: list, listed: make(map[*accessv1.EffectivePermission]struct{}, len(list)), store: store, ns: ns}
	for _, ep := range list {
		s.listed[ep] = struct{}{}
	}
	return s
}

// holds reports whether ep is one of the objects listed: the very object,
// as it was when something remembered it.
func (s *storedEPs) holds(ep *accessv1.EffectivePermission) bool {
	_, ok := s.listed[ep]
	return ok
}

// named is the listed EffectivePermission called name, or nil.
func (s *storedEPs) named(name string) *accessv1.EffectivePermission {
	if s.store != nil {
		if o, ok, err := s.store.GetByKey(s.ns + "/" + name); err == nil && ok {
			if ep, ok := o.(*accessv1.EffectivePermission); ok && s.holds(ep) {
				return ep
			}
		}
		// Not stored, or changed since it was listed: what was listed says.
	}
	if s.byName == nil {
		s.byName = make(map[string]*accessv1.EffectivePermission, len(s.list))
		for _, ep := range s.list {
			s.byName[ep.Name] = ep
		}
	}
	return s.byName[name]
}

// classify says whether going from old to new removes access, adds access,
// or both: engine.ClassifyDirection, field by field as pkg/check decides.
func classify(old, new *accessv1.EffectivePermissionSpec) writeKind {
	switch engine.ClassifyDirection(old, new) {
	case engine.Both:
		return writeMixed
	case engine.Narrow:
		return writeNarrow
	}
	return writeWiden
}

// holdsNothing reports whether an EffectivePermission allows nothing at all:
// compared with no EffectivePermission, it widens nothing.
func holdsNothing(s *accessv1.EffectivePermissionSpec) bool {
	return !engine.ClassifyDirection(nil, s).Widens()
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func ownersMatch(have, want []metav1.OwnerReference) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range want {
		if have[i].UID != want[i].UID || have[i].Kind != want[i].Kind || have[i].Name != want[i].Name {
			return false
		}
	}
	return true
}

// epLabels are the labels of an EffectivePermission the controller writes.
func epLabels(s *accessv1.EffectivePermissionSpec) map[string]string {
	return maps.Collect(epLabelPairs(s))
}

// hasEPLabels reports whether have holds every label epLabels gives, without
// making the map (the plan asks it of every stored EffectivePermission).
func hasEPLabels(have map[string]string, s *accessv1.EffectivePermissionSpec) bool {
	for k, v := range epLabelPairs(s) {
		if have[k] != v {
			return false
		}
	}
	return true
}

func epLabelPairs(s *accessv1.EffectivePermissionSpec) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		_ = yield(LabelManagedBy, FieldOwner) && yield(LabelTenant, labelValue(s.Tenant))
	}
}

// labelValue keeps a tenant name usable as a label value (at most 63 characters).
func labelValue(s string) string {
	if len(s) > 63 {
		return s[:63]
	}
	return s
}

// apply performs one write (field owner access-controller): a create, an
// update that replaces the EffectivePermission (replaceEP), or a delete.
func apply(ctx context.Context, c client.Client, w epWrite) (resourceVersion string, err error) {
	if w.kind == writeDelete {
		// NotFound is returned: the object is gone, as asked (the caller
		// counts it done).
		return "", c.Delete(ctx, w.current, client.Preconditions{UID: &w.current.UID})
	}
	if w.current == nil {
		// A create is conditional by nature (it fails if the object exists,
		// and the reconcile retries from a fresher cache) and costs the API
		// server about 1.6x less than an apply of the same object. The
		// response is decoded into what is sent: a copy, since the engine's
		// specs share parts between people.
		ep := &accessv1.EffectivePermission{TypeMeta: w.desired.TypeMeta, ObjectMeta: metav1.ObjectMeta{
			Name: w.desired.Name, Namespace: w.desired.Namespace, Labels: w.desired.Labels, OwnerReferences: w.desired.OwnerReferences,
		}, Spec: *w.desired.Spec.DeepCopy(), Status: effectivePermissionStatus(accessv1.EffectivePermissionStatus{}, 1, w.dropped)}
		err := c.Create(ctx, ep, client.FieldOwner(FieldOwner))
		return ep.ResourceVersion, err
	}
	ep := replaceEP(w.current, w.desired, effectivePermissionStatus(w.current.Status, w.current.Generation+1, w.dropped))
	err = c.Update(ctx, ep, client.FieldOwner(FieldOwner))
	return ep.ResourceVersion, err
}

// replaceEP is what an update of current sends to make it desired: the
// whole of desired's spec, labels and owner references, and status (an
// EffectivePermission has no status subresource); the rest of current's
// metadata as the cache holds it, at the resourceVersion the plan compared
// (a stale version is a conflict, and the reconcile retries from a fresher
// cache). Its managed fields are left out, which keeps the API server's:
// the cache holds them without their field sets (gather.TrimForCache),
// and an update that sends none keeps those stored. An update replaces
// every field a hand edit set, as the spec says; a server-side apply would
// leave them, and a JSON patch of the same fields costs the API server
// about 1.25x an update (docs/performance.md). Everything is a copy: the
// response is decoded into it, and the engine's specs share parts between
// people.
func replaceEP(current, desired *accessv1.EffectivePermission, status accessv1.EffectivePermissionStatus) *accessv1.EffectivePermission {
	ep := &accessv1.EffectivePermission{TypeMeta: desired.TypeMeta, ObjectMeta: *current.ObjectMeta.DeepCopy(),
		Spec: *desired.Spec.DeepCopy(), Status: status}
	ep.ManagedFields = nil
	ep.Labels = maps.Clone(desired.Labels)
	ep.OwnerReferences = slices.Clone(desired.OwnerReferences)
	return ep
}

// replaceSpec replaces an object's whole spec, labels and owner references
// on the version it was compared with (the built-ins; EffectivePermissions
// are updated whole, replaceEP). A server-side apply would leave fields
// another writer set (a hand edit owns them), so drift would survive; a
// stale version fails the test operation and the reconcile retries.
func replaceSpec(ctx context.Context, c client.Client, current client.Object, spec any, labels map[string]string, owners []metav1.OwnerReference) error {
	if owners == nil {
		owners = []metav1.OwnerReference{} // JSON null would be a bad request
	}
	if labels == nil {
		labels = map[string]string{}
	}
	ops := []map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": current.GetResourceVersion()},
		{"op": "add", "path": "/spec", "value": spec},
		{"op": "add", "path": "/metadata/labels", "value": labels},
		{"op": "add", "path": "/metadata/ownerReferences", "value": owners},
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	return c.Patch(ctx, current, client.RawPatch(types.JSONPatchType, patch), client.FieldOwner(FieldOwner))
}

// ownerRefs gives the owner references of the result's
// EffectivePermission lo+i: its sources (engine.Result.SourcesAt, its
// Members and PartnerAccess objects, non-controller: an EP can have
// several), so that garbage collection removes an EP with its sources.
// Sources with no UID (read offline) are skipped.
func ownerRefs(res *engine.Result, lo int) func(i int) []metav1.OwnerReference {
	gv := accessv1.GroupVersion.String()
	return func(i int) []metav1.OwnerReference {
		refs, uids := res.SourcesAt(lo + i)
		var out []metav1.OwnerReference
		for j, ref := range refs {
			if uids[j] != "" {
				out = append(out, metav1.OwnerReference{APIVersion: gv, Kind: ref.Kind, Name: ref.Name, UID: uids[j]})
			}
		}
		return out
	}
}

// toUnstructuredObject converts a typed built-in to what it applies: its
// metadata name, namespace and labels, and its spec.
func toUnstructuredObject(obj client.Object) (*unstructured.Unstructured, error) {
	var spec any
	switch o := obj.(type) {
	case *accessv1.Role:
		spec = &o.Spec
	case *accessv1.PermissionSet:
		spec = &o.Spec
	default:
		return nil, fmt.Errorf("no built-in of type %T", obj)
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var specMap map[string]any
	if err := json.Unmarshal(b, &specMap); err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": specMap}}
	gvk := obj.GetObjectKind().GroupVersionKind()
	u.SetAPIVersion(gvk.GroupVersion().String())
	u.SetKind(gvk.Kind)
	u.SetName(obj.GetName())
	u.SetNamespace(obj.GetNamespace())
	u.SetLabels(obj.GetLabels())
	return u, nil
}

// waves splits planned writes (sorted revocations first) into what may run
// concurrently: every write that removes access (deletes, narrowing updates,
// and updates that remove some access while adding other), then the rest. A
// revocation never waits for a grant: revocation always takes effect.
func waves(ws []epWrite) [][]epWrite {
	i := 0
	for i < len(ws) && ws[i].kind.revocation() {
		i++
	}
	return [][]epWrite{ws[:i], ws[i:]}
}

// DefaultWrites is how many writes the controller keeps in flight at once,
// across every tenant it converges, unless told otherwise.
const DefaultWrites = 64

// parallel runs f over ws, each run holding one of slots while it writes,
// and returns the errors. The slots are the reconciler's (writeSlots): a
// tenant converging alone writes as fast as the budget allows, and tenants
// converging together share it.
func parallel[T any](slots chan struct{}, ws []T, f func(T) error) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := f(w); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}
