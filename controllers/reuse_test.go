package controllers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"slices"
	"testing"
	"time"
	"weak"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
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
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				if _, ok := obj.(*accessv1.EffectivePermission); ok { // a spec (statuses are patched)
					if failBob && obj.GetName() == "bob" {
						return errors.New("the API server is away")
					}
					specWrites[obj.GetName()]++
				}
				return c.Update(ctx, obj, opts...)
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
	if v, ok := r.fingerprints.byNamespace.Load("acme"); !ok || len(v.([]fingerprinted)) != 2 {
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

// TestOfferInAnyOrder: the offer walks the known fingerprints in order of
// name, as the engine asks; asked in any other order, for names it does not
// know, or for EffectivePermissions stored at another version, it answers
// as a lookup by name would.
func TestOfferInAnyOrder(t *testing.T) {
	ns, snap, now, res, lo, hi := computedTenant(40, 5)
	eps := res.EffectivePermissions[lo:hi]
	if len(eps) < 40 {
		t.Fatalf("%d EffectivePermissions, want 40", len(eps))
	}
	stored := map[string]*accessv1.EffectivePermission{}
	written := map[string]string{}
	for i := range eps {
		ep := eps[i].DeepCopy()
		ep.ResourceVersion = fmt.Sprint(100 + i)
		switch {
		case i%7 == 3: // not stored: not known
			continue
		case i%5 == 1: // written by the pass, at a version the cache has not yet
			written[ep.Name] = fmt.Sprint(200 + i)
		case i%11 == 2: // its write failed: not known
			written[ep.Name] = ""
		case i%13 == 4: // written by the pass, at the version the cache holds
			written[ep.Name] = ep.ResourceVersion
		case i%17 == 5: // being deleted: never offered
			ep.DeletionTimestamp = &metav1.Time{Time: now}
		}
		stored[ep.Name] = ep
	}
	for _, withStore := range []bool{false, true} {
		// As a pass lists them; with the informer's store to find a name in
		// (and which holds a newer object for one name than was listed),
		// or without.
		listed := func() *storedEPs {
			var list []*accessv1.EffectivePermission
			for _, ep := range stored {
				list = append(list, ep)
			}
			if !withStore {
				return newStoredEPs(ns, list, nil)
			}
			store := indexerOf(t, list)
			newer := stored[eps[0].Name].DeepCopy()
			newer.ResourceVersion = "999"
			if err := store.Update(newer); err != nil {
				t.Fatal(err)
			}
			return newStoredEPs(ns, list, store)
		}
		t.Run(fmt.Sprintf("store=%t", withStore), func(t *testing.T) { offerInAnyOrder(t, snap, now, res, lo, hi, eps, stored, written, listed) })
	}
}

func offerInAnyOrder(t *testing.T, snap *engine.Snapshot, now time.Time, res *engine.Result, lo, hi int, eps []accessv1.EffectivePermission, stored map[string]*accessv1.EffectivePermission, written map[string]string, listed func() *storedEPs) {
	ns := eps[0].Namespace
	var f fingerprints
	f.remember(ns, res, lo, hi, listed(), written)
	// want is the offer for name once the pass that wrote written is
	// remembered.
	want := func(name string, written map[string]string) (engine.Reused, bool) {
		i := slices.IndexFunc(eps, func(ep accessv1.EffectivePermission) bool { return ep.Name == name })
		ep := stored[name]
		if i < 0 || ep == nil || ep.DeletionTimestamp != nil {
			return engine.Reused{}, false
		}
		if rv, ok := written[name]; ok && rv != ep.ResourceVersion {
			return engine.Reused{}, false // a failed write, or one the cache has not caught up with
		}
		fp, _ := res.FingerprintAt(lo + i)
		return engine.Reused{Fingerprint: fp, Spec: &ep.Spec}, true
	}
	// In order, with names before, between and after the known; backwards;
	// in order again; shuffled.
	var names []string
	for i := range eps {
		names = append(names, eps[i].Name, eps[i].Name+"-unknown")
	}
	names = append([]string{""}, names...)
	for i := range eps {
		names = append(names, eps[len(eps)-1-i].Name)
	}
	for i := range eps {
		names = append(names, eps[i].Name)
	}
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	names = append(names, shuffled...)
	check := func(when string, written map[string]string) {
		offer := f.offer(ns, listed())
		for _, name := range names {
			got, ok := offer(engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: ns, Name: name})
			w, wok := want(name, written)
			if ok != wok || got.Fingerprint != w.Fingerprint || got.Spec != w.Spec {
				t.Errorf("%s: offer %s: %q %v %t, want %q %v %t", when, name, got.Fingerprint, got.Spec, ok, w.Fingerprint, w.Spec, wok)
			}
		}
		if _, ok := offer(engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: "other", Name: eps[0].Name}); ok {
			t.Errorf("%s: an EffectivePermission of another namespace was offered", when)
		}
	}
	check("after the first pass", written)
	// A second pass reuses what it was offered and writes nothing: what is
	// known stays as it was.
	again := engine.ComputeReusing(snap, now, f.offer(ns, listed()))
	if again.Reused() == 0 {
		t.Fatal("the second pass reused nothing: the test tests nothing")
	}
	if a, b := nsRange(again.EffectivePermissions, ns); a != lo || b != hi {
		t.Fatalf("the second pass has the namespace's EffectivePermissions at %d:%d, the first at %d:%d", a, b, lo, hi)
	}
	f.remember(ns, again, lo, hi, listed(), map[string]string{})
	check("after a second pass that reused", map[string]string{})
}

// TestOfferKnowsByIdentity: an EffectivePermission found at its known
// version is known by identity afterwards; once the cache holds another
// object for its name (a hand edit, or one being deleted), that object's
// version decides, never the one remembered.
func TestOfferKnowsByIdentity(t *testing.T) {
	ns, _, now, res, lo, hi := computedTenant(5, 2)
	list := storedCopies(res, lo, hi)
	first := list[0]
	var f fingerprints
	f.remember(ns, res, lo, hi, newStoredEPs(ns, list, nil), map[string]string{})
	var last *storedEPs
	offered := func(list []*accessv1.EffectivePermission) *accessv1.EffectivePermissionSpec {
		last = newStoredEPs(ns, list, nil)
		r, ok := f.offer(ns, last)(engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: ns, Name: first.Name})
		if !ok {
			return nil
		}
		return r.Spec
	}
	if got := offered(list); got != &first.Spec {
		t.Fatalf("the object found at its known version: offered %p, want %p", got, &first.Spec)
	}
	if last.byName != nil {
		t.Error("offering an object known by identity indexed the listed EffectivePermissions by name")
	}
	edited := first.DeepCopy()
	edited.ResourceVersion = "2"
	deleting := first.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: now}
	for _, tc := range []struct {
		name string
		ep   *accessv1.EffectivePermission
	}{{"edited by hand", edited}, {"being deleted", deleting}} {
		if got := offered(append([]*accessv1.EffectivePermission{tc.ep}, list[1:]...)); got != nil {
			t.Errorf("%s: offered %p, want nothing", tc.name, got)
		}
	}
	if got := offered(list); got != &first.Spec {
		t.Errorf("listed as before again: offered %p, want %p", got, &first.Spec)
	}
}

// TestKnownKeepsNothingAlive: what the controller remembers of a stored
// EffectivePermission does not keep the cache's object alive once the cache
// has replaced it. (After an outage every EffectivePermission's status is
// written twice, and a quiet tenant's next pass may be hours away: a strong
// reference would hold a second copy of each until then.)
func TestKnownKeepsNothingAlive(t *testing.T) {
	ns, _, _, res, lo, hi := computedTenant(5, 2)
	var f fingerprints
	var gone []weak.Pointer[accessv1.EffectivePermission]
	func() {
		list := storedCopies(res, lo, hi)
		for _, ep := range list {
			gone = append(gone, weak.Make(ep))
		}
		f.remember(ns, res, lo, hi, newStoredEPs(ns, list, nil), map[string]string{})
		if _, ok := f.offer(ns, newStoredEPs(ns, list, nil))(engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: ns, Name: list[0].Name}); !ok {
			t.Fatal("nothing offered: the test tests nothing")
		}
	}() // the cache replaced them all
	goruntime.GC()
	goruntime.GC()
	for i, w := range gone {
		if w.Value() != nil {
			t.Errorf("EffectivePermission %d is still alive after the cache let it go", i)
		}
	}
	if v, ok := f.byNamespace.Load(ns); !ok || len(v.([]fingerprinted)) == 0 {
		t.Fatal("nothing remembered: the test tests nothing")
	}
}

// computedTenant is fixture tenant acme of members and roles, computed
// reusing nothing: its namespace, snapshot and clock, the result, and the
// namespace's EffectivePermissions in it (lo:hi).
func computedTenant(members, roles int) (ns string, snap *engine.Snapshot, now time.Time, res *engine.Result, lo, hi int) {
	o := fixture.Tenant("acme", members, roles, 1)
	ns = o.Tenants[0].NamespaceOrDefault()
	snap, now = o.Snapshot(), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	res = engine.ComputeReusing(snap, now, nil)
	lo, hi = nsRange(res.EffectivePermissions, ns)
	return ns, snap, now, res, lo, hi
}

// storedCopies is the result's EffectivePermissions lo:hi as a cache holds
// them after they were written: each a copy of its own, at version 1.
func storedCopies(res *engine.Result, lo, hi int) []*accessv1.EffectivePermission {
	var list []*accessv1.EffectivePermission
	for i := lo; i < hi; i++ {
		ep := res.EffectivePermissions[i].DeepCopy()
		ep.ResourceVersion = "1"
		list = append(list, ep)
	}
	return list
}
