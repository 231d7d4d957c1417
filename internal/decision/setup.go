package decision

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// CacheOptions are the manager's cache options for the server: objects
// are kept without their managedFields, which no answer reads.
func CacheOptions() cache.Options {
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
}

// SetupOptions say how the server runs in a manager.
type SetupOptions struct {
	// BindAddress is the API's address; "" or "0" serves no API (a test
	// that calls Handler itself).
	BindAddress string
	// Now is the engine's clock; default time.Now.
	Now func() time.Time
	// Registerer registers the metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// CertDir holds the API's serving certificate and key, tls.crt and
	// tls.key (a mounted cert-manager Secret), reloaded when they change.
	// "" serves a self-signed certificate made at start, for local use.
	CertDir string
	// SelfSignedCertOut is the file the self-signed certificate is written
	// to (PEM, with its CA), for local clients to trust; "" writes none.
	SelfSignedCertOut string
	// Auth says how long the API server's answers about callers are kept
	// (DefaultAuthOptions in cmd/decision-server). The API always
	// authenticates and authorizes.
	Auth AuthOptions
	// DecisionLog, when set, receives one JSON line per request (Options).
	DecisionLog io.Writer
}

// cached are the kinds the server's cache holds: the EffectivePermissions
// it answers from and every input internal/gather reads for owner lookups.
var cached = []client.Object{
	&accessv1.EffectivePermission{}, &accessv1.Tenant{}, &accessv1.Member{}, &accessv1.Role{},
	&accessv1.PermissionSet{}, &accessv1.PartnerAccess{}, &accessv1.VisibilityPolicy{},
}

// Setup adds the decision server to mgr, a manager with no controller and
// no leader election (its cache built with CacheOptions): the field
// indexes, an informer with the Tracker's handlers for each kind it reads,
// a readiness check that passes once the cache has synced (/readyz on the
// manager's probe address), and the API on o.BindAddress: over TLS, every
// caller authenticated and every question authorized by the API server of
// mgr (docs/decision-server.md, "Authentication and authorization").
func Setup(ctx context.Context, mgr manager.Manager, o SetupOptions) (*Server, error) {
	if err := SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return nil, err
	}
	serve := o.BindAddress != "" && o.BindAddress != "0"
	var auth *Auth
	if serve {
		var err error
		if auth, err = NewAuth(mgr.GetConfig(), mgr.GetHTTPClient(), o.Auth); err != nil {
			return nil, err
		}
	}
	waiter := &syncWaiter{cache: mgr.GetCache()}
	s, err := New(Options{Reader: mgr.GetCache(), Live: mgr.GetAPIReader(), Now: o.Now, Synced: waiter.synced.Load, Registerer: o.Registerer, Auth: auth, DecisionLog: o.DecisionLog})
	if err != nil {
		return nil, err
	}
	for _, obj := range cached {
		inf, err := mgr.GetCache().GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		if _, err := inf.AddEventHandler(s.track.handler()); err != nil {
			return nil, err
		}
	}
	if err := mgr.Add(waiter); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("cache", func(*http.Request) error {
		if !waiter.synced.Load() {
			return errors.New("the cache has not synced")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if !serve {
		return s, nil
	}
	tlsConfig, watcher, err := servingTLS(o, mgr.GetLogger().WithName("decision-api"))
	if err != nil {
		return nil, err
	}
	if watcher != nil {
		if err := mgr.Add(watcher); err != nil {
			return nil, err
		}
	}
	l, err := tlsListener(ctx, o.BindAddress, tlsConfig)
	if err != nil {
		return nil, err
	}
	return s, mgr.Add(&manager.Server{
		Name:     "decision-api",
		Listener: l,
		Server: &http.Server{
			Addr:              o.BindAddress,
			Handler:           s.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
		},
		ShutdownTimeout: ptr.To(10 * time.Second),
	})
}

// syncWaiter marks the server synced once every informer of the cache has
// synced. It needs no leader: every replica serves.
type syncWaiter struct {
	cache  cache.Cache
	synced atomic.Bool
}

func (w *syncWaiter) Start(ctx context.Context) error {
	if w.cache.WaitForCacheSync(ctx) {
		w.synced.Store(true)
	}
	<-ctx.Done()
	return nil
}

func (w *syncWaiter) NeedLeaderElection() bool { return false }

// handler feeds the Tracker an informer's events.
func (t *Tracker) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.observe(obj, false) },
		UpdateFunc: func(_, obj any) { t.observe(obj, false) },
		DeleteFunc: func(obj any) { t.observe(obj, true) },
	}
}

func (t *Tracker) observe(obj any, deleted bool) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if o, ok := obj.(client.Object); ok {
		t.event(o, deleted)
	}
}
