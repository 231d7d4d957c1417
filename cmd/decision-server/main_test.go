package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tenancy-dev/access-controller/internal/decision"
)

// TestParse: the API binds to this host only unless told otherwise, with a
// self-signed certificate written nowhere unless asked, and keeps the API
// server's answers about callers 10 s; metrics are off and the probes on
// :8081 as cmd/manager's; controller-runtime's --kubeconfig is accepted;
// arguments, unknown flags, negative TTLs and a self-signed certificate's
// file beside a certificate directory are refused.
func TestParse(t *testing.T) {
	o, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.bindAddress != "127.0.0.1:8090" || o.metricsAddress != "0" || o.probeAddress != ":8081" || o.qps != 50 || o.burst != 100 ||
		o.certDir != "" || o.selfSignedCertOut != "" || o.auth != decision.DefaultAuthOptions ||
		o.auth != (decision.AuthOptions{TokenTTL: 10 * time.Second, AllowTTL: 10 * time.Second, DenyTTL: 10 * time.Second}) {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parse([]string{"--bind-address=:8090", "--metrics-bind-address=:8080", "--health-probe-bind-address=:9090", "--kubeconfig=/tmp/kc",
		"--cert-dir=/certs", "--authentication-token-webhook-cache-ttl=1m", "--authorization-webhook-cache-authorized-ttl=0", "--authorization-webhook-cache-unauthorized-ttl=2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.bindAddress != ":8090" || o.metricsAddress != ":8080" || o.probeAddress != ":9090" || o.certDir != "/certs" ||
		o.auth != (decision.AuthOptions{TokenTTL: time.Minute, AllowTTL: 0, DenyTTL: 2 * time.Second}) {
		t.Errorf("set: %+v", o)
	}
	if o, err := parse([]string{"--self-signed-cert-out=/tmp/ds.crt"}, io.Discard); err != nil || o.selfSignedCertOut != "/tmp/ds.crt" {
		t.Errorf("--self-signed-cert-out: %+v, %v", o, err)
	}
	if kc := flag.CommandLine.Lookup("kubeconfig"); kc == nil || kc.Value.String() != "/tmp/kc" {
		t.Errorf("--kubeconfig did not reach controller-runtime's flag: %v", kc)
	}
	for _, args := range [][]string{{"--leader-elect"}, {"serve"}, {"--authorization-webhook-cache-unauthorized-ttl=-1s"},
		{"--cert-dir=/certs", "--self-signed-cert-out=/tmp/ds.crt"}} {
		var stderr strings.Builder
		if _, err := parse(args, &stderr); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
