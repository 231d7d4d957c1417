package webhook_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// TestWebhookDown stops the manager, and with it the webhook server: a
// change that would break an invariant is still not admitted (failurePolicy
// Fail), nor is any other change to this API group, while objects of other
// groups (a ConfigMap, a Namespace) are. Once the manager is back, requests
// are judged again.
func TestWebhookDown(t *testing.T) {
	ctx := context.Background()
	apply(t, MakeTenant("downco").Obj(), MakeMember("downco", "solo").SuperAdmin().Obj())
	settled(t)

	stopManager()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			if err := startManager(); err != nil {
				t.Fatalf("restarting the manager: %v", err)
			}
		}
	})

	solo := get(t, MakeMember("downco", "solo").Obj())
	off := solo.DeepCopy()
	off.Spec.Active = ptr.To(false)
	unreachable(t, "deactivate the last SuperAdmin", update(off))
	unreachable(t, "delete the last SuperAdmin", k8s.Delete(ctx, solo.DeepCopy()))
	unreachable(t, "a harmless new Role", k8s.Create(ctx, MakeRole("downco", "sales").Obj()))
	if now := get(t, MakeMember("downco", "solo").Obj()); !now.IsActive() || now.DeletionTimestamp != nil {
		t.Errorf("the member changed while the webhook was down: active=%v deleting=%v", now.IsActive(), now.DeletionTimestamp != nil)
	}
	var roles accessv1.RoleList
	if err := k8s.List(ctx, &roles); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Items {
		if r.Namespace == "downco" && r.Name == "sales" {
			t.Error("Role downco/sales was created while the webhook was down")
		}
	}

	allowed(t, "a ConfigMap", k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "downco", Name: "while-down"}}))
	allowed(t, "a Namespace", k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "while-down"}}))

	if err := startManager(); err != nil {
		t.Fatalf("restarting the manager: %v", err)
	}
	restarted = true
	settled(t)
	refused(t, "deactivate, judged again", update(off), `cannot deactivate member "solo"`)
	allowed(t, "the Role, judged again", k8s.Create(ctx, MakeRole("downco", "sales").Obj()))
}

// unreachable asserts that a request was not admitted because the webhook
// could not be called.
func unreachable(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: admitted while the webhook was down", what)
		return
	}
	if !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("%s: %v, want a failure to call the webhook", what, err)
	}
}
