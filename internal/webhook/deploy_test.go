package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDeployConfig builds config/default (what `make deploy` applies) with
// the kustomize inside bin/kubectl and checks that its pieces fit: the API
// server reaches the manager's webhook server through the Service with a
// certificate cert-manager issues for that Service, and every object but
// cert-manager's is accepted by a real API server (server-side dry run).
func TestDeployConfig(t *testing.T) {
	objs := kustomize(t, filepath.Join("..", "..", "config", "default"))

	var (
		deploy   appsv1.Deployment
		svc      corev1.Service
		vwc      admissionregistrationv1.ValidatingWebhookConfiguration
		cert     *unstructured.Unstructured
		issuer   *unstructured.Unstructured
		ns       string
		webhooks int
	)
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment":
			convert(t, o, &deploy)
		case "Service":
			convert(t, o, &svc)
		case "ValidatingWebhookConfiguration":
			convert(t, o, &vwc)
			webhooks++
		case "Certificate":
			cert = o
		case "Issuer":
			issuer = o
		case "Namespace":
			ns = o.GetName()
		}
	}
	if deploy.Name == "" || svc.Name == "" || webhooks != 1 || cert == nil || issuer == nil || ns == "" {
		t.Fatalf("config/default lacks a piece: Deployment %q, Service %q, %d ValidatingWebhookConfigurations, Certificate %v, Issuer %v, Namespace %q",
			deploy.Name, svc.Name, webhooks, cert != nil, issuer != nil, ns)
	}

	// The webhook configuration is config/webhook's, pointed at the Service,
	// with its CA injected from the Certificate.
	generated := kustomize(t, filepath.Join("..", "..", "config", "webhook"))
	var want admissionregistrationv1.ValidatingWebhookConfiguration
	for _, o := range generated {
		if o.GetKind() == "ValidatingWebhookConfiguration" {
			convert(t, o, &want)
		}
	}
	if len(vwc.Webhooks) != len(want.Webhooks) || len(vwc.Webhooks) != 7 {
		t.Errorf("config/default has %d webhooks, config/webhook %d; want the 7 of internal/webhook (six kinds, and the VisibilityPolicy status)", len(vwc.Webhooks), len(want.Webhooks))
	}
	if got, wantCA := vwc.Annotations["cert-manager.io/inject-ca-from"], cert.GetNamespace()+"/"+cert.GetName(); got != wantCA {
		t.Errorf("inject-ca-from = %q, want the Certificate %q", got, wantCA)
	}
	for _, w := range vwc.Webhooks {
		s := w.ClientConfig.Service
		if s == nil || s.Name != svc.Name || s.Namespace != svc.Namespace || s.Path == nil {
			t.Errorf("webhook %s calls %+v, want the Service %s/%s", w.Name, s, svc.Namespace, svc.Name)
			continue
		}
		port := int32(443)
		if s.Port != nil {
			port = *s.Port
		}
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
			t.Errorf("webhook %s calls port %d, which the Service does not serve", w.Name, port)
		}
		if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("webhook %s: failurePolicy %v, want Fail (docs/admission.md)", w.Name, w.FailurePolicy)
		}
		for _, r := range w.Rules {
			if !slices.Equal(r.APIGroups, []string{"access.tenancy.dev"}) {
				t.Errorf("webhook %s matches API groups %v; it must match access.tenancy.dev alone", w.Name, r.APIGroups)
			}
		}
	}

	// The Service selects the manager's pods and sends to its webhook port.
	pod := deploy.Spec.Template
	for k, v := range svc.Spec.Selector {
		if pod.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the manager's pods do not carry (%v)", k, v, pod.Labels)
		}
	}
	mgr := pod.Spec.Containers[0]
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("the Service has %d ports, want 1", len(svc.Spec.Ports))
	}
	target := svc.Spec.Ports[0].TargetPort
	if !slices.ContainsFunc(mgr.Ports, func(p corev1.ContainerPort) bool {
		return p.ContainerPort == 9443 && (target == intstr.FromString(p.Name) || target == intstr.FromInt32(9443))
	}) {
		t.Errorf("the Service's targetPort %v is not the manager's webhook port 9443 (--webhook-port's default): %v", target.String(), mgr.Ports)
	}

	// The manager serves the webhooks from the Secret cert-manager writes.
	if !slices.Contains(mgr.Args, "--webhooks") {
		t.Errorf("the manager runs without --webhooks: %v", mgr.Args)
	}
	certDir := ""
	for _, a := range mgr.Args {
		if v, ok := strings.CutPrefix(a, "--webhook-cert-dir="); ok {
			certDir = v
		}
	}
	secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	mounted := false
	for _, m := range mgr.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == secret && m.MountPath == certDir {
				mounted = true
			}
		}
	}
	if certDir == "" || !mounted {
		t.Errorf("the manager's --webhook-cert-dir %q is not where the Secret %q of the Certificate is mounted", certDir, secret)
	}
	dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	if wantDNS := svc.Name + "." + svc.Namespace + ".svc"; !slices.Contains(dnsNames, wantDNS) {
		t.Errorf("the Certificate names %v, want %s (the name the API server calls)", dnsNames, wantDNS)
	}
	if ref, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name"); ref != issuer.GetName() {
		t.Errorf("the Certificate's issuer is %q, want the Issuer %q", ref, issuer.GetName())
	}

	// A real API server accepts every object (cert-manager's kinds aside:
	// envtest has no cert-manager).
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") || o.GetKind() == "Namespace" {
			continue
		}
		err := k8s.Create(ctx, o.DeepCopy(), client.DryRunAll)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Errorf("the API server refuses %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// kustomize builds a kustomization with `kubectl kustomize` (bin/kubectl,
// built by `make controlplane`).
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	kubectl, _ := filepath.Abs(filepath.Join("..", "..", "bin", "kubectl"))
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("%s is missing: run `make controlplane`", kubectl)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("reading kubectl kustomize %s: %v", dir, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

func convert(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}
