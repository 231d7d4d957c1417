package decision

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of the decisions metric.
const (
	resultAllowed = "allowed" // check: allowed; who-can: someone may; filter: some record
	resultDenied  = "denied"  // check: denied; who-can: nobody may; filter: no record
	resultError   = "error"   // the request got an error answer (any code)
)

// metrics are the server's Prometheus metrics.
type metrics struct {
	decisions *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	computes  prometheus.Counter
}

// newMetrics creates the metrics and registers them with reg (nil: kept
// unregistered, for tests that do not read them), cacheAge included.
func newMetrics(reg prometheus.Registerer, cacheAge func() float64) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "decision_server_decisions_total",
			Help: "Answers by endpoint (check, batch-check, who-can, filter) and result (allowed, denied, error); a batch counts each question.",
		}, []string{"endpoint", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "decision_server_errors_total",
			Help: "Error answers by endpoint and code (unauthenticated and forbidden are the refused callers); a batch counts once.",
		}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "decision_server_request_duration_seconds",
			Help:    "Time to answer a request, by endpoint, errors included.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
		}, []string{"endpoint"}),
		computes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "decision_server_snapshot_computes_total",
			Help: "Engine computations of a tenant namespace's snapshot, for owner lookups (memoized until an input changes).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "decision_server_cache_age_seconds",
		Help: "Seconds since the cache last saw an EffectivePermission change (since the server started, before the first).",
	}, cacheAge)
	for _, c := range []prometheus.Collector{m.decisions, m.errors, m.latency, m.computes, age} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("registering the decision server's metrics"), err)
		}
	}
	return m, nil
}
