package controllers

import (
	"context"
	"fmt"
	"sync"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// readOnly lists from the cache without deep copies
// (client.UnsafeDisableDeepCopy): a pass reads every object of its tenant
// (20,000 of them in a tenant of 10,000 members) and writes few, so copying
// them all was a third of a pass. The objects it lists are the cache's own:
// nothing in a pass may change them. The engine never changes its snapshot
// (TestMemoAgrees, and §5 of the semantics tests), and every write copies
// the object it writes first (patch, patchEPStatus, apply). The tests hold
// the whole controller to it (verifyReadOnly).
type readOnly struct {
	client.Reader
	// informers, when set, is the cache Reader reads: listEPs reads its
	// store directly.
	informers cache.Informers
	check     *readOnlyCheck // nil unless verifying
}

func (r *TenantReconciler) readOnly() readOnly {
	ro := readOnly{Reader: r.Client, informers: r.informers}
	if verifyReadOnly != nil {
		ro.check = &readOnlyCheck{listed: map[string]bool{}}
	}
	return ro
}

// listEPs lists namespace ns's EffectivePermissions: the cache's own
// objects, as listing without deep copies gives them, but not copied into
// a list either. A pass reads a few fields of each (name, version, spec to
// reuse, status) and writes few; copying 10,000 of them from all over the
// heap was a third of a big tenant's gather. Read from the informer's
// store, as the cache's reader does; through List when the cache is of
// another sort (or there is none, in unit tests).
func (ro readOnly) listEPs(ctx context.Context, ns string) ([]*accessv1.EffectivePermission, error) {
	return listStored[accessv1.EffectivePermission, *accessv1.EffectivePermission](ctx, ro, ns, accessv1.KindEffectivePermission,
		func(l *accessv1.EffectivePermissionList) []accessv1.EffectivePermission { return l.Items })
}

// ListMembers lists namespace ns's Members as listEPs lists
// EffectivePermissions: the gather's Members (gather.MemberLister), which
// the engine reads as they are (engine.Snapshot.Members). Copying a big
// tenant's 10,000 Members into a list was most of its pass's gather.
func (ro readOnly) ListMembers(ctx context.Context, ns string) ([]*accessv1.Member, error) {
	return listStored[accessv1.Member, *accessv1.Member](ctx, ro, ns, accessv1.KindMember,
		func(l *accessv1.MemberList) []accessv1.Member { return l.Items })
}

// storedEPs lists namespace ns's EffectivePermissions as listEPs does, with
// the informer's store to find one by name (storedEPs.named) when the cache
// has one.
func (ro readOnly) storedEPs(ctx context.Context, ns string) (*storedEPs, error) {
	list, err := ro.listEPs(ctx, ns)
	if err != nil {
		return nil, err
	}
	var store toolscache.KeyGetter
	if ix, ok := ro.indexer(ctx, &accessv1.EffectivePermission{}); ok {
		store = ix
	}
	return newStoredEPs(ns, list, store), nil
}

// listStored lists namespace ns's objects of one kind (T, its list L) from
// the informer's store, or through List when the cache is of another sort;
// when verifying, it records what it listed, each object with a copy.
func listStored[T any, P interface {
	*T
	client.Object
}, L any, PL interface {
	*L
	client.ObjectList
}](ctx context.Context, ro readOnly, ns, kind string, items func(PL) []T) ([]P, error) {
	objs, fromStore := ro.fromStore(ctx, P(new(T)), ns)
	if ro.check != nil && ro.informers != nil && !fromStore {
		ro.check.mu.Lock()
		ro.check.copied = append(ro.check.copied, kind)
		ro.check.mu.Unlock()
	}
	var out []P
	if fromStore {
		out = make([]P, 0, len(objs))
		for _, o := range objs {
			p, ok := o.(P)
			if !ok {
				return nil, fmt.Errorf("the cache holds a %T among %T", o, P(nil))
			}
			out = append(out, p)
		}
	} else {
		l := PL(new(L))
		if err := ro.Reader.List(ctx, l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		its := items(l)
		out = make([]P, len(its))
		for i := range its {
			out[i] = &its[i]
		}
	}
	if ro.check != nil {
		ro.check.mu.Lock()
		ro.check.listed[kind] = true
		for _, o := range out {
			ro.check.objs = append(ro.check.objs, listedObject{kind, o, o.DeepCopyObject()})
		}
		ro.check.mu.Unlock()
	}
	return out, nil
}

// fromStore is the namespace's objects of obj's kind in the informer's
// store, when the cache is one whose store can be read.
func (ro readOnly) fromStore(ctx context.Context, obj client.Object, ns string) ([]any, bool) {
	ix, ok := ro.indexer(ctx, obj)
	if !ok {
		return nil, false
	}
	objs, err := ix.ByIndex(toolscache.NamespaceIndex, ns)
	return objs, err == nil
}

// indexer is the informer's store of obj's kind, when the cache is one
// whose store can be read.
func (ro readOnly) indexer(ctx context.Context, obj client.Object) (toolscache.Indexer, bool) {
	if ro.informers == nil {
		return nil, false
	}
	inf, err := ro.informers.GetInformer(ctx, obj)
	if err != nil {
		return nil, false
	}
	si, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return nil, false
	}
	return si.GetIndexer(), true
}

func (ro readOnly) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := ro.Reader.List(ctx, list, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		return err
	}
	if ro.check != nil {
		ro.check.mu.Lock()
		ro.check.lists = append(ro.check.lists, [2]client.ObjectList{list, list.DeepCopyObject().(client.ObjectList)})
		ro.check.mu.Unlock()
	}
	return nil
}

// verifyReadOnly, when set (by the tests), is told of every pass that
// changed an object it listed from the cache.
var verifyReadOnly func(what string)

// verifyStore, set by the envtest suite with verifyReadOnly, has it told of
// every pass that, given the manager's cache, listed its
// EffectivePermissions or Members other than from the informer's store
// (listStored's fallback, for caches of another sort). Unit tests'
// reconcilers have no cache, and list through their client.
var verifyStore bool

// readOnlyCheck holds what a pass listed and a copy of it, to compare at
// the end of the pass.
type readOnlyCheck struct {
	mu    sync.Mutex
	lists [][2]client.ObjectList
	objs  []listedObject // listStored's
	// copied names each kind listStored, given the manager's cache, listed
	// through List and not from its store.
	copied []string
	// listed holds the kinds listStored listed: a pass that got as far as
	// its EffectivePermissions has gathered its Members, which must have
	// come through ListMembers.
	listed map[string]bool
}

// listedObject is an object listStored gave a pass, of kind, with a copy.
type listedObject struct {
	kind       string
	obj, saved runtime.Object
}

// done reports, when verifying, any list the pass changed, any object it
// changed of those listStored gave it, and, where the tests expect the
// informer's store to be read (verifyStore), a pass that had the manager's
// cache and listed its EffectivePermissions or Members some other way.
func (ro readOnly) done(ns string) {
	if ro.check == nil {
		return
	}
	ro.check.mu.Lock()
	defer ro.check.mu.Unlock()
	for _, l := range ro.check.lists {
		if !apiequality.Semantic.DeepEqual(l[0], l[1]) {
			verifyReadOnly(fmt.Sprintf("the pass of namespace %s changed a %T it listed from the cache", ns, l[0]))
		}
	}
	for _, o := range ro.check.objs {
		if !apiequality.Semantic.DeepEqual(o.obj, o.saved) {
			verifyReadOnly(fmt.Sprintf("the pass of namespace %s changed %s %s it listed from the cache", ns, o.kind, o.obj.(client.Object).GetName()))
		}
	}
	for _, kind := range ro.check.copied {
		if verifyStore {
			verifyReadOnly(fmt.Sprintf("the pass of namespace %s listed its %s through List, not from the informer's store", ns, kind))
		}
	}
	if verifyStore && ro.check.listed[accessv1.KindEffectivePermission] && !ro.check.listed[accessv1.KindMember] {
		verifyReadOnly(fmt.Sprintf("the pass of namespace %s gathered its Members without ListMembers (copied through List)", ns))
	}
}
