package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// kstatusOf is what kstatus — the library Flux's health checks and
// `kubectl wait`-style tools build on — computes for the live object.
func kstatusOf(t *testing.T, kind, ns, name string) (status.Status, string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(accessv1.GroupVersion.WithKind(kind))
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		return "", err.Error()
	}
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("kstatus on %s %s/%s: %v", kind, ns, name, err)
	}
	argoAgrees(t, u, res.Status) // the Argo CD health check reads it alike
	return res.Status, res.Message
}

func wantKStatus(t *testing.T, kind, ns, name string, want status.Status) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%s %s/%s %s", kind, ns, name, want), func() (bool, string) {
		got, msg := kstatusOf(t, kind, ns, name)
		return got == want, fmt.Sprintf("kstatus %s: %s", got, msg)
	})
}

// TestKStatus: kstatus says InProgress before the controller has looked at
// an object (status.observedGeneration defaults to 0), Current for every
// kind once it is healthy, InProgress while a problem waits for an input
// that may still arrive (Reconciling), and Failed for a broken invariant
// that needs a person (Stalled).
func TestKStatus(t *testing.T) {
	ctx := context.Background()
	const ns = "kstatus"
	testenv.CreateNamespace(t, k8s, ns)
	objs := []client.Object{
		MakeTenant(ns).Obj(),
		MakeMember(ns, "carol").SuperAdmin().Obj(),
		MakeRole(ns, "sales").Obj(),
		MakePermissionSet(ns, "rep").Objects([]string{"deals"}, "view", "edit").Obj(),
		MakeMember(ns, "sam").Role("sales").Sets("rep").Obj(),
		MakePolicy(ns).Obj(),
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// No controller yet: nothing has been looked at.
	kindOf := func(o client.Object) string {
		gvk, err := k8s.GroupVersionKindFor(o)
		if err != nil {
			t.Fatal(err)
		}
		return gvk.Kind
	}
	for _, o := range objs {
		kind := kindOf(o)
		if got, msg := kstatusOf(t, kind, o.GetNamespace(), o.GetName()); got != status.InProgressStatus {
			t.Errorf("%s %s before the controller looked: kstatus %s (%s), want InProgress", kind, o.GetName(), got, msg)
		}
	}

	startManager(t, time.Now)
	for _, o := range objs {
		wantKStatus(t, kindOf(o), o.GetNamespace(), o.GetName(), status.CurrentStatus)
	}
	wantKStatus(t, accessv1.KindEffectivePermission, ns, "sam", status.CurrentStatus)

	// Waiting for an input that may still arrive: InProgress, then Current
	// once it does.
	if err := k8s.Create(ctx, MakeMember(ns, "kim").Role("support").Obj()); err != nil {
		t.Fatal(err)
	}
	pa := MakePartnerAccess(ns, "agency-k").ApprovedBy("carol@kstatus.example").Admin("ann@agency-k.example").Obj()
	if err := k8s.Create(ctx, pa); err != nil {
		t.Fatal(err)
	}
	wantKStatus(t, accessv1.KindMember, ns, "kim", status.InProgressStatus)
	wantKStatus(t, accessv1.KindPartnerAccess, ns, "agency-k", status.InProgressStatus)
	if err := k8s.Create(ctx, MakeRole(ns, "support").Obj()); err != nil {
		t.Fatal(err)
	}
	wantKStatus(t, accessv1.KindMember, ns, "kim", status.CurrentStatus)

	// A broken invariant only a person can fix: Failed. A role cycle (the
	// webhooks would refuse it; this suite runs none) and a duplicate
	// e-mail.
	for _, o := range []client.Object{
		MakeRole(ns, "a").ReportsTo("b").Obj(),
		MakeRole(ns, "b").ReportsTo("a").Obj(),
		MakeMember(ns, "sam2").Email("sam@kstatus.example").Role("sales").Obj(),
	} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	wantKStatus(t, accessv1.KindRole, ns, "a", status.FailedStatus)
	wantKStatus(t, accessv1.KindMember, ns, "sam2", status.FailedStatus)
	wantKStatus(t, accessv1.KindMember, ns, "sam", status.FailedStatus)

	// Fixed: Current again.
	b := &accessv1.Role{}
	b.Namespace, b.Name = ns, "b"
	testenv.Update(t, k8s, b, func(r *accessv1.Role) { r.Spec.ReportsTo = "" })
	wantKStatus(t, accessv1.KindRole, ns, "a", status.CurrentStatus)
}
