package decision

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
)

func scenario(t *testing.T, name string) questiontest.Scenario {
	t.Helper()
	for _, s := range questiontest.Scenarios(t) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return questiontest.Scenario{}
}

func (e *env) computes() int { return int(testutil.ToFloat64(e.srv.metrics.computes)) }

// update changes an object in the fake cache and, unless silent, reports it
// as the informer would.
func update[T client.Object](e *env, obj T, change func(T)) T {
	e.t.Helper()
	ctx := context.Background()
	if err := e.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		e.t.Fatal(err)
	}
	change(obj)
	if err := e.c.Update(ctx, obj); err != nil {
		e.t.Fatal(err)
	}
	return obj
}

// TestOwnerSnapshotMemo: the engine computes a tenant namespace's snapshot
// once and again only when an input it read changes: its own namespace's
// objects, a partner's it read, any Tenant, or a PartnerAccess expiry;
// questions that read no owner compute nothing, and a change elsewhere
// recomputes nothing.
func TestOwnerSnapshotMemo(t *testing.T) {
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{})
	q := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals", Owner: "jim@northwind.example"}
	for range 3 {
		if a := answer[Answer](e, "/v1/check", q); !a.Allowed {
			t.Fatalf("teresa may edit jim's deal (he is below her): %+v", a)
		}
	}
	answer[Answer](e, "/v1/check", question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals"})
	answer[Answer](e, "/v1/check", question.Question{Tenant: "northwind", User: "teresa@northwind.example", Capability: "reports.access"})
	if n := e.computes(); n != 1 {
		t.Fatalf("computed %d times, want 1", n)
	}
	// Jim moves above Teresa: once the informer reports it, his deals are
	// out of her reach (her EffectivePermission is the same).
	jim := update(e, &accessv1.Member{ObjectMeta: objectMeta("northwind", "jim")}, func(m *accessv1.Member) { m.Spec.Role = "sales-manager" })
	if a := answer[Answer](e, "/v1/check", q); !a.Allowed || e.computes() != 1 {
		t.Fatalf("before the event: %+v after %d computes; want the memoized answer (allowed) and 1", a, e.computes())
	}
	e.srv.Tracker().Observe(jim)
	if a := answer[Answer](e, "/v1/check", q); a.Allowed || e.computes() != 2 {
		t.Fatalf("after the event: %+v after %d computes; want denied and 2", a, e.computes())
	}
	// Any Tenant changes what Gather reads.
	e.srv.Tracker().Observe(&accessv1.Tenant{ObjectMeta: objectMeta("", "elsewhere")})
	answer[Answer](e, "/v1/check", q)
	if n := e.computes(); n != 3 {
		t.Fatalf("after a Tenant event: %d computes, want 3", n)
	}
	// A Member of a namespace the snapshot did not read changes nothing.
	e.srv.Tracker().Observe(&accessv1.Member{ObjectMeta: objectMeta("elsewhere", "x")})
	e.srv.Tracker().Deleted(&accessv1.Role{ObjectMeta: objectMeta("elsewhere", "x")})
	answer[Answer](e, "/v1/check", q)
	if n := e.computes(); n != 3 {
		t.Fatalf("after events elsewhere: %d computes, want 3", n)
	}
	// A deleted Role of its namespace does.
	e.srv.Tracker().Deleted(&accessv1.Role{ObjectMeta: objectMeta("northwind", "x")})
	answer[Answer](e, "/v1/check", q)
	if n := e.computes(); n != 4 {
		t.Fatalf("after a Role deleted: %d computes, want 4", n)
	}
}

// TestOwnerSnapshotReadsPartners: a client tenant's snapshot reads its
// partner's namespace (its staff), so a Member event there recomputes it,
// and one in an unrelated tenant's does not; a PartnerAccess expiry
// recomputes it at its moment.
func TestOwnerSnapshotReadsPartners(t *testing.T) {
	e := newEnv(t, scenario(t, "partners"), Options{})
	q := question.Question{Tenant: "acme", User: "dave@agency-x.example", Action: "edit", Type: "deals", Owner: "carol@acme.example"}
	ask := func(want int, what string) {
		t.Helper()
		if a := answer[Answer](e, "/v1/check", q); !a.Allowed {
			t.Fatalf("%s: %+v", what, a)
		}
		if n := e.computes(); n != want {
			t.Fatalf("%s: %d computes, want %d", what, n, want)
		}
	}
	ask(1, "first")
	e.srv.Tracker().Observe(&accessv1.Member{ObjectMeta: objectMeta("globex", "x")})
	ask(1, "a Member of globex")
	e.srv.Tracker().Observe(&accessv1.Member{ObjectMeta: objectMeta("agency-x", "x")})
	ask(2, "a Member of the partner agency-x")

	// An expiry ahead is a moment the snapshot stops being current.
	pa := update(e, &accessv1.PartnerAccess{ObjectMeta: objectMeta("acme", "agency-x")}, func(pa *accessv1.PartnerAccess) {
		pa.Spec.ExpiresAt = e.now.Add(time.Hour).Format(time.RFC3339)
	})
	e.srv.Tracker().Observe(pa)
	ask(3, "the PartnerAccess changed")
	e.now = e.now.Add(59 * time.Minute)
	ask(3, "before the expiry")
	e.now = e.now.Add(2 * time.Minute)
	ask(4, "after the expiry")
}

// TestCompiledPerResourceVersion: answers come from the EffectivePermission
// in the cache now, compiled once per resourceVersion: a new version is
// answered from at once (no event needed), a deleted one is forgotten.
func TestCompiledPerResourceVersion(t *testing.T) {
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{})
	q := question.Question{Tenant: "northwind", User: "audrey@northwind.example", Capability: "reports.access"}
	if a := answer[Answer](e, "/v1/check", q); !a.Allowed {
		t.Fatalf("audrey holds reports.access: %+v", a)
	}
	key := objectMeta("northwind", "audrey")
	before := e.srv.perms.get(epOf(t, e, "audrey"))
	if again := e.srv.perms.get(epOf(t, e, "audrey")); again != before {
		t.Fatal("the same resourceVersion was compiled again")
	}
	ep := update(e, &accessv1.EffectivePermission{ObjectMeta: key}, func(ep *accessv1.EffectivePermission) { ep.Spec.Capabilities = nil })
	if a := answer[Answer](e, "/v1/check", q); a.Allowed {
		t.Fatalf("after the controller took reports.access away: %+v", a)
	}
	if after := e.srv.perms.get(epOf(t, e, "audrey")); after == before {
		t.Fatal("a new resourceVersion was answered from the old compilation")
	}
	n := e.srv.perms.len()
	e.srv.Tracker().Deleted(ep)
	if e.srv.perms.len() != n-1 {
		t.Fatalf("a deleted EffectivePermission stays compiled: %d, want %d", e.srv.perms.len(), n-1)
	}
	if err := e.c.Delete(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	a := answer[Answer](e, "/v1/check", q)
	if a.Allowed || len(a.Reasons) != 1 || a.Reasons[0] != "no EffectivePermission for audrey@northwind.example in tenant northwind" {
		t.Fatalf("deleted: %+v", a)
	}
}

func epOf(t *testing.T, e *env, name string) *accessv1.EffectivePermission {
	t.Helper()
	var ep accessv1.EffectivePermission
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: "northwind", Name: name}, &ep); err != nil {
		t.Fatal(err)
	}
	return &ep
}

// TestFreshness: every answer carries the highest resourceVersion of the
// tenant's EffectivePermissions the cache has seen: it rises with an
// update, belongs to its tenant, is "0" for a tenant with none, and a
// deletion (whose resourceVersion the informer does not give) leaves it.
func TestFreshness(t *testing.T) {
	e := newEnv(t, scenario(t, "partners"), Options{})
	acme := question.Question{Tenant: "acme", User: "carol@acme.example", Capability: "billing.access"}
	globex := question.Question{Tenant: "globex", User: "hank@globex.example", Capability: "billing.access"}
	f0 := answer[Answer](e, "/v1/check", acme).Freshness
	if f0 == "" || f0 == "0" {
		t.Fatalf("acme's freshness %q, want a resourceVersion", f0)
	}
	ep := update(e, &accessv1.EffectivePermission{ObjectMeta: objectMeta("acme", "rita")}, func(ep *accessv1.EffectivePermission) {
		ep.Spec.Capabilities = append(ep.Spec.Capabilities, "x")
	})
	if f := answer[Answer](e, "/v1/check", acme).Freshness; f != f0 {
		t.Fatalf("before the event: %q, want %q", f, f0)
	}
	e.srv.Tracker().Observe(ep)
	f1 := answer[Answer](e, "/v1/check", acme).Freshness
	if f1 != ep.ResourceVersion || f1 == f0 {
		t.Fatalf("after the event: %q, want %q (was %q)", f1, ep.ResourceVersion, f0)
	}
	if f := answer[Answer](e, "/v1/check", globex).Freshness; f != f0 {
		t.Fatalf("globex's freshness %q moved with acme's, want %q", f, f0)
	}
	e.srv.Tracker().Deleted(ep)
	for _, path := range []string{"/v1/who-can", "/v1/filter"} {
		var body any = question.Question{Tenant: "acme", Capability: "x"}
		if path == "/v1/filter" {
			body = FilterQuestion{Tenant: "acme", User: "carol@acme.example", Action: "view", Type: "deals"}
		}
		var got struct{ Freshness string }
		_, b := e.post(path, body)
		if err := json.Unmarshal(b, &got); err != nil || got.Freshness != f1 {
			t.Errorf("%s: freshness %q (%v), want %q", path, got.Freshness, err, f1)
		}
	}
	if f := answer[Answer](e, "/v1/check", question.Question{Tenant: "nope", User: "a@b.example", Capability: "x"}).Freshness; f != "0" {
		t.Errorf("a tenant with no EffectivePermission: %q, want \"0\"", f)
	}
}

// TestErrors: what cannot be answered gets {code, message} with a stable
// code; an unknown tenant or user is no error but a denial.
func TestErrors(t *testing.T) {
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{})
	ok := map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "capability": "reports.access"}
	many := make([]question.Question, MaxBatch+1)
	for i := range many {
		many[i] = question.Question{Tenant: "northwind", User: "teresa@northwind.example", Capability: "x"}
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		raw                string
		status             int
		code, message      string
	}{
		{name: "GET", method: "GET", path: "/v1/check", status: 405, code: CodeMethodNotAllowed},
		{name: "not JSON", path: "/v1/check", raw: "tenant=northwind", status: 400, code: CodeInvalidRequest},
		{name: "two values", path: "/v1/check", raw: `{"tenant":"northwind"} {}`, status: 400, code: CodeInvalidRequest, message: "more than one JSON value"},
		{name: "unknown field", path: "/v1/check", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "edit", "type": "deals", "ownr": "jim@northwind.example"},
			status: 400, code: CodeInvalidRequest, message: `unknown field "ownr"`},
		{name: "no user", path: "/v1/check", body: map[string]any{"tenant": "northwind", "capability": "x"}, status: 400, code: CodeInvalidRequest, message: "user is required"},
		{name: "bad owner", path: "/v1/check", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "edit", "type": "deals", "owner": "jim"},
			status: 400, code: CodeInvalidRequest, message: `owner "jim": not an e-mail address`},
		{name: "field without owner", path: "/v1/check", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "view", "type": "deals", "field": "salary"},
			status: 400, code: CodeInvalidRequest, message: "field describes a record: give its owner too"},
		{name: "capability and action", path: "/v1/check", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "view", "type": "deals", "capability": "x"},
			status: 400, code: CodeInvalidRequest, message: "give exactly one of capability and action"},
		{name: "too many", path: "/v1/batch-check", body: BatchRequest{Questions: many}, status: 400, code: CodeTooManyQuestions, message: "at most 1000 questions, this one 1001"},
		{name: "one bad in a batch", path: "/v1/batch-check", body: BatchRequest{Questions: []question.Question{many[0], {Tenant: "northwind", User: "x"}}},
			status: 400, code: CodeInvalidRequest, message: `questions[1]: user "x": not an e-mail address`},
		{name: "who-can with a user", path: "/v1/who-can", body: ok, status: 400, code: CodeInvalidRequest, message: "leave user out"},
		{name: "filter without action", path: "/v1/filter", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "type": "deals"}, status: 400, code: CodeInvalidRequest, message: "action is required"},
		{name: "filter of a record", path: "/v1/filter", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "view", "type": "deals", "owner": "jim@northwind.example"},
			status: 400, code: CodeInvalidRequest, message: `unknown field "owner"`},
		{name: "filter of a bad type", path: "/v1/filter", body: map[string]any{"tenant": "northwind", "user": "teresa@northwind.example", "action": "view", "type": "Deals"}, status: 400, code: CodeInvalidRequest, message: `type "Deals"`},
		{name: "too large", path: "/v1/check", raw: `{"tenant":"` + strings.Repeat("x", maxBody) + `"}`, status: 413, code: CodeRequestTooLarge},
		{name: "no such endpoint", path: "/v1/decide", body: ok, status: 404, code: CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			b := []byte(tc.raw)
			if tc.body != nil {
				b, _ = json.Marshal(tc.body)
			}
			status, out := e.do(method, tc.path, b)
			var got Error
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%d %s: %v", status, out, err)
			}
			if status != tc.status || got.Code != tc.code || !strings.Contains(got.Message, tc.message) || got.Message == "" {
				t.Errorf("got %d %+v; want %d %s with %q", status, got, tc.status, tc.code, tc.message)
			}
		})
	}
	// An unknown tenant or user: denied, as accessctl check denies them.
	for _, q := range []question.Question{
		{Tenant: "nope", User: "teresa@northwind.example", Capability: "reports.access"},
		{Tenant: "northwind", User: "nobody@northwind.example", Action: "view", Type: "deals", Owner: "jim@northwind.example"},
	} {
		if a := answer[Answer](e, "/v1/check", q); a.Allowed || a.Access != accessv1.AccessNone {
			t.Errorf("%+v: %+v, want denied", q, a)
		}
	}
	w := answer[WhoCanAnswer](e, "/v1/who-can", question.Question{Tenant: "nope", Capability: "x"})
	if w.Of != 0 || w.Users == nil || len(w.Users) != 0 {
		t.Errorf("who-can in an unknown tenant: %+v, want nobody of 0 users", w)
	}
	f := answer[FilterAnswer](e, "/v1/filter", FilterQuestion{Tenant: "northwind", User: "nobody@northwind.example", Action: "view", Type: "deals"})
	if !f.Nothing() || f.Branches == nil {
		t.Errorf("filter of a user with no EffectivePermission: %+v, want no branches", f)
	}
}

// TestReadiness: until the cache has synced nothing is answered (not_ready,
// and /readyz fails); /healthz always passes.
func TestReadiness(t *testing.T) {
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{})
	e.synced = false
	q := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Capability: "reports.access"}
	for _, path := range []string{"/v1/check", "/v1/batch-check", "/v1/who-can", "/v1/filter"} {
		status, out := e.post(path, q)
		var got Error
		_ = json.Unmarshal(out, &got)
		if status != http.StatusServiceUnavailable || got.Code != CodeNotReady {
			t.Errorf("%s before sync: %d %s", path, status, out)
		}
	}
	if status, _ := e.do(http.MethodGet, "/readyz", nil); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz before sync: %d", status)
	}
	if status, _ := e.do(http.MethodGet, "/healthz", nil); status != http.StatusOK {
		t.Errorf("/healthz: %d", status)
	}
	e.synced = true
	if status, _ := e.do(http.MethodGet, "/readyz", nil); status != http.StatusOK {
		t.Errorf("/readyz after sync: %d", status)
	}
	if status, out := e.post("/v1/check", q); status != http.StatusOK {
		t.Errorf("after sync: %d %s", status, out)
	}
}

// TestMetrics: decisions by endpoint and result, the latency histogram,
// the computes and the cache age are registered and counted.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{Registerer: reg})
	allowed := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals", Owner: "jim@northwind.example"}
	denied := question.Question{Tenant: "northwind", User: "jim@northwind.example", Action: "edit", Type: "deals", Owner: "teresa@northwind.example"}
	answer[Answer](e, "/v1/check", allowed)
	answer[Answer](e, "/v1/check", denied)
	answer[BatchAnswer](e, "/v1/batch-check", BatchRequest{Questions: []question.Question{allowed, allowed, denied}})
	answer[WhoCanAnswer](e, "/v1/who-can", question.Question{Tenant: "northwind", Capability: "reports.access"})
	answer[FilterAnswer](e, "/v1/filter", FilterQuestion{Tenant: "northwind", User: "jim@northwind.example", Action: "view", Type: "contacts"})
	e.post("/v1/check", map[string]string{"tenant": "northwind"})
	for _, tc := range []struct {
		endpoint, result string
		want             float64
	}{
		{"check", resultAllowed, 1}, {"check", resultDenied, 1}, {"check", resultError, 1},
		{"batch-check", resultAllowed, 2}, {"batch-check", resultDenied, 1},
		{"who-can", resultAllowed, 1}, {"filter", resultDenied, 1},
	} {
		if got := testutil.ToFloat64(e.srv.metrics.decisions.WithLabelValues(tc.endpoint, tc.result)); got != tc.want {
			t.Errorf("decisions{%s,%s} = %v, want %v", tc.endpoint, tc.result, got, tc.want)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
		if f.GetName() == "decision_server_request_duration_seconds" {
			var n uint64
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
			if n != 6 {
				t.Errorf("latency samples %d, want 6 (one per request)", n)
			}
		}
		if f.GetName() == "decision_server_cache_age_seconds" && f.GetMetric()[0].GetGauge().GetValue() < 0 {
			t.Errorf("cache age %v", f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	for _, name := range []string{"decision_server_decisions_total", "decision_server_request_duration_seconds",
		"decision_server_snapshot_computes_total", "decision_server_cache_age_seconds"} {
		if !seen[name] {
			t.Errorf("%s is not registered", name)
		}
	}
	if _, err := New(Options{Reader: e.c, Registerer: reg}); err == nil {
		t.Error("a second server registered the same metrics")
	}
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
