package controllers_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// startShard runs a manager converging the tenants selector matches, as
// cmd/manager --watch-label-selector does, counting its writes.
func startShard(t *testing.T, selector string, now func() time.Time) *manager {
	t.Helper()
	shard, err := labels.Parse(selector)
	if err != nil {
		t.Fatal(err)
	}
	wc := &writeCounter{byKey: map[string]int{}}
	mgr, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Now: now, Wrap: wc.wrap, Run: []testenv.Runner{
		func(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
			return controllers.SetupWith(ctx, mgr, controllers.Options{Now: now, Shard: shard})
		}}})
	if err != nil {
		t.Fatal(err)
	}
	m := &manager{Manager: mgr, writes: wc}
	t.Cleanup(func() { m.stop(t) })
	return m
}

// TestShards: two managers, each converging the tenants of its label
// selector (issue 15 part 5). Their writes are disjoint — each writes only
// in its own tenants' namespaces — and together they converge every tenant.
// A tenant relabelled to the other shard is handed over without a write (the
// new shard finds every EffectivePermission as it would write it) and
// without a gap: nothing is deleted, and the next revocation in that tenant
// is written exactly once, by the new shard.
func TestShards(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	a := fixture.Tenant("shard-a", 40, 6, 21)
	b := fixture.Tenant("shard-b", 30, 5, 22)
	a.Tenants[0].Labels = map[string]string{"example.com/shard": "one"}
	b.Tenants[0].Labels = map[string]string{"example.com/shard": "two"}
	for _, o := range []fixture.Objects{a, b} {
		testenv.CreateNamespace(t, k8s, o.Tenants[0].Name)
		createAll(t, o)
	}
	one := startShard(t, "example.com/shard=one", clock)
	two := startShard(t, "example.com/shard=two", clock)
	wantA, wantB := engine.Compute(a.Snapshot(), now), engine.Compute(b.Snapshot(), now)
	testenv.Eventually(t, 60*time.Second, "both shards converged", func() (bool, string) {
		okA, whyA := testenv.SameEPs(t, k8s, wantA.EffectivePermissions, []string{"shard-a"})
		okB, whyB := testenv.SameEPs(t, k8s, wantB.EffectivePermissions, []string{"shard-b"})
		return okA && okB, whyA + " " + whyB
	})
	w1, w2 := settle(one, 2*time.Second), settle(two, 2*time.Second)
	t.Logf("shard one wrote %s; shard two wrote %s", describe(w1), describe(w2))
	if got := total(w1, " shard-b "); got != 0 {
		t.Errorf("shard one wrote %d times in shard two's tenant: %s", got, describe(w1))
	}
	if got := total(w2, " shard-a "); got != 0 {
		t.Errorf("shard two wrote %d times in shard one's tenant: %s", got, describe(w2))
	}
	if got := w1["POST shard-a effectivepermissions"]; got != 40 {
		t.Errorf("shard one created %d EffectivePermissions in its tenant, want 40", got)
	}
	if got := w2["POST shard-b effectivepermissions"]; got != 30 {
		t.Errorf("shard two created %d EffectivePermissions in its tenant, want 30", got)
	}

	// Hand shard-a over to shard two: nothing to write, nothing deleted.
	testenv.Update(t, k8s, &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shard-a"}},
		func(t *accessv1.Tenant) { t.Labels["example.com/shard"] = "two" })
	time.Sleep(2 * time.Second) // both managers have seen the new label
	w1, w2 = settle(one, 2*time.Second), settle(two, 2*time.Second)
	if got := total(w1, "effectivepermissions") + total(w2, "effectivepermissions"); got != 0 {
		t.Errorf("the handover wrote %d EffectivePermission requests (shard one: %s; shard two: %s), want none", got, describe(w1), describe(w2))
	}
	if got := total(w1, " shard-a "); got != 0 {
		t.Errorf("shard one still wrote in shard-a after handing it over: %s", describe(w1))
	}

	// The next revocation in shard-a: written once, by shard two.
	var victim accessv1.Member
	for _, m := range a.Members {
		if m.IsActive() && m.Spec.AccountRole != accessv1.AccountRoleSuperAdmin {
			victim = m
			break
		}
	}
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "shard-a", Name: victim.Name}},
		func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	testenv.Eventually(t, 30*time.Second, victim.Spec.Email+" revoked", func() (bool, string) {
		var l accessv1.EffectivePermissionList
		if err := k8s.List(context.Background(), &l, client.InNamespace("shard-a")); err != nil {
			return false, err.Error()
		}
		for _, ep := range l.Items {
			if ep.Spec.User == victim.Spec.Email {
				return !ep.Spec.Active, "still active"
			}
		}
		return false, "no EffectivePermission"
	})
	w1, w2 = settle(one, 2*time.Second), settle(two, 2*time.Second)
	t.Logf("the revocation after the handover: shard one wrote %s; shard two wrote %s", describe(w1), describe(w2))
	if got := total(w1, "effectivepermissions"); got != 0 {
		t.Errorf("shard one wrote %d EffectivePermission requests after handing shard-a over: %s", got, describe(w1))
	}
	if got := w2["PUT shard-a effectivepermissions"]; got != 1 {
		t.Errorf("shard two wrote the revocation %d times, want exactly once: %s", got, describe(w2))
	}
	if got := total(w1, "DELETE") + total(w2, "DELETE"); got != 0 {
		t.Errorf("deletes during the handover: %d", got)
	}
}
