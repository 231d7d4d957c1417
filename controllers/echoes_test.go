package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// TestEchoesKeepWhatWasWritten holds the controller's memory of its own
// writes to what echoes.go says: the echo of a write neither queues a pass
// nor makes it forget the write (a pass that listed the object just before
// still holds the old copy); a delete makes it forget the object, and a
// deleted EffectivePermission's create no longer holds the namespace.
func TestEchoesKeepWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer queue.ShutDown()
	queued := 0
	count := handler.Funcs{
		CreateFunc: func(context.Context, event.CreateEvent, workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queued++
		},
		UpdateFunc: func(context.Context, event.UpdateEvent, workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queued++
		},
		DeleteFunc: func(context.Context, event.DeleteEvent, workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			queued++
		},
	}
	ours := func(sub string, sec int64) []metav1.ManagedFieldsEntry {
		return []metav1.ManagedFieldsEntry{{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: sub, Time: &metav1.Time{Time: metav1.Unix(sec, 0).Time}}}
	}

	t.Run("an EffectivePermission's create", func(t *testing.T) {
		r := &TenantReconciler{}
		eps := r.skipOwnEffectivePermissions(count)
		ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "ann", UID: "ep-1", ResourceVersion: "7", ManagedFields: ours("", 100)}}
		r.createdOne(client.ObjectKeyFromObject(ep))
		queued = 0
		eps.Create(ctx, event.CreateEvent{Object: ep}, queue)
		if queued != 0 {
			t.Error("the echo of the controller's own create queued a pass")
		}
		if !r.createsUnseen(ctx, "acme", nil) {
			t.Error("the echo of a create made the controller forget it: a pass that listed the namespace before the echo would create it again")
		}
		eps.Delete(ctx, event.DeleteEvent{Object: ep}, queue)
		if queued != 1 {
			t.Errorf("a delete queued %d passes, want 1", queued)
		}
		if r.createsUnseen(ctx, "acme", nil) {
			t.Error("a deleted EffectivePermission's create still holds the namespace's passes")
		}
	})

	t.Run("a status write", func(t *testing.T) {
		r := &TenantReconciler{}
		inputs := r.skipEchoes(count)
		before := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "ann", UID: "m-1", ResourceVersion: "3", Generation: 1}}
		r.wrote(before) // the pass patched its status from version 3
		after := before.DeepCopy()
		after.ResourceVersion, after.ManagedFields = "4", ours("status", 100)
		after.Status.ObservedGeneration = 1
		queued = 0
		inputs.Update(ctx, event.UpdateEvent{ObjectOld: before, ObjectNew: after}, queue)
		if queued != 0 {
			t.Error("the echo of the controller's own status write queued a pass")
		}
		if !r.stale(before) {
			t.Error("after the echo, a copy at the version written over reads as fresh: a pass holding it would write the status again")
		}
		if r.stale(after) {
			t.Error("the copy the echo brought reads as stale")
		}
		r.wrote(after)
		inputs.Delete(ctx, event.DeleteEvent{Object: after}, queue)
		if _, ok := r.written.Load(after.GetUID()); ok {
			t.Error("a deleted object's write is still remembered")
		}
		// Another writer's status change is an input change.
		other := after.DeepCopy()
		other.ResourceVersion = "5"
		other.ManagedFields = append(ours("status", 100), metav1.ManagedFieldsEntry{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &metav1.Time{Time: metav1.Unix(200, 0).Time}})
		queued = 0
		inputs.Update(ctx, event.UpdateEvent{ObjectOld: after, ObjectNew: other}, queue)
		if queued != 1 {
			t.Errorf("another writer's status change queued %d passes, want 1", queued)
		}
	})
}
