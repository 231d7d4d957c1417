package decisionbench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"golang.org/x/sync/errgroup"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Cluster is a local etcd and kube-apiserver (bin/ of the repository, as
// `make controlplane` builds them) with the CRDs installed, and an admin
// kubeconfig for the binaries.
type Cluster struct {
	env        *envtest.Environment
	Client     client.Client
	Kubeconfig string
}

// StartCluster starts the control plane from root's bin/ and writes the
// admin kubeconfig into dir.
func StartCluster(root, dir string) (*Cluster, error) {
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: filepath.Join(root, "bin"),
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting etcd and kube-apiserver from %s/bin: %w", root, err)
	}
	c := &Cluster{env: env}
	cfg.QPS, cfg.Burst = -1, 0
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(accessv1.AddToScheme(scheme))
	if c.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		_ = c.Stop()
		return nil, err
	}
	admin, err := env.AddUser(envtest.User{Name: "decisionbench-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, kc, 0o600); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop stops the control plane.
func (c *Cluster) Stop() error { return c.env.Stop() }

// Apply creates the world's inputs: namespaces and Tenants first, then the
// rest with 8 writers.
func (c *Cluster) Apply(ctx context.Context, w *World) error {
	objs := w.Objects()
	create := func(o client.Object) error {
		if err := c.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s/%s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
		}
		return nil
	}
	first := 2 * len(w.Tenants)
	for _, o := range objs[:first] {
		if err := create(o); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, o := range objs[first:] {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			return create(o)
		})
	}
	return g.Wait()
}

// WaitEPs waits until the controller has written every EffectivePermission
// the world has (one per member, one per partner admin) and no more.
func (c *Cluster) WaitEPs(ctx context.Context, w *World, manager *Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if done, err := manager.Exited(); done {
			return fmt.Errorf("the manager exited (%v); the end of its log (%s):\n%s", err, manager.log, tail(manager.log, 20))
		}
		ok := true
		last = ""
		for _, t := range w.Tenants {
			var l accessv1.EffectivePermissionList
			if err := c.Client.List(ctx, &l, client.InNamespace(t.Name())); err != nil {
				return err
			}
			want := w.ExpectedEPs(t)
			last += fmt.Sprintf("%s: %d of %d; ", t.Name(), len(l.Items), want)
			if len(l.Items) != want {
				ok = false
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("the EffectivePermissions did not converge within %s: %s", timeout, last)
}

// EPs counts the EffectivePermissions in the cluster.
func (c *Cluster) EPs(ctx context.Context) (int, error) {
	var l accessv1.EffectivePermissionList
	err := c.Client.List(ctx, &l)
	return len(l.Items), err
}

// BuildBinaries builds cmd/manager and cmd/decision-server of the
// repository at root into dir, with the repository's own go.mod.
func BuildBinaries(root, dir string) (manager, decisionServer string, err error) {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/manager", "./cmd/decision-server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/manager ./cmd/decision-server: %w\n%s", err, out)
	}
	return filepath.Join(dir, "manager"), filepath.Join(dir, "decision-server"), nil
}

// Caller makes the identity questions are asked with, as an application
// would hold one: a ServiceAccount allowed to get and list
// EffectivePermissions (a ClusterRole and its binding), and a token for it.
// It returns once RBAC allows it in every tenant namespace.
func (c *Cluster) Caller(ctx context.Context, w *World) (string, error) {
	const ns, name = "decisionbench", "bench"
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "decisionbench-reader"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{accessv1.GroupVersion.Group}, Resources: []string{"effectivepermissions"}, Verbs: []string{"get", "list"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "decisionbench-reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "decisionbench-reader"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}}},
	}
	for _, o := range objs {
		if err := c.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("creating the caller's %T: %w", o, err)
		}
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(4 * 3600))}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := c.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		return "", fmt.Errorf("a token for the caller: %w", err)
	}
	user := "system:serviceaccount:" + ns + ":" + name
	for _, t := range w.Tenants {
		for deadline := time.Now().Add(30 * time.Second); ; {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: t.Name(), Verb: "get", Group: accessv1.GroupVersion.Group, Resource: "effectivepermissions"},
			}}
			if err := c.Client.Create(ctx, sar); err != nil {
				return "", err
			}
			if sar.Status.Allowed {
				break
			}
			if time.Now().After(deadline) {
				return "", fmt.Errorf("RBAC does not let %s get effectivepermissions in %s within 30s: %+v", user, t.Name(), sar.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return tr.Status.Token, nil
}

// StartManager runs bin/manager (controllers, no webhooks, no leader
// election) against the cluster, unthrottled so that a cold converge of
// 10k members does not wait on client-side rate limits.
func StartManager(ctx context.Context, binary, kubeconfig, logFile string) (*Process, error) {
	return Start(ctx, logFile, binary, "--kubeconfig="+kubeconfig, "--health-probe-bind-address=0",
		"--metrics-bind-address=0", "--leader-elect=false", "--kube-api-qps=1000", "--kube-api-burst=2000")
}

// DecisionServer is a running cmd/decision-server and its client.
type DecisionServer struct {
	proc   *Process
	base   string
	client *http.Client
	header http.Header
}

// StartDecisionServer runs the decision server against the cluster on a
// loopback port, serving HTTPS with its self-signed certificate (written
// into dir), and waits until its cache has synced (/readyz). Questions
// carry token, which the server authenticates (TokenReview) and authorizes
// (SubjectAccessReview) with its default caches.
func StartDecisionServer(ctx context.Context, binary, kubeconfig, dir, token string) (*DecisionServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	certFile := filepath.Join(dir, "decision-server.crt")
	proc, err := Start(ctx, filepath.Join(dir, "decision-server.log"), binary, "--kubeconfig="+kubeconfig, "--bind-address="+addr,
		"--self-signed-cert-out="+certFile, "--health-probe-bind-address=0", "--metrics-bind-address=0",
		"--kube-api-qps=1000", "--kube-api-burst=2000")
	if err != nil {
		return nil, err
	}
	var c *http.Client
	for deadline := time.Now().Add(time.Minute); c == nil; {
		if c, err = tlsClient(certFile); err != nil && time.Now().After(deadline) {
			_ = proc.Stop()
			return nil, fmt.Errorf("the decision server wrote no certificate to %s within a minute: %w; its log: %s", certFile, err, proc.log)
		}
		if done, perr := proc.Exited(); done {
			return nil, fmt.Errorf("the decision server exited (%v); the end of its log (%s):\n%s", perr, proc.log, tail(proc.log, 20))
		}
		if c == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	d := &DecisionServer{proc: proc, base: "https://" + addr, client: c, header: http.Header{"Authorization": {"Bearer " + token}}}
	if err := proc.WaitReady(ctx, d.client, d.base+"/readyz", nil, 5*time.Minute); err != nil {
		_ = proc.Stop()
		return nil, err
	}
	return d, nil
}

// Process is the server process (for its memory).
func (d *DecisionServer) Process() *Process { return d.proc }

// Stop ends the server.
func (d *DecisionServer) Stop() error { return d.proc.Stop() }

// Answer is the part of a /v1/check answer the benchmark reads.
type Answer struct {
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
}

// CheckBody is the body of one /v1/check.
func (d *DecisionServer) CheckBody(q Question) []byte {
	b, _ := json.Marshal(q)
	return b
}

// CheckURL is where checks are posted.
func (d *DecisionServer) CheckURL() string { return d.base + "/v1/check" }

// Check asks one question.
func (d *DecisionServer) Check(ctx context.Context, q Question) (Answer, error) {
	var a Answer
	err := postJSON(ctx, d.client, d.CheckURL(), d.CheckBody(q), d.header, &a)
	return a, err
}

// BatchBody is the body of one /v1/batch-check.
func (d *DecisionServer) BatchBody(qs []Question) []byte {
	b, _ := json.Marshal(map[string]any{"questions": qs})
	return b
}

// BatchURL is where batch checks are posted.
func (d *DecisionServer) BatchURL() string { return d.base + "/v1/batch-check" }

// BatchCheck asks the questions in one batch.
func (d *DecisionServer) BatchCheck(ctx context.Context, qs []Question) ([]bool, error) {
	var out struct {
		Answers []Answer `json:"answers"`
	}
	if err := postJSON(ctx, d.client, d.BatchURL(), d.BatchBody(qs), d.header, &out); err != nil {
		return nil, err
	}
	if len(out.Answers) != len(qs) {
		return nil, fmt.Errorf("batch-check: %d answers to %d questions", len(out.Answers), len(qs))
	}
	res := make([]bool, len(qs))
	for i, a := range out.Answers {
		res[i] = a.Allowed
	}
	return res, nil
}

// ListBody is the body of one /v1/filter.
func (d *DecisionServer) ListBody(q ListQuestion) []byte {
	b, _ := json.Marshal(q)
	return b
}

// ListURL is where filters are asked.
func (d *DecisionServer) ListURL() string { return d.base + "/v1/filter" }

// Filter asks for the list filter.
func (d *DecisionServer) Filter(ctx context.Context, q ListQuestion) (check.Filter, error) {
	var f check.Filter
	err := postJSON(ctx, d.client, d.ListURL(), d.ListBody(q), d.header, &f)
	return f, err
}
