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
	corev1 "k8s.io/api/core/v1"
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

// TestDeploymentTLSAndAuth: config/decision-server serves the API with the
// certificate cert-manager issues for the Service's DNS names (its Secret
// mounted where --cert-dir points), binds the server's ServiceAccount to
// system:auth-delegator (TokenReviews and SubjectAccessReviews, nothing
// else), and its kustomization lists every manifest of the directory.
func TestDeploymentTLSAndAuth(t *testing.T) {
	var d appsv1.Deployment
	readYAML(t, "config/decision-server/deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	var certDir string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--cert-dir="); ok {
			certDir = v
		}
	}
	if certDir == "" || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--self-signed-cert-out") }) {
		t.Fatalf("args %v: the API must serve the certificate of --cert-dir in the cluster, not a self-signed one", c.Args)
	}
	var secret string
	for _, m := range c.VolumeMounts {
		if m.MountPath != certDir {
			continue
		}
		if !m.ReadOnly {
			t.Errorf("the certificate's mount %s is writable", m.Name)
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil {
				secret = v.Secret.SecretName
			}
		}
	}
	if secret == "" {
		t.Fatalf("no Secret mounted at --cert-dir %s", certDir)
	}

	// The Certificate that writes that Secret, issued for the Service's
	// names (the kustomization's replacements fill them in).
	var issued map[string]any
	for _, doc := range readDocs(t, "config/decision-server/certificate.yaml") {
		if doc["kind"] == "Certificate" && field(doc, "spec", "secretName") == secret {
			issued = doc
		}
	}
	if issued == nil {
		t.Fatalf("no Certificate writes the Secret %s", secret)
	}
	if dns, _ := field(issued, "spec", "dnsNames").([]any); len(dns) != 2 || dns[0] != "SERVICE_NAME.SERVICE_NAMESPACE.svc" || dns[1] != "SERVICE_NAME.SERVICE_NAMESPACE.svc.cluster.local" {
		t.Errorf("the serving Certificate's dnsNames %v: want the Service's, filled in by the kustomization", dns)
	}
	kust := readDocs(t, "config/decision-server/kustomization.yaml")[0]
	name := field(issued, "metadata", "name")
	replaced := 0
	for _, r := range field(kust, "replacements").([]any) {
		for _, target := range field(r.(map[string]any), "targets").([]any) {
			if field(target.(map[string]any), "select", "name") == name {
				replaced++
			}
		}
	}
	if replaced != 2 {
		t.Errorf("%d replacements fill the Certificate %s's dnsNames, want 2 (the Service's name and namespace)", replaced, name)
	}
	var svc corev1.Service
	readYAML(t, "config/decision-server/service.yaml", &svc)
	if p := svc.Spec.Ports[0]; p.Name != "api" || p.Port != 8090 || p.AppProtocol == nil || *p.AppProtocol != "https" {
		t.Errorf("the Service's API port %+v: want api, 8090, https", p)
	}

	var sa corev1.ServiceAccount
	readYAML(t, "config/decision-server/service_account.yaml", &sa)
	var b rbacv1.ClusterRoleBinding
	readYAML(t, "config/decision-server/auth_delegator_role_binding.yaml", &b)
	want := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}}
	if b.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:auth-delegator"}) || !slices.Equal(b.Subjects, want) ||
		pod.ServiceAccountName != sa.Name {
		t.Errorf("auth delegation: %+v to %+v, the pod runs as %s; want system:auth-delegator bound to %+v", b.RoleRef, b.Subjects, pod.ServiceAccountName, want)
	}

	files, _ := filepath.Glob(filepath.Join(root, "config", "decision-server", "*.yaml"))
	var manifests []string
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && base != "kustomizeconfig.yaml" {
			manifests = append(manifests, base)
		}
	}
	var listed []string
	for _, r := range field(kust, "resources").([]any) {
		listed = append(listed, r.(string))
	}
	slices.Sort(listed)
	if !slices.Equal(listed, manifests) {
		t.Errorf("kustomization resources %v, want every manifest of the directory %v", listed, manifests)
	}
}

// readDocs reads the YAML documents of a file as maps.
func readDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// field is the value at path in a YAML map, nil if there is none.
func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
