package decision

import (
	"strconv"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// kind names an object kind in the tracker's keys.
type kind string

const (
	kindTenant        kind = accessv1.KindTenant
	kindMember        kind = accessv1.KindMember
	kindRole          kind = accessv1.KindRole
	kindPermissionSet kind = accessv1.KindPermissionSet
	kindPartnerAccess kind = accessv1.KindPartnerAccess
	kindPolicy        kind = accessv1.KindVisibilityPolicy
	kindEP            kind = accessv1.KindEffectivePermission
)

// key is what a read depends on: the objects of one kind in one namespace,
// or in every namespace when ns is empty (cluster-scoped Tenants, lists by
// field index).
type key struct {
	kind kind
	ns   string
}

// Tracker follows the informers' events: when each kind and namespace of
// the engine's inputs last changed (so a memoized snapshot knows whether
// what it read is still current), the highest resourceVersion of the
// EffectivePermissions seen per tenant (the answers' freshness token), and
// when an EffectivePermission last changed (the cache age). An informer
// calls its handlers after its store holds the change, so a snapshot that
// reads the change counter before it reads the cache never keeps a state
// older than its counter says; a question asked between a store update and
// its handler (microseconds) may get the state before it.
type Tracker struct {
	mu   sync.Mutex
	seq  uint64
	last map[key]uint64
	// fresh is the highest EffectivePermission resourceVersion seen per
	// tenant name.
	fresh  map[string]uint64
	lastEP time.Time
	now    func() time.Time
	// seenRV is, per kind, the highest resourceVersion of an event the
	// cache has delivered: the cache holds every change of that kind up to
	// it (a watch delivers a kind's changes in order, the store first).
	seenRV map[kind]string
	// notify is closed, and replaced, at each event: a waiter looks again.
	notify chan struct{}
	// deletions remembers the resourceVersion of the most recent deletions
	// the cache delivered (a DELETE of a custom resource answers a Status,
	// not the object: a caller cannot learn it), oldest first in order.
	deletions map[objectKey]string
	order     []objectKey
	// forget drops what is cached for a deleted EffectivePermission.
	forget func(*accessv1.EffectivePermission)
}

func newTracker(now func() time.Time) *Tracker {
	return &Tracker{last: map[key]uint64{}, fresh: map[string]uint64{}, lastEP: now(), now: now,
		seenRV: map[kind]string{}, notify: make(chan struct{}), deletions: map[objectKey]string{}}
}

// Observe records an object added or updated.
func (t *Tracker) Observe(obj client.Object) { t.event(obj, false) }

// Deleted records an object deleted.
func (t *Tracker) Deleted(obj client.Object) { t.event(obj, true) }

func (t *Tracker) event(obj client.Object, deleted bool) {
	defer t.wake()
	if k, ok := kindOf(obj); ok {
		t.mu.Lock()
		if rv := obj.GetResourceVersion(); wellFormed(rv) && !atLeast(t.seenRV[k], rv) {
			t.seenRV[k] = rv
		}
		if deleted && k != kindEP {
			t.deleted(objectKey{k, obj.GetNamespace(), obj.GetName()}, obj.GetResourceVersion())
		}
		t.mu.Unlock()
	}
	if ep, ok := obj.(*accessv1.EffectivePermission); ok {
		t.mu.Lock()
		t.lastEP = t.now()
		// The resourceVersions of one API server are etcd revisions, which
		// only grow; one that is not a number is not counted.
		if rv, err := strconv.ParseUint(ep.ResourceVersion, 10, 64); err == nil && rv > t.fresh[ep.Spec.Tenant] && !deleted {
			t.fresh[ep.Spec.Tenant] = rv
		}
		t.mu.Unlock()
		if deleted && t.forget != nil {
			t.forget(ep)
		}
		return
	}
	k, ok := kindOf(obj)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	t.last[key{k, ""}] = t.seq
	if ns := obj.GetNamespace(); ns != "" {
		t.last[key{k, ns}] = t.seq
	}
}

// objectKey names one object of a kind.
type objectKey struct {
	kind      kind
	namespace string
	name      string
}

// maxDeletions bounds the deletions remembered.
const maxDeletions = 1 << 16

// deleted remembers a deletion's resourceVersion; t.mu is held.
func (t *Tracker) deleted(k objectKey, rv string) {
	if _, ok := t.deletions[k]; !ok {
		t.order = append(t.order, k)
	}
	t.deletions[k] = rv
	if len(t.order) > maxDeletions {
		delete(t.deletions, t.order[0])
		t.order = t.order[1:]
	}
}

// deletion is the resourceVersion of the object's deletion, if the cache
// delivered it (and it is among the most recent).
func (t *Tracker) deletion(k objectKey) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rv, ok := t.deletions[k]
	return rv, ok
}

// wake tells the waiters that something changed.
func (t *Tracker) wake() {
	t.mu.Lock()
	close(t.notify)
	t.notify = make(chan struct{})
	t.mu.Unlock()
}

// changed is closed at the next event. Take it before looking at the
// cache: a change after the look then wakes the waiter.
func (t *Tracker) changed() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notify
}

// seen is the highest resourceVersion of kind k the cache has delivered
// ("" before the first).
func (t *Tracker) seen(k kind) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seenRV[k]
}

// Seq is the count of input changes so far. Read it before reading the
// cache: a snapshot is current while none of its keys changed after it.
func (t *Tracker) Seq() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// changedSince reports whether an input of one of deps changed after seq.
func (t *Tracker) changedSince(deps []key, seq uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range deps {
		if t.last[k] > seq {
			return true
		}
	}
	return false
}

// Freshness is the freshness token of an answer about tenant: the highest
// resourceVersion of its EffectivePermissions the cache has seen, "0" when
// none. Read it before reading the cache: the answer then reflects at
// least what the token says.
func (t *Tracker) Freshness(tenant string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strconv.FormatUint(t.fresh[tenant], 10)
}

// age is how long ago an EffectivePermission last changed (or the tracker
// started, before the first one).
func (t *Tracker) age() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.now().Sub(t.lastEP)
}

// newObject is an empty object of kind k.
func newObject(k kind) client.Object {
	switch k {
	case kindTenant:
		return &accessv1.Tenant{}
	case kindMember:
		return &accessv1.Member{}
	case kindRole:
		return &accessv1.Role{}
	case kindPermissionSet:
		return &accessv1.PermissionSet{}
	case kindPartnerAccess:
		return &accessv1.PartnerAccess{}
	case kindPolicy:
		return &accessv1.VisibilityPolicy{}
	}
	return &accessv1.EffectivePermission{}
}

func kindOf(obj any) (kind, bool) {
	switch obj.(type) {
	case *accessv1.Tenant, *accessv1.TenantList:
		return kindTenant, true
	case *accessv1.Member, *accessv1.MemberList:
		return kindMember, true
	case *accessv1.Role, *accessv1.RoleList:
		return kindRole, true
	case *accessv1.PermissionSet, *accessv1.PermissionSetList:
		return kindPermissionSet, true
	case *accessv1.PartnerAccess, *accessv1.PartnerAccessList:
		return kindPartnerAccess, true
	case *accessv1.VisibilityPolicy, *accessv1.VisibilityPolicyList:
		return kindPolicy, true
	case *accessv1.EffectivePermission, *accessv1.EffectivePermissionList:
		return kindEP, true
	}
	return "", false
}
