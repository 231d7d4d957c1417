package controllers

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// The domain metrics (issue 16), beside controller-runtime's, on the
// manager's metrics endpoint. Per-tenant gauges are set by each pass of the
// tenant's namespace from the engine's result, so they say what the
// controller last computed.
var (
	effectivePermissionsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "access_controller_effective_permissions",
		Help: "EffectivePermissions of a tenant, as last computed and written.",
	}, []string{"tenant"})
	findingsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "access_controller_findings",
		Help: "Findings (broken invariants) of a tenant's objects, by reason and severity (Refused: admission refuses it; Reported: shown on the object).",
	}, []string{"tenant", "reason", "severity"})
	noSuperAdminGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "access_controller_tenant_without_super_admin",
		Help: "1 when the tenant has no active SuperAdmin (invariant 1), else 0.",
	}, []string{"tenant"})
	expiringGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "access_controller_partner_access_expiring",
		Help: "PartnerAccess objects of a tenant whose expiresAt falls within the next 7 days.",
	}, []string{"tenant"})
	convergeSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "access_controller_converge_seconds",
		Help:    "Time from an input change (the controller's watch event) to the EffectivePermissions of its tenant written and recorded.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
	passPhaseSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "access_controller_pass_phase_seconds",
		Help:    "Time a tenant's pass spends in each phase: gather (read the cache), compute (the engine), plan (compare with what is stored), effectivepermissions (write them), statuses (write them).",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"phase"})
	peopleCounter = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "access_controller_people_total",
		Help: "People whose EffectivePermission a pass computed, and people whose stored spec it kept because their inputs had not changed (how: computed, reused).",
	}, []string{"how"})
	revocationsCounter = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "access_controller_revocations_total",
		Help: "Users who held something in a tenant and hold nothing any more (EffectivePermission deleted or granting nothing).",
	}, []string{"tenant"})
)

func init() {
	metrics.Registry.MustRegister(effectivePermissionsGauge, findingsGauge, noSuperAdminGauge, expiringGauge, convergeSeconds, revocationsCounter,
		passPhaseSeconds, peopleCounter)
}

// expiringWithin is how far ahead access_controller_partner_access_expiring looks.
const expiringWithin = 7 * 24 * time.Hour

// observePass sets the tenant's gauges from a pass over its namespace.
// gaugeTenants remembers which tenant's series each namespace's passes set,
// so that they go when the tenant goes (or leaves this manager's shard): a
// deleted tenant must not stay "without a SuperAdmin" until a restart.
var gaugeTenants sync.Map // namespace -> tenant name

// forgetTenantGauges deletes the per-tenant series namespace ns last set.
func forgetTenantGauges(ns string) {
	v, ok := gaugeTenants.LoadAndDelete(ns)
	if !ok {
		return
	}
	labels := prometheus.Labels{"tenant": v.(string)}
	for _, g := range []*prometheus.GaugeVec{effectivePermissionsGauge, findingsGauge, noSuperAdminGauge, expiringGauge} {
		g.DeletePartialMatch(labels)
	}
}

func observePass(snap *engine.Snapshot, res *engine.Result, ns string, now time.Time) {
	tenant, ok := res.TenantOfNamespace(ns)
	if prev, had := gaugeTenants.Load(ns); had && (!ok || prev.(string) != tenant) {
		forgetTenantGauges(ns)
	}
	if !ok {
		return
	}
	gaugeTenants.Store(ns, tenant)
	n := 0
	for i := range res.EffectivePermissions {
		if res.EffectivePermissions[i].Namespace == ns {
			n++
		}
	}
	effectivePermissionsGauge.WithLabelValues(tenant).Set(float64(n))
	findingsGauge.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	for _, f := range res.Findings {
		if f.Tenant == tenant {
			findingsGauge.WithLabelValues(tenant, f.Reason, string(f.Severity)).Inc()
		}
	}
	none := 0.0
	if sum, ok := res.Tenant(tenant); ok && sum.ActiveSuperAdmins == 0 {
		none = 1
	}
	noSuperAdminGauge.WithLabelValues(tenant).Set(none)
	expiring := 0
	for _, pa := range snap.PartnerAccesses {
		if pa.Namespace != ns || pa.Spec.ExpiresAt == "" || pa.DeletionTimestamp != nil {
			continue
		}
		if at, err := time.Parse(time.RFC3339, pa.Spec.ExpiresAt); err == nil && now.Before(at) && at.Sub(now) <= expiringWithin {
			expiring++
		}
	}
	expiringGauge.WithLabelValues(tenant).Set(float64(expiring))
}

// phases times the phases of one pass (access_controller_pass_phase_seconds).
type phases struct{ last time.Time }

func startPhases() *phases { return &phases{last: time.Now()} }

// done records the phase that just ended.
func (p *phases) done(phase string) {
	now := time.Now()
	passPhaseSeconds.WithLabelValues(phase).Observe(now.Sub(p.last).Seconds())
	p.last = now
}
