package webhook_test

import (
	"testing"

	"k8s.io/utils/ptr"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// refusals is access_controller_webhook_refusals_total for kind and reason.
func refusals(t *testing.T, kind, reason string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "access_controller_webhook_refusals_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["kind"] == kind && got["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestRefusalsCounted: a refused request counts in
// access_controller_webhook_refusals_total by kind and reason.
func TestRefusalsCounted(t *testing.T) {
	apply(t, MakeTenant("refco").Obj(), MakeMember("refco", "solo").SuperAdmin().Obj())
	settled(t)
	before := refusals(t, accessv1.KindMember, accessv1.ReasonLastSuperAdmin)
	off := get(t, MakeMember("refco", "solo").Obj())
	off.Spec.Active = ptr.To(false)
	refused(t, "deactivate the last SuperAdmin", update(off), `cannot deactivate member "solo"`)
	// At least one more: each webhook configuration that matches calls it
	// (the suite may hold more than one).
	if after := refusals(t, accessv1.KindMember, accessv1.ReasonLastSuperAdmin); after <= before {
		t.Errorf("refusals of Member/LastSuperAdmin: %v, then %v; want more", before, after)
	}
}
