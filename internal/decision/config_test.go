package decision

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

var root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimPrefix(b, []byte("---\n"))
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestDeployment: the ClusterRole of config/decision-server lets the
// server get, list and watch every kind its cache holds, and nothing more;
// the Deployment runs two non-root replicas with a read-only root file
// system, serves the API on every interface and probes /readyz.
func TestDeployment(t *testing.T) {
	var role rbacv1.ClusterRole
	readYAML(t, "config/decision-server/role.yaml", &role)
	plural := map[string]string{}
	crds, _ := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	for _, path := range crds {
		var crd apiextensionsv1.CustomResourceDefinition
		rel, _ := filepath.Rel(root, path)
		readYAML(t, rel, &crd)
		plural[crd.Spec.Names.Kind] = crd.Spec.Names.Plural
	}
	var want []string
	for _, obj := range cached {
		k, _ := kindOf(obj)
		if plural[string(k)] == "" {
			t.Fatalf("no CRD for %s", k)
		}
		want = append(want, plural[string(k)])
	}
	slices.Sort(want)
	var got []string
	for _, r := range role.Rules {
		if !slices.Equal(r.APIGroups, []string{accessv1.GroupVersion.Group}) || !slices.Equal(r.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("rule %+v: want get, list and watch on %s only", r, accessv1.GroupVersion.Group)
		}
		got = append(got, r.Resources...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("ClusterRole resources %v, want the cached kinds %v", got, want)
	}

	var d appsv1.Deployment
	readYAML(t, "config/decision-server/deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	switch {
	case d.Spec.Replicas == nil || *d.Spec.Replicas != 2:
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	case pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot:
		t.Error("the pod may run as root")
	case c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem:
		t.Error("the root file system is writable")
	case c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation:
		t.Error("privilege escalation is allowed")
	case !slices.Contains(c.Args, "--bind-address=:8090"):
		t.Errorf("args %v: the API must bind :8090 in the cluster (the default is this host only)", c.Args)
	case c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz":
		t.Error("no readiness probe on /readyz")
	case slices.ContainsFunc(c.Args, func(a string) bool { return strings.Contains(a, "leader") }):
		t.Errorf("args %v: the server elects no leader", c.Args)
	}
}
