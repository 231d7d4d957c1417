package controllers

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// What a tenant pass records, so that a reader holding the resourceVersion
// of its own write can learn when the EffectivePermissions reflect it
// (Tenant status.observedInputs; docs/decision-server.md, "Read your
// revocation").
//
// Every input event is mapped to the tenant namespaces it affects before it
// is queued. The mapping runs after the informer's store holds the change,
// and the pass takes the namespace's noted changes before it reads the
// cache: a pass that took a change computes from a cache that holds it (and
// every earlier change of that kind, which the watch delivered before it).
// Once the pass has written every EffectivePermission it computed, it
// records the highest resourceVersion per kind in the Tenant's status. A
// pass that fails, or stops early, gives its changes back for the next.
//
// A change the controller made itself to an input's status alone affects no
// EffectivePermission and is not noted: recording it would only make the
// record move without news. The changes of the first list after a start are
// noted but recorded only with a pass that writes something, so that a
// restart with unchanged inputs writes nothing.

// inputKind is the Kind of an input, as a caller names it.
type inputKind string

const (
	kindTenant           inputKind = accessv1.KindTenant
	kindMember           inputKind = accessv1.KindMember
	kindRole             inputKind = accessv1.KindRole
	kindPermissionSet    inputKind = accessv1.KindPermissionSet
	kindPartnerAccess    inputKind = accessv1.KindPartnerAccess
	kindVisibilityPolicy inputKind = accessv1.KindVisibilityPolicy
)

// field is where observedInputs records the kind.
func (k inputKind) field(o *accessv1.ObservedInputs) *string {
	switch k {
	case kindTenant:
		return &o.Tenants
	case kindMember:
		return &o.Members
	case kindRole:
		return &o.Roles
	case kindPermissionSet:
		return &o.PermissionSets
	case kindPartnerAccess:
		return &o.PartnerAccesses
	case kindVisibilityPolicy:
		return &o.VisibilityPolicies
	}
	return nil
}

// noted are the changes that queued one namespace and no pass has recorded.
type noted struct {
	rv map[inputKind]string
	// live: some change came after the first list.
	live bool
	// since is when the earliest live change was noted (its event).
	since time.Time
	// causes are the live changes' objects, for the audit trail (at most
	// maxCauses, the latest of each object).
	causes []Cause
}

func (n *noted) addCause(c Cause) {
	for i := range n.causes {
		if n.causes[i].Kind == c.Kind && n.causes[i].Namespace == c.Namespace && n.causes[i].Name == c.Name {
			n.causes[i] = c
			return
		}
	}
	if len(n.causes) < maxCauses {
		n.causes = append(n.causes, c)
	}
}

func (n *noted) add(k inputKind, rv string, live bool) {
	n.live = n.live || live
	if live && n.since.IsZero() {
		n.since = time.Now()
	}
	if _, err := resourceversion.CompareResourceVersion(rv, rv); err != nil {
		return // not a resourceVersion of the API server
	}
	if cur, ok := n.rv[k]; ok {
		if c, _ := resourceversion.CompareResourceVersion(rv, cur); c <= 0 {
			return
		}
	}
	n.rv[k] = rv
}

func (n *noted) merge(o *noted) {
	for k, rv := range o.rv {
		n.add(k, rv, false)
	}
	n.live = n.live || o.live
	if !o.since.IsZero() && (n.since.IsZero() || o.since.Before(n.since)) {
		n.since = o.since
	}
	for _, c := range o.causes {
		n.addCause(c)
	}
}

// observed holds the noted changes per namespace. Safe for concurrent use.
type observed struct {
	mu sync.Mutex
	ns map[string]*noted
}

func (o *observed) note(ns string, k inputKind, rv string, live bool, cause *Cause) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ns == nil {
		o.ns = map[string]*noted{}
	}
	n := o.ns[ns]
	if n == nil {
		n = &noted{rv: map[inputKind]string{}}
		o.ns[ns] = n
	}
	n.add(k, rv, live)
	if cause != nil {
		n.addCause(*cause)
	}
}

// peekCauses returns the causes noted for ns since the last take, leaving
// them noted.
func (o *observed) peekCauses(ns string) []Cause {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := o.ns[ns]; n != nil {
		return slices.Clone(n.causes)
	}
	return nil
}

// take removes and returns the namespace's noted changes (empty when none).
func (o *observed) take(ns string) *noted {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.ns[ns]
	delete(o.ns, ns)
	if n == nil {
		n = &noted{rv: map[inputKind]string{}}
	}
	return n
}

// giveBack returns changes a pass took but did not record.
func (o *observed) giveBack(ns string, n *noted) {
	if len(n.rv) == 0 && !n.live && n.since.IsZero() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ns == nil {
		o.ns = map[string]*noted{}
	}
	if cur := o.ns[ns]; cur != nil {
		cur.merge(n)
		return
	}
	o.ns[ns] = n
}

// recordedInputs is old with n's changes in: per kind the higher resourceVersion.
// It returns old itself when nothing moves.
func recordedInputs(old *accessv1.ObservedInputs, n *noted) *accessv1.ObservedInputs {
	out := &accessv1.ObservedInputs{}
	if old != nil {
		*out = *old
	}
	for _, k := range slices.Sorted(maps.Keys(n.rv)) {
		f := k.field(out)
		if f == nil {
			continue
		}
		if *f == "" {
			*f = n.rv[k]
		} else if c, err := resourceversion.CompareResourceVersion(n.rv[k], *f); err == nil && c > 0 {
			*f = n.rv[k]
		}
	}
	if old != nil && *out == *old || old == nil && *out == (accessv1.ObservedInputs{}) {
		return old
	}
	return out
}

// statusOnly reports whether an update changed nothing but the status (and
// the bookkeeping that comes with any write): the inputs' specs change the
// generation; metadata the engine reads (deletion, finalizers, labels,
// annotations, owners) is compared as well.
func statusOnly(oldObj, newObj client.Object) bool {
	return oldObj.GetGeneration() == newObj.GetGeneration() &&
		apiequality.Semantic.DeepEqual(oldObj.GetDeletionTimestamp(), newObj.GetDeletionTimestamp()) &&
		slices.Equal(oldObj.GetFinalizers(), newObj.GetFinalizers()) &&
		maps.Equal(oldObj.GetLabels(), newObj.GetLabels()) &&
		maps.Equal(oldObj.GetAnnotations(), newObj.GetAnnotations()) &&
		apiequality.Semantic.DeepEqual(oldObj.GetOwnerReferences(), newObj.GetOwnerReferences())
}

// enqueue maps an input kind's events to tenant namespaces with fn, as
// handler.EnqueueRequestsFromMapFunc does, and notes each change for the
// namespaces it queues.
func (r *TenantReconciler) enqueue(k inputKind, fn handler.MapFunc) handler.EventHandler {
	add := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], obj client.Object, note, live, deleted bool) {
		var cause *Cause
		if note && live {
			c := causeOf(k, obj, deleted)
			cause = &c
		}
		for _, req := range fn(ctx, obj) {
			if note {
				r.observed.note(req.Name, k, obj.GetResourceVersion(), live, cause)
			}
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object, true, !e.IsInInitialList, false)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.ObjectNew, !statusOnly(e.ObjectOld, e.ObjectNew), true, false)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			// A deletion the watch saw carries the resourceVersion of the
			// deletion; one inferred after a relist its last known version,
			// which is lower: the record then waits for a later change.
			add(ctx, q, e.Object, true, true, true)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object, false, false, false)
		},
	}
}
