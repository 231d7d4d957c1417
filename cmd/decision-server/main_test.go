package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestParse: the API binds to this host only unless told otherwise (it has
// no authentication yet), metrics are off and the probes on :8081 as
// cmd/manager's; controller-runtime's --kubeconfig is accepted; arguments
// and unknown flags are refused.
func TestParse(t *testing.T) {
	o, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.bindAddress != "127.0.0.1:8090" || o.metricsAddress != "0" || o.probeAddress != ":8081" || o.qps != 50 || o.burst != 100 {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parse([]string{"--bind-address=:8090", "--metrics-bind-address=:8080", "--health-probe-bind-address=:9090", "--kubeconfig=/tmp/kc"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.bindAddress != ":8090" || o.metricsAddress != ":8080" || o.probeAddress != ":9090" {
		t.Errorf("set: %+v", o)
	}
	if kc := flag.CommandLine.Lookup("kubeconfig"); kc == nil || kc.Value.String() != "/tmp/kc" {
		t.Errorf("--kubeconfig did not reach controller-runtime's flag: %v", kc)
	}
	for _, args := range [][]string{{"--leader-elect"}, {"serve"}} {
		var stderr strings.Builder
		if _, err := parse(args, &stderr); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
