package controllers

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tenancy-dev/access-controller/internal/gather"
)

// Setup registers the field indexes and both reconcilers with a manager.
// The manager's main and the envtest suite call it, so both run the same
// controllers.
func Setup(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
	if err := gather.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	tenants := &TenantReconciler{Client: mgr.GetClient(), Now: now, Recorder: mgr.GetEventRecorder("access-controller")}
	if err := tenants.SetupWithManager(mgr); err != nil {
		return err
	}
	return (&BuiltinsReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
}
