package controllers

import (
	"cmp"
	"context"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

// TenantReconciler converges one tenant namespace: its EffectivePermissions
// and the status of every object in it. The request's Name is the
// namespace; its Namespace is empty.
type TenantReconciler struct {
	client.Client
	// Now is the clock, an input of the engine (PartnerAccess expiry).
	Now func() time.Time
	// Recorder emits Events on notable transitions; nil emits none.
	Recorder events.EventRecorder
	// Concurrency is how many namespaces reconcile at once (default 4).
	Concurrency int
	// Writes is how many writes are in flight at once across every pass
	// (default DefaultWrites).
	Writes    int
	slotsOnce sync.Once
	slots     chan struct{}
	// Shard selects the Tenants this manager converges (shard.go); nil:
	// every tenant.
	Shard labels.Selector
	// Audit, when set, receives the audit trail as JSON lines (AuditRecord),
	// besides the structured log and the Events.
	Audit   io.Writer
	auditor *auditor
	// informers is the manager's cache, which Client reads (the manager's
	// client reads every kind from it: nothing is left out with
	// DisableFor): a pass lists its EffectivePermissions from the store
	// (readOnly.listEPs), as Client's List would, without the copies. The
	// controller watches EffectivePermissions, so the informer is there
	// before any pass.
	informers cache.Informers

	// observed holds the input changes each namespace's next pass records
	// (observed.go).
	observed observed
	// fingerprints says what each stored EffectivePermission was computed
	// from, so that a pass computes only the people whose inputs changed
	// (reuse.go).
	fingerprints fingerprints

	// written remembers, per object UID, the resourceVersion each of our
	// writes started from. The cache may still show that version for a
	// moment after the write: the object is then known to be written
	// already, and its own watch event brings the fresh copy.
	written sync.Map
	// created remembers, by namespace and name, the EffectivePermissions
	// this controller created (and when) until a pass finds them in the
	// cache, they are deleted, or a minute has passed.
	createdMu sync.Mutex
	created   map[string]map[string]time.Time
}

// stale reports whether the cached object is a version we already wrote over.
func (r *TenantReconciler) stale(o client.Object) bool {
	v, ok := r.written.Load(o.GetUID())
	if ok && v.(string) != o.GetResourceVersion() {
		r.written.CompareAndDelete(o.GetUID(), v) // the cache caught up: forget it
		return false
	}
	return ok
}

func (r *TenantReconciler) wrote(o client.Object) {
	r.written.Store(o.GetUID(), o.GetResourceVersion())
}

// catchUp is how soon a pass that left something for a fresher cache runs
// again. The controller does not wait for the watch events of its own
// writes to run it (echoes.go): it asks for it.
const catchUp = 200 * time.Millisecond

// pass is what one Reconcile call shares with the writes it makes.
type pass struct {
	// deferred is set when something was left because the cache still
	// held the version before our own last write.
	deferred atomic.Bool
}

type passKey struct{}

// passOf is the pass ctx belongs to (a throwaway one outside Reconcile).
func passOf(ctx context.Context) *pass {
	if p, ok := ctx.Value(passKey{}).(*pass); ok {
		return p
	}
	return &pass{}
}

// staleIn is stale, noting in ctx's pass that something was left for a
// fresher cache.
func (r *TenantReconciler) staleIn(ctx context.Context, o client.Object) bool {
	if r.stale(o) {
		passOf(ctx).deferred.Store(true)
		return true
	}
	return false
}

// createsUnseen says whether an EffectivePermission this controller created
// in ns is not in the cache yet (listed is what the cache holds), forgetting
// those it now holds, and those created more than a minute ago (deleted
// before the cache saw them, the cache never will).
func (r *TenantReconciler) createsUnseen(ctx context.Context, ns string, listed []*accessv1.EffectivePermission) bool {
	r.createdMu.Lock()
	defer r.createdMu.Unlock()
	pending := r.created[ns]
	if len(pending) == 0 {
		return false
	}
	names := make(map[string]bool, len(listed))
	for _, ep := range listed {
		names[ep.Name] = true
	}
	unseen := false
	for name, at := range pending {
		switch {
		case names[name], time.Since(at) > time.Minute:
			delete(pending, name)
		default:
			unseen = true
		}
	}
	if len(pending) == 0 {
		delete(r.created, ns)
	}
	if unseen {
		passOf(ctx).deferred.Store(true)
	}
	return unseen
}

// createdOne remembers an EffectivePermission this controller created until
// the cache holds it.
func (r *TenantReconciler) createdOne(key client.ObjectKey) {
	r.createdMu.Lock()
	defer r.createdMu.Unlock()
	if r.created == nil {
		r.created = map[string]map[string]time.Time{}
	}
	if r.created[key.Namespace] == nil {
		r.created[key.Namespace] = map[string]time.Time{}
	}
	r.created[key.Namespace][key.Name] = time.Now()
}

// writeSlots are the writes in flight: a pass holds one for each of its
// writes (parallel).
func (r *TenantReconciler) writeSlots() chan struct{} {
	r.slotsOnce.Do(func() {
		n := r.Writes
		if n <= 0 {
			n = DefaultWrites
		}
		r.slots = make(chan struct{}, n)
	})
	return r.slots
}

func (r *TenantReconciler) concurrency() int {
	if r.Concurrency > 0 {
		return r.Concurrency
	}
	return 4
}

// +kubebuilder:rbac:groups=access.tenancy.dev,resources=tenants;members;roles;permissionsets;partneraccesses;visibilitypolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=access.tenancy.dev,resources=tenants/status;members/status;roles/status;permissionsets/status;partneraccesses/status;visibilitypolicies/status,verbs=get;patch
// +kubebuilder:rbac:groups=access.tenancy.dev,resources=effectivepermissions,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile gathers a snapshot from the cache, computes it with the engine
// and writes the difference. When it cannot read its inputs it returns the
// error and writes nothing: what it last wrote stays, and the workqueue
// retries with backoff (fail closed: never delete for lack of information).
func (r *TenantReconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx).WithValues("namespace", req.Name)
	ns := req.Name
	if ok, err := inShard(ctx, r.Client, r.Shard, ns); err != nil || !ok {
		// Another shard's tenant: its manager converges it, records what
		// it observed and reports its metrics; the notes here are dropped.
		r.observed.take(ns)
		r.fingerprints.forget(ns)
		forgetTenantGauges(ns)
		if err == nil {
			r.forgetCreates(ns)
		}
		return ctrl.Result{}, err
	}
	ctx = context.WithValue(ctx, passKey{}, &pass{})
	// The changes that queued this pass, taken before the cache is read;
	// given back unless the pass records them in the Tenant's status.
	changes := r.observed.take(ns)
	var record atomic.Bool
	defer func() {
		switch {
		case !record.Load():
			r.observed.giveBack(ns, changes)
		case !changes.since.IsZero():
			convergeSeconds.Observe(time.Since(changes.since).Seconds())
		}
	}()
	reader := r.readOnly()
	defer reader.done(ns)
	timer := startPhases()
	snap, err := gather.Gather(ctx, reader, ns)
	if err != nil {
		// Fail closed: keep every EffectivePermission as last written, say
		// so on them, and retry with backoff until the inputs read again.
		r.markStale(ctx, ns, err)
		return ctrl.Result{}, err
	}
	stored, err := reader.storedEPs(ctx, ns)
	if err != nil {
		return ctrl.Result{}, err
	}
	current := stored.list
	fresh := 0
	for _, ep := range current {
		if !r.staleIn(ctx, ep) {
			fresh++
		}
	}
	if fresh < len(current) || r.createsUnseen(ctx, ns, current) {
		// Some EffectivePermissions in the cache predate our own last write
		// (or our last creates are not in it yet): compute and plan nothing
		// now, and look again once the cache has caught up.
		return ctrl.Result{RequeueAfter: catchUp}, nil
	}
	timer.done("gather")
	now := r.Now()
	// The people whose inputs did not change since their stored spec was
	// computed keep it (reuse.go).
	res := engine.ComputeReusing(snap, now, r.fingerprints.offer(ns, stored))
	peopleCounter.WithLabelValues("reused").Add(float64(res.Reused()))
	peopleCounter.WithLabelValues("computed").Add(float64(len(res.EffectivePermissions) - res.Reused()))
	timer.done("compute")
	observePass(snap, res, ns, now)

	lo, hi := nsRange(res.EffectivePermissions, ns)
	desired := res.EffectivePermissions[lo:hi:hi]
	writes := plan(res, lo, hi, stored)
	timer.done("plan")
	// Revocations (deletes, narrowing updates) all land before any grant;
	// within each wave writes run in parallel. One refused write does not
	// hold back the others: failures are returned together.
	// The writes' causes, read once the first write is done (so that notes
	// of changes this pass read have had time to arrive).
	causes := sync.OnceValue(func() []Cause { return r.passCauses(ns, changes.causes, snap) })
	// Each planned write by name → the resourceVersion it wrote ("" until
	// it succeeds), and the writes done, for their audit records.
	var writtenMu sync.Mutex
	var done []epWrite
	written := make(map[string]string, len(writes))
	for _, w := range writes {
		if w.desired != nil {
			written[w.desired.Name] = ""
		}
	}
	var errs []error
	for _, wave := range waves(writes) {
		errs = append(errs, parallel(r.writeSlots(), wave, func(w epWrite) error {
			if w.kind == writeDelete {
				// Remembered before the request: its delete event, which
				// forgets it (forget), may be handled before the answer.
				r.wrote(w.current)
			}
			rv, err := apply(ctx, r.Client, w)
			switch {
			case w.kind == writeDelete && err != nil:
				r.forget(w.current) // still there, or gone (and no event may come)
				if !apierrors.IsNotFound(err) {
					return err
				}
			case err != nil:
				return err
			}
			writtenMu.Lock()
			done = append(done, w)
			if w.desired != nil {
				written[w.desired.Name] = rv
			}
			writtenMu.Unlock()
			switch {
			case w.kind == writeDelete: // remembered before the request
			case w.current != nil:
				r.wrote(w.current)
			default:
				r.createdOne(client.ObjectKeyFromObject(w.desired))
			}
			if w.revokes {
				r.revoked(res, ns, w)
			}
			return nil
		})...)
		if len(errs) > 0 {
			break // never grant while a revocation failed
		}
	}
	timer.done("effectivepermissions")
	// Each write's audit record (which classifies what it changed) is made
	// once every wave has landed, one at a time, beside the statuses; the
	// pass ends when they are all made. A department head's record takes
	// a CPU for tens of milliseconds, which the writes of the next wave
	// (and, on a small control plane, the API server) need more: made
	// beside the writes, the 8 records of a role move in a tenant of
	// 10,000 members held its two waves of writes to about 95 ms, against
	// about 48 ms without them. (Made after each wave, before the next,
	// the records of a cold converge's 10,000 creates held the pass's
	// statuses, and the next pass, for 25 s.)
	var audits sync.WaitGroup
	defer audits.Wait()
	audits.Go(func() {
		for _, w := range done {
			r.audit(w, causes(), now)
		}
	})
	r.fingerprints.remember(ns, res, lo, hi, stored, written)
	if err := kerrors.NewAggregate(errs); err != nil {
		return ctrl.Result{}, err
	}
	if len(writes) > 0 {
		log.V(1).Info("Wrote EffectivePermissions", "writes", len(writes), "desired", len(desired))
	}
	// Every EffectivePermission of the pass is written: record what it
	// reflects — with the statuses, when some change came after the first
	// list or the pass wrote (a restart with unchanged inputs writes nothing).
	var observe *noted
	if changes.live || len(writes) > 0 {
		observe = changes
	}
	err = r.writeStatuses(ctx, ns, snap, current, res, now, observe, &record)
	timer.done("statuses")
	if err != nil {
		record.Store(false)
		return ctrl.Result{}, err
	}
	// Look again when the next expiry falls (the engine's answer; 0: none).
	next, _ := engine.NextExpiry(snap, ns, now)
	if passOf(ctx).deferred.Load() && (next == 0 || next > catchUp) {
		next = catchUp // something was left for a fresher cache: look again soon
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

// plan is the writes that bring a namespace's stored EffectivePermissions
// to those the engine wants there (the result's lo:hi), each with what its
// status reports as dropped.
func plan(res *engine.Result, lo, hi int, stored *storedEPs) []epWrite {
	writes := planWrites(res.EffectivePermissions[lo:hi:hi], stored, ownerRefs(res, lo), func(i int) bool { return res.ReusedAt(lo + i) })
	for i := range writes {
		if d := writes[i].desired; d != nil {
			writes[i].dropped = res.Dropped(d.Namespace, d.Name)
		}
	}
	return writes
}

// nsRange is where namespace ns's EffectivePermissions are in eps (sorted
// by namespace and name): eps[lo:hi].
func nsRange(eps []accessv1.EffectivePermission, ns string) (lo, hi int) {
	lo, _ = slices.BinarySearchFunc(eps, ns, func(ep accessv1.EffectivePermission, ns string) int { return cmp.Compare(ep.Namespace, ns) })
	hi = lo
	for hi < len(eps) && eps[hi].Namespace == ns {
		hi++
	}
	return lo, hi
}

// writeStatuses patches the status of each object of the namespace whose
// computed status differs from the stored one; an unchanged result writes
// nothing. The objects are the snapshot's (each kind read once per pass) and
// the EffectivePermissions listed before the writes (those written in this
// pass carry their status with them, and are skipped as ours).
//
// observe, when not nil, are the changes the pass reflects, recorded in
// each claiming Tenant's status.observedInputs; recorded is set when every
// such Tenant holds them (a Tenant whose cached copy predates our own last
// write is left for the next pass, and so are the changes).
func (r *TenantReconciler) writeStatuses(ctx context.Context, ns string, snap *engine.Snapshot, eps []*accessv1.EffectivePermission, res *engine.Result, now time.Time, observe *noted, recorded *atomic.Bool) error {
	jobs := r.statusWrites(ctx, ns, snap, eps, res, now, observe, recorded)
	return kerrors.NewAggregate(parallel(r.writeSlots(), jobs, func(job func() error) error { return job() }))
}

// statusWrites are writeStatuses' writes, one job per object, unsent.
func (r *TenantReconciler) statusWrites(ctx context.Context, ns string, snap *engine.Snapshot, eps []*accessv1.EffectivePermission, res *engine.Result, now time.Time, observe *noted, recorded *atomic.Bool) []func() error {
	// Every Tenant claiming the namespace: the one that holds it, and any
	// other that claims it too (refused at admission; if one slips in, its
	// status says why it computes nothing).
	var tenants []*accessv1.Tenant
	for i := range snap.Tenants {
		if snap.Tenants[i].NamespaceOrDefault() == ns {
			tenants = append(tenants, &snap.Tenants[i])
		}
	}
	recorded.Store(observe != nil && len(tenants) > 0)
	for _, t := range tenants {
		if observe != nil && r.staleIn(ctx, t) {
			recorded.Store(false)
		}
	}
	jobs := slices.Concat(
		statusJobs(ctx, r, tenants, func(o *accessv1.Tenant) *accessv1.TenantStatus { return &o.Status }, func(o *accessv1.Tenant) accessv1.TenantStatus {
			st := tenantStatus(o, res)
			if observe != nil {
				st.ObservedInputs = recordedInputs(st.ObservedInputs, observe)
			}
			return st
		}),
		statusJobs(ctx, r, slices.DeleteFunc(slices.Clone(snap.Members), func(m *accessv1.Member) bool { return m.Namespace != ns }), func(o *accessv1.Member) *accessv1.MemberStatus { return &o.Status },
			func(o *accessv1.Member) accessv1.MemberStatus { return memberStatus(o, res) }),
		statusJobs(ctx, r, inNamespace(snap.Roles, ns), func(o *accessv1.Role) *accessv1.RoleStatus { return &o.Status },
			func(o *accessv1.Role) accessv1.RoleStatus { return roleStatus(o, res) }),
		statusJobs(ctx, r, inNamespace(snap.PermissionSets, ns), func(o *accessv1.PermissionSet) *accessv1.PermissionSetStatus { return &o.Status },
			func(o *accessv1.PermissionSet) accessv1.PermissionSetStatus { return permissionSetStatus(o, res) }),
		statusJobs(ctx, r, inNamespace(snap.PartnerAccesses, ns), func(o *accessv1.PartnerAccess) *accessv1.PartnerAccessStatus { return &o.Status },
			func(o *accessv1.PartnerAccess) accessv1.PartnerAccessStatus { return partnerAccessStatus(o, res) }),
		statusJobs(ctx, r, inNamespace(snap.VisibilityPolicies, ns), func(o *accessv1.VisibilityPolicy) *accessv1.VisibilityPolicyStatus { return &o.Status },
			func(o *accessv1.VisibilityPolicy) accessv1.VisibilityPolicyStatus {
				return visibilityPolicyStatus(o, res, now)
			}),
	)
	// An EffectivePermission's status travels with its spec; it is written
	// alone only when it is not current (after markStale, or a hand edit).
	for _, obj := range eps {
		dropped := res.Dropped(obj.Namespace, obj.Name)
		if want := effectivePermissionStatus(obj.Status, obj.Generation, dropped); sameStatus(&obj.Status, &want) {
			continue
		}
		jobs = append(jobs, func() error {
			return r.patchEPStatus(ctx, obj, func(st *accessv1.EffectivePermissionStatus, generation int64) {
				*st = effectivePermissionStatus(*st, generation, dropped)
			})
		})
	}
	return jobs
}

// inNamespace are pointers to the items of a snapshot's kind in namespace
// ns.
func inNamespace[T any, PT interface {
	*T
	client.Object
}](items []T, ns string) []PT {
	var out []PT
	for i := range items {
		if p := PT(&items[i]); p.GetNamespace() == ns {
			out = append(out, p)
		}
	}
	return out
}

// statusJobs are the status writes of one kind, one for each object whose
// status changes: compute is an object's status as the result has it, at
// the address of its status (every kind's embeds accessv1.CommonStatus).
func statusJobs[T client.Object, S any, PS interface {
	*S
	kindStatus
}](ctx context.Context, r *TenantReconciler, objs []T, at func(T) PS, compute func(T) S) []func() error {
	var out []func() error
	for _, obj := range objs {
		if r.staleIn(ctx, obj) {
			continue // left for a fresher cache, as patch would
		}
		// Decided here, one object after another: in a tenant of 10,000
		// members nearly every status is unchanged, and copying each
		// object to compare it in a goroutine of its own took many times
		// the pass itself.
		want := compute(obj)
		if sameStatus(at(obj), PS(&want)) {
			continue
		}
		out = append(out, func() error {
			return r.patch(ctx, obj, func(x client.Object) { *at(x.(T)) = want }, func(x client.Object) kindStatus { return at(x.(T)) })
		})
	}
	return out
}

// sameStatus is apiequality.Semantic.DeepEqual of two statuses of a kind,
// with their conditions compared field by field: the reflective walk calls
// a function for every time it meets, and four conditions on each of
// 10,000 Members made it most of a pass. TestSameStatus holds it to
// Semantic.DeepEqual.
func sameStatus[S any, PS interface {
	*S
	kindStatus
}](a, b PS) bool {
	if !sameCommon(a.Common(), b.Common()) {
		return false
	}
	x, y := *a, *b
	*PS(&x).Common(), *PS(&y).Common() = accessv1.CommonStatus{}, accessv1.CommonStatus{}
	return apiequality.Semantic.DeepEqual(&x, &y)
}

func sameCommon(a, b *accessv1.CommonStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		c, d := &a.Conditions[i], &b.Conditions[i]
		if c.Type != d.Type || c.Status != d.Status || c.ObservedGeneration != d.ObservedGeneration || c.Reason != d.Reason ||
			c.Message != d.Message || !c.LastTransitionTime.Equal(&d.LastTransitionTime) {
			return false
		}
	}
	return true
}

// kindStatus is the address of an object's status: every kind's embeds
// accessv1.CommonStatus.
type kindStatus interface{ Common() *accessv1.CommonStatus }

// patch writes an object's status when it changed, and emits an Event when
// its Ready condition turns False or recovers. set changes only the status,
// so only the statuses are compared.
func (r *TenantReconciler) patch(ctx context.Context, orig client.Object, set func(client.Object), status func(client.Object) kindStatus) error {
	if r.staleIn(ctx, orig) {
		return nil
	}
	obj := orig.DeepCopyObject().(client.Object)
	set(obj)
	if apiequality.Semantic.DeepEqual(status(orig), status(obj)) {
		return nil
	}
	// Under the controller's field owner, as every write: its echo is then
	// known as the controller's own (ownWrite) and queues no pass. (Without
	// it the API server names the writer after the binary, "manager".)
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(orig), client.FieldOwner(FieldOwner)); err != nil {
		return client.IgnoreNotFound(err) // gone: nothing to remember
	}
	r.wrote(orig)
	before := meta.FindStatusCondition(status(orig).Common().Conditions, accessv1.ConditionReady)
	after := meta.FindStatusCondition(status(obj).Common().Conditions, accessv1.ConditionReady)
	// Notable: a problem appears or changes (Warning), or one is fixed
	// (Normal). An object that is simply Ready the first time is not news.
	switch {
	case r.Recorder == nil || after == nil:
	case after.Status == metav1.ConditionFalse && (before == nil || before.Status != after.Status || before.Reason != after.Reason):
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, after.Reason, "Reconcile", "%s", after.Message)
	case after.Status == metav1.ConditionTrue && before != nil && before.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, "Resolved", "Reconcile", "%s", after.Message)
	}
	return nil
}

// revoked records that a user who held something holds nothing any more
// (w.revokes, by engine.Classify): its EffectivePermission is deleted, or
// now grants nothing.
func (r *TenantReconciler) revoked(res *engine.Result, ns string, w epWrite) {
	if name, ok := res.TenantOfNamespace(ns); ok {
		revocationsCounter.WithLabelValues(name).Inc()
	}
	if r.Recorder == nil {
		return
	}
	ep := w.current
	var t accessv1.Tenant
	if name, ok := res.TenantOfNamespace(ns); ok && r.Get(context.Background(), types.NamespacedName{Name: name}, &t) == nil {
		if w.kind == writeDelete {
			r.Recorder.Eventf(&t, ep, corev1.EventTypeNormal, "Revoked", "Revoke", "%s no longer has standing in tenant %s: EffectivePermission %s deleted", ep.Spec.User, name, ep.Name)
		} else {
			r.Recorder.Eventf(&t, ep, corev1.EventTypeNormal, "Revoked", "Revoke", "%s holds nothing in tenant %s any more: EffectivePermission %s grants nothing", ep.Spec.User, name, ep.Name)
		}
	}
}

// markStale sets Ready=Unknown (reason Stale) on the namespace's
// EffectivePermissions when their inputs cannot be read, leaving their
// specs as last written. Best effort: if the API server is away this fails
// too, and the next successful reconcile sets Ready again.
func (r *TenantReconciler) markStale(ctx context.Context, ns string, cause error) {
	var eps accessv1.EffectivePermissionList
	if err := r.List(ctx, &eps, client.InNamespace(ns)); err != nil {
		return
	}
	for i := range eps.Items {
		ep := &eps.Items[i]
		if c := meta.FindStatusCondition(ep.Status.Conditions, accessv1.ConditionReady); c != nil && c.Reason == accessv1.ReasonStale {
			continue // already said
		}
		_ = r.patchEPStatus(ctx, ep, func(st *accessv1.EffectivePermissionStatus, generation int64) {
			st.ObservedGeneration = generation
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: accessv1.ConditionReady, Status: metav1.ConditionUnknown,
				Reason: accessv1.ReasonStale, ObservedGeneration: generation,
				Message: "the inputs could not be read (" + cause.Error() + "); the last computed grants are kept until they can"})
		})
	}
}

// patchEPStatus writes an EffectivePermission's status alone. The kind has
// no status subresource, so the write goes to the object itself, on the
// version read (a merge patch with its resourceVersion): it changes more
// than metadata, so the API server makes the generation one more, which set
// is given to observe.
func (r *TenantReconciler) patchEPStatus(ctx context.Context, orig *accessv1.EffectivePermission, set func(*accessv1.EffectivePermissionStatus, int64)) error {
	if r.staleIn(ctx, orig) {
		return nil
	}
	obj := orig.DeepCopy()
	set(&obj.Status, orig.Generation+1)
	patch := client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})
	if err := r.Patch(ctx, obj, patch, client.FieldOwner(FieldOwner)); err != nil {
		return client.IgnoreNotFound(err) // gone: nothing to remember
	}
	r.wrote(orig)
	return nil
}

// SetupWithManager watches every input kind and maps each event to the
// tenant namespaces it affects.
func (r *TenantReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.auditor = &auditor{log: mgr.GetLogger().WithName("audit"), recorder: r.Recorder, out: r.Audit}
	r.informers = mgr.GetCache()
	return ctrl.NewControllerManagedBy(mgr).
		Named("tenant").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.concurrency(), RateLimiter: retryLimiter()}).
		Watches(&accessv1.Tenant{}, r.skipEchoes(r.enqueue(kindTenant, r.forTenant))).
		Watches(&accessv1.Member{}, r.skipEchoes(r.enqueue(kindMember, r.neighbours))).
		Watches(&accessv1.PermissionSet{}, r.skipEchoes(r.enqueue(kindPermissionSet, r.neighbours))).
		Watches(&accessv1.PartnerAccess{}, r.skipEchoes(r.enqueue(kindPartnerAccess, r.neighbours))).
		Watches(&accessv1.Role{}, r.skipEchoes(r.enqueue(kindRole, namespaceOf))).
		Watches(&accessv1.VisibilityPolicy{}, r.skipEchoes(r.enqueue(kindVisibilityPolicy, namespaceOf))).
		// The typed informer, the same the reconciler lists from: a hand edit
		// is seen by the event and by the list alike, and reverted.
		Watches(&accessv1.EffectivePermission{}, r.skipOwnEffectivePermissions(handler.EnqueueRequestsFromMapFunc(namespaceOf))).
		Complete(r)
}

// retryLimiter is controller-runtime's default limiter with the per-tenant
// backoff capped at 5 s instead of 1,000 s: a tenant whose passes failed
// while the API server was away is tried again within 5 s of its return,
// not minutes later (docs/reliability.md).
func retryLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, 5*time.Second),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

func request(ns string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Name: ns}}
}

func namespaceOf(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{request(o.GetNamespace())}
}

// forTenant maps a Tenant to its namespace and its neighbours'.
func (r *TenantReconciler) forTenant(ctx context.Context, o client.Object) []reconcile.Request {
	t := o.(*accessv1.Tenant)
	return r.related(ctx, t.NamespaceOrDefault(), t.Name)
}

// neighbours maps an object of a namespace to that namespace, the
// namespaces of the partners its PartnerAccess objects name, and the
// namespaces of the clients that grant its tenant (as a partner) access.
func (r *TenantReconciler) neighbours(ctx context.Context, o client.Object) []reconcile.Request {
	ns := o.GetNamespace()
	var tenants accessv1.TenantList
	if err := r.List(ctx, &tenants, client.MatchingFields{gather.IndexTenantNamespace: ns}); err != nil || len(tenants.Items) == 0 {
		return []reconcile.Request{request(ns)}
	}
	return r.related(ctx, ns, tenants.Items[0].Name)
}

func (r *TenantReconciler) related(ctx context.Context, ns, tenant string) []reconcile.Request {
	out := map[string]bool{ns: true}
	var clients accessv1.PartnerAccessList
	if err := r.List(ctx, &clients, client.MatchingFields{gather.IndexPartner: tenant}); err == nil {
		for _, pa := range clients.Items {
			out[pa.Namespace] = true
		}
	}
	var own accessv1.PartnerAccessList
	if err := r.List(ctx, &own, client.InNamespace(ns)); err == nil {
		for _, pa := range own.Items {
			var p accessv1.Tenant
			if err := r.Get(ctx, types.NamespacedName{Name: pa.Spec.Partner}, &p); err == nil {
				out[p.NamespaceOrDefault()] = true
			}
		}
	}
	reqs := make([]reconcile.Request, 0, len(out))
	for _, n := range slices.Sorted(maps.Keys(out)) {
		reqs = append(reqs, request(n))
	}
	return reqs
}
