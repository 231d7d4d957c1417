package controllers

import (
	"context"
	"fmt"
	"sync"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
	check *readOnlyCheck // nil unless verifying
}

func (r *TenantReconciler) readOnly() readOnly {
	ro := readOnly{Reader: r.Client}
	if verifyReadOnly != nil {
		ro.check = &readOnlyCheck{}
	}
	return ro
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

// readOnlyCheck holds what a pass listed and a copy of it, to compare at
// the end of the pass.
type readOnlyCheck struct {
	mu    sync.Mutex
	lists [][2]client.ObjectList
}

// done reports, when verifying, any list the pass changed.
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
}
