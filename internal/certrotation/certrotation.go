// Package certrotation makes and rotates the admission webhooks' serving
// certificate in the manager itself, so that cert-manager is optional (as
// Gatekeeper and HNC do, with the same library:
// github.com/open-policy-agent/cert-controller).
//
// Every manager replica runs a Rotator (no leader election: each replica
// serves the webhooks). It keeps a CA (10 years) and a serving certificate
// for the webhook Service's DNS name (1 year) in one Secret of the manager's
// namespace, renews either 90 days before it expires, and writes the CA into
// the caBundle of every webhook of the ValidatingWebhookConfiguration, again
// whenever someone changes it. The Secret must exist (the chart and the
// kustomize overlay create it empty) and is mounted into the pod at the
// webhook server's certificate directory; the kubelet copies the Secret's
// files there, a minute or two after the first write. The webhook server
// starts only once the certificate is there and the CA injected (Gate), so
// the pod is ready only then; renewals are picked up by the webhook server's
// certificate watcher without a restart.
//
// Concurrent replicas may race to write the Secret: a write based on an old
// version is refused by the API server (a conflict) and retried from what
// the other replica wrote.
package certrotation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// The manager's rights for the rotation: the certificate Secret in its own
// namespace (a Role; config/default binds it only in the self-signed
// overlay, the chart only with selfSigned.enabled), reading webhook
// configurations (the rotator's cache watches them) and updating its own.
// The name is config/default's; the chart renames it with its prefix.
//
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=update,resourceNames=access-controller-validating-webhook-configuration

// FieldOwner is the field manager of the caBundle writes.
const FieldOwner = "access-controller-cert-rotation"

// Options say which certificate to keep and where.
type Options struct {
	// SecretNamespace and SecretName name the Secret holding the CA
	// (ca.crt, ca.key) and the serving certificate (tls.crt, tls.key).
	SecretNamespace, SecretName string
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose
	// webhooks get the CA as their caBundle.
	WebhookConfiguration string
	// DNSName is the name the API server calls the webhooks at: the webhook
	// Service's SERVICE.NAMESPACE.svc (SERVICE.NAMESPACE.svc.cluster.local
	// is added when it ends in .svc).
	DNSName string
	// CertDir is where the webhook server reads tls.crt and tls.key: the
	// Secret's mount point.
	CertDir string
	// ControllerName names the rotator's controller (default cert-rotator);
	// managers in one process (tests) need names of their own.
	ControllerName string
}

// Rotator keeps the webhooks' serving certificate; see the package doc.
type Rotator struct {
	o     Options
	ready chan struct{}
}

// New checks o and returns a Rotator to gate the webhook server with and to
// add to the manager.
func New(o Options) (*Rotator, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"secret namespace", o.SecretNamespace}, {"secret name", o.SecretName},
		{"webhook configuration", o.WebhookConfiguration}, {"DNS name", o.DNSName}, {"certificate directory", o.CertDir},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("certificate rotation needs a %s", strings.Join(missing, ", a "))
	}
	return &Rotator{o: o, ready: make(chan struct{})}, nil
}

// Ready is closed once the certificate is in CertDir and its CA in the
// webhook configuration.
func (r *Rotator) Ready() <-chan struct{} { return r.ready }

// Checker is a readiness check that fails until Ready.
func (r *Rotator) Checker() healthz.Checker {
	return func(*http.Request) error {
		select {
		case <-r.ready:
			return nil
		default:
			return errNotReady
		}
	}
}

var errNotReady = errors.New("the webhook certificate is not ready yet: waiting for Secret to be written and mounted and for the CA to be injected")

// SetupWithManager adds the rotation to mgr: its own cache of the Secret's
// namespace (and of the webhook configuration), the controller that injects
// the CA, and the runnable that renews the certificate.
func (r *Rotator) SetupWithManager(mgr ctrl.Manager) error {
	extra := []string{}
	if strings.HasSuffix(r.o.DNSName, ".svc") {
		extra = append(extra, r.o.DNSName+".cluster.local")
	}
	name := r.o.ControllerName
	if name == "" {
		name = "cert-rotator"
	}
	return rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: r.o.SecretNamespace, Name: r.o.SecretName},
		CertDir:        filepath.Clean(r.o.CertDir),
		CAName:         "access-controller-webhook-ca",
		CAOrganization: "access-controller",
		DNSName:        r.o.DNSName,
		ExtraDNSNames:  extra,
		IsReady:        r.ready,
		Webhooks:       []rotator.WebhookInfo{{Name: r.o.WebhookConfiguration, Type: rotator.Validating}},
		FieldOwner:     FieldOwner,
		// Every replica serves the webhooks, so every replica needs the
		// certificate, leader or not.
		RequireLeaderElection: false,
		ControllerName:        name,
	})
}

// Gate returns s, started only once the Rotator is ready: controller-runtime's
// webhook server reads its certificate when it starts and fails without it.
// Until then its StartedChecker fails, so the pod is not ready.
func (r *Rotator) Gate(s webhook.Server) webhook.Server { return gated{Server: s, ready: r.ready} }

type gated struct {
	webhook.Server
	ready <-chan struct{}
}

func (g gated) Start(ctx context.Context) error {
	select {
	case <-g.ready:
	case <-ctx.Done():
		return nil
	}
	return g.Server.Start(ctx)
}
