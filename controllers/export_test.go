package controllers

import (
	"context"
	"sync/atomic"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Exported for the scale run's floor (scale_test.go): the statuses the
// controller writes, sent directly.
var (
	MemberStatus              = memberStatus
	EffectivePermissionStatus = effectivePermissionStatus
)

// VerifyReadOnly has every pass report, through report, any object it
// changed among those it listed from the cache without copying (readonly.go).
// The passes of a manager must list their EffectivePermissions from the
// informer's store: one that copies them through List is reported too.
func VerifyReadOnly(report func(what string)) { verifyReadOnly, verifyStore = report, report != nil }

// ListEPs lists namespace ns's EffectivePermissions as a pass does
// (readOnly.listEPs), through c and the cache it reads, and says whether
// they came from the informer's store.
func ListEPs(ctx context.Context, c client.Reader, informers cache.Informers, ns string) ([]*accessv1.EffectivePermission, bool, error) {
	ro := readOnly{Reader: c, informers: informers}
	_, fromStore := ro.fromStore(ctx, &accessv1.EffectivePermission{}, ns)
	eps, err := ro.listEPs(ctx, ns)
	return eps, fromStore, err
}

// ListMembers is ListEPs of namespace ns's Members (readOnly.ListMembers).
func ListMembers(ctx context.Context, c client.Reader, informers cache.Informers, ns string) ([]*accessv1.Member, bool, error) {
	ro := readOnly{Reader: c, informers: informers}
	_, fromStore := ro.fromStore(ctx, &accessv1.Member{}, ns)
	ms, err := ro.ListMembers(ctx, ns)
	return ms, fromStore, err
}

// FirstWrites are the writes a first pass over namespace ns makes, each as
// the controller sends it and unsent: a create of every EffectivePermission
// (labels, owner references, status), and a status for every object of the
// namespace. snap must be as the API server serves it (its UIDs are the
// owner references).
func FirstWrites(ctx context.Context, c client.Client, ns string, snap *engine.Snapshot, res *engine.Result) (creates, statuses []func() error) {
	lo, hi := nsRange(res.EffectivePermissions, ns)
	for _, w := range plan(res, lo, hi, newStoredEPs(ns, nil, nil)) {
		creates = append(creates, func() error { _, err := apply(ctx, c, w); return err }) // creates only: no NotFound
	}
	r := &TenantReconciler{Client: c}
	var recorded atomic.Bool
	return creates, r.statusWrites(ctx, ns, snap, nil, res, time.Now(), nil, &recorded)
}

// SetUpReadsStore sets a TenantReconciler up with mgr (SetupWithManager, as
// SetupWith does) and says whether its passes then list from the manager's
// cache's store (listEPs, ListMembers), not through List.
func SetUpReadsStore(mgr ctrl.Manager) (bool, error) {
	r := &TenantReconciler{Client: mgr.GetClient()}
	if err := r.SetupWithManager(mgr); err != nil {
		return false, err
	}
	ro := r.readOnly()
	return ro.informers != nil && ro.informers == cache.Informers(mgr.GetCache()), nil
}
