package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

const crm = "system:serviceaccount:app:crm"

// TestAttributes: a question about a tenant asks for the verb on
// EffectivePermissions (the CRD's plural, its group) in the tenant's
// namespace, a resource request with the caller as user.
func TestAttributes(t *testing.T) {
	var crd apiextensionsv1.CustomResourceDefinition
	readYAML(t, "config/crd/bases/access.tenancy.dev_effectivepermissions.yaml", &crd)
	u := &user.DefaultInfo{Name: crm, Groups: []string{"system:serviceaccounts", "system:authenticated"}}
	a := attributes(u, verbList, "northwind")
	want := authorizer.AttributesRecord{User: u, Verb: "list", Namespace: "northwind", APIGroup: crd.Spec.Group, Resource: crd.Spec.Names.Plural, ResourceRequest: true}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("attributes %+v, want %+v", a, want)
	}
}

// TestForbiddenMessage: a refusal names the caller, the verb, the resource
// with its group and the namespace, then the tenant asked about and what
// to grant, and the API server's reason when it gives one.
func TestForbiddenMessage(t *testing.T) {
	u := &user.DefaultInfo{Name: crm}
	for _, tc := range []struct {
		verb, ns, tenant, reason, want string
	}{
		{verb: "get", ns: "northwind", tenant: "northwind",
			want: "system:serviceaccount:app:crm may not get effectivepermissions.access.tenancy.dev in namespace northwind, which asking about tenant northwind needs: grant it with a Role and RoleBinding there"},
		{verb: "list", ns: "acme-ns", tenant: "acme", reason: "denied by policy",
			want: "system:serviceaccount:app:crm may not list effectivepermissions.access.tenancy.dev in namespace acme-ns, which asking about tenant acme needs: grant it with a Role and RoleBinding there (the API server said: denied by policy)"},
	} {
		e := forbidden(attributes(u, tc.verb, tc.ns), tc.tenant, tc.reason)
		if e.Code != CodeForbidden || e.status != http.StatusForbidden || e.Message != tc.want {
			t.Errorf("%+v:\n got %d %s %q\nwant 403 forbidden %q", tc, e.status, e.Code, e.Message, tc.want)
		}
	}
}

// fakeAuth is an Auth whose tokens are "token-<name>" for
// system:serviceaccount:app:<name> (parsed by k8s.io/apiserver's bearer
// token authenticator, as the real one is), "broken" failing as a
// TokenReview that cannot be made, and whose grants are "user verb
// namespace" strings. It records the authorizations asked.
type fakeAuth struct {
	mu     sync.Mutex
	grants map[string]bool
	asked  []string
	fail   error
}

func (f *fakeAuth) auth() *Auth {
	return &Auth{
		authn: bearertoken.New(authenticator.TokenFunc(func(_ context.Context, token string) (*authenticator.Response, bool, error) {
			if name, ok := strings.CutPrefix(token, "token-"); ok {
				return &authenticator.Response{User: &user.DefaultInfo{Name: "system:serviceaccount:app:" + name}}, true, nil
			}
			if token == "broken" {
				return nil, false, errors.New("tokenreviews: connection refused")
			}
			return nil, false, nil
		})),
		authz: authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			key := fmt.Sprintf("%s %s %s", a.GetUser().GetName(), a.GetVerb(), a.GetNamespace())
			if a.GetResource() != epResource || a.GetAPIGroup() != accessv1.GroupVersion.Group || !a.IsResourceRequest() {
				return authorizer.DecisionDeny, "", fmt.Errorf("unexpected attributes %+v", a)
			}
			f.asked = append(f.asked, key)
			if f.fail != nil {
				return authorizer.DecisionNoOpinion, "", f.fail
			}
			if f.grants[key] {
				return authorizer.DecisionAllow, "", nil
			}
			return authorizer.DecisionNoOpinion, "", nil
		}),
	}
}

func (f *fakeAuth) reset() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	asked := f.asked
	f.asked = nil
	return asked
}

// TestAuthHTTP: with Auth, every /v1 endpoint answers 401 (and
// WWW-Authenticate: Bearer) without a bearer token, with another scheme,
// with a token refused or not reviewed; an authenticated caller is asked
// get (check, filter, each distinct tenant of a batch, in order) or list
// (who-can) in the tenant's namespace — spec.namespace from the cache, the
// name for a tenant it does not hold — after the body is validated, and is
// refused 403 naming the first permission it lacks; a failed
// SubjectAccessReview refuses (500). /healthz and /readyz stay open;
// refusals are counted by code.
func TestAuthHTTP(t *testing.T) {
	f := &fakeAuth{grants: map[string]bool{}}
	reg := prometheus.NewRegistry()
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{Auth: f.auth(), Registerer: reg})
	if err := e.c.Create(context.Background(), &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: accessv1.TenantSpec{Namespace: "acme-ns"}}); err != nil {
		t.Fatal(err)
	}
	check := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals", Owner: "jim@northwind.example"}
	whoCan := question.Question{Tenant: "northwind", Action: "edit", Type: "deals"}
	filter := FilterQuestion{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals"}
	acme := question.Question{Tenant: "acme", User: "teresa@northwind.example", Capability: "reports.access"}
	nope := question.Question{Tenant: "nope", User: "teresa@northwind.example", Capability: "reports.access"}
	batch := func(qs ...question.Question) BatchRequest { return BatchRequest{Questions: qs} }

	type step struct {
		name          string
		grant         []string // added before the request
		path, header  string
		body          any
		status        int
		code, message string
		asked         []string // the authorizations asked, in order
	}
	for _, s := range []step{
		{name: "no token", path: "/v1/check", body: check, status: 401, code: CodeUnauthenticated, message: `no bearer token: send "Authorization: Bearer <token>"`},
		{name: "basic", path: "/v1/who-can", header: "Basic Y3JtOnNlY3JldA==", body: whoCan, status: 401, code: CodeUnauthenticated, message: "the Authorization header holds no bearer token"},
		{name: "garbage", path: "/v1/filter", header: "Bearer garbage", body: filter, status: 401, code: CodeUnauthenticated, message: "the bearer token was not accepted: invalid bearer token"},
		{name: "review fails", path: "/v1/batch-check", header: "Bearer broken", body: batch(check), status: 401, code: CodeUnauthenticated, message: "the bearer token was not accepted: tokenreviews: connection refused"},
		{name: "invalid before forbidden", path: "/v1/check", header: "Bearer token-crm", body: question.Question{Tenant: "northwind", User: "x"}, status: 400, code: CodeInvalidRequest},
		{name: "no RBAC", path: "/v1/check", header: "Bearer token-crm", body: check, status: 403, code: CodeForbidden,
			message: "system:serviceaccount:app:crm may not get effectivepermissions.access.tenancy.dev in namespace northwind, which asking about tenant northwind needs", asked: []string{crm + " get northwind"}},
		{name: "granted get", grant: []string{crm + " get northwind"}, path: "/v1/check", header: "Bearer token-crm", body: check, status: 200, asked: []string{crm + " get northwind"}},
		{name: "another caller", path: "/v1/check", header: "Bearer token-billing", body: check, status: 403, code: CodeForbidden,
			message: "system:serviceaccount:app:billing may not get", asked: []string{"system:serviceaccount:app:billing get northwind"}},
		{name: "filter with get", path: "/v1/filter", header: "Bearer token-crm", body: filter, status: 200, asked: []string{crm + " get northwind"}},
		{name: "who-can needs list", path: "/v1/who-can", header: "Bearer token-crm", body: whoCan, status: 403, code: CodeForbidden,
			message: "may not list effectivepermissions.access.tenancy.dev in namespace northwind", asked: []string{crm + " list northwind"}},
		{name: "granted list", grant: []string{crm + " list northwind"}, path: "/v1/who-can", header: "Bearer token-crm", body: whoCan, status: 200, asked: []string{crm + " list northwind"}},
		{name: "unknown tenant: its name", path: "/v1/check", header: "Bearer token-crm", body: nope, status: 403, code: CodeForbidden,
			message: "may not get effectivepermissions.access.tenancy.dev in namespace nope, which asking about tenant nope needs", asked: []string{crm + " get nope"}},
		{name: "spec.namespace", path: "/v1/check", header: "Bearer token-crm", body: acme, status: 403, code: CodeForbidden,
			message: "in namespace acme-ns, which asking about tenant acme needs", asked: []string{crm + " get acme-ns"}},
		{name: "batch: each tenant once, in order, the first refused", path: "/v1/batch-check", header: "Bearer token-crm", body: batch(check, check, nope, acme), status: 403, code: CodeForbidden,
			message: "may not get effectivepermissions.access.tenancy.dev in namespace nope, which asking about tenant nope needs", asked: []string{crm + " get northwind", crm + " get nope"}},
		{name: "batch granted", grant: []string{crm + " get acme-ns"}, path: "/v1/batch-check", header: "Bearer token-crm", body: batch(acme, check, acme), status: 200,
			asked: []string{crm + " get acme-ns", crm + " get northwind"}},
		{name: "bearer in any case", path: "/v1/check", header: "bearer token-crm", body: check, status: 200, asked: []string{crm + " get northwind"}},
	} {
		t.Run(s.name, func(t *testing.T) {
			for _, g := range s.grant {
				f.grants[g] = true
			}
			f.reset()
			status, www, out := authDo(t, e, http.MethodPost, s.path, s.header, s.body)
			if asked := f.reset(); !slices.Equal(asked, s.asked) {
				t.Errorf("authorizations asked %q, want %q", asked, s.asked)
			}
			if (status == http.StatusUnauthorized) != (www == "Bearer") {
				t.Errorf("status %d with WWW-Authenticate %q", status, www)
			}
			if s.status == http.StatusOK {
				if status != http.StatusOK {
					t.Fatalf("%d %s, want 200", status, out)
				}
				return
			}
			var got Error
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%d %s: %v", status, out, err)
			}
			if status != s.status || got.Code != s.code || !strings.Contains(got.Message, s.message) {
				t.Errorf("got %d %+v; want %d %s with %q", status, got, s.status, s.code, s.message)
			}
		})
	}

	// A SubjectAccessReview that fails refuses: nothing is answered unasked.
	f.fail = errors.New("subjectaccessreviews: connection refused")
	status, _, out := authDo(t, e, http.MethodPost, "/v1/check", "Bearer token-crm", check)
	if !strings.Contains(string(out), `"code":"internal"`) || status != http.StatusInternalServerError ||
		!strings.Contains(string(out), "could not learn whether system:serviceaccount:app:crm may get effectivepermissions.access.tenancy.dev in namespace northwind: subjectaccessreviews: connection refused") {
		t.Errorf("a failed SubjectAccessReview: %d %s", status, out)
	}
	f.fail = nil

	// Method first; before the cache syncs an authenticated caller hears
	// not_ready and an unauthenticated one 401; the probes need no token.
	if status, _, _ := authDo(t, e, http.MethodGet, "/v1/check", "", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET without a token: %d, want 405", status)
	}
	e.synced = false
	if status, _, out := authDo(t, e, http.MethodPost, "/v1/check", "Bearer token-crm", check); status != http.StatusServiceUnavailable {
		t.Errorf("not synced, authenticated: %d %s", status, out)
	}
	if status, _, out := authDo(t, e, http.MethodPost, "/v1/check", "", check); status != http.StatusUnauthorized {
		t.Errorf("not synced, unauthenticated: %d %s", status, out)
	}
	e.synced = true
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, _, out := authDo(t, e, http.MethodGet, path, "", nil); status != http.StatusOK {
			t.Errorf("%s without a token: %d %s", path, status, out)
		}
	}

	for _, c := range []struct {
		endpoint, code string
		want           float64
	}{
		{"check", CodeUnauthenticated, 2}, {"who-can", CodeUnauthenticated, 1}, {"filter", CodeUnauthenticated, 1}, {"batch-check", CodeUnauthenticated, 1},
		{"check", CodeForbidden, 4}, {"who-can", CodeForbidden, 1}, {"batch-check", CodeForbidden, 1}, {"check", CodeInternal, 1},
	} {
		if got := testutil.ToFloat64(e.srv.metrics.errors.WithLabelValues(c.endpoint, c.code)); got != c.want {
			t.Errorf("decision_server_errors_total{endpoint=%q,code=%q} = %v, want %v", c.endpoint, c.code, got, c.want)
		}
	}
}

// authDo sends a request with an Authorization header (none if empty) and
// returns the status, the WWW-Authenticate header and the body.
func authDo(t *testing.T, e *env, method, path, authorization string, body any) (int, string, []byte) {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body.Bytes()
}

// caller is a ServiceAccount of the envtest API server, with a token the
// TokenRequest API minted for it, as a pod's projected token or
// `kubectl create token` is.
type caller struct {
	namespace, name, token string
}

func (c caller) user() string { return "system:serviceaccount:" + c.namespace + ":" + c.name }

func newCaller(t *testing.T, k8s client.Client, cs kubernetes.Interface, namespace, name string) caller {
	t.Helper()
	ctx := context.Background()
	testenv.CreateNamespace(t, k8s, namespace)
	if err := k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return caller{namespace: namespace, name: name, token: tr.Status.Token}
}

// grant lets c verb EffectivePermissions in namespace (a Role and a
// RoleBinding, written again with the verbs given), and returns once the
// API server's own SubjectAccessReview allows each verb: RBAC has seen
// them, so no decision afterwards depends on how fast it did.
func grant(t *testing.T, k8s client.Client, cs kubernetes.Interface, c caller, namespace string, verbs ...string) {
	t.Helper()
	ctx := context.Background()
	name := "effectivepermissions-" + c.name
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, k8s, role, func() error {
		role.Rules = []rbacv1.PolicyRule{{APIGroups: []string{accessv1.GroupVersion.Group}, Resources: []string{epResource}, Verbs: verbs}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, k8s, binding, func() error {
		binding.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}
		binding.Subjects = []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: c.namespace, Name: c.name}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, verb := range verbs {
		testenv.Eventually(t, 30*time.Second, c.user()+" may "+verb+" in "+namespace, func() (bool, string) {
			sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: c.user(), Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + c.namespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: verb, Group: accessv1.GroupVersion.Group, Resource: epResource},
			}}, metav1.CreateOptions{})
			if err != nil {
				return false, err.Error()
			}
			return sar.Status.Allowed, fmt.Sprintf("%+v", sar.Status)
		})
	}
}

// reviews counts the TokenReviews and SubjectAccessReviews a manager's
// client creates.
type reviews struct {
	next                 http.RoundTripper
	tokens, accessChecks *atomic.Int64
}

func (r reviews) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		switch {
		case strings.HasSuffix(req.URL.Path, "/tokenreviews"):
			r.tokens.Add(1)
		case strings.HasSuffix(req.URL.Path, "/subjectaccessreviews"):
			r.accessChecks.Add(1)
		}
	}
	return r.next.RoundTrip(req)
}

// apiClient calls the decision API at addr over TLS, trusting the
// certificate in certFile, with a bearer token (none if empty).
type apiClient struct {
	t     *testing.T
	http  *http.Client
	addr  string
	token string
}

func newAPIClient(t *testing.T, addr, certFile string) *apiClient {
	t.Helper()
	pemData, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, http: trusting(t, pemData), addr: addr}
}

func (c *apiClient) as(token string) *apiClient {
	out := *c
	out.token = token
	return &out
}

// do sends a request and returns the status and the body; a transport
// error is status 0 and its text.
func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, "https://"+c.addr+path, bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != "Bearer" {
		c.t.Errorf("%s %s: 401 without WWW-Authenticate: Bearer", method, path)
	}
	return resp.StatusCode, out
}

// TestAuthEnvtest runs the server as cmd/decision-server does against a
// real API server (RBAC, ServiceAccount tokens): over TLS with a
// self-signed certificate, callers authenticated with TokenReview and
// authorized with SubjectAccessReview. No token and a garbage token get
// 401; a ServiceAccount's valid token without RBAC 403, naming the
// permission; once a RoleBinding grants get on EffectivePermissions in
// tenant acme's namespace (its spec.namespace, acme-ns) a check and a
// filter about acme are answered, a check about globex and a batch naming
// both are refused naming globex, and who-can about acme is refused until
// list is granted too. The API server's answers are cached: questions
// asked again create no review.
func TestAuthEnvtest(t *testing.T) {
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	scheme, k8s := env.Scheme, env.Client
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tn := range []*accessv1.Tenant{
		{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: accessv1.TenantSpec{Namespace: "acme-ns"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "globex"}},
	} {
		testenv.CreateNamespace(t, k8s, tn.NamespaceOrDefault())
		if err := k8s.Create(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	crm := newCaller(t, k8s, cs, "app", "crm")

	var tokens, accessChecks atomic.Int64
	mcfg := rest.CopyConfig(cfg)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return reviews{next: rt, tokens: &tokens, accessChecks: &accessChecks}
	})
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  CacheOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	apiAddr, certFile := freeAddress(t), filepath.Join(t.TempDir(), "decision-server.crt")
	mctx, cancel := context.WithCancel(ctx)
	// Allowing answers and tokens kept a minute, longer than the test, so
	// that asking again shows the cache; refusals not kept, so that a grant
	// is seen at once.
	srv, err := Setup(mctx, mgr, SetupOptions{BindAddress: apiAddr, Registerer: prometheus.NewRegistry(), SelfSignedCertOut: certFile,
		Auth: AuthOptions{TokenTTL: time.Minute, AllowTTL: time.Minute, DenyTTL: 0}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	api := newAPIClient(t, apiAddr, certFile)
	testenv.Eventually(t, 30*time.Second, "ready, over TLS, without a token", func() (bool, string) {
		code, b := api.do(http.MethodGet, "/readyz", nil)
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, b)
	})

	acme := question.Question{Tenant: "acme", User: "ann@acme.example", Capability: "reports.access"}
	globex := question.Question{Tenant: "globex", User: "ann@acme.example", Capability: "reports.access"}
	whoCan := question.Question{Tenant: "acme", Capability: "reports.access"}
	filter := FilterQuestion{Tenant: "acme", User: "ann@acme.example", Action: "view", Type: "deals"}
	refused := func(api *apiClient, path string, body any, status int, code, message string) {
		t.Helper()
		got, b := api.do(http.MethodPost, path, body)
		var e Error
		if err := json.Unmarshal(b, &e); err != nil || got != status || e.Code != code || !strings.Contains(e.Message, message) {
			t.Errorf("POST %s %+v: %d %s; want %d %s with %q", path, body, got, b, status, code, message)
		}
	}
	answered := func(path string, body any) {
		t.Helper()
		if got, b := api.as(crm.token).do(http.MethodPost, path, body); got != http.StatusOK {
			t.Errorf("POST %s %+v: %d %s; want 200", path, body, got, b)
		}
	}

	refused(api, "/v1/check", acme, 401, CodeUnauthenticated, "no bearer token")
	refused(api.as("garbage"), "/v1/check", acme, 401, CodeUnauthenticated, "the bearer token was not accepted")
	refused(api.as(crm.token), "/v1/check", acme, 403, CodeForbidden,
		"system:serviceaccount:app:crm may not get effectivepermissions.access.tenancy.dev in namespace acme-ns, which asking about tenant acme needs")

	grant(t, k8s, cs, crm, "acme-ns", "get")
	answered("/v1/check", acme)
	answered("/v1/filter", filter)
	refused(api.as(crm.token), "/v1/check", globex, 403, CodeForbidden,
		"system:serviceaccount:app:crm may not get effectivepermissions.access.tenancy.dev in namespace globex, which asking about tenant globex needs")
	refused(api.as(crm.token), "/v1/batch-check", BatchRequest{Questions: []question.Question{acme, globex}}, 403, CodeForbidden,
		"system:serviceaccount:app:crm may not get effectivepermissions.access.tenancy.dev in namespace globex")
	refused(api.as(crm.token), "/v1/who-can", whoCan, 403, CodeForbidden,
		"system:serviceaccount:app:crm may not list effectivepermissions.access.tenancy.dev in namespace acme-ns")

	grant(t, k8s, cs, crm, "acme-ns", "get", "list")
	answered("/v1/who-can", whoCan)

	// Asked again: the token and the allowing answers come from the cache.
	before := [2]int64{tokens.Load(), accessChecks.Load()}
	if before[0] == 0 || before[1] == 0 {
		t.Fatalf("%d TokenReviews and %d SubjectAccessReviews counted: the count misses them", before[0], before[1])
	}
	for range 3 {
		answered("/v1/check", acme)
		answered("/v1/who-can", whoCan)
		answered("/v1/batch-check", BatchRequest{Questions: []question.Question{acme, acme}})
	}
	if after := [2]int64{tokens.Load(), accessChecks.Load()}; after != before {
		t.Errorf("TokenReviews and SubjectAccessReviews %v before asking again, %v after: want none created", before, after)
	}
	if n := testutil.ToFloat64(srv.metrics.errors.WithLabelValues("check", CodeForbidden)); n != 2 {
		t.Errorf("forbidden checks counted %v, want 2", n)
	}
}
