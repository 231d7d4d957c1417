package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// The suite runs one real API server (etcd + kube-apiserver built by
// `make controlplane` into bin/) for every test of the package.
var (
	cfg    *rest.Config
	k8s    client.Client // the tests' own client (admin), not counted
	scheme = testenv.NewScheme()
)

func TestMain(m *testing.M) {
	// Every pass of every test checks that it changed nothing it listed
	// from the cache (controllers/readonly.go); not in the scale runs, whose
	// timings the copies would distort.
	var mu sync.Mutex
	var changed []string
	if os.Getenv("ACCESS_CONTROLLER_SCALE") == "" {
		controllers.VerifyReadOnly(func(what string) {
			mu.Lock()
			defer mu.Unlock()
			changed = append(changed, what)
		})
	}
	code := testenv.Suite(m, "controllers", testenv.Options{}, func(e *testenv.Env) (func(), error) {
		cfg, k8s = e.Config, e.Client
		return nil, nil
	})
	mu.Lock()
	defer mu.Unlock()
	if len(changed) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d passes changed objects of the cache: %s\n", len(changed), strings.Join(changed, "; "))
		code = 1
	}
	os.Exit(code)
}

// manager is a running controller manager whose mutating requests are counted.
type manager struct {
	*testenv.Manager
	writes *writeCounter
}

// startManager runs the controllers as cmd/manager does, with the clock
// given, and counts every request they make that is not a read.
func startManager(t *testing.T, now func() time.Time) *manager {
	t.Helper()
	return startManagerWith(t, controllers.Options{Now: now})
}

// startManagerWith is startManager with the controllers' options.
func startManagerWith(t *testing.T, o controllers.Options) *manager {
	t.Helper()
	return startManagerAs(t, cfg, o)
}

// startManagerAs is startManagerWith with mcfg's identity.
func startManagerAs(t *testing.T, mcfg *rest.Config, o controllers.Options) *manager {
	t.Helper()
	wc := &writeCounter{byKey: map[string]int{}}
	setup := func(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
		o.Now = now
		return controllers.SetupWith(ctx, mgr, o)
	}
	mgr, err := testenv.StartManager(mcfg, scheme, testenv.ManagerOptions{Now: o.Now, Wrap: wc.wrap, Run: []testenv.Runner{setup}})
	if err != nil {
		t.Fatal(err)
	}
	m := &manager{Manager: mgr, writes: wc}
	t.Cleanup(func() { m.stop(t) })
	return m
}

func (m *manager) stop(t *testing.T) {
	t.Helper()
	if err := m.Stop(); err != nil {
		t.Errorf("manager: %v", err)
	}
}

// writeCounter counts mutating requests by "VERB resource[/subresource]".
type writeCounter struct {
	mu    sync.Mutex
	byKey map[string]int
	// created counts EffectivePermissions the API server created, so a
	// scale run can watch progress without listing them.
	created atomic.Int64
	// firstCreated is when the API server first created an
	// EffectivePermission (Unix nanoseconds; 0: not yet).
	firstCreated atomic.Int64
	// lastAnswered is when the API server last answered a write (Unix
	// nanoseconds).
	lastAnswered atomic.Int64
	// epUpdated, when set, is called after each EffectivePermission update
	// the API server took.
	epUpdated atomic.Pointer[func()]
	// refused counts the writes that failed, by "VERB resource code" (or
	// "error" when no answer came).
	refusedMu sync.Mutex
	refused   map[string]int
}

// refusals returns the failed writes so far.
func (w *writeCounter) refusals() map[string]int {
	w.refusedMu.Lock()
	defer w.refusedMu.Unlock()
	return maps.Clone(w.refused)
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
		w.lastAnswered.Store(time.Now().UnixNano())
		if err != nil || resp.StatusCode >= 300 {
			code := "error"
			if err == nil {
				code = strconv.Itoa(resp.StatusCode)
			}
			w.refusedMu.Lock()
			if w.refused == nil {
				w.refused = map[string]int{}
			}
			w.refused[req.Method+" "+resource+" "+code]++
			w.refusedMu.Unlock()
		}
		if err == nil && req.Method == http.MethodPost && resource == "effectivepermissions" && resp.StatusCode == http.StatusCreated {
			w.created.Add(1)
			w.firstCreated.CompareAndSwap(0, time.Now().UnixNano())
		}
		if f := w.epUpdated.Load(); f != nil && err == nil && req.Method == http.MethodPut && resource == "effectivepermissions" && resp.StatusCode == http.StatusOK {
			(*f)()
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
// onEPUpdate calls f after each EffectivePermission update that succeeded.
func (w *writeCounter) onEPUpdate(f func()) { w.epUpdated.Store(&f) }

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

// reconciles is how many passes the tenant controllers of this process
// have finished (controller-runtime's controller_runtime_reconcile_total,
// every result).
func reconciles(t testing.TB) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "tenant" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// reconciledAll waits until the tenant controller has finished, since it
// counted from, at least one pass per Tenant's namespace in the cluster: a
// manager started afresh has looked at everything.
func reconciledAll(t *testing.T, from float64) {
	t.Helper()
	var tenants accessv1.TenantList
	if err := k8s.List(context.Background(), &tenants); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "a pass over every tenant namespace", func() (bool, string) {
		done := reconciles(t) - from
		return done >= float64(len(tenants.Items)), fmt.Sprintf("%v passes, %d tenants", done, len(tenants.Items))
	})
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

// passPhases reads, per phase of access_controller_pass_phase_seconds, the
// time spent so far and how many passes went through it; with the people
// computed and reused (access_controller_people_total).
func passPhases(t testing.TB) map[string][2]float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				switch {
				case f.GetName() == "access_controller_pass_phase_seconds" && l.GetName() == "phase":
					out[l.GetValue()] = [2]float64{m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())}
				case f.GetName() == "access_controller_people_total" && l.GetName() == "how":
					out["people "+l.GetValue()] = [2]float64{m.GetCounter().GetValue(), 0}
				}
			}
		}
	}
	return out
}

// phasesSince describes the pass phases since before (passPhases).
func phasesSince(t testing.TB, before map[string][2]float64) string {
	now := passPhases(t)
	var parts []string
	for _, p := range []string{"gather", "compute", "plan", "effectivepermissions", "statuses"} {
		parts = append(parts, fmt.Sprintf("%s %.1f ms in %.0f passes", p, 1000*(now[p][0]-before[p][0]), now[p][1]-before[p][1]))
	}
	return fmt.Sprintf("%s; people computed %.0f, reused %.0f", strings.Join(parts, ", "),
		now["people computed"][0]-before["people computed"][0], now["people reused"][0]-before["people reused"][0])
}

// cpuProfile profiles the process's CPU into $ACCESS_CONTROLLER_CPU_PROFILE
// followed by suffix, when that is set, until the returned stop (which the
// test's cleanup calls too).
func cpuProfile(t testing.TB, suffix string) (stop func()) {
	t.Helper()
	p := os.Getenv("ACCESS_CONTROLLER_CPU_PROFILE")
	if p == "" {
		return func() {}
	}
	f, err := os.Create(p + suffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(stop)
	return stop
}
