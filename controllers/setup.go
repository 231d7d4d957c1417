package controllers

import (
	"context"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tenancy-dev/access-controller/internal/gather"
)

// Options tune the controllers.
type Options struct {
	// Now is the clock (PartnerAccess expiry).
	Now func() time.Time
	// Audit, when set, receives the audit trail as JSON lines.
	Audit io.Writer
	// Shard selects the Tenants this manager converges (shard.go); nil:
	// every tenant.
	Shard labels.Selector
	// Writes is how many writes the controller keeps in flight at once,
	// across every tenant (0: DefaultWrites).
	Writes int
}

// Setup registers the field indexes and both reconcilers with a manager.
// The manager's main and the envtest suite call it, so both run the same
// controllers.
func Setup(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
	return SetupWith(ctx, mgr, Options{Now: now})
}

// SetupWith is Setup with options.
func SetupWith(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if err := gather.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	tenants := &TenantReconciler{Client: mgr.GetClient(), Now: o.Now, Recorder: mgr.GetEventRecorder("access-controller"), Audit: o.Audit, Shard: o.Shard, Writes: o.Writes}
	if err := tenants.SetupWithManager(mgr); err != nil {
		return err
	}
	return (&BuiltinsReconciler{Client: mgr.GetClient(), Shard: o.Shard}).SetupWithManager(mgr)
}
