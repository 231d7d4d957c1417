package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// holdEPs holds every request for the EffectivePermission collection (its
// list, or client-go's streaming list) until release is closed: a cache
// that cannot sync.
type holdEPs struct {
	next    http.RoundTripper
	release <-chan struct{}
}

func (h holdEPs) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/effectivepermissions") {
		select {
		case <-h.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return h.next.RoundTrip(req)
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// TestEnvtest runs the server as cmd/decision-server does (a manager with
// no controllers, its cache stripped of managedFields) against a real API
// server holding the role-hierarchy scenario and the EffectivePermissions
// the engine renders for it, created directly (no controller runs). While
// the EffectivePermissions' list is held back it is not ready (/readyz on
// both addresses, not_ready on the API); once the list arrives it is, and
// answers from the cluster: a check with the owner read by the engine and
// the token of the EffectivePermissions created, a change of a Member seen
// by the next owner lookup, and an EffectivePermission rewritten seen by the
// next decision, with a larger token.
func TestEnvtest(t *testing.T) {
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	scheme, k8s := env.Scheme, env.Client
	ctx := context.Background()
	s := scenario(t, "role-hierarchy")
	var maxRV uint64
	for _, o := range s.Set.Objects() {
		if ns := o.Ref.Namespace; ns != "" {
			testenv.CreateNamespace(t, k8s, ns)
		}
		if err := k8s.Create(ctx, o.Resource.DeepCopyObject().(client.Object)); err != nil {
			t.Fatalf("create %s: %v", o.Ref, err)
		}
	}
	for i := range s.Result.EffectivePermissions {
		ep := s.Result.EffectivePermissions[i].DeepCopy()
		if err := k8s.Create(ctx, ep); err != nil {
			t.Fatalf("create EffectivePermission %s: %v", ep.Name, err)
		}
		rv, _ := strconv.ParseUint(ep.ResourceVersion, 10, 64)
		maxRV = max(maxRV, rv)
	}

	// The application asking: a ServiceAccount RBAC lets read northwind's
	// EffectivePermissions (auth_test.go tests the refusals).
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := newCaller(t, k8s, cs, "app", "crm")
	grant(t, k8s, cs, app, "northwind", "get", "list")

	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	mcfg := rest.CopyConfig(cfg)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return holdEPs{next: rt, release: release} })
	apiAddr, probeAddr := freeAddress(t), freeAddress(t)
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: probeAddr,
		Cache:                  CacheOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	certFile := filepath.Join(t.TempDir(), "decision-server.crt")
	srv, err := Setup(mctx, mgr, SetupOptions{BindAddress: apiAddr, Registerer: prometheus.NewRegistry(), SelfSignedCertOut: certFile})
	if err != nil {
		t.Fatal(err)
	}
	api := newAPIClient(t, apiAddr, certFile)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		releaseOnce() // a held request would keep the manager from stopping
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	get := func(addr, path string) (int, string) {
		if addr == apiAddr { // HTTPS
			code, b := api.do(http.MethodGet, path, nil)
			return code, string(b)
		}
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, body any) (int, []byte) {
		return api.as(app.token).do(http.MethodPost, path, body)
	}
	check := func(q question.Question) Answer {
		t.Helper()
		code, b := post("/v1/check", q)
		var a Answer
		if err := json.Unmarshal(b, &a); err != nil || code != http.StatusOK {
			t.Fatalf("check %+v: %d %s", q, code, b)
		}
		return a
	}

	// Up, not ready: the EffectivePermissions have not arrived.
	testenv.Eventually(t, 30*time.Second, "the API and the probes serve", func() (bool, string) {
		c1, b1 := get(apiAddr, "/healthz")
		c2, b2 := get(probeAddr, "/healthz")
		return c1 == http.StatusOK && c2 == http.StatusOK, fmt.Sprintf("API %d %s, probes %d %s", c1, b1, c2, b2)
	})
	q := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals", Owner: "jim@northwind.example"}
	for range 5 {
		// The API's /readyz says 503; the probes' (controller-runtime's) 500.
		if code, body := get(apiAddr, "/readyz"); code != http.StatusServiceUnavailable {
			t.Fatalf("the API's /readyz while the list is held: %d %s", code, body)
		}
		if code, body := get(probeAddr, "/readyz"); code == http.StatusOK || !strings.Contains(body, "cache failed") {
			t.Fatalf("the probes' /readyz while the list is held: %d %s", code, body)
		}
		code, b := post("/v1/check", q)
		var e Error
		if err := json.Unmarshal(b, &e); err != nil || code != http.StatusServiceUnavailable || e.Code != CodeNotReady {
			t.Fatalf("check while the list is held: %d %s", code, b)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The list arrives: ready, and answers from the cluster.
	releaseOnce()
	testenv.Eventually(t, 30*time.Second, "ready", func() (bool, string) {
		c1, b1 := get(apiAddr, "/readyz")
		c2, b2 := get(probeAddr, "/readyz")
		return c1 == http.StatusOK && c2 == http.StatusOK, fmt.Sprintf("API %d %s, probes %d %s", c1, b1, c2, b2)
	})
	a := check(q)
	want := direct(s.Result, &q)
	if !same(a, want) || !a.Allowed || a.Freshness != strconv.FormatUint(maxRV, 10) {
		t.Fatalf("check %+v: %+v; want %+v with freshness %d (the EffectivePermissions created)", q, a, want, maxRV)
	}
	code, b := post("/v1/who-can", question.Question{Tenant: "northwind", Action: q.Action, Type: q.Type, Owner: q.Owner})
	var w WhoCanAnswer
	if err := json.Unmarshal(b, &w); err != nil || code != http.StatusOK {
		t.Fatalf("who-can: %d %s", code, b)
	}
	wq := q
	wq.User = ""
	gotJSON, _ := json.Marshal(w.WhoCan)
	wantJSON, _ := json.Marshal((&question.Asker{Owners: s.Result}).WhoCan(tenantUsers(s.Result, "northwind"), &wq))
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("who-can:\n got %s\nwant %s", gotJSON, wantJSON)
	}

	// Jim moves above Teresa: the next owner lookup reads him there.
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "jim"}},
		func(m *accessv1.Member) { m.Spec.Role = "sales-manager" })
	testenv.Eventually(t, 10*time.Second, "jim's move seen", func() (bool, string) {
		a := check(q)
		return !a.Allowed, fmt.Sprintf("%+v", a)
	})

	// The controller (here: the test) takes reports.access from Audrey.
	cq := question.Question{Tenant: "northwind", User: "audrey@northwind.example", Capability: "reports.access"}
	if a := check(cq); !a.Allowed {
		t.Fatalf("audrey holds reports.access: %+v", a)
	}
	ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "audrey"}}
	testenv.Update(t, k8s, ep, func(ep *accessv1.EffectivePermission) { ep.Spec.Capabilities, ep.Spec.CapabilitySources = nil, nil })
	testenv.Eventually(t, 10*time.Second, "the rewritten EffectivePermission answers", func() (bool, string) {
		a := check(cq)
		return !a.Allowed && a.Freshness == ep.ResourceVersion, fmt.Sprintf("%+v, want denied with freshness %s", a, ep.ResourceVersion)
	})
	if n := srv.perms.len(); n == 0 {
		t.Error("nothing compiled")
	}
	// The server writes nothing: not even an Event. (The controller that
	// other tests of this package run beside it reports access changes as
	// Events, as "access-controller", into the same API server, possibly
	// after those tests end: those are not the server's. Nor are the API
	// server's own, such as its IP allocator's repair loop reporting on the
	// default/kubernetes Service when it starts on a loaded machine.)
	var events corev1.EventList
	if err := k8s.List(ctx, &events); err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, e := range events.Items {
		apiServers := e.InvolvedObject.Kind == "Service" && e.InvolvedObject.Namespace == "default" && e.InvolvedObject.Name == "kubernetes"
		if e.ReportingController != "access-controller" && !apiServers {
			written = append(written, e.Namespace+"/"+e.Name+" by "+e.ReportingController+": "+e.Reason)
		}
	}
	if len(written) != 0 {
		t.Errorf("%d Events written: %v", len(written), written)
	}
}
