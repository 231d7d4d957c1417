package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// env is a Server over a fake cache holding a scenario's inputs and the
// EffectivePermissions the engine renders for them, as the controller
// would have written them.
type env struct {
	t   *testing.T
	c   client.WithWatch
	srv *Server
	h   http.Handler
	now time.Time
	// synced is what the server reports as the cache's sync.
	synced bool
}

// builderIndexer registers field indexes on a fake client builder.
type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, fn client.IndexerFunc) error {
	i.b.WithIndex(obj, field, fn)
	return nil
}

func newEnv(t *testing.T, s questiontest.Scenario, o Options) *env {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := accessv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(scheme)
	if err := SetupIndexes(context.Background(), builderIndexer{b}); err != nil {
		t.Fatal(err)
	}
	var objs []client.Object
	for _, obj := range s.Set.Objects() {
		objs = append(objs, obj.Resource.DeepCopyObject().(client.Object))
	}
	for i := range s.Result.EffectivePermissions {
		objs = append(objs, s.Result.EffectivePermissions[i].DeepCopy())
	}
	e := &env{t: t, c: b.WithObjects(objs...).Build(), now: questiontest.Now, synced: true}
	o.Reader = e.c
	o.Now = func() time.Time { return e.now }
	o.Synced = func() bool { return e.synced }
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.h = srv, srv.Handler()
	// What the informers would report at start.
	for _, l := range []client.ObjectList{&accessv1.TenantList{}, &accessv1.MemberList{}, &accessv1.RoleList{},
		&accessv1.PermissionSetList{}, &accessv1.PartnerAccessList{}, &accessv1.VisibilityPolicyList{}, &accessv1.EffectivePermissionList{}} {
		if err := e.c.List(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		items, _ := meta.ExtractList(l)
		for _, item := range items {
			srv.Tracker().Observe(item.(client.Object))
		}
	}
	return e
}

// post sends body to path and returns the status and the body read.
func (e *env) post(path string, body any) (int, []byte) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, path, b)
}

func (e *env) do(method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(body)))
	if ct := rec.Header().Get("Content-Type"); path != "/healthz" && path != "/readyz" && ct != "application/json" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return rec.Code, rec.Body.Bytes()
}

// answer posts and decodes a 200 answer into a T.
func answer[T any](e *env, path string, body any) T {
	e.t.Helper()
	code, b := e.post(path, body)
	var out T
	if code != http.StatusOK {
		e.t.Fatalf("POST %s %+v: %d %s", path, body, code, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("POST %s: %v: %s", path, err, b)
	}
	return out
}

// direct is the question answered with pkg/check alone on the rendered
// EffectivePermission, the owner read from the engine's render of every
// input: what `accessctl check` answers offline.
func direct(res *engine.Result, q *question.Question) check.Decision {
	ep := res.Lookup(q.Tenant, q.User)
	if ep == nil {
		return check.Decision{Access: accessv1.AccessNone, Reasons: []string{"no EffectivePermission for " + q.User + " in tenant " + q.Tenant}}
	}
	p := check.Compile(&ep.Spec)
	switch {
	case q.Capability != "":
		return p.Capability(q.Capability)
	case q.Owner == "":
		return p.Functional(q.Action, q.Type)
	}
	o := res.RecordOwner(q.Tenant, q.Owner)
	return p.Action(q.Action, check.Record{Type: q.Type, Owner: q.Owner, OwnerRole: o.Role, OwnerActive: o.Active,
		Visibility: q.Visibility, Groups: q.Groups, Field: q.Field})
}

func same(a Answer, d check.Decision) bool {
	return a.Allowed == d.Allowed && a.Access == d.Access && slices.Equal(a.Reasons, d.Reasons) && (len(d.Reasons) > 0 || a.Reasons != nil)
}

// tenantUsers are the rendered EffectivePermissions of tenant, in the
// order accessctl who-can lists them.
func tenantUsers(res *engine.Result, tenant string) []*accessv1.EffectivePermission {
	var out []*accessv1.EffectivePermission
	for i := range res.EffectivePermissions {
		if ep := &res.EffectivePermissions[i]; ep.Spec.Tenant == tenant {
			out = append(out, ep)
		}
	}
	return out
}

// TestScenarioAnswers: for every shared scenario, tenant (an unknown one
// too), user (an unknown one, and one in upper case) and question, the
// server's check and batch-check answer exactly what pkg/check answers on
// the rendered EffectivePermission with the owner from the engine's render
// of everything — accessctl's answer — and every checks.tsv row as it
// says; its who-can answer is question.Asker's over the rendered
// EffectivePermissions (accessctl who-can's) and lists exactly the users
// pkg/check allows; its filter is pkg/check's Filter, byte for byte.
func TestScenarioAnswers(t *testing.T) {
	checks, batches, whoCans, filters := 0, 0, 0, 0
	for _, s := range questiontest.Scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			e := newEnv(t, s, Options{})
			res := s.Result
			for _, tenant := range s.Tenants() {
				qs := s.Questions(tenant)
				for _, user := range s.Users(tenant) {
					var batch []question.Question
					for _, q := range qs {
						q.User = user
						want := direct(res, &q)
						got := answer[Answer](e, "/v1/check", q)
						checks++
						if !same(got, want) {
							t.Fatalf("check %+v:\n got %+v\nwant %+v", q, got, want)
						}
						batch = append(batch, q)
					}
					for chunk := range slices.Chunk(batch, MaxBatch) {
						got := answer[BatchAnswer](e, "/v1/batch-check", BatchRequest{Questions: chunk})
						if len(got.Answers) != len(chunk) {
							t.Fatalf("batch of %d: %d answers", len(chunk), len(got.Answers))
						}
						for i, q := range chunk {
							batches++
							if want := direct(res, &q); !same(got.Answers[i], want) {
								t.Fatalf("batch-check [%d] %+v:\n got %+v\nwant %+v", i, q, got.Answers[i], want)
							}
						}
					}
					ep := res.Lookup(tenant, user)
					for _, typ := range []string{"deals", "contacts", "business-cards", "reports", "leads", "widgets"} {
						for _, a := range question.Actions {
							fq := FilterQuestion{Tenant: tenant, User: user, Action: a, Type: typ}
							_, gotJSON := e.post("/v1/filter", fq)
							var p *check.Permissions
							if ep != nil {
								p = check.Compile(&ep.Spec)
							}
							wantJSON, _ := json.Marshal(FilterAnswer{Filter: p.Filter(a, typ), Freshness: e.srv.Tracker().Freshness(tenant)})
							filters++
							if !bytes.Equal(bytes.TrimSpace(gotJSON), wantJSON) {
								t.Fatalf("filter %+v:\n got %s\nwant %s", fq, gotJSON, wantJSON)
							}
						}
					}
				}
				users := tenantUsers(res, tenant)
				for _, q := range qs {
					got := answer[WhoCanAnswer](e, "/v1/who-can", q)
					want := (&question.Asker{Owners: res}).WhoCan(users, &q)
					whoCans++
					gotJSON, _ := json.Marshal(got.WhoCan)
					wantJSON, _ := json.Marshal(want)
					if !bytes.Equal(gotJSON, wantJSON) {
						t.Fatalf("who-can %+v:\n got %s\nwant %s", q, gotJSON, wantJSON)
					}
					var listed, allowed []string
					for _, u := range got.Users {
						listed = append(listed, u.User)
					}
					for _, ep := range users {
						uq := q
						uq.User = ep.Spec.User
						if direct(res, &uq).Allowed {
							allowed = append(allowed, ep.Spec.User)
						}
					}
					if !slices.Equal(listed, allowed) || got.Of != len(users) {
						t.Fatalf("who-can %+v lists %v of %d, pkg/check allows %v of %d", q, listed, got.Of, allowed, len(users))
					}
				}
			}
			for _, r := range s.Rows {
				if got := answer[Answer](e, "/v1/check", r.Question); got.Allowed != r.Allow {
					t.Errorf("checks.tsv line %d %+v: allowed %v, want %v (%v)", r.Line, r.Question, got.Allowed, r.Allow, got.Reasons)
				}
			}
		})
	}
	t.Logf("%d checks, %d batch answers, %d who-can and %d filter answers agree", checks, batches, whoCans, filters)
}
