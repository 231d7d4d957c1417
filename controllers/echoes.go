package controllers

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The watch events of the controller's own writes — its statuses, its
// EffectivePermissions — carry nothing a pass has not already computed: the
// pass that wrote them planned from the same inputs. A cold converge of N
// members writes N EffectivePermissions and N Member statuses, and queueing
// a pass for each echo had the tenant re-read and re-rendered up to 2N
// times while the API server, on the same cores, was busy with the writes.
// So echoes queue nothing; a pass that found the cache behind its own last
// writes asks to run again itself (catchUp in tenant_controller.go). Every
// other change queues a pass as before: any input change, a write by anyone
// else (a hand edit of an EffectivePermission or a status is reverted), a
// deletion, a resync.

// ownWrite says whether the change from old to obj (old nil: a create) was
// made by this controller alone: every managed fields entry that is new or
// changed is ours. Managed fields keep only the second of each write, so a
// write by someone else in the same second as ours, setting exactly the
// fields it set before, reads as ours; the next input change or resync
// corrects what it did.
func ownWrite(old, obj client.Object) bool {
	if old != nil && old.GetResourceVersion() == obj.GetResourceVersion() {
		return false // a resync: not a write at all
	}
	var before []metav1.ManagedFieldsEntry
	if old != nil {
		before = old.GetManagedFields()
	}
	changed := 0
	for _, e := range obj.GetManagedFields() {
		if sameEntry(before, e) {
			continue
		}
		if e.Manager != FieldOwner {
			return false
		}
		changed++
	}
	return changed > 0
}

// sameEntry says whether entries holds e unchanged (its field set aside,
// which the cache does not keep: gather.TrimForCache).
func sameEntry(entries []metav1.ManagedFieldsEntry, e metav1.ManagedFieldsEntry) bool {
	for _, x := range entries {
		if x.Manager == e.Manager && x.Operation == e.Operation && x.Subresource == e.Subresource && x.APIVersion == e.APIVersion {
			return x.Time.Equal(e.Time)
		}
	}
	return false
}

// skipEchoes wraps h, the handler of an input kind, so that the echoes of
// this controller's own status writes queue nothing. A change of anything
// else is an input change, whoever made it (the built-in Role and
// PermissionSet that BuiltinsReconciler writes under the same field owner
// are inputs of the tenant's pass).
func (r *TenantReconciler) skipEchoes(h handler.EventHandler) handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	return handler.Funcs{
		CreateFunc: h.Create,
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) {
			if statusOnly(e.ObjectOld, e.ObjectNew) && ownWrite(e.ObjectOld, e.ObjectNew) {
				return // what the controller remembers of the write stays (remembered)
			}
			h.Update(ctx, e, q)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q queue) {
			r.forget(e.Object)
			h.Delete(ctx, e, q)
		},
		GenericFunc: h.Generic,
	}
}

// skipOwnEffectivePermissions wraps h, the EffectivePermissions' handler, so
// that the echoes of this controller's own creates and updates queue
// nothing; a hand edit, a delete or a stray object still does.
func (r *TenantReconciler) skipOwnEffectivePermissions(h handler.EventHandler) handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q queue) {
			if !e.IsInInitialList && ownWrite(nil, e.Object) {
				return // what the controller remembers of the write stays (remembered)
			}
			h.Create(ctx, e, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) {
			if ownWrite(e.ObjectOld, e.ObjectNew) {
				return // what the controller remembers of the write stays (remembered)
			}
			h.Update(ctx, e, q)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q queue) {
			r.forget(e.Object)
			r.forgetCreate(e.Object)
			h.Delete(ctx, e, q)
		},
		GenericFunc: h.Generic,
	}
}

// remembered: an echo does not make the controller forget its write (the
// version it wrote over, TenantReconciler.written; its create,
// TenantReconciler.created). A pass may have listed the object from the
// cache just before the echo arrived, and still hold the version the write
// replaced: forgotten, that copy would pass for fresh, and the pass would
// write its status again or create the EffectivePermission a second time
// (TestWritesAreExact caught both). The passes forget what they find the
// cache has caught up with (stale, createsUnseen); what no pass looks at
// again is one small entry per object the cache holds, and goes with the
// object (forget, forgetCreate). A write that finds its object gone is not
// remembered at all.

// forget drops what the controller remembers of its writes of obj, which
// was deleted: no pass will find it in the cache to forget it then.
func (r *TenantReconciler) forget(obj client.Object) {
	r.written.Delete(obj.GetUID())
}

// forgetCreate drops the controller's note of its create of the
// EffectivePermission obj, which was deleted: no pass will find it in the
// cache, and waiting for it would hold the namespace's passes (createsUnseen)
// for a minute. (A delete event of an older EffectivePermission of the same
// name may drop the note of a newer create: a pass may then create it a
// second time, which the API server refuses, and the pass runs again.)
func (r *TenantReconciler) forgetCreate(obj client.Object) {
	r.createdMu.Lock()
	defer r.createdMu.Unlock()
	if pending := r.created[obj.GetNamespace()]; pending != nil {
		delete(pending, obj.GetName())
		if len(pending) == 0 {
			delete(r.created, obj.GetNamespace())
		}
	}
}

// forgetCreates drops the notes of creates in namespace ns, which another
// shard's manager now converges.
func (r *TenantReconciler) forgetCreates(ns string) {
	r.createdMu.Lock()
	defer r.createdMu.Unlock()
	delete(r.created, ns)
}
