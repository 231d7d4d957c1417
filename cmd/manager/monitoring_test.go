package main

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	apiserveradmission "k8s.io/apiserver/pkg/admission/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tenancy-dev/access-controller/internal/decision"
)

// usedMetrics lists the metric names the alerts (config/prometheus) and the
// dashboard (config/grafana) select, as hack/promcheck's PromQL parser
// extracts them (its TestUsedMetrics keeps the list up to date).
const usedMetrics = "../../hack/promcheck/used_metrics.txt"

// synthetic are series Prometheus writes itself, not a process.
var synthetic = map[string]bool{"up": true}

// TestMonitoredMetricsExist: every metric the alerts and the dashboard
// select is one this binary registers (controller-runtime's and ours:
// controllers, the webhooks), the decision server registers, or the API
// server (v1.37, the same k8s.io/apiserver) registers for its admission
// webhooks; a histogram's _bucket, _sum and _count are its own. Renaming a
// metric thus fails here instead of silently emptying an alert or a panel.
//
// Vectors with no series yet are not gathered, so each name is looked up by
// registering a probe of that name: a registry refuses a second metric of a
// name it holds.
func TestMonitoredMetricsExist(t *testing.T) {
	decisionRegistry := prometheus.NewRegistry()
	if _, err := decision.New(decision.Options{Registerer: decisionRegistry}); err != nil {
		t.Fatal(err)
	}
	// The API server's admission metrics register with its legacy registry
	// when the package initializes.
	_ = apiserveradmission.Metrics
	registries := map[string]prometheus.Registerer{
		"manager":         crmetrics.Registry,
		"decision server": decisionRegistry,
		"API server":      legacyregistry.Registerer(),
	}
	known := func(name string) bool {
		if synthetic[name] {
			return true
		}
		for _, reg := range registries {
			if registered(t, reg, name) {
				return true
			}
		}
		return false
	}
	// The probe tells a registered name from an unknown one.
	if !known("access_controller_tenant_without_super_admin") || !known("workqueue_depth") ||
		!known("decision_server_decisions_total") || !known("apiserver_admission_webhook_rejection_count") {
		t.Fatal("a registered metric reads as unknown")
	}
	if known("access_controller_no_such_metric") {
		t.Fatal("an unknown metric reads as registered")
	}

	f, err := os.Open(usedMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, where, _ := strings.Cut(sc.Text(), "#")
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		n++
		if known(name) {
			continue
		}
		base, found := "", false
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok {
				base, found = b, known(b)
				break
			}
		}
		if !found {
			if base != "" {
				name += " (nor " + base + ")"
			}
			t.Errorf("%s, used by %s, is registered by neither the manager, the decision server nor the API server", name, strings.TrimSpace(where))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s names no metric", usedMetrics)
	}
}

// registered reports whether reg holds a metric named name, by registering
// a gauge of that name (and unregistering it when that works).
func registered(t *testing.T, reg prometheus.Registerer, name string) bool {
	t.Helper()
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
	err := reg.Register(probe)
	if err == nil {
		reg.Unregister(probe)
		return false
	}
	if !strings.Contains(err.Error(), "same fully-qualified name") {
		t.Fatalf("probing %s: %v", name, err)
	}
	return true
}
