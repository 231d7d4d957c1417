package controllers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
)

// The suite runs one real API server (etcd + kube-apiserver built by
// `make controlplane` into bin/) for every test of the package.
var (
	testEnv *envtest.Environment
	cfg     *rest.Config
	k8s     client.Client // the tests' own client (admin), not counted
	scheme  = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(accessv1.AddToScheme(scheme))
	bin, _ := filepath.Abs("../bin")
	if _, err := os.Stat(filepath.Join(bin, "kube-apiserver")); err != nil && os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("ACCESS_CONTROLLER_REQUIRE_ENVTEST") != "" {
			fmt.Fprintf(os.Stderr, "envtest binaries missing in %s: run `make controlplane`\n", bin)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "SKIP controllers envtest suite: no kube-apiserver in %s (run `make controlplane`, or `make test` which does)\n", bin)
		os.Exit(0)
	}
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: bin,
	}
	var err error
	if cfg, err = testEnv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		os.Exit(1)
	}
	cfg.QPS, cfg.Burst = -1, 0 // no client-side throttling in tests
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
	if os.Getenv("TEST_LOGS") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}
	code := m.Run()
	if err := testEnv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
	}
	os.Exit(code)
}

// manager is a running controller manager whose mutating requests are counted.
type manager struct {
	cancel context.CancelFunc
	done   chan struct{}
	writes *writeCounter
}

// startManager runs the controllers as cmd/manager does, with the clock
// given, and counts every request they make that is not a read.
func startManager(t *testing.T, now func() time.Time) *manager {
	t.Helper()
	wc := &writeCounter{byKey: map[string]int{}}
	mcfg := rest.CopyConfig(cfg)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return wc.wrap(rt) })
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Several managers run one after another in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := controllers.Setup(ctx, mgr, now); err != nil {
		t.Fatal(err)
	}
	m := &manager{cancel: cancel, done: make(chan struct{}), writes: wc}
	go func() {
		defer close(m.done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(m.stop)
	return m
}

func (m *manager) stop() {
	m.cancel()
	<-m.done
}

// writeCounter counts mutating requests by "VERB resource[/subresource]".
type writeCounter struct {
	mu    sync.Mutex
	byKey map[string]int
	// created counts EffectivePermissions the API server created, so a
	// scale run can watch progress without listing them.
	created atomic.Int64
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodGet {
			return rt.RoundTrip(req)
		}
		resource := resourceOf(req.URL.Path)
		w.mu.Lock()
		w.byKey[req.Method+" "+namespaceOfPath(req.URL.Path)+" "+resource]++
		w.mu.Unlock()
		resp, err := rt.RoundTrip(req)
		if err == nil && req.Method == http.MethodPost && resource == "effectivepermissions" && resp.StatusCode == http.StatusCreated {
			w.created.Add(1)
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// resourceOf turns /apis/g/v/namespaces/ns/kind/name/status into kind/status.
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i < len(parts); i++ {
		if parts[i] == "namespaces" && i+2 < len(parts) {
			parts = parts[i+2:]
			break
		}
	}
	if len(parts) >= 3 && (parts[0] == "apis" || parts[0] == "api") {
		parts = parts[3:]
		if parts[0] == "api" {
			parts = parts[2:]
		}
	}
	if len(parts) == 0 {
		return path
	}
	if len(parts) >= 3 {
		return parts[0] + "/" + parts[2]
	}
	return parts[0]
}

func namespaceOfPath(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1]
		}
	}
	return "-"
}

// snapshot returns the counts so far and resets them.
func (w *writeCounter) snapshot() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.byKey
	w.byKey = map[string]int{}
	return out
}

func total(m map[string]int, prefix string) int {
	n := 0
	for k, v := range m {
		if strings.Contains(k, prefix) {
			n += v
		}
	}
	return n
}

func describe(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
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

// settle waits until the controller has written nothing for a quiet period.
func settle(m *manager, quiet time.Duration) map[string]int {
	all := map[string]int{}
	for {
		time.Sleep(quiet)
		got := m.writes.snapshot()
		if len(got) == 0 {
			return all
		}
		for k, v := range got {
			all[k] += v
		}
	}
}

func createNamespace(t *testing.T, name string) {
	t.Helper()
	err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
