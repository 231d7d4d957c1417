package controllers

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

func ep(name string, caps ...string) accessv1.EffectivePermission {
	return accessv1.EffectivePermission{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "acme", Labels: map[string]string{LabelManagedBy: FieldOwner, LabelTenant: "acme"}},
		Spec:       accessv1.EffectivePermissionSpec{Tenant: "acme", User: name + "@acme.example", Active: true, Capabilities: caps},
	}
}

// TestPlanWrites: only changes are written, revocations first.
func TestPlanWrites(t *testing.T) {
	current := []accessv1.EffectivePermission{ep("same", "a"), ep("narrow", "a", "b"), ep("mixed", "a"), ep("widen", "a"), ep("gone", "a"), ep("via-only", "a")}
	desired := []accessv1.EffectivePermission{ep("same", "a"), ep("narrow", "a"), ep("mixed", "b"), ep("widen", "a", "b"), ep("new", "a"), ep("via-only", "a")}
	desired[5].Spec.CapabilitySources = []accessv1.CapabilitySource{{Via: "permissionSet: x", Capabilities: []string{"a"}}}
	noOwners := func(*accessv1.EffectivePermission) []metav1.OwnerReference { return nil }
	var got []string
	for _, w := range planWrites(desired, current, noOwners) {
		name := ""
		if w.desired != nil {
			name = w.desired.Name
		} else {
			name = w.current.Name
		}
		got = append(got, []string{"delete", "narrow", "mixed", "widen", "create"}[w.kind]+":"+name)
	}
	want := []string{"delete:gone", "narrow:narrow", "mixed:mixed", "widen:widen", "widen:via-only", "create:new"}
	if len(got) != len(want) {
		t.Fatalf("writes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("writes %v, want %v", got, want)
		}
	}
}

// TestClassifyWithheld: losing a withheld capability widens, gaining one narrows.
func TestClassifyWithheld(t *testing.T) {
	a := accessv1.EffectivePermissionSpec{Active: true, Capabilities: []string{"*"}, WithheldCapabilities: []string{"billing.access"}}
	b := accessv1.EffectivePermissionSpec{Active: true, Capabilities: []string{"*"}}
	if k := classify(&a, &b); k != writeWiden {
		t.Errorf("dropping a withheld capability classified %d, want widen", k)
	}
	if k := classify(&b, &a); k != writeNarrow {
		t.Errorf("adding a withheld capability classified %d, want narrow", k)
	}
	off := accessv1.EffectivePermissionSpec{Active: false}
	if k := classify(&b, &off); k != writeNarrow {
		t.Errorf("deactivation classified %d, want narrow", k)
	}
}

// TestInputsUnreadable: when an input cannot be read the reconciler writes
// no EffectivePermission, deletes none, marks them stale and returns the
// error for a retry.
func TestInputsUnreadable(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	existing := ep("carol", "*")
	tenant := &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	var writes int
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(tenant, &existing).
		WithIndex(&accessv1.Tenant{}, gather.IndexTenantNamespace, func(o client.Object) []string { return []string{o.(*accessv1.Tenant).NamespaceOrDefault()} }).
		WithIndex(&accessv1.PartnerAccess{}, gather.IndexPartner, func(o client.Object) []string { return []string{o.(*accessv1.PartnerAccess).Spec.Partner} }).
		WithInterceptorFuncs(interceptor.Funcs{
			List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				if _, ok := list.(*accessv1.PartnerAccessList); ok {
					return errors.New("the server is currently unable to handle the request")
				}
				return c.List(ctx, list, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
				// EffectivePermissions have no status subresource: marking
				// them stale patches their status only, never their spec.
				if data, err := p.Data(obj); err != nil || bytes.Contains(data, []byte(`"spec"`)) {
					writes++
				}
				return c.Patch(ctx, obj, p, opts...)
			},
			Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
				writes++
				return c.Delete(ctx, obj, opts...)
			},
		}).Build()
	r := &TenantReconciler{Client: c, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }}
	if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: "acme"}}); err == nil {
		t.Fatal("Reconcile succeeded though an input could not be read")
	}
	if writes != 0 {
		t.Errorf("made %d writes to EffectivePermissions while inputs were unreadable", writes)
	}
	var got accessv1.EffectivePermission
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(&existing), &got); err != nil {
		t.Fatalf("the EffectivePermission is gone: %v", err)
	}
	if len(got.Spec.Capabilities) != 1 || got.Spec.Capabilities[0] != "*" {
		t.Errorf("the EffectivePermission changed: %v", got.Spec.Capabilities)
	}
	cond := meta.FindStatusCondition(got.Status.Conditions, accessv1.ConditionReady)
	if cond == nil || cond.Status != metav1.ConditionUnknown || cond.Reason != ReasonStale {
		t.Errorf("the EffectivePermission is not marked stale: %+v", got.Status.Conditions)
	}
}
