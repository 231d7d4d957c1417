package typescript

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/decision"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// scenarioName is the shared scenario the end-to-end test serves.
const scenarioName = "role-hierarchy"

// TestNodeEndToEnd runs the client's end-to-end tests (test/e2e*.test.ts)
// against the decision server as cmd/decision-server runs it — over TLS
// with a self-signed certificate Node trusts through NODE_EXTRA_CA_CERTS,
// every caller authenticated by TokenReview and authorized by
// SubjectAccessReview — in front of an envtest API server where the real
// controller converged the role-hierarchy scenario. The client asks with a
// ServiceAccount token the TokenRequest API minted, RBAC granting it get
// and list on effectivepermissions in the tenant's namespace: every row of
// checks.tsv through check, batch-check and who-can; every user's filters,
// as SQL in SQLite, against check on each record; each error code it can
// provoke (forbidden with a second ServiceAccount granted nothing); every
// answer against clients/openapi.yaml. Then a Member is deactivated, and an
// answer asked after that write reflects it.
func TestNodeEndToEnd(t *testing.T) {
	node := requireNode(t)
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	build(t, node) // while the API server starts nothing else: npm ci may download
	scheme, k8s := env.Scheme, env.Client
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The controller, converging the scenario.
	controller, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Run: []testenv.Runner{controllers.Setup}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := controller.Stop(); err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	s := scenario(t)
	var namespaces []string
	for _, o := range s.Set.Objects() {
		if ns := o.Ref.Namespace; ns != "" {
			testenv.CreateNamespace(t, k8s, ns)
			namespaces = append(namespaces, ns)
		}
		if err := k8s.Create(ctx, o.Resource.DeepCopyObject().(client.Object)); err != nil {
			t.Fatalf("create %s: %v", o.Ref, err)
		}
	}
	testenv.Eventually(t, 60*time.Second, "the controller converges to the render", func() (bool, string) {
		return testenv.SameEPs(t, controller.Cache, s.Result.EffectivePermissions, namespaces)
	})

	// The decision server, as cmd/decision-server runs it.
	dir := t.TempDir()
	caFile := filepath.Join(dir, "decision-server.pem")
	addr := freeAddress(t)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  decision.CacheOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	if _, err := decision.Setup(mctx, mgr, decision.SetupOptions{
		BindAddress: addr, SelfSignedCertOut: caFile, Registerer: prometheus.NewRegistry(), Auth: decision.DefaultAuthOptions,
	}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("decision server: %v", err)
		}
	})
	url := "https://" + addr
	https := trusting(t, caFile)
	testenv.Eventually(t, 60*time.Second, "the decision server is ready", func() (bool, string) {
		resp, err := https.Get(url + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})

	// Its callers: one allowed to read the tenant's EffectivePermissions,
	// one allowed nothing.
	tenantNS := s.Set.Snapshot.Tenants[0].NamespaceOrDefault()
	crm := serviceAccount(t, k8s, cs, "app", "crm")
	grant(t, k8s, cs, "app", "crm", tenantNS, "get", "list")
	nobody := serviceAccount(t, k8s, cs, "app", "nobody")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(crm+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	records := filepath.Join(dir, "records.json")
	writeJSON(t, records, recordsOf(s))
	openapi := filepath.Join(dir, "openapi.json")
	y, err := os.ReadFile(filepath.Join("..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(openapi, j, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{
		"DECISION_SERVER_URL=" + url,
		"DECISION_SERVER_TOKEN_FILE=" + tokenFile,
		"NODE_EXTRA_CA_CERTS=" + caFile,
	}
	e2e := filepath.Join("dist", "test", "e2e.test.js")
	nodeTest(t, node, append(slices.Clip(base),
		"DECISION_E2E_FORBIDDEN_TOKEN="+nobody,
		"DECISION_E2E_CHECKS="+filepath.Join(questiontest.Dir, scenarioName, "checks.tsv"),
		"DECISION_E2E_RECORDS="+records,
		"DECISION_OPENAPI_JSON="+openapi,
	), e2e)

	// Read your revocation: deactivate a member who may delete deals, then
	// ask after that write.
	q := question.Question{Tenant: "northwind", User: "sam@northwind.example", Action: accessv1.ActionDelete, Type: "deals"}
	if !allowedOffline(t, s, &q) {
		t.Fatalf("%+v: the scenario must allow it before the write, or the write proves nothing", q)
	}
	sam := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "northwind", Name: "sam"}}
	testenv.Update(t, k8s, sam, func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	after, err := json.Marshal(map[string]any{
		"write":    decision.Write{Kind: "Member", ResourceVersion: sam.ResourceVersion},
		"question": q,
		"allowed":  false,
	})
	if err != nil {
		t.Fatal(err)
	}
	nodeTest(t, node, append(slices.Clip(base), "DECISION_E2E_AFTER_WRITE="+string(after)), filepath.Join("dist", "test", "e2e-write.test.js"))
}

func scenario(t *testing.T) questiontest.Scenario {
	t.Helper()
	for _, s := range questiontest.Scenarios(t) {
		if s.Name == scenarioName {
			return s
		}
	}
	t.Fatalf("no scenario %s", scenarioName)
	return questiontest.Scenario{}
}

// allowedOffline answers q as the engine renders the scenario.
func allowedOffline(t *testing.T, s questiontest.Scenario, q *question.Question) bool {
	t.Helper()
	for i := range s.Result.EffectivePermissions {
		if ep := &s.Result.EffectivePermissions[i]; ep.Spec.Tenant == q.Tenant && ep.Spec.User == q.User {
			d, _ := (&question.Asker{Owners: s.Result}).Decide(ep, q)
			return d.Allowed
		}
	}
	return false
}

// e2eRecords is what test/e2e.test.ts reads from DECISION_E2E_RECORDS.
type e2eRecords struct {
	Tenant  string            `json:"tenant"`
	Users   []string          `json:"users"`
	Actions []accessv1.Action `json:"actions"`
	Types   []string          `json:"types"`
	Records []e2eRecord       `json:"records"`
}

type e2eRecord struct {
	Owner       string   `json:"owner"`
	OwnerRole   string   `json:"ownerRole"`
	OwnerActive bool     `json:"ownerActive"`
	Visibility  string   `json:"visibility,omitempty"`
	Groups      []string `json:"groups,omitempty"`
}

// recordsOf are records of the scenario's first tenant as an application
// would store them: owned by each of its users and by a stranger, with
// each visibility stated (OwnerAndGroups also naming each role), the
// owner's role and membership as the engine knows them.
func recordsOf(s questiontest.Scenario) e2eRecords {
	tenant := s.Set.Snapshot.Tenants[0].Name
	out := e2eRecords{Tenant: tenant, Actions: []accessv1.Action{accessv1.ActionView, accessv1.ActionEdit, accessv1.ActionDelete}, Types: []string{"deals", "contacts"}}
	var roles []string
	for _, r := range s.Set.Snapshot.Roles {
		roles = append(roles, r.Name)
	}
	for _, ep := range s.Result.EffectivePermissions {
		if ep.Spec.Tenant == tenant {
			out.Users = append(out.Users, ep.Spec.User)
		}
	}
	for _, owner := range append(slices.Clone(out.Users), "stranger@elsewhere.example") {
		o := s.Result.RecordOwner(tenant, owner)
		rec := e2eRecord{Owner: owner, OwnerRole: o.Role, OwnerActive: o.Active}
		for _, v := range append([]string{""}, strs(question.Visibilities)...) {
			rec.Visibility = v
			out.Records = append(out.Records, rec)
		}
		for _, r := range roles {
			rec.Visibility, rec.Groups = string(accessv1.VisibilityOwnerAndGroups), []string{r}
			out.Records = append(out.Records, rec)
		}
	}
	return out
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func writeJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
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

// trusting is an HTTPS client trusting only the certificates of caFile.
func trusting(t *testing.T, caFile string) *http.Client {
	t.Helper()
	var pem []byte
	testenv.Eventually(t, 30*time.Second, "the server writes its certificate", func() (bool, string) {
		var err error
		pem, err = os.ReadFile(caFile)
		return err == nil && len(pem) > 0, fmt.Sprint(err)
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// serviceAccount creates a ServiceAccount and returns a token the
// TokenRequest API minted for it, as a pod's projected token is.
func serviceAccount(t *testing.T, k8s client.Client, cs kubernetes.Interface, namespace, name string) string {
	t.Helper()
	ctx := context.Background()
	testenv.CreateNamespace(t, k8s, namespace)
	if err := k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// grant lets the ServiceAccount verb EffectivePermissions in namespace (a
// Role and a RoleBinding) and returns once the API server's own
// SubjectAccessReview allows each verb.
func grant(t *testing.T, k8s client.Client, cs kubernetes.Interface, saNamespace, sa, namespace string, verbs ...string) {
	t.Helper()
	ctx := context.Background()
	name := "read-effectivepermissions-" + sa
	group := accessv1.GroupVersion.Group
	if err := k8s.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{group}, Resources: []string{"effectivepermissions"}, Verbs: verbs}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: saNamespace, Name: sa}},
	}); err != nil {
		t.Fatal(err)
	}
	user := "system:serviceaccount:" + saNamespace + ":" + sa
	for _, verb := range verbs {
		testenv.Eventually(t, 30*time.Second, user+" may "+verb+" effectivepermissions in "+namespace, func() (bool, string) {
			sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: verb, Group: group, Resource: "effectivepermissions"},
			}}, metav1.CreateOptions{})
			if err != nil {
				return false, err.Error()
			}
			return sar.Status.Allowed, fmt.Sprintf("%+v", sar.Status)
		})
	}
}
