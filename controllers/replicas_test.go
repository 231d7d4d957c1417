package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestTwoReplicas runs two managers as the Deployment's two replicas do,
// with leader election: only the leader writes; when it stops, the other
// takes the Lease and converges what changed meanwhile.
func TestTwoReplicas(t *testing.T) {
	const ns = "replicas"
	o := fixture.Tenant(ns, 40, 6, 21)
	testenv.CreateNamespace(t, k8s, ns)
	createAll(t, o)
	start := func() (*testenv.Manager, *writeCounter) {
		wc := &writeCounter{byKey: map[string]int{}}
		m, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Now: time.Now, Wrap: wc.wrap,
			Run: []testenv.Runner{controllers.Setup}, LeaderElection: "replicas-test.access.tenancy.dev"})
		if err != nil {
			t.Fatal(err)
		}
		return m, wc
	}
	a, aw := start()
	b, bw := start()
	t.Cleanup(func() { _ = a.Stop(); _ = b.Stop() })
	want := o.Snapshot()
	testenv.Eventually(t, 60*time.Second, "converged by one of the two", func() (bool, string) {
		return countEPs(t, ns) == 40, fmt.Sprintf("%d EffectivePermissions", countEPs(t, ns))
	})
	wa, wb := total(aw.snapshot(), " effectivepermissions"), total(bw.snapshot(), " effectivepermissions")
	if (wa == 0) == (wb == 0) {
		t.Fatalf("EffectivePermission writes: replica a %d, replica b %d; want exactly one replica writing", wa, wb)
	}
	leader, fw := a, bw
	if wa == 0 {
		leader, fw = b, aw
	}
	t.Logf("one writer: %d EffectivePermission writes by the leader, 0 by the other", max(wa, wb))

	// The leader stops (releasing its Lease); the other takes over.
	if err := leader.Stop(); err != nil {
		t.Fatal(err)
	}
	m := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: want.Members[1].Name}}
	testenv.Update(t, k8s, m, func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	testenv.Eventually(t, 30*time.Second, "the other replica converges the change", func() (bool, string) {
		var ep accessv1.EffectivePermissionList
		if err := k8s.List(t.Context(), &ep); err != nil {
			return false, err.Error()
		}
		for _, e := range ep.Items {
			if e.Namespace == ns && e.Name == m.Name {
				return !e.Spec.Active, fmt.Sprintf("%s active=%v", e.Name, e.Spec.Active)
			}
		}
		return false, "no EffectivePermission " + m.Name
	})
	if n := total(fw.snapshot(), " effectivepermissions"); n == 0 {
		t.Errorf("the new leader wrote no EffectivePermission")
	}
	// Leave the namespace settled (statuses written), so that a later
	// test's manager finds nothing to write here.
	testenv.Eventually(t, 30*time.Second, "the new leader quiet for 2 s (its Lease renewals aside)", func() (bool, string) {
		time.Sleep(2 * time.Second)
		w := fw.snapshot()
		for k := range w {
			if strings.HasSuffix(k, " leases") {
				delete(w, k)
			}
		}
		return len(w) == 0, describe(w)
	})
}
