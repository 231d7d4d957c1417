package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// refusalsCounter counts the requests the webhooks refuse, by the kind
// asked about and the reason of the (first) broken invariant.
var refusalsCounter = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "access_controller_webhook_refusals_total",
	Help: "Requests the admission webhooks refused, by kind and the reason of the first broken invariant (docs/findings.md).",
}, []string{"kind", "reason"})

func init() { metrics.Registry.MustRegister(refusalsCounter) }

func countRefusal(kind string, refusals []engine.Finding) {
	reason := "Unknown"
	if len(refusals) > 0 {
		reason = refusals[0].Reason
	}
	refusalsCounter.WithLabelValues(kind, reason).Inc()
}
