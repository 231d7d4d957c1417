package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestWritesAreExact counts the controller's mutating requests: a cold
// converge writes each EffectivePermission once (plus statuses), a restart
// with unchanged inputs writes nothing, and re-parenting a role rewrites
// exactly the EffectivePermissions whose content changes, nothing in
// another tenant.
func TestWritesAreExact(t *testing.T) {
	// A fixed clock, but not one earlier than the other tests' real time:
	// a PartnerAccess another test let expire must stay expired here.
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	a := fixture.Tenant("writes-a", 300, 40, 11)
	b := fixture.Tenant("writes-b", 60, 8, 12)
	for _, o := range []fixture.Objects{a, b} {
		testenv.CreateNamespace(t, k8s, o.Tenants[0].Name)
		createAll(t, o)
	}

	// Cold converge: every input is in the cache before the manager starts.
	m := startManager(t, clock)
	testenv.Eventually(t, 60*time.Second, "cold converge", func() (bool, string) {
		return countEPs(t, "writes-a") == 300 && countEPs(t, "writes-b") == 60, "EffectivePermissions: " + strconv.Itoa(countEPs(t, "writes-a")) + " and " + strconv.Itoa(countEPs(t, "writes-b"))
	})
	cold := settle(m, 2*time.Second)
	t.Logf("cold converge of 360 members: %s", describe(cold))
	// Settled means quiet: no pass keeps running (a pass that waits for the
	// cache to catch up with its own writes asks to run again, and must
	// stop asking once it has).
	passes := reconciles(t)
	time.Sleep(2 * time.Second)
	if n := reconciles(t) - passes; n > 2 {
		t.Errorf("%.0f passes ran in 2 s on settled tenants: something keeps asking to run again", n)
	}
	for ns, n := range map[string]int{"writes-a": 300, "writes-b": 60} {
		if got := cold["POST "+ns+" effectivepermissions"] + cold["PUT "+ns+" effectivepermissions"]; got != n {
			t.Errorf("cold converge wrote %d EffectivePermissions in %s, want exactly %d", got, ns, n)
		}
		if got := cold["POST "+ns+" effectivepermissions"]; got != n {
			t.Errorf("cold converge created %d EffectivePermissions in %s, want exactly %d (requests that failed, by answer: %s)", got, ns, n, describe(m.writes.refusals()))
		}
		// The status travels with the create: no second request per EP.
		if got := cold["PUT "+ns+" effectivepermissions"] + cold["PATCH "+ns+" effectivepermissions"] + cold["PATCH "+ns+" effectivepermissions/status"]; got != 0 {
			t.Errorf("cold converge updated or patched EffectivePermissions in %s %d times, want none (the status is written with the create)", ns, got)
		}
		statusCurrent(t, ns)
	}
	if got := total(cold, "DELETE") + total(cold, "PUT") + total(cold, "POST") - total(cold, " events") - total(cold, "POST writes-a effectivepermissions") - total(cold, "POST writes-b effectivepermissions"); got != 0 {
		t.Errorf("cold converge made %d deletes, updates or creates besides the EffectivePermissions' creates: %s", got, describe(cold))
	}
	if got := total(cold, " events"); got != 0 {
		t.Errorf("a healthy cold converge emitted %d Events, want none (nothing notable happened)", got)
	}
	// One status write per object. The built-ins are created during the
	// first pass, so a stale cache read may re-send their (unchanged) status
	// once: two extra requests per namespace are allowed for them.
	for kind, n := range map[string]int{"members/status": 360, "roles/status": 48 + 2, "permissionsets/status": 20 + 2} {
		if got := total(cold, kind); got > n+4 {
			t.Errorf("cold converge wrote %d %s, want at most one per object (%d) and the built-ins' race", got, kind, n)
		}
	}

	// Every write is the controller's field owner's, statuses included, so
	// that its echoes are known as its own and queue no pass (echoes.go).
	var others []string
	for _, l := range []client.ObjectList{&accessv1.MemberList{}, &accessv1.RoleList{}, &accessv1.TenantList{}, &accessv1.EffectivePermissionList{}} {
		if err := k8s.List(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		if err := meta.EachListItem(l, func(o runtime.Object) error {
			obj := o.(client.Object)
			if ns := obj.GetNamespace(); ns != "writes-a" && ns != "writes-b" && obj.GetName() != "writes-a" && obj.GetName() != "writes-b" {
				return nil
			}
			for _, e := range obj.GetManagedFields() {
				if e.Subresource == "status" && e.Manager != controllers.FieldOwner {
					others = append(others, fmt.Sprintf("%T %s/%s by %q", obj, obj.GetNamespace(), obj.GetName(), e.Manager))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(others) > 0 {
		t.Errorf("%d statuses were written under another field owner than the controller's (%q), e.g. %s", len(others), controllers.FieldOwner, others[0])
	}

	// Restart with unchanged inputs: nothing is written, specs nor statuses.
	m.stop(t)
	from := reconciles(t)
	m = startManager(t, clock)
	reconciledAll(t, from) // it listed, synced and looked at every namespace
	if restart := settle(m, 2*time.Second); len(restart) != 0 {
		t.Errorf("a restart with unchanged inputs wrote %s, want nothing", describe(restart))
	}

	// Re-parent one role: exactly the EffectivePermissions whose spec changes.
	before := engine.Compute(a.Snapshot(), now)
	role := pickRoleWithSubordinates(a)
	newParent := pickOtherTopRole(a, role)
	passes = reconciles(t)
	testenv.Update(t, k8s, &accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "writes-a", Name: role}},
		func(r *accessv1.Role) { r.Spec.ReportsTo = newParent })
	for i := range a.Roles {
		if a.Roles[i].Name == role {
			a.Roles[i].Spec.ReportsTo = newParent
		}
	}
	after := engine.Compute(a.Snapshot(), now)
	changed := changedEPs(before, after)
	if changed == 0 {
		t.Fatalf("re-parenting %s under %s changes no EffectivePermission: pick another role", role, newParent)
	}
	testenv.Eventually(t, 30*time.Second, "converge after re-parenting", func() (bool, string) {
		return testenv.SameEPs(t, k8s, after.EffectivePermissions, []string{"writes-a"})
	})
	moved := settle(m, 2*time.Second)
	t.Logf("re-parenting %s under %s: %d EffectivePermissions change; writes: %s", role, newParent, changed, describe(moved))
	if got := moved["PUT writes-a effectivepermissions"]; got != changed {
		t.Errorf("re-parenting wrote %d EffectivePermissions, want exactly the %d whose spec changes", got, changed)
	}
	statusCurrent(t, "writes-a")
	// One pass: the echoes of its EffectivePermission and status writes
	// (the roles' statuses, the Tenant's) queue none.
	if n := reconciles(t) - passes; n != 1 {
		t.Errorf("re-parenting ran %.0f passes, want 1: the echoes of the controller's own writes queued more", n)
	}
	if got := total(moved, " writes-b "); got != 0 {
		t.Errorf("re-parenting a role in writes-a wrote %d times in writes-b", got)
	}
}

func createAll(t *testing.T, o fixture.Objects) {
	t.Helper()
	ctx := context.Background()
	for _, obj := range o.ClientObjects() {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("create %s %s: %v", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
	}
}

// statusCurrent asserts what kstatus reads on every EffectivePermission of
// ns: status.observedGeneration equals metadata.generation and Ready is True
// for that generation.
func statusCurrent(t *testing.T, ns string) {
	t.Helper()
	var l accessv1.EffectivePermissionList
	if err := k8s.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, ep := range l.Items {
		ready := meta.FindStatusCondition(ep.Status.Conditions, accessv1.ConditionReady)
		if ep.Status.ObservedGeneration != ep.Generation || ready == nil || ready.Status != metav1.ConditionTrue || ready.ObservedGeneration != ep.Generation {
			t.Errorf("EffectivePermission %s/%s: generation %d, status %+v: want observedGeneration %d and Ready=True", ns, ep.Name, ep.Generation, ep.Status, ep.Generation)
			return
		}
	}
}

func countEPs(t *testing.T, ns string) int {
	var l accessv1.EffectivePermissionList
	if err := k8s.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

// pickRoleWithSubordinates returns a role two levels below ceo that has
// roles below it, so moving it changes its ancestors' reach.
func pickRoleWithSubordinates(o fixture.Objects) string {
	parent := map[string]string{}
	children := map[string]int{}
	for _, r := range o.Roles {
		parent[r.Name] = r.Parent()
		children[r.Parent()]++
	}
	for _, r := range o.Roles {
		if p := parent[r.Name]; p != accessv1.CEORole && parent[p] == accessv1.CEORole && children[r.Name] > 0 {
			return r.Name
		}
	}
	return o.Roles[len(o.Roles)-1].Name
}

// pickOtherTopRole returns a role directly under ceo that is not role's parent.
func pickOtherTopRole(o fixture.Objects, role string) string {
	var current string
	for _, r := range o.Roles {
		if r.Name == role {
			current = r.Parent()
		}
	}
	for _, r := range o.Roles {
		if r.Parent() == accessv1.CEORole && r.Name != current && r.Name != role {
			return r.Name
		}
	}
	return accessv1.CEORole
}

func changedEPs(before, after *engine.Result) int {
	old := map[string][]byte{}
	for _, ep := range before.EffectivePermissions {
		b, _ := json.Marshal(ep.Spec)
		old[ep.Namespace+"/"+ep.Name] = b
	}
	n := 0
	for _, ep := range after.EffectivePermissions {
		b, _ := json.Marshal(ep.Spec)
		if string(old[ep.Namespace+"/"+ep.Name]) != string(b) {
			n++
		}
	}
	return n
}
