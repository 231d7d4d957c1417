package controllers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/tenancy-dev/access-controller/internal/testenv"
)

const chartNamespace = "access-controller-chart"

// TestChartFilesInSync: the CRDs, RBAC and webhook configuration the Helm
// chart renders are byte-for-byte those of config/ (hack/chart-sync.sh
// copies them to dist/chart/files; run it after `make manifests`).
func TestChartFilesInSync(t *testing.T) {
	want := t.TempDir()
	if out, err := exec.Command(filepath.Join(testenv.Root, "hack", "chart-sync.sh"), want).CombinedOutput(); err != nil {
		t.Fatalf("hack/chart-sync.sh: %v\n%s", err, out)
	}
	have := filepath.Join(testenv.Root, "dist", "chart", "files")
	if w, h := treeOf(t, want), treeOf(t, have); !equality.Semantic.DeepEqual(w, h) {
		for name := range w {
			if _, ok := h[name]; !ok {
				t.Errorf("dist/chart/files/%s is missing", name)
			} else if w[name] != h[name] {
				t.Errorf("dist/chart/files/%s differs from config/", name)
			}
		}
		for name := range h {
			if _, ok := w[name]; !ok {
				t.Errorf("dist/chart/files/%s is not in config/ any more", name)
			}
		}
		t.Error("the chart's copies of config/ are out of date: run hack/chart-sync.sh and commit dist/chart/files")
	}
}

func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// helm returns bin/helm, or skips the test without it (unless `make test`
// requires every tool).
func helm(t *testing.T) string {
	t.Helper()
	h := filepath.Join(testenv.Root, "bin", "helm")
	if _, err := os.Stat(h); err != nil {
		if os.Getenv(testenv.RequireEnv) != "" {
			t.Fatalf("bin/helm missing: run `make helm`")
		}
		t.Skip("no bin/helm: run `make helm` (or `make test`, which builds it)")
	}
	return h
}

// TestChart lints dist/chart and has the API server take what it renders
// (a server-side dry run of every object, as TestInstallManifests does for
// config/): with the default values (one manager, cert-manager), and with
// the manager's own certificate, two shards and the decision server. It
// checks what each must hold: the shards' flags, the rotation's flags naming
// the rendered Secret, webhook configuration and Service, the generated
// roles, and no cert-manager object without cert-manager.
func TestChart(t *testing.T) {
	h := helm(t)
	chart := filepath.Join(testenv.Root, "dist", "chart")
	testenv.CreateNamespace(t, k8s, chartNamespace)
	generated := generatedClusterRole(t)

	t.Run("default", func(t *testing.T) {
		objs := renderChart(t, h, chart)
		applyDryRun(t, objs)
		managers := ofKind(objs, "Deployment")
		if len(managers) != 1 || managers[0].GetName() != "access-controller-controller-manager" {
			t.Fatalf("Deployments %v, want the one manager", names(managers))
		}
		if r := replicas(managers[0]); r != 2 {
			t.Errorf("manager replicas %v, want 2", r)
		}
		args := containerArgs(t, managers[0])
		for _, a := range []string{"--leader-elect", "--webhooks", "--metrics-bind-address=:8443", "--metrics-secure=true"} {
			if !slices.Contains(args, a) {
				t.Errorf("manager args %q lack %s", args, a)
			}
		}
		for _, a := range args {
			if strings.HasPrefix(a, "--cert-rotation") || strings.HasPrefix(a, "--watch-label-selector") {
				t.Errorf("manager arg %s with the default values", a)
			}
		}
		vwc := one(t, objs, "ValidatingWebhookConfiguration")
		if got := vwc.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != chartNamespace+"/access-controller-serving-cert" {
			t.Errorf("inject-ca-from %q", got)
		}
		one(t, objs, "Certificate")
		for _, k := range []string{"PodDisruptionBudget", "NetworkPolicy"} {
			one(t, objs, k)
		}
		if crds := ofKind(objs, "CustomResourceDefinition"); len(crds) != 7 {
			t.Errorf("%d CRDs, want 7", len(crds))
		} else if crds[0].GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s not kept on uninstall", crds[0].GetName())
		}
		if len(ofKind(objs, "Secret")) != 0 || len(byName(objs, "Deployment", "access-controller-decision-server")) != 0 {
			t.Error("a Secret or the decision server with the default values")
		}
		checkGenerated(t, objs, generated)
		checkWebhookService(t, objs)
		if rb := byName(objs, "RoleBinding", "access-controller-manager-role-binding"); len(rb) != 0 {
			t.Error("the certificate Secret's Role is bound without selfSigned")
		}
	})

	t.Run("selfSigned, two shards, decision server", func(t *testing.T) {
		objs := renderChart(t, h, chart, "--set", "certManager.enabled=false,selfSigned.enabled=true,decisionServer.enabled=true,metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true",
			"--set", "shards[0].name=eu,shards[0].selector=region=eu",
			"--set", "shards[1].name=us,shards[1].selector=region notin (eu),shards[1].replicas=3,shards[1].leaderElectionID=us-leader")
		applyDryRun(t, objs)
		for _, o := range objs {
			if o.GroupVersionKind().Group == "cert-manager.io" || o.GetAnnotations()["cert-manager.io/inject-ca-from"] != "" {
				t.Errorf("%s %s refers to cert-manager", o.GetKind(), o.GetName())
			}
		}
		vwc := one(t, objs, "ValidatingWebhookConfiguration")
		svc := checkWebhookService(t, objs)
		want := map[string][]string{
			"access-controller-controller-manager-eu": {"--watch-label-selector=region=eu", "--leader-election-id=eu.access-controller.access.tenancy.dev"},
			"access-controller-controller-manager-us": {"--watch-label-selector=region notin (eu)", "--leader-election-id=us-leader"},
		}
		managers := ofKind(objs, "Deployment")
		if len(managers) != 3 {
			t.Fatalf("Deployments %v, want two managers and the decision server", names(managers))
		}
		for name, shardArgs := range want {
			d := byName(objs, "Deployment", name)
			if len(d) != 1 {
				t.Errorf("no Deployment %s", name)
				continue
			}
			args := containerArgs(t, d[0])
			for _, a := range append(shardArgs, "--webhooks", "--cert-rotation",
				"--cert-rotation-secret=access-controller-webhook-server-cert",
				"--cert-rotation-webhook-configuration="+vwc.GetName(),
				"--cert-rotation-dns-name="+svc+"."+chartNamespace+".svc") {
				if !slices.Contains(args, a) {
					t.Errorf("%s: args %q lack %s", name, args, a)
				}
			}
			if len(byName(objs, "PodDisruptionBudget", name)) != 1 {
				t.Errorf("no PodDisruptionBudget for %s", name)
			}
		}
		if r := replicas(byName(objs, "Deployment", "access-controller-controller-manager-us")[0]); r != 3 {
			t.Errorf("shard us: %v replicas, want 3", r)
		}
		if len(byName(objs, "Secret", "access-controller-webhook-server-cert")) != 1 {
			t.Error("no Secret for the manager to keep the certificate in")
		}
		rb := byName(objs, "RoleBinding", "access-controller-manager-role-binding")
		if len(rb) != 1 || len(byName(objs, "Role", "access-controller-manager-role")) != 1 {
			t.Error("the certificate Secret's Role is not there and bound")
		}
		checkGenerated(t, objs, generated)
		cr := byName(objs, "ClusterRole", "access-controller-manager-role")[0]
		if !strings.Contains(toYAML(t, cr), "- "+vwc.GetName()+"\n") {
			t.Errorf("the manager's ClusterRole names no %s among its resourceNames", vwc.GetName())
		}
		for _, n := range []string{"access-controller-decision-server", "access-controller-decision-server-tls", "access-controller-decision-server-ca"} {
			if len(byName(objs, "", n)) == 0 {
				t.Errorf("no %s", n)
			}
		}
	})

	t.Run("one certificate source", func(t *testing.T) {
		out, err := exec.Command(h, "template", "ac", chart, "-n", chartNamespace, "--set", "selfSigned.enabled=true").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "set exactly one of certManager.enabled") {
			t.Errorf("both sources: err %v, output %.300s", err, out)
		}
	})
}

// TestSelfSignedOverlay: config/default-selfsigned, the kustomize install
// without cert-manager, is taken by the API server (dry run), and names what
// the manager's --cert-rotation-* flags default to.
func TestSelfSignedOverlay(t *testing.T) {
	out, err := exec.Command(filepath.Join(testenv.Root, "bin", "kubectl"), "kustomize", filepath.Join(testenv.Root, "config", "default-selfsigned")).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/default-selfsigned: %v", err)
	}
	objs := decodeAll(t, out)
	applyDryRun(t, objs)
	for kind, name := range map[string]string{
		"Secret":                         "access-controller-webhook-server-cert",              // --cert-rotation-secret
		"ValidatingWebhookConfiguration": "access-controller-validating-webhook-configuration", // --cert-rotation-webhook-configuration
		"Service":                        "access-controller-webhook-service",                  // --cert-rotation-dns-name's
		"RoleBinding":                    "access-controller-manager-cert-rotation-rolebinding",
	} {
		if len(byName(objs, kind, name)) != 1 {
			t.Errorf("no %s %s", kind, name)
		}
	}
	if args := containerArgs(t, one(t, objs, "Deployment")); !slices.Contains(args, "--cert-rotation") {
		t.Errorf("manager args %q lack --cert-rotation", args)
	}
	for _, o := range objs {
		if o.GroupVersionKind().Group == "cert-manager.io" {
			t.Errorf("%s %s needs cert-manager", o.GetKind(), o.GetName())
		}
	}
}

// renderChart lints the chart with these values, renders it and returns its objects.
func renderChart(t *testing.T, h, chart string, values ...string) []*unstructured.Unstructured {
	t.Helper()
	if out, err := exec.Command(h, append([]string{"lint", "--strict", chart, "-n", chartNamespace}, values...)...).CombinedOutput(); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(h, append([]string{"template", "access-controller", chart, "-n", chartNamespace, "--kube-version", "v1.37.2"}, values...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return decodeAll(t, out)
}

// decodeAll decodes a stream of YAML documents.
func decodeAll(t *testing.T, out []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

// applyDryRun has the API server take every object (server-side apply, dry
// run). cert-manager's and prometheus-operator's kinds, not served here,
// are skipped.
func applyDryRun(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	applied, skipped := 0, []string{}
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if _, err := k8s.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
			skipped = append(skipped, gvk.Kind+" "+u.GetName())
			if gvk.Group != "cert-manager.io" && gvk.Group != "monitoring.coreos.com" { // cert-manager, prometheus-operator
				t.Errorf("%s %s: kind not served by this API server", gvk, u.GetName())
			}
			continue
		}
		if u.GetKind() == "Namespace" {
			_ = k8s.Create(ctx, u.DeepCopy()) // for real: the namespaced objects' dry runs need it
		}
		if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner("chart-test"), client.ForceOwnership, client.DryRunAll); err != nil {
			t.Errorf("%s %s/%s: %v", gvk.Kind, u.GetNamespace(), u.GetName(), err)
			continue
		}
		applied++
	}
	t.Logf("%d objects applied (dry run), skipped %s", applied, strings.Join(skipped, ", "))
	if applied < 20 {
		t.Errorf("only %d objects", applied)
	}
}

// generatedClusterRole returns the rules of the ClusterRole `make manifests`
// generates (config/rbac/role.yaml).
func generatedClusterRole(t *testing.T) []any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			t.Fatalf("config/rbac/role.yaml: no ClusterRole (%v)", err)
		}
		if u.GetKind() == "ClusterRole" {
			rules, _, _ := unstructured.NestedSlice(u.Object, "rules")
			return rules
		}
	}
}

// checkGenerated: the chart's manager ClusterRole has the generated rules
// (resourceNames aside, which take the chart's prefix; it is the default's here).
func checkGenerated(t *testing.T, objs []*unstructured.Unstructured, want []any) {
	t.Helper()
	cr := byName(objs, "ClusterRole", "access-controller-manager-role")
	if len(cr) != 1 {
		t.Fatal("no ClusterRole access-controller-manager-role")
	}
	if got, _, _ := unstructured.NestedSlice(cr[0].Object, "rules"); !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("the chart's manager-role rules differ from config/rbac/role.yaml's:\n%v\n%v", got, want)
	}
}

// checkWebhookService: every webhook calls the chart's webhook Service,
// which selects pods that serve the webhooks. It returns the Service's name.
func checkWebhookService(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	vwc := one(t, objs, "ValidatingWebhookConfiguration")
	svc := byName(objs, "Service", "access-controller-webhook-service")
	if len(svc) != 1 {
		t.Fatal("no Service access-controller-webhook-service")
	}
	hooks, _, _ := unstructured.NestedSlice(vwc.Object, "webhooks")
	if len(hooks) < 7 {
		t.Errorf("%d webhooks, want config/webhook's 7", len(hooks))
	}
	for _, hook := range hooks {
		s, _, _ := unstructured.NestedStringMap(hook.(map[string]any), "clientConfig", "service")
		if s["name"] != svc[0].GetName() || s["namespace"] != chartNamespace {
			t.Errorf("webhook calls %v", s)
		}
	}
	sel, _, _ := unstructured.NestedStringMap(svc[0].Object, "spec", "selector")
	for _, d := range ofKind(objs, "Deployment") {
		labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		if labels["control-plane"] != "controller-manager" {
			continue
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("the webhook Service does not select %s's pods (%s=%s)", d.GetName(), k, v)
			}
		}
	}
	return svc[0].GetName()
}

func containerArgs(t *testing.T, d *unstructured.Unstructured) []string {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		t.Fatalf("%s has no containers", d.GetName())
	}
	args, _, _ := unstructured.NestedStringSlice(cs[0].(map[string]any), "args")
	return args
}

// replicas reads spec.replicas (a JSON number once decoded).
func replicas(d *unstructured.Unstructured) float64 {
	v, _, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas")
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return -1
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// byName returns the objects of this kind (any kind if empty) and name.
func byName(objs []*unstructured.Unstructured, kind, name string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if (kind == "" || o.GetKind() == kind) && o.GetName() == name {
			out = append(out, o)
		}
	}
	return out
}

func one(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	found := ofKind(objs, kind)
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(found), kind)
	}
	return found[0]
}

func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out
}

func toYAML(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
