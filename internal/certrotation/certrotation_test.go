package certrotation_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/tenancy-dev/access-controller/internal/certrotation"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

const (
	namespace     = "access-controller-system"
	secretName    = "access-controller-webhook-server-cert"
	configuration = "access-controller-validating-webhook-configuration" // the name config/rbac's rule allows
	dnsName       = "access-controller-webhook-service.access-controller-system.svc"
	managerUser   = "system:serviceaccount:access-controller-system:access-controller-controller-manager"
)

// TestRotation runs the rotation against the local API server as the
// manager runs it, with only the rights config/rbac/role.yaml grants (the
// generated ClusterRole and Role, bound to an impersonated manager): the
// Secret gets a CA and a serving certificate for the webhook Service's
// name, the CA lands in every webhook's caBundle, the gated webhook server
// serves only once the certificate is mounted (copied into its directory
// here, as the kubelet does), with that certificate; a caBundle changed by
// someone else is put back, and a Secret emptied is filled again.
func TestRotation(t *testing.T) {
	env := testenv.ForTest(t, testenv.Options{})
	ctx := context.Background()
	c := env.Client
	testenv.CreateNamespace(t, c, namespace)
	grantGeneratedRoles(t, c)
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: objectMeta(secretName, namespace)}); err != nil {
		t.Fatal(err)
	}
	fail := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	hook := func(name string) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{Name: name, AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
				Namespace: namespace, Name: "access-controller-webhook-service", Path: ptr.To("/validate")}},
			// Nothing matches: the test's API server calls no webhook.
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.invalid"}, APIVersions: []string{"v1"}, Resources: []string{"nothing"}}}}}
	}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: objectMeta(configuration, ""),
		Webhooks: []admissionregistrationv1.ValidatingWebhook{hook("va.access.tenancy.dev"), hook("vb.access.tenancy.dev")}}
	if err := c.Create(ctx, vwc); err != nil {
		t.Fatal(err)
	}

	certDir := t.TempDir()
	port := freePort(t)
	r, err := certrotation.New(certrotation.Options{SecretNamespace: namespace, SecretName: secretName,
		WebhookConfiguration: configuration, DNSName: dnsName, CertDir: certDir, ControllerName: "cert-rotator-test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: managerUser,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}}
	server := r.Gate(webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir}))
	server.Register("/validate", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "served") }))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: env.Scheme, WebhookServer: server,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	_ = mgr.GetWebhookServer() // adds it to the manager's runnables, as registering a webhook does
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	// The Secret and the caBundles.
	secret := &corev1.Secret{}
	testenv.Eventually(t, 30*time.Second, "the Secret written and the CA injected", func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("the manager stopped: %v", err)
		default:
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: secretName}, secret); err != nil {
			return false, err.Error()
		}
		for _, k := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
			if len(secret.Data[k]) == 0 {
				return false, "the Secret has no " + k
			}
		}
		return injected(ctx, c, secret.Data["ca.crt"])
	})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(secret.Data["ca.crt"]) {
		t.Fatal("ca.crt holds no certificate")
	}
	block, _ := pem.Decode(secret.Data["tls.crt"])
	if block == nil {
		t.Fatal("tls.crt holds no PEM block")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{dnsName, dnsName + ".cluster.local"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("the serving certificate is not valid for %s: %v", name, err)
		}
	}
	if ttl := time.Until(leaf.NotAfter); ttl < 300*24*time.Hour {
		t.Errorf("the serving certificate expires in %s", ttl)
	}

	// Not served, not ready, until the certificate is mounted.
	if err := r.Checker()(nil); err == nil {
		t.Error("ready before the certificate is mounted")
	}
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		_ = conn.Close()
		t.Error("the webhook server listens before the certificate is mounted")
	}
	for _, k := range []string{"tls.crt", "tls.key"} { // the kubelet's part
		if err := os.WriteFile(filepath.Join(certDir, k), secret.Data[k], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-r.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("not ready 30 s after the certificate was mounted")
	}
	if err := r.Checker()(nil); err != nil {
		t.Errorf("ready, but the check says %v", err)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: dnsName}}}
	testenv.Eventually(t, 10*time.Second, "the webhook server serving the certificate", func() (bool, string) {
		resp, err := hc.Get("https://127.0.0.1:" + strconv.Itoa(port) + "/validate")
		if err != nil {
			return false, err.Error()
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return string(b) == "served", fmt.Sprintf("%d %q", resp.StatusCode, b)
	})

	// Someone else's caBundle is put back.
	testenv.Update(t, c, vwc, func(v *admissionregistrationv1.ValidatingWebhookConfiguration) {
		v.Webhooks[1].ClientConfig.CABundle = []byte("not a CA")
	})
	testenv.Eventually(t, 30*time.Second, "the CA injected again", func() (bool, string) {
		return injected(ctx, c, secret.Data["ca.crt"])
	})

	// A Secret emptied gets a new CA, injected too.
	testenv.Update(t, c, secret, func(s *corev1.Secret) { s.Data = nil })
	testenv.Eventually(t, 30*time.Second, "a new CA written and injected", func() (bool, string) {
		s := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(secret), s); err != nil {
			return false, err.Error()
		}
		if len(s.Data["ca.crt"]) == 0 || bytes.Equal(s.Data["ca.crt"], secret.Data["ca.crt"]) {
			return false, "no new CA in the Secret"
		}
		return injected(ctx, c, s.Data["ca.crt"])
	})
}

// TestNewNeedsEverything: a missing option is named.
func TestNewNeedsEverything(t *testing.T) {
	_, err := certrotation.New(certrotation.Options{SecretNamespace: "ns", SecretName: "s", CertDir: "/tmp"})
	if err == nil || err.Error() != "certificate rotation needs a webhook configuration, a DNS name" {
		t.Errorf("got %v", err)
	}
}

// injected says whether every webhook of the configuration has ca as its caBundle.
func injected(ctx context.Context, c client.Client, ca []byte) (bool, string) {
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: configuration}, v); err != nil {
		return false, err.Error()
	}
	for _, h := range v.Webhooks {
		if !bytes.Equal(h.ClientConfig.CABundle, ca) {
			return false, fmt.Sprintf("webhook %s has caBundle %.40q", h.Name, h.ClientConfig.CABundle)
		}
	}
	return true, ""
}

// grantGeneratedRoles creates what config/rbac/role.yaml (from the markers)
// holds, in the manager's namespace, bound to the manager's ServiceAccount.
func grantGeneratedRoles(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(testenv.Root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "access-controller-controller-manager", Namespace: namespace}}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	roles := 0
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(u.Object) == 0 {
			continue
		}
		name := "access-controller-" + u.GetName()
		u.SetName(name)
		switch u.GetKind() {
		case "ClusterRole":
			if err := c.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: objectMeta(name, ""), Subjects: subject,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}); err != nil {
				t.Fatal(err)
			}
		case "Role":
			u.SetNamespace(namespace)
			if err := c.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := c.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: objectMeta(name, namespace), Subjects: subject,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}}); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("config/rbac/role.yaml holds a %s", u.GetKind())
		}
		roles++
	}
	if roles != 2 {
		t.Fatalf("config/rbac/role.yaml holds %d roles, want the ClusterRole and the Role of the Secret", roles)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func objectMeta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}
