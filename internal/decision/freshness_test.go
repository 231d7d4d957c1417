package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// slowEPWrites delays every write of an EffectivePermission by the
// controller: a cluster where the revocation is still on its way.
type slowEPWrites struct {
	next  http.RoundTripper
	delay time.Duration
}

func (s slowEPWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && strings.Contains(req.URL.Path, "/effectivepermissions") {
		select {
		case <-time.After(s.delay):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return s.next.RoundTrip(req)
}

// TestReadYourRevocation runs the real controller, its EffectivePermission
// writes held back a second, and the server. A Member is deactivated (then
// another deleted, a PartnerAccess-free tenant being enough): an answer
// from the cache alone still shows the old grant — the race this guards
// against — while an answer asked "after" the write, with the
// resourceVersion the write returned, waits until the controller has
// recorded it and reflects it: check, batch, who-can and filter. A write
// the tenant never records answers not_converged after the wait; a token
// newer than the cache is answered from the API server.
func TestReadYourRevocation(t *testing.T) {
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	scheme, k8s := env.Scheme, env.Client
	ctx := context.Background()
	s := scenario(t, "role-hierarchy")
	for _, o := range s.Set.Objects() {
		if ns := o.Ref.Namespace; ns != "" {
			testenv.CreateNamespace(t, k8s, ns)
		}
		if err := k8s.Create(ctx, o.Resource.DeepCopyObject().(client.Object)); err != nil {
			t.Fatalf("create %s: %v", o.Ref, err)
		}
	}
	ctrlMgr, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{
		Run:  []testenv.Runner{controllers.Setup},
		Wrap: func(rt http.RoundTripper) http.RoundTripper { return slowEPWrites{next: rt, delay: time.Second} },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ctrlMgr.Stop() })

	srvMgr, err := ctrl.NewManager(rest.CopyConfig(cfg), ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Cache: CacheOptions()})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	srv, err := Setup(mctx, srvMgr, SetupOptions{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srvMgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server manager: %v", err)
		}
	})
	api := httptest.NewServer(srv.Handler())
	t.Cleanup(api.Close)

	post := func(path string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(api.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	checkOK := func(req CheckRequest) Answer {
		t.Helper()
		code, b := post("/v1/check", req)
		var a Answer
		if err := json.Unmarshal(b, &a); err != nil || code != http.StatusOK {
			t.Fatalf("check %+v: %d %s", req, code, b)
		}
		return a
	}
	audrey := question.Question{Tenant: "northwind", User: "audrey@northwind.example", Capability: "reports.access"}
	testenv.Eventually(t, 60*time.Second, "converged and answered", func() (bool, string) {
		if ok, why := testenv.SameEPs(t, k8s, s.Result.EffectivePermissions, []string{"northwind"}); !ok {
			return false, why
		}
		code, b := post("/v1/check", CheckRequest{Question: audrey})
		return code == http.StatusOK && strings.Contains(string(b), `"allowed":true`), fmt.Sprintf("%d %s", code, b)
	})

	// Deactivate Audrey. Her EffectivePermission's rewrite is a second away.
	m := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "audrey"}}
	testenv.Update(t, k8s, m, func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	write := &Write{Kind: "Member", ResourceVersion: m.ResourceVersion}
	if a := checkOK(CheckRequest{Question: audrey}); !a.Allowed {
		t.Logf("the cache already shows the revocation: %+v (the race this test shows was not hit)", a)
	} else {
		t.Logf("from the cache alone, right after the write: allowed=%v (stale, as expected)", a.Allowed)
	}
	after := &Consistency{AfterWrite: write, MaxWaitSeconds: ptr.To(20.0)}
	start := time.Now()
	a := checkOK(CheckRequest{Question: audrey, Consistency: after})
	waited := time.Since(start)
	if a.Allowed {
		t.Fatalf("after the deactivating write %s: %+v, want denied", write.ResourceVersion, a)
	}
	var tnt accessv1.Tenant
	if err := k8s.Get(ctx, types.NamespacedName{Name: "northwind"}, &tnt); err != nil {
		t.Fatal(err)
	}
	if o := tnt.Status.ObservedInputs; o == nil || !atLeast(o.Members, write.ResourceVersion) {
		t.Fatalf("answered after the write, but the Tenant records %+v, not Members ≥ %s", o, write.ResourceVersion)
	}
	if !atLeast(a.Freshness, write.ResourceVersion) {
		t.Errorf("the answer's token %s is older than the write %s it reflects", a.Freshness, write.ResourceVersion)
	}
	t.Logf("after the write: denied, waited %v, token %s, Tenant observedInputs %+v", waited.Round(time.Millisecond), a.Freshness, *tnt.Status.ObservedInputs)

	// The same freshness for batch, who-can and filter (already converged:
	// each must agree with the written state).
	code, b := post("/v1/batch-check", BatchRequest{Questions: []question.Question{audrey, audrey}, Consistency: after})
	var ba BatchAnswer
	if err := json.Unmarshal(b, &ba); err != nil || code != http.StatusOK || len(ba.Answers) != 2 || ba.Answers[0].Allowed || ba.Answers[1].Allowed {
		t.Errorf("batch after the write: %d %s", code, b)
	}
	code, b = post("/v1/who-can", WhoCanRequest{Question: question.Question{Tenant: "northwind", Capability: "reports.access"}, Consistency: after})
	if code != http.StatusOK || strings.Contains(string(b), "audrey@") {
		t.Errorf("who-can after the write: %d %s, want audrey absent", code, b)
	}
	code, b = post("/v1/filter", FilterRequest{FilterQuestion: FilterQuestion{Tenant: "northwind", User: "audrey@northwind.example", Action: "view", Type: "deals"}, Consistency: after})
	var fa FilterAnswer
	if err := json.Unmarshal(b, &fa); err != nil || code != http.StatusOK || !fa.Nothing() {
		t.Errorf("filter after the write: %d %s, want nothing", code, b)
	}

	// Deletion: the DELETE's response carries the deletion's
	// resourceVersion, which the next pass records.
	teresa := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "view", Type: "deals"}
	if a := checkOK(CheckRequest{Question: teresa}); !a.Allowed {
		t.Fatalf("teresa may view deals before her deletion: %+v", a)
	}
	// A DELETE that removes a custom resource at once answers a Status with
	// no resourceVersion: the caller names the object deleted instead.
	deleteAnswer(t, cfg, "northwind", "members", "teresa")
	gone := &Write{Kind: "Member", Namespace: "northwind", Name: "teresa"}
	a = checkOK(CheckRequest{Question: teresa, Consistency: &Consistency{AfterWrite: gone, MaxWaitSeconds: ptr.To(20.0)}})
	if a.Allowed {
		t.Errorf("after deleting teresa: %+v, want denied", a)
	}
	rv := m.ResourceVersion
	code, b = post("/v1/check", CheckRequest{Question: teresa, Consistency: &Consistency{AfterWrite: &Write{Kind: "Member", Namespace: "northwind", Name: "never-there"}, MaxWaitSeconds: ptr.To(0.2)}})
	var e Error
	if err := json.Unmarshal(b, &e); err != nil || code != http.StatusServiceUnavailable || e.Code != CodeNotConverged || !strings.Contains(e.Message, "did not see Member northwind/never-there deleted") {
		t.Errorf("a deletion the server never saw: %d %s, want 503 not_converged saying so", code, b)
	}

	// A write that never reaches the tenant's record: not_converged, with
	// what is missing, after the wait.
	future := strconv.FormatUint(mustUint(t, rv)+1_000_000, 10)
	code, b = post("/v1/check", CheckRequest{Question: audrey, Consistency: &Consistency{AfterWrite: &Write{Kind: "Member", ResourceVersion: future}, MaxWaitSeconds: ptr.To(0.3)}})
	if err := json.Unmarshal(b, &e); err != nil || code != http.StatusServiceUnavailable || e.Code != CodeNotConverged || !strings.Contains(e.Message, "cache has seen Member changes up to") {
		t.Errorf("a write never seen: %d %s, want 503 not_converged naming what the cache has seen", code, b)
	}

	// A token newer than the cache holds: answered from the API server,
	// with a token at least as new.
	code, b = post("/v1/check", CheckRequest{Question: audrey, Consistency: &Consistency{AtLeastAsFresh: future}})
	if code != http.StatusOK {
		t.Fatalf("atLeastAsFresh %s: %d %s", future, code, b)
	}
	// (The API server's list resourceVersion is the current one, which is
	// below this made-up future token: the answer is simply live.)
	var fresh Answer
	if err := json.Unmarshal(b, &fresh); err != nil || fresh.Allowed {
		t.Errorf("atLeastAsFresh: %s, want denied", b)
	}
	cur := checkOK(CheckRequest{Question: audrey}).Freshness
	if a := checkOK(CheckRequest{Question: audrey, Consistency: &Consistency{AtLeastAsFresh: cur}}); a.Freshness != cur {
		t.Errorf("a token the cache has reached is answered from the cache: token %s, want %s", a.Freshness, cur)
	}

	// What cannot be asked.
	for _, c := range []*Consistency{
		{AfterWrite: &Write{Kind: "ConfigMap", ResourceVersion: "12"}},
		{AfterWrite: &Write{Kind: "Member", ResourceVersion: "abc"}},
		{AtLeastAsFresh: "-1"},
		{MaxWaitSeconds: ptr.To(31.0)},
	} {
		code, b := post("/v1/check", CheckRequest{Question: audrey, Consistency: c})
		if err := json.Unmarshal(b, &e); err != nil || code != http.StatusBadRequest || e.Code != CodeInvalidRequest || !strings.Contains(e.Message, "consistency.") {
			t.Errorf("consistency %+v: %d %s, want 400 invalid_request naming the field", c, code, b)
		}
	}
}

// deleteAnswer deletes an object as kubectl does and checks what the DELETE
// answers for a custom resource without finalizers: a Status, no object and
// so no resourceVersion to name.
func deleteAnswer(t *testing.T, cfg *rest.Config, ns, resource, name string) {
	t.Helper()
	rc, err := rest.RESTClientFor(restConfigFor(cfg))
	if err != nil {
		t.Fatal(err)
	}
	body, err := rc.Delete().Namespace(ns).Resource(resource).Name(name).Do(context.Background()).Raw()
	if err != nil {
		t.Fatal(err)
	}
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err != nil || st.Kind != "Status" || st.ResourceVersion != "" {
		t.Logf("DELETE %s/%s answered %s (no longer a bare Status: the docs' advice may change)", ns, name, body)
	}
}

func restConfigFor(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.APIPath = "/apis"
	c.GroupVersion = &accessv1.GroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(testenv.NewScheme()).WithoutConversion()
	return c
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
