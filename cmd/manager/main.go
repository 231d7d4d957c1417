// Command manager runs access-controller: the reconcilers that converge
// EffectivePermissions and statuses, and (with --webhooks) the validating
// admission webhooks, with leader election, health probes and metrics.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/certrotation"
	"github.com/tenancy-dev/access-controller/internal/gather"
	"github.com/tenancy-dev/access-controller/internal/version"
	admission "github.com/tenancy-dev/access-controller/internal/webhook"
)

func main() {
	var metricsAddr, probeAddr string
	var leaderElect, webhooks bool
	var webhookPort int
	var webhookHost, webhookCertDir string
	var cleanupUsers, claimNamespace, leaderElectionNamespace string
	var claimWait time.Duration
	var qps float64
	var burst, writes int
	var showVersion, metricsSecure bool
	var metricsCertDir, auditLog string
	var watchLabelSelector, leaderElectionID string
	flag.BoolVar(&showVersion, "version", false, "Print the version and exit.")
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0", "Address the metrics endpoint binds to, e.g. :8443; 0 disables it.")
	flag.BoolVar(&metricsSecure, "metrics-secure", true,
		"Serve metrics over HTTPS, each scrape authenticated (TokenReview) and authorized (SubjectAccessReview: get on the non-resource URL /metrics, e.g. the metrics-reader ClusterRole); false serves plain HTTP to anyone who can reach it.")
	flag.StringVar(&auditLog, "audit-log", "",
		"Write the audit trail of access changes (who gained or lost what, through which path, from which input changes) as JSON lines to this file; - for standard output. The structured log and the Events carry it regardless.")
	flag.StringVar(&metricsCertDir, "metrics-cert-dir", "", "Directory holding tls.crt and tls.key for the metrics endpoint; empty: a self-signed certificate made at start.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the health probe endpoint binds to.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader, so that only one replica writes at a time.")
	flag.StringVar(&leaderElectionID, "leader-election-id", "access-controller.access.tenancy.dev",
		"Name of the leader election Lease: each shard (--watch-label-selector) elects its own leader, so give each shard its own.")
	flag.StringVar(&watchLabelSelector, "watch-label-selector", "",
		"Converge only the tenants whose Tenant object matches this label selector, e.g. 'shard=a', or '!shard' for those no shard claims (a namespace without a Tenant reads as unlabelled). Run one manager per shard, each with its own --leader-election-id; empty: every tenant. The webhooks judge every tenant whatever the selector (docs/controller.md, Sharding).")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"Namespace of the leader election Lease (default: $POD_NAMESPACE; in a cluster, the manager's own). A replica that cannot renew it for 10 s, e.g. while the API server is away, exits and is restarted, and lists every input afresh.")
	flag.Float64Var(&qps, "kube-api-qps", -1, "Requests per second to the API server; -1: no client-side limit, the API server's Priority and Fairness protects it (controller-runtime's default, as SIG API Machinery advises). At 50 a cold converge of 50,000 members would take over half an hour.")
	flag.IntVar(&burst, "kube-api-burst", 100, "Burst of requests to the API server, with a positive --kube-api-qps.")
	flag.IntVar(&writes, "max-concurrent-writes", controllers.DefaultWrites, "Writes (EffectivePermissions and statuses) in flight at once, across every tenant this manager converges.")
	flag.BoolVar(&webhooks, "webhooks", false, "Serve the validating admission webhooks (docs/admission.md); needs a serving certificate in --webhook-cert-dir.")
	flag.StringVar(&webhookHost, "webhook-host", "", "Address the admission webhooks bind to; empty means every interface.")
	flag.IntVar(&webhookPort, "webhook-port", 9443, "Port the admission webhooks are served on.")
	flag.StringVar(&webhookCertDir, "webhook-cert-dir", "", "Directory holding tls.crt and tls.key for the webhooks (default: controller-runtime's, /tmp/k8s-webhook-server/serving-certs).")
	flag.StringVar(&cleanupUsers, "cleanup-users", strings.Join(admission.DefaultCleanupUsers, ","),
		"Comma-separated user names of Kubernetes cleaning up (garbage collector, namespace controller): they may delete EffectivePermissions and remove their ownerReferences, and delete what a deleted tenant leaves.")
	flag.StringVar(&claimNamespace, "claim-namespace", os.Getenv("POD_NAMESPACE"),
		"Namespace of the Leases that serialize each tenant's admission judgements across replicas (default: $POD_NAMESPACE; empty: each tenant's own namespace).")
	flag.DurationVar(&claimWait, "claim-wait", 3*time.Second,
		"How long a request waits for its tenant's admission claim before it is refused with a retryable Conflict (keep it under the webhooks' 5 s timeout).")
	var rotation certRotationFlags
	rotation.bind(flag.CommandLine)
	opts := zap.Options{Development: false}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	if showVersion {
		fmt.Println("manager " + version.Get().String())
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")
	shard, err := labels.Parse(watchLabelSelector)
	if err != nil {
		log.Error(err, "Invalid --watch-label-selector", "selector", watchLabelSelector)
		os.Exit(1)
	}
	log.Info("Starting access-controller's manager", "version", version.Get().String(), "shard", shard.String())

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(accessv1.AddToScheme(scheme))

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(qps), burst
	webhookServer := webhook.NewServer(webhook.Options{Host: webhookHost, Port: webhookPort, CertDir: webhookCertDir,
		TLSOpts: []func(*tls.Config){admission.HTTP1Only}})
	rotator, err := rotation.rotator(webhooks, webhookCertDir)
	if err != nil {
		log.Error(err, "Unable to set up the certificate rotation")
		os.Exit(1)
	}
	if rotator != nil {
		webhookServer = rotator.Gate(webhookServer)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsOptions(metricsAddr, metricsSecure, metricsCertDir),
		HealthProbeBindAddress: probeAddr,
		LeaderElection:         leaderElect,
		LeaderElectionID:       leaderElectionID,
		// Our kinds are cached without managed field sets or kubectl's
		// last-applied copy: nothing reads them (gather.TrimForCache).
		Cache:                   cache.Options{DefaultTransform: gather.TrimForCache},
		LeaderElectionNamespace: leaderElectionNamespace,
		WebhookServer:           webhookServer,
	})
	if err != nil {
		log.Error(err, "Unable to create the manager")
		os.Exit(1)
	}
	if rotator != nil {
		if err := rotator.SetupWithManager(mgr); err != nil {
			log.Error(err, "Unable to set up the certificate rotation")
			os.Exit(1)
		}
		utilruntime.Must(mgr.AddReadyzCheck("webhook-certificate", rotator.Checker()))
	}
	var audit io.Writer
	switch auditLog {
	case "":
	case "-":
		audit = os.Stdout
	default:
		f, err := os.OpenFile(auditLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			log.Error(err, "Unable to open the audit log")
			os.Exit(1)
		}
		defer func() { _ = f.Close() }()
		audit = f
	}
	if err := controllers.SetupWith(context.Background(), mgr, controllers.Options{Now: time.Now, Audit: audit, Shard: shard, Writes: writes}); err != nil {
		log.Error(err, "Unable to set up the controllers")
		os.Exit(1)
	}
	ready := healthz.Ping
	if webhooks {
		if err := admission.Setup(context.Background(), mgr, admission.Options{
			Now: time.Now, CleanupUsers: splitList(cleanupUsers),
			Claims: admission.ClaimOptions{Namespace: claimNamespace, Identity: os.Getenv("POD_NAME"), Wait: claimWait},
		}); err != nil {
			log.Error(err, "Unable to set up the admission webhooks")
			os.Exit(1)
		}
		ready = mgr.GetWebhookServer().StartedChecker()
	}
	utilruntime.Must(mgr.AddHealthzCheck("healthz", healthz.Ping))
	utilruntime.Must(mgr.AddReadyzCheck("readyz", ready))
	log.Info("Starting the manager")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	out := []string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// metricsOptions serve the metrics as kubebuilder's scaffold does since the
// HTTP/2 Rapid Reset CVEs: HTTPS over HTTP/1.1 only, every scrape
// authenticated and authorized with the API server (controller-runtime's
// filter), unless secure is false.
func metricsOptions(addr string, secure bool, certDir string) metricsserver.Options {
	o := metricsserver.Options{BindAddress: addr, SecureServing: secure, TLSOpts: []func(*tls.Config){admission.HTTP1Only}}
	if secure {
		o.FilterProvider = filters.WithAuthenticationAndAuthorization
		o.CertDir = certDir
	}
	return o
}

// certRotationFlags are the flags of the webhooks' self-signed certificate
// (internal/certrotation), the alternative to cert-manager.
type certRotationFlags struct {
	enabled                                   bool
	secret, namespace, configuration, dnsName string
}

func (f *certRotationFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.enabled, "cert-rotation", false,
		"Make and rotate the admission webhooks' serving certificate in the manager (no cert-manager needed): a CA and a certificate for --cert-rotation-dns-name in the Secret --cert-rotation-secret (which must exist; mount it at --webhook-cert-dir), the CA injected into --cert-rotation-webhook-configuration; the webhooks are served, and the pod ready, once the certificate is mounted. Needs --webhooks.")
	fs.StringVar(&f.secret, "cert-rotation-secret", "access-controller-webhook-server-cert", "Secret of the webhooks' CA and serving certificate (--cert-rotation).")
	fs.StringVar(&f.namespace, "cert-rotation-secret-namespace", os.Getenv("POD_NAMESPACE"), "Namespace of --cert-rotation-secret (default: $POD_NAMESPACE, the manager's own).")
	fs.StringVar(&f.configuration, "cert-rotation-webhook-configuration", "access-controller-validating-webhook-configuration",
		"ValidatingWebhookConfiguration whose webhooks get the CA as their caBundle (--cert-rotation).")
	fs.StringVar(&f.dnsName, "cert-rotation-dns-name", "",
		"DNS name the API server calls the webhooks at, the webhook Service's NAME.NAMESPACE.svc (default: access-controller-webhook-service.<secret namespace>.svc).")
}

// rotator returns the certificate rotation the flags ask for, or nil.
func (f *certRotationFlags) rotator(webhooks bool, certDir string) (*certrotation.Rotator, error) {
	if !f.enabled {
		return nil, nil
	}
	if !webhooks {
		return nil, fmt.Errorf("--cert-rotation makes the webhooks' certificate: it needs --webhooks")
	}
	if certDir == "" { // controller-runtime's default
		certDir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
	}
	dns := f.dnsName
	if dns == "" {
		dns = "access-controller-webhook-service." + f.namespace + ".svc"
	}
	return certrotation.New(certrotation.Options{SecretNamespace: f.namespace, SecretName: f.secret,
		WebhookConfiguration: f.configuration, DNSName: dns, CertDir: certDir})
}
