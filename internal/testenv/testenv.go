/*
Copyright 2026 The access-controller Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package testenv is what the envtest suites share: a real API server (etcd
// and kube-apiserver built by `make controlplane` into bin/) with the CRDs
// of config/crd installed, managers that run the controllers (and the
// webhooks) as cmd/manager does, and the waits and comparisons the suites
// make against them. Only tests import it.
package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/gather"
	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// RequireEnv, when set (as `make test` sets it), turns missing control plane
// binaries from a skipped suite into a failed one.
const RequireEnv = "ACCESS_CONTROLLER_REQUIRE_ENVTEST"

// ErrSkip is returned by Start when the binaries are missing and RequireEnv
// is not set: the suite should skip, saying why.
var ErrSkip = errors.New("skipped")

// Root is the repository's root directory.
var Root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// NewScheme returns a scheme with client-go's kinds and ours.
func NewScheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(accessv1.AddToScheme(s))
	return s
}

// Options say what the API server has installed.
type Options struct {
	// Webhooks installs the webhook configurations of config/webhook,
	// pointed at a local serving address (env.WebhookInstallOptions).
	Webhooks bool
	// Restartable keeps the API server's certificates in a directory of
	// their own, so that env.ControlPlane.APIServer can be stopped and
	// started again with every client's configuration still valid (an
	// outage test). The caller removes CertDir after env.Stop.
	Restartable bool
}

// Env is a running API server with an administrator's client: what every
// envtest suite and test starts from.
type Env struct {
	*envtest.Environment
	Config *rest.Config
	Scheme *k8sruntime.Scheme
	// Client is an administrator's client (system:masters), not throttled.
	Client client.Client
}

func start(o Options) (*Env, error) {
	env, cfg, err := Start(o)
	if err != nil {
		return nil, err
	}
	scheme := NewScheme()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("client: %w", err)
	}
	return &Env{Environment: env, Config: cfg, Scheme: scheme, Client: c}, nil
}

// ForTest starts an API server for one test, stopped when the test ends.
// Without a control plane the test is skipped (ErrSkip), unless RequireEnv
// is set; any other error fails it.
func ForTest(t testing.TB, o Options) *Env {
	t.Helper()
	e, err := start(o)
	if errors.Is(err, ErrSkip) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e
}

// Suite runs a package's tests against one API server, from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Suite(m, "controllers", testenv.Options{}, setup)) }
//
// setup gets the started environment (to set the suite's globals and start
// its managers) and returns what to do once the tests have run; then the
// API server stops. Without a control plane the suite is skipped (ErrSkip),
// unless RequireEnv is set.
func Suite(m *testing.M, name string, o Options, setup func(*Env) (teardown func(), err error)) int {
	e, err := start(o)
	if errors.Is(err, ErrSkip) {
		fmt.Fprintf(os.Stderr, "SKIP %s envtest suite: %v\n", name, err)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s envtest suite: %v\n", name, err)
		return 1
	}
	defer func() {
		if err := e.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "%s envtest suite: stopping the API server: %v\n", name, err)
		}
	}()
	teardown, err := setup(e)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s envtest suite: %v\n", name, err)
		return 1
	}
	if teardown != nil {
		defer teardown()
	}
	return m.Run()
}

// Start starts etcd and kube-apiserver from bin/ (or KUBEBUILDER_ASSETS)
// with our CRDs installed, and returns them with an admin config that is
// not throttled on the client side. Logs are discarded unless TEST_LOGS is
// set.
func Start(o Options) (*envtest.Environment, *rest.Config, error) {
	if os.Getenv("TEST_LOGS") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}
	bin := filepath.Join(Root, "bin")
	if _, err := os.Stat(filepath.Join(bin, "kube-apiserver")); err != nil && os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv(RequireEnv) != "" {
			return nil, nil, fmt.Errorf("envtest binaries missing in %s: run `make controlplane`", bin)
		}
		return nil, nil, fmt.Errorf("%w: no kube-apiserver in %s (run `make controlplane`, or `make test` which does)", ErrSkip, bin)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(Root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: bin,
	}
	if o.Restartable {
		dir, err := os.MkdirTemp("", "envtest-apiserver-")
		if err != nil {
			return nil, nil, err
		}
		env.ControlPlane.APIServer = &envtest.APIServer{CertDir: dir}
	}
	if o.Webhooks {
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{Paths: []string{filepath.Join(Root, "config", "webhook")}}
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting envtest: %w", err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	return env, cfg, nil
}

// Runner adds something a test manager runs — reconcilers, webhooks — as
// cmd/manager adds it (controllers.Setup is one). The test environment
// takes what it runs from its callers, so it depends on none of them
// (cluster-api's envtest helper takes its reconcilers the same way).
type Runner func(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error

// ManagerOptions say how a test manager runs.
type ManagerOptions struct {
	// Now is the clock given to each Runner (default time.Now).
	Now func() time.Time
	// Run are what the manager runs, added in order before it starts.
	Run []Runner
	// Webhooks, when set, serves the manager's webhook server where these
	// options point (a Runner registers the webhooks on it).
	Webhooks *envtest.WebhookInstallOptions
	// Wrap wraps the manager's transport, e.g. to count its requests.
	Wrap func(http.RoundTripper) http.RoundTripper
	// LeaderElection, when set, runs the manager's controllers only while
	// it holds this Lease (in namespace default), as cmd/manager's replicas
	// do, with short durations so that a test sees a failover in seconds.
	LeaderElection string
}

// Manager is a running controller manager.
type Manager struct {
	// Cache is the manager's cache: what the controllers and webhooks read.
	Cache  client.Reader
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

// StartManager runs what o.Run adds (the controllers, the webhooks) as
// cmd/manager runs them, with cfg's identity. Several managers may run one
// after another in a process.
func StartManager(cfg *rest.Config, scheme *k8sruntime.Scheme, o ManagerOptions) (*Manager, error) {
	mcfg := rest.CopyConfig(cfg)
	if o.Wrap != nil {
		mcfg.Wrap(o.Wrap)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	opts := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Cache:                  cache.Options{DefaultTransform: gather.TrimForCache}, // as cmd/manager caches
	}
	if o.LeaderElection != "" {
		opts.LeaderElection, opts.LeaderElectionID, opts.LeaderElectionNamespace = true, o.LeaderElection, "default"
		opts.LeaderElectionReleaseOnCancel = true
		opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = ptr.To(4*time.Second), ptr.To(3*time.Second), ptr.To(500*time.Millisecond)
	}
	if w := o.Webhooks; w != nil {
		opts.WebhookServer = crwebhook.NewServer(crwebhook.Options{Host: w.LocalServingHost, Port: w.LocalServingPort, CertDir: w.LocalServingCertDir,
			TLSOpts: []func(*tls.Config){webhook.HTTP1Only}}) // as cmd/manager serves
	}
	mgr, err := ctrl.NewManager(mcfg, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, run := range o.Run {
		if err := run(ctx, mgr, o.Now); err != nil {
			cancel()
			return nil, err
		}
	}
	m := &Manager{Cache: mgr.GetCache(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.err = mgr.Start(ctx)
	}()
	return m, nil
}

// Stop stops the manager and returns the error it stopped with, if any. It
// may be called more than once.
func (m *Manager) Stop() error {
	m.once.Do(func() {
		m.cancel()
		<-m.done
	})
	return m.err
}

// Eventually polls cond every 100 ms until it holds, and fails the test with
// cond's last explanation if it does not hold within timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %s", what, timeout, last)
}

// SameEPs reports whether the EffectivePermissions in the namespaces are
// exactly want: the same names, and specs byte-identical in JSON. If not, it
// says what differs.
func SameEPs(t testing.TB, c client.Reader, want []accessv1.EffectivePermission, namespaces []string) (bool, string) {
	t.Helper()
	have := map[string][]byte{}
	for _, ns := range slices.Compact(slices.Sorted(slices.Values(namespaces))) {
		var l accessv1.EffectivePermissionList
		if err := c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, ep := range l.Items {
			b, _ := json.Marshal(ep.Spec)
			have[ep.Namespace+"/"+ep.Name] = b
		}
	}
	var missing, differ []string
	wanted := map[string]bool{}
	for _, ep := range want {
		key := ep.Namespace + "/" + ep.Name
		wanted[key] = true
		b, _ := json.Marshal(ep.Spec)
		got, ok := have[key]
		switch {
		case !ok:
			missing = append(missing, key)
		case !bytes.Equal(got, b):
			differ = append(differ, key)
		}
	}
	var extra []string
	for key := range have {
		if !wanted[key] {
			extra = append(extra, key)
		}
	}
	if len(missing)+len(differ)+len(extra) == 0 {
		return true, ""
	}
	slices.Sort(extra)
	return false, fmt.Sprintf("have %d EffectivePermissions, want %d; missing %v, differing %v, unexpected %v",
		len(have), len(want), missing, differ, extra)
}

// Update reads obj afresh (by its namespace and name), applies change and
// writes it, again while a concurrent write got there first (a controller's
// status patch moves resourceVersion, never the spec a test changes).
func Update[T client.Object](t testing.TB, c client.Client, obj T, change func(T)) {
	t.Helper()
	if err := TryUpdate(context.Background(), c, obj, func(o T) bool { change(o); return true }); err != nil {
		t.Fatalf("update %s: %v", client.ObjectKeyFromObject(obj), err)
	}
}

// TryUpdate is Update returning the error (a fault test expects some), and
// writing nothing when change returns false.
func TryUpdate[T client.Object](ctx context.Context, c client.Client, obj T, change func(T) bool) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		if !change(obj) {
			return nil
		}
		return c.Update(ctx, obj)
	})
}

// CreateNamespace creates a namespace unless it exists.
func CreateNamespace(t testing.TB, c client.Client, name string) {
	t.Helper()
	err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
