package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// scrape GETs /metrics as Prometheus does, from the registry the manager
// serves, and returns the value of one series (labels as given), or -1.
func scrape(t *testing.T, url, name string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := families[name]
	if !ok {
		return -1
	}
	for _, m := range f.GetMetric() {
		if !matches(m, labels) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func matches(m *dto.Metric, labels map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range labels {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestDomainMetrics scrapes /metrics while a tenant's inputs change: the
// EffectivePermissions per tenant, findings by reason and severity, a
// tenant left without a SuperAdmin, a PartnerAccess expiring within 7 days,
// revocations and the time from a change to its EffectivePermissions all
// move as the inputs do.
func TestDomainMetrics(t *testing.T) {
	srv := httptest.NewServer(promhttp.HandlerFor(crmetrics.Registry, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	url := srv.URL + "/metrics"
	const ns = "metrics"
	testenv.CreateNamespace(t, k8s, ns)
	tenant := map[string]string{"tenant": ns}
	converged := scrape(t, url, "access_controller_converge_seconds", nil)
	startManager(t, time.Now)
	for _, o := range []any{
		MakeTenant(ns).Obj(), MakeMember(ns, "carol").SuperAdmin().Obj(), MakeRole(ns, "sales").Obj(),
		MakePermissionSet(ns, "rep").Objects([]string{"deals"}, "view", "edit").Obj(),
		MakeMember(ns, "sam").Role("sales").Obj(), MakeMember(ns, "sue").Role("sales").Sets("rep").Obj(),
	} {
		createObj(t, o)
	}
	wantMetric := func(what string, name string, labels map[string]string, ok func(float64) bool) {
		t.Helper()
		testenv.Eventually(t, 30*time.Second, what, func() (bool, string) {
			v := scrape(t, url, name, labels)
			return ok(v), fmt.Sprintf("%s%v = %v", name, labels, v)
		})
	}
	is := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	wantMetric("3 EffectivePermissions", "access_controller_effective_permissions", tenant, is(3))
	wantMetric("a SuperAdmin", "access_controller_tenant_without_super_admin", tenant, is(0))
	wantMetric("a change converged, timed", "access_controller_converge_seconds", nil, func(v float64) bool { return v > max(converged, 0) })

	// A finding: sam's role goes missing (Reported, RoleNotFound).
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sam"}},
		func(m *accessv1.Member) { m.Spec.Role = "nowhere" })
	wantMetric("a RoleNotFound finding", "access_controller_findings",
		map[string]string{"tenant": ns, "reason": accessv1.ReasonRoleNotFound, "severity": "Reported"}, is(1))

	// Revocation: sue deactivated holds nothing any more.
	revoked := max(scrape(t, url, "access_controller_revocations_total", tenant), 0)
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sue"}},
		func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	wantMetric("a revocation", "access_controller_revocations_total", tenant, is(revoked+1))

	// No SuperAdmin (this suite runs no webhooks to refuse it).
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "carol"}},
		func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	wantMetric("no SuperAdmin", "access_controller_tenant_without_super_admin", tenant, is(1))

	// A PartnerAccess expiring in 3 days, one in 30.
	for name, in := range map[string]time.Duration{"soon": 72 * time.Hour, "later": 30 * 24 * time.Hour} {
		createObj(t, MakePartnerAccess(ns, name).ApprovedBy("carol@metrics.example").
			ExpiresAt(time.Now().Add(in).UTC().Format(time.RFC3339)).Obj())
	}
	wantMetric("one PartnerAccess expiring within 7 days", "access_controller_partner_access_expiring", tenant, is(1))

	// The tenant goes: its series go with it (no alert about a tenant that
	// no longer exists).
	if err := k8s.Delete(context.Background(), &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	gone := func(v float64) bool { return v == -1 }
	wantMetric("no SuperAdmin series once the tenant is gone", "access_controller_tenant_without_super_admin", tenant, gone)
	wantMetric("no EffectivePermissions series once the tenant is gone", "access_controller_effective_permissions", tenant, gone)
}

func createObj(t *testing.T, o any) {
	t.Helper()
	obj, ok := o.(client.Object)
	if !ok {
		t.Fatalf("%T is not an object", o)
	}
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s: %v", o, obj.GetName(), err)
	}
}
