package controllers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

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

// TestReuseAfterFailedWrite: a pass whose write of an EffectivePermission
// failed does not take the stored (old) spec for what the new inputs give:
// the next pass computes that person again and writes it. Passes that have
// nothing to do reuse every spec; a hand edit is put right.
func TestReuseAfterFailedWrite(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	objs := []client.Object{
		&accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}},
		&accessv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "sales", Namespace: "acme"}},
		&accessv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "ops", Namespace: "acme"}},
		&accessv1.PermissionSet{ObjectMeta: metav1.ObjectMeta{Name: "rep", Namespace: "acme"},
			Spec: accessv1.PermissionSetSpec{Objects: []accessv1.ObjectActions{{Types: []string{"deals"}, Actions: []accessv1.Action{accessv1.ActionView}}}}},
		&accessv1.Member{ObjectMeta: metav1.ObjectMeta{Name: "carol", Namespace: "acme"},
			Spec: accessv1.MemberSpec{Email: "carol@acme.example", AccountRole: accessv1.AccountRoleSuperAdmin}},
		&accessv1.Member{ObjectMeta: metav1.ObjectMeta{Name: "bob", Namespace: "acme"},
			Spec: accessv1.MemberSpec{Email: "bob@acme.example", Role: "sales", PermissionSets: []string{"rep"}}},
	}
	for _, o := range objs {
		o.SetUID(uidOf(o))
	}
	failBob := false
	specWrites := map[string]int{}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&accessv1.Tenant{}, &accessv1.Member{}, &accessv1.Role{}, &accessv1.PermissionSet{}).
		WithIndex(&accessv1.Tenant{}, gather.IndexTenantNamespace, func(o client.Object) []string { return []string{o.(*accessv1.Tenant).NamespaceOrDefault()} }).
		WithIndex(&accessv1.PartnerAccess{}, gather.IndexPartner, func(o client.Object) []string { return []string{o.(*accessv1.PartnerAccess).Spec.Partner} }).
		WithIndex(&accessv1.Member{}, gather.IndexClient, func(o client.Object) []string { return nil }).
		WithInterceptorFuncs(interceptor.Funcs{
			// UIDs, as the API server gives them: the controller knows its
			// own writes by UID (TenantReconciler.written), and objects
			// without one would all be one object to it.
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				if obj.GetUID() == "" {
					obj.SetUID(uidOf(obj))
				}
				return c.Create(ctx, obj, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
				if _, ok := obj.(*accessv1.EffectivePermission); ok {
					if failBob && obj.GetName() == "bob" {
						return errors.New("the API server is away")
					}
					if p.Type() == types.JSONPatchType { // a spec (status patches merge)
						specWrites[obj.GetName()]++
					}
				}
				return c.Patch(ctx, obj, p, opts...)
			},
		}).Build()
	r := &TenantReconciler{Client: c, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }}
	// A pass, retried as the workqueue would on a conflict. (Before the
	// objects had UIDs here, every object was one to the controller's
	// memory of its own writes, and a pass could leave everything for a
	// fresher cache and succeed: 1 run in 30 failed.)
	pass := func() (err error) {
		for range 3 {
			if _, err = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: "acme"}}); err == nil {
				return nil
			}
		}
		return err
	}
	bobsRole := func() string {
		var ep accessv1.EffectivePermission
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: "acme", Name: "bob"}, &ep); err != nil {
			t.Fatal(err)
		}
		return ep.Spec.Role
	}
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.fingerprints.byNamespace.Load("acme"); !ok || len(v.(map[string]fingerprinted)) != 2 {
		t.Fatalf("after two passes the fingerprints of %v are known, want carol's and bob's", v)
	}
	// Bob moves to ops; his write fails once.
	var bob accessv1.Member
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "acme", Name: "bob"}, &bob); err != nil {
		t.Fatal(err)
	}
	bob.Spec.Role = "ops"
	if err := c.Update(context.Background(), &bob); err != nil {
		t.Fatal(err)
	}
	failBob = true
	if err := pass(); err == nil {
		t.Fatal("the pass whose write failed succeeded")
	}
	failBob = false
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if got := bobsRole(); got != "ops" {
		t.Errorf("after the failed write and another pass, bob's EffectivePermission has role %q, want ops", got)
	}
	// A hand edit of bob's spec is put right, though his inputs did not change.
	var ep accessv1.EffectivePermission
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "acme", Name: "bob"}, &ep); err != nil {
		t.Fatal(err)
	}
	ep.Spec.Role = "hand-edited"
	if err := c.Update(context.Background(), &ep); err != nil {
		t.Fatal(err)
	}
	if err := pass(); err != nil {
		t.Fatal(err)
	}
	if got := bobsRole(); got != "ops" {
		t.Errorf("a hand edit stayed: role %q", got)
	}
	if specWrites["carol"] != 0 {
		t.Errorf("carol's EffectivePermission was written %d times; her inputs never changed", specWrites["carol"])
	}
}

// uidOf is a UID for obj, unique by kind, namespace and name.
func uidOf(obj client.Object) types.UID {
	return types.UID(fmt.Sprintf("%T/%s/%s", obj, obj.GetNamespace(), obj.GetName()))
}
