// Command decision-server serves access decisions over HTTP/JSON from a
// cache of the EffectivePermissions (docs/decision-server.md). It runs a
// controller-runtime manager with no controller and no leader election, so
// any number of replicas answer side by side; it writes nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/decision"
	"github.com/tenancy-dev/access-controller/internal/version"
)

// options are the command's flags.
type options struct {
	bindAddress, metricsAddress, probeAddress string
	certDir, selfSignedCertOut                string
	auth                                      decision.AuthOptions
	qps                                       float64
	burst                                     int
	version                                   bool
	decisionLog                               string
	zap                                       zap.Options
}

// parse reads args. --kubeconfig is controller-runtime's flag (read by
// ctrl.GetConfigOrDie, as cmd/manager reads it), shared from the command
// line's flag set.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("decision-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bindAddress, "bind-address", "127.0.0.1:8090",
		"Address the API binds to (HTTPS; every caller authenticated and authorized, docs/decision-server.md). The default serves this host only; in a cluster, bind :8090.")
	fs.StringVar(&o.certDir, "cert-dir", "",
		"Directory of the API's serving certificate, tls.crt and tls.key (a mounted cert-manager Secret), reloaded when they change. Empty: a self-signed certificate made at start, for local use.")
	fs.StringVar(&o.selfSignedCertOut, "self-signed-cert-out", "",
		"Without --cert-dir: the file the self-signed certificate (PEM) is written to, for local clients to trust (curl --cacert). Empty: written nowhere.")
	fs.DurationVar(&o.auth.TokenTTL, "authentication-token-webhook-cache-ttl", decision.DefaultAuthOptions.TokenTTL,
		"How long a TokenReview's answer about a caller's bearer token is kept; 0 asks every time.")
	fs.DurationVar(&o.auth.AllowTTL, "authorization-webhook-cache-authorized-ttl", decision.DefaultAuthOptions.AllowTTL,
		"How long a SubjectAccessReview's allowing answer is kept: a removed RoleBinding still allows for at most this long; 0 asks every time.")
	fs.DurationVar(&o.auth.DenyTTL, "authorization-webhook-cache-unauthorized-ttl", decision.DefaultAuthOptions.DenyTTL,
		"How long a SubjectAccessReview's refusing answer is kept: a new RoleBinding takes effect within this long; 0 asks every time.")
	fs.StringVar(&o.metricsAddress, "metrics-bind-address", "0", "Address the Prometheus metrics endpoint binds to, e.g. :8080; 0 disables it.")
	fs.StringVar(&o.probeAddress, "health-probe-bind-address", ":8081", "Address the health probes (/healthz, /readyz) bind to.")
	fs.Float64Var(&o.qps, "kube-api-qps", 50, "Requests per second to the API server (the initial lists and the watches, TokenReviews and SubjectAccessReviews).")
	fs.IntVar(&o.burst, "kube-api-burst", 100, "Burst of requests to the API server.")
	fs.BoolVar(&o.version, "version", false, "Print the version and exit.")
	fs.StringVar(&o.decisionLog, "decision-log", "",
		"Write one JSON line per request (who asked what, what was answered) to this file; - for standard output; empty: no decision log.")
	if kc := flag.CommandLine.Lookup("kubeconfig"); kc != nil {
		fs.Var(kc.Value, kc.Name, kc.Usage)
	}
	o.zap = zap.Options{Development: false}
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.auth.TokenTTL < 0 || o.auth.AllowTTL < 0 || o.auth.DenyTTL < 0 {
		return nil, fmt.Errorf("the cache TTLs may not be negative: token %s, authorized %s, unauthorized %s", o.auth.TokenTTL, o.auth.AllowTTL, o.auth.DenyTTL)
	}
	if o.certDir != "" && o.selfSignedCertOut != "" {
		return nil, fmt.Errorf("--self-signed-cert-out writes the certificate made when there is no --cert-dir: give one of the two")
	}
	return o, nil
}

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.version {
		fmt.Println("decision-server " + version.Get().String())
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	log := ctrl.Log.WithName("setup")
	log.Info("Starting the decision server", "version", version.Get().String())

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(accessv1.AddToScheme(scheme))

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(o.qps), o.burst
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddress},
		HealthProbeBindAddress: o.probeAddress,
		LeaderElection:         false, // every replica answers; none writes
		Cache:                  decision.CacheOptions(),
	})
	if err != nil {
		log.Error(err, "Unable to create the manager")
		os.Exit(1)
	}
	var decisionLog io.Writer
	switch o.decisionLog {
	case "":
	case "-":
		decisionLog = os.Stdout
	default:
		f, err := os.OpenFile(o.decisionLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			log.Error(err, "Unable to open the decision log")
			os.Exit(1)
		}
		defer func() { _ = f.Close() }()
		decisionLog = f
	}
	if _, err := decision.Setup(context.Background(), mgr, decision.SetupOptions{
		BindAddress: o.bindAddress, Now: time.Now, Registerer: metrics.Registry,
		CertDir: o.certDir, SelfSignedCertOut: o.selfSignedCertOut, Auth: o.auth, DecisionLog: decisionLog,
	}); err != nil {
		log.Error(err, "Unable to set up the decision server")
		os.Exit(1)
	}
	log.Info("Starting the decision server", "address", o.bindAddress)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The decision server stopped with an error")
		os.Exit(1)
	}
}
