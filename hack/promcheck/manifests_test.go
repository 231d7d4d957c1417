package promcheck

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// kustomize builds a kustomization with bin/kubectl and returns its objects.
func kustomize(t *testing.T, dir string) [][]byte {
	t.Helper()
	kubectl, err := filepath.Abs("../../bin/kubectl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kubectl); err != nil {
		if os.Getenv("ACCESS_CONTROLLER_REQUIRE_ENVTEST") != "" {
			t.Fatalf("bin/kubectl: %v (make controlplane)", err)
		}
		t.Skipf("bin/kubectl: %v (make controlplane)", err)
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	var docs [][]byte
	for _, d := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// strict decodes a YAML object into a typed one, refusing unknown fields.
func strict(t *testing.T, doc []byte, into any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Errorf("%s: %v", firstLine(doc), err)
	}
}

// TestManifests builds config/prometheus with kustomize (bin/kubectl's) and
// decodes each object strictly into Prometheus Operator's and Kubernetes'
// types, so that a misspelt field fails here rather than being pruned by the
// operator's CRD: the ServiceMonitors select the manager's metrics Service and
// the decision server's Service by their labels and name their ports, those
// ports lead to the containers' named ports, and the rules are the file
// the other tests check.
func TestManifests(t *testing.T) {
	build := func(dir string) [][]byte { return kustomize(t, dir) }
	var (
		services []corev1.Service
		monitors []monitoringv1.ServiceMonitor
		rules    []monitoringv1.PrometheusRule
	)
	for _, doc := range build("../../config/prometheus") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Service":
			var s corev1.Service
			strict(t, doc, &s)
			services = append(services, s)
		case "ServiceMonitor":
			var m monitoringv1.ServiceMonitor
			strict(t, doc, &m)
			monitors = append(monitors, m)
		case "PrometheusRule":
			var r monitoringv1.PrometheusRule
			strict(t, doc, &r)
			rules = append(rules, r)
		default:
			t.Errorf("unexpected %s in config/prometheus", meta.Kind)
		}
	}
	if len(services) != 1 || len(monitors) != 2 || len(rules) != 1 {
		t.Fatalf("%d Services, %d ServiceMonitors, %d PrometheusRules; want 1, 2, 1", len(services), len(monitors), len(rules))
	}
	// The decision server's Service comes from config/decision-server.
	for _, doc := range build("../../config/decision-server") {
		var s corev1.Service
		if err := yaml.Unmarshal(doc, &s); err == nil && s.Kind == "Service" {
			services = append(services, s)
		}
	}
	// The containers' port names, from the two Deployments.
	type podPort struct {
		labels labels.Set
		name   string
	}
	var containerPorts []podPort
	for _, dir := range []string{"../../config/default", "../../config/decision-server"} {
		for _, doc := range build(dir) {
			var d struct {
				Kind string
				Spec struct {
					Template struct {
						Metadata struct{ Labels map[string]string }
						Spec     corev1.PodSpec
					}
				}
			}
			if err := yaml.Unmarshal(doc, &d); err != nil || d.Kind != "Deployment" {
				continue
			}
			for _, c := range d.Spec.Template.Spec.Containers {
				for _, p := range c.Ports {
					containerPorts = append(containerPorts, podPort{labels.Set(d.Spec.Template.Metadata.Labels), p.Name})
				}
			}
		}
	}
	for _, m := range monitors {
		if m.Namespace != "access-controller-system" {
			t.Errorf("ServiceMonitor %s in namespace %q", m.Name, m.Namespace)
		}
		sel, err := labels.ValidatedSelectorFromSet(m.Spec.Selector.MatchLabels)
		if err != nil {
			t.Fatal(err)
		}
		var selected []corev1.Service
		for _, s := range services {
			if sel.Matches(labels.Set(s.Labels)) {
				selected = append(selected, s)
			}
		}
		if len(selected) != 1 {
			t.Errorf("ServiceMonitor %s selects %d Services, want 1", m.Name, len(selected))
			continue
		}
		s := selected[0]
		for _, ep := range m.Spec.Endpoints {
			var port *corev1.ServicePort
			for i := range s.Spec.Ports {
				if s.Spec.Ports[i].Name == ep.Port {
					port = &s.Spec.Ports[i]
				}
			}
			if port == nil {
				t.Errorf("ServiceMonitor %s: Service %s has no port %q", m.Name, s.Name, ep.Port)
				continue
			}
			// The Service selects the pods by (a subset of) their labels; the
			// target port is one of their containers' named ports.
			found := false
			for _, cp := range containerPorts {
				if labels.SelectorFromSet(s.Spec.Selector).Matches(cp.labels) && cp.name == port.TargetPort.String() {
					found = true
				}
			}
			if !found {
				t.Errorf("ServiceMonitor %s: Service %s port %s targets %q, no container port of the pods it selects", m.Name, s.Name, ep.Port, port.TargetPort.String())
			}
			if len(ep.RelabelConfigs) == 0 || ep.RelabelConfigs[0].Replacement == nil || !strings.HasPrefix(*ep.RelabelConfigs[0].Replacement, "access-controller-") {
				t.Errorf("ServiceMonitor %s: endpoint %s sets no job label", m.Name, ep.Port)
			}
		}
	}
	// The PrometheusRule is rules.yaml: the same groups.
	groups, err := LoadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules[0].Spec.Groups {
		n += len(g.Rules)
	}
	want := 0
	for _, g := range groups.Groups {
		want += len(g.Rules)
	}
	if n != want || n == 0 {
		t.Errorf("the PrometheusRule holds %d rules, rules.yaml %d", n, want)
	}
}

func firstLine(doc []byte) string {
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, "kind:") {
			return l
		}
	}
	return "object"
}

// TestVerifiedTLS builds config/prometheus/tls (config/default, its
// monitoring, and a cert-manager Certificate for the metrics): the manager
// serves the Certificate's Secret (--metrics-cert-dir, mounted beside the
// webhook's), and the ServiceMonitor verifies the metrics Service's name
// against that Secret's CA.
func TestVerifiedTLS(t *testing.T) {
	var (
		monitor     *monitoringv1.ServiceMonitor
		deployment  *appsv1.Deployment
		certSecret  string
		certDNSName string
		service     string
	)
	for _, doc := range kustomize(t, "../../config/prometheus/tls") {
		var meta struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
			Spec     struct {
				DNSNames   []string `json:"dnsNames"`
				SecretName string   `json:"secretName"`
			}
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch {
		case meta.Kind == "ServiceMonitor" && strings.Contains(meta.Metadata.Name, "controller-manager"):
			monitor = &monitoringv1.ServiceMonitor{}
			strict(t, doc, monitor)
		case meta.Kind == "Deployment":
			deployment = &appsv1.Deployment{}
			strict(t, doc, deployment)
		case meta.Kind == "Certificate" && meta.Spec.SecretName != "webhook-server-cert":
			certSecret, certDNSName = meta.Spec.SecretName, meta.Spec.DNSNames[0]
		case meta.Kind == "Service" && strings.Contains(meta.Metadata.Name, "metrics"):
			service = meta.Metadata.Name + "." + meta.Metadata.Namespace + ".svc"
		}
	}
	if monitor == nil || deployment == nil || certSecret == "" || service == "" {
		t.Fatalf("missing objects: ServiceMonitor %v, Deployment %v, Certificate %q, Service %q", monitor != nil, deployment != nil, certSecret, service)
	}
	if certDNSName != service {
		t.Errorf("the Certificate is for %q, the metrics Service is %q", certDNSName, service)
	}
	tls := monitor.Spec.Endpoints[0].TLSConfig
	if tls == nil || tls.InsecureSkipVerify == nil || *tls.InsecureSkipVerify || tls.ServerName == nil || *tls.ServerName != service ||
		tls.CA.Secret == nil || tls.CA.Secret.Name != certSecret || tls.CA.Secret.Key != "ca.crt" {
		t.Errorf("ServiceMonitor tlsConfig %+v: want it to verify %s against %s's ca.crt", tls, service, certSecret)
	}
	spec := deployment.Spec.Template.Spec
	mounts := map[string]string{}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			for _, m := range spec.Containers[0].VolumeMounts {
				if m.Name == v.Name {
					mounts[v.Secret.SecretName] = m.MountPath
				}
			}
		}
	}
	if mounts["webhook-server-cert"] == "" {
		t.Errorf("the webhook's certificate is no longer mounted: %v", mounts)
	}
	if !slices.Contains(spec.Containers[0].Args, "--metrics-cert-dir="+mounts[certSecret]) || mounts[certSecret] == "" {
		t.Errorf("the manager does not serve %s: args %v, mounts %v", certSecret, spec.Containers[0].Args, mounts)
	}
}
