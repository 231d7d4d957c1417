package controllers_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	env, c, err := testenv.Start(testenv.Options{})
	if errors.Is(err, testenv.ErrSkip) {
		fmt.Fprintln(os.Stderr, "SKIP controllers envtest suite:", err)
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg = c
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
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
	wc := &writeCounter{byKey: map[string]int{}}
	mgr, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Now: now, Wrap: wc.wrap})
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
