package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestLive runs accessctl against a real API server where the controller
// converged every valid shared scenario, and gets the answers it gives
// offline on the same manifests: render (and no drift), validate, every
// check of checks.tsv with --explain, who-can, reach and diff. Then an
// EffectivePermission edited behind a stopped controller is reported as
// drift.
func TestLive(t *testing.T) {
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	admin, err := env.AddUser(envtest.User{Name: "reviewer", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	scheme, k8s := env.Scheme, env.Client
	mgr, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Run: []testenv.Runner{controllers.Setup}})
	if err != nil {
		t.Fatal(err)
	}
	stopManager := func() {
		if err := mgr.Stop(); err != nil {
			t.Errorf("manager: %v", err)
		}
	}
	t.Cleanup(stopManager)
	ctx := context.Background()

	var dirs []string
	for _, name := range scenarios(t) {
		if isInvalidScenario(name) {
			continue
		}
		dir := scenarioDir(name)
		dirs = append(dirs, dir)
		set, err := manifest.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range set.Objects() {
			if ns := o.Ref.Namespace; ns != "" {
				_ = k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			}
			if err := k8s.Create(ctx, o.Resource.DeepCopyObject().(client.Object)); err != nil {
				t.Fatalf("create %s: %v", o.Ref, err)
			}
		}
	}
	files := strings.Join(dirs, ",")
	now := time.Now().UTC().Format(time.RFC3339)
	offline := func(args ...string) result {
		return accessctl(t, nil, append(args, "-f", files, "--now", now)...)
	}
	inCluster := func(args ...string) result {
		return accessctl(t, nil, append(args, "--kubeconfig", kubeconfig, "--now", now)...)
	}
	same := func(what string, off, on result) {
		t.Helper()
		if off.code != on.code || off.stdout != on.stdout {
			t.Errorf("%s: offline exit %d, live exit %d\n--- offline\n%s--- live\n%s%s", what, off.code, on.code, off.stdout, on.stdout, on.stderr)
		}
	}

	deadline := time.Now().Add(60 * time.Second)
	var r result
	for r = inCluster("render"); r.code != exitOK && time.Now().Before(deadline); r = inCluster("render") {
		time.Sleep(250 * time.Millisecond)
	}
	if r.code != exitOK || !strings.Contains(r.stderr, "no drift") {
		t.Fatalf("the controller did not converge to the render within 60s: exit %d\n%s", r.code, r.stderr)
	}
	same("render", offline("render"), r)
	same("render -o json", offline("render", "-o", "json"), inCluster("render", "-o", "json"))
	same("validate", offline("validate"), inCluster("validate"))

	questions := 0
	for _, dir := range dirs {
		for _, row := range checkRows(t, dir) {
			args := append([]string{"check", "--tenant", row.tenant, "--user", row.user, "--explain"}, row.question...)
			same(strings.Join(args, " "), offline(args...), inCluster(args...))
			questions++
		}
		for _, q := range whoCanQuestions(t, dir, scenarioResult(t, dir)) {
			args := append([]string{"who-can"}, q...)
			same(strings.Join(args, " "), offline(args...), inCluster(args...))
			questions++
		}
	}
	same("reach", offline("reach", "--tenant", "agency-x"), inCluster("reach", "--tenant", "agency-x"))
	if d := accessctl(t, nil, "diff", "--kubeconfig", kubeconfig, "--to", files, "--now", now, "--fail-on", "change,findings"); d.code != exitOK || !strings.HasPrefix(d.stdout, "no change") {
		t.Errorf("diff from the cluster to its own manifests: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	t.Logf("%d check and who-can questions answered alike offline and live", questions)
	pluginLive(t, kubeconfig, now, offline)

	// Drift: with the controller stopped, an EffectivePermission edited by hand.
	stopManager()
	var ep accessv1.EffectivePermission
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: "northwind", Name: "jim"}, &ep); err != nil {
		t.Fatal(err)
	}
	ep.Spec.Capabilities = append(ep.Spec.Capabilities, "billing.access")
	if err := k8s.Update(context.Background(), &ep); err != nil {
		t.Fatal(err)
	}
	d := inCluster("render")
	want := "drift: EffectivePermission northwind/jim: the cluster's spec differs from the render"
	if d.code != exitNo || !strings.Contains(d.stderr, want) {
		t.Errorf("render after a hand edit: exit %d, stderr:\n%s\nwant exit 1 and %q", d.code, d.stderr, want)
	}
	// check answers from the cluster's EffectivePermission, as applications do.
	c := inCluster("check", "--tenant", "northwind", "--user", "jim@northwind.example", "--capability", "billing.access")
	if c.code != exitOK {
		t.Errorf("live check reads the cluster's EffectivePermission: exit %d, want 0 (the edited one grants it)", c.code)
	}
}

func TestLiveUsage(t *testing.T) {
	r := accessctl(t, nil, "validate", "-f", scenariosDir, "--kubeconfig", "x")
	if r.code != exitInput || !strings.Contains(r.stderr, "not both") {
		t.Errorf("-f with --kubeconfig: exit %d, %q", r.code, r.stderr)
	}
	r = accessctl(t, nil, "validate", "--kubeconfig", filepath.Join(t.TempDir(), "missing"))
	if r.code != exitInput || !strings.Contains(r.stderr, "live cluster:") {
		t.Errorf("a missing kubeconfig: exit %d, %q", r.code, r.stderr)
	}
}
