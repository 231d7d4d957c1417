package controllers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
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
	var got []string
	for _, w := range plannedWrites(desired, current, nil) {
		got = append(got, describeWrite(w))
	}
	want := []string{"delete:gone", "narrow:narrow", "mixed:mixed", "widen:via-only", "widen:widen", "create:new"}
	if !slices.Equal(got, want) {
		t.Fatalf("writes %v, want %v", got, want)
	}
}

// plannedWrites is planWrites as a pass calls it: desired in order of name
// (as the engine gives them), no owners, reused the names of those whose
// spec is the one stored, reused (engine.ComputeReusing).
func plannedWrites(desired, current []accessv1.EffectivePermission, reused []string) []epWrite {
	desired = slices.Clone(desired)
	slices.SortFunc(desired, func(a, b accessv1.EffectivePermission) int { return strings.Compare(a.Name, b.Name) })
	noOwners := func(int) []metav1.OwnerReference { return nil }
	stored := make([]*accessv1.EffectivePermission, len(current))
	for i := range current {
		stored[i] = &current[i]
	}
	return planWrites(desired, newStoredEPs("", stored, nil), noOwners, func(i int) bool { return slices.Contains(reused, desired[i].Name) })
}

// TestPlanWritesReused: a reused spec is not compared with the stored one
// (it is the stored one, at the version last written or found matching),
// and reusing changes nothing else: new EPs are created, those no longer
// wanted deleted.
func TestPlanWritesReused(t *testing.T) {
	current := []accessv1.EffectivePermission{ep("kept", "a"), ep("gone", "a"), ep("changed", "a")}
	current[0].Labels = nil // would be written were it not reused
	desired := []accessv1.EffectivePermission{ep("kept", "a"), ep("changed", "a", "b"), ep("new", "a")}
	for _, tc := range []struct {
		reused []string
		want   []string
	}{
		{nil, []string{"delete:gone", "widen:changed", "widen:kept", "create:new"}},
		{[]string{"kept"}, []string{"delete:gone", "widen:changed", "create:new"}},
		// (A name not stored is never reused: only what is stored is
		// offered, TestOfferInAnyOrder.)
	} {
		var got []string
		for _, w := range plannedWrites(desired, current, tc.reused) {
			got = append(got, describeWrite(w))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("reused %v: writes %v, want %v", tc.reused, got, tc.want)
		}
	}
	// With nothing deleted, the stored EPs are not searched for deletes.
	if w := plannedWrites(current[:1], current[:1], []string{"kept"}); len(w) != 0 {
		t.Errorf("a reused EP alone: writes %v, want none", w)
	}
}

func describeWrite(w epWrite) string {
	name := ""
	if w.desired != nil {
		name = w.desired.Name
	} else {
		name = w.current.Name
	}
	return []string{"delete", "narrow", "mixed", "widen", "create"}[w.kind] + ":" + name
}

// TestWaves: every write that removes access, mixed ones too, lands before
// any write that only adds.
func TestWaves(t *testing.T) {
	var ws []epWrite
	for k := writeDelete; k <= writeCreate; k++ {
		ws = append(ws, epWrite{kind: k, current: &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint(k)}}})
	}
	got := waves(ws)
	if len(got) != 2 || len(got[0]) != 3 || got[0][2].kind != writeMixed || len(got[1]) != 2 || got[1][0].kind != writeWiden {
		t.Errorf("waves %v, want [delete narrow mixed] [widen create]", got)
	}
}

// TestClassify: the write ordering follows engine.Classify, which reads
// every field pkg/check reads. The rows marked "was widen" were ordered as
// grants before (withheld capabilities aside, the old facts saw neither
// hidden fields, visibility defaults, the role, nor which Department grant
// applies).
func TestClassify(t *testing.T) {
	spec := func(f func(*accessv1.EffectivePermissionSpec)) accessv1.EffectivePermissionSpec {
		s := accessv1.EffectivePermissionSpec{Tenant: "acme", User: "ann@acme.example", Active: true, Role: "sales"}
		f(&s)
		return s
	}
	deals := func(vis *accessv1.TypeVisibility, grants ...accessv1.RecordGrant) []accessv1.ObjectPermission {
		return []accessv1.ObjectPermission{{Type: "deals", Actions: []accessv1.Action{"edit", "view"}, Visibility: vis, Grants: grants}}
	}
	dept := func(role, user string, access accessv1.AccessLevel, hidden ...string) accessv1.RecordGrant {
		return accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Role: role, User: user, Access: access, HiddenFields: hidden, Via: []string{"department"}}
	}
	group := accessv1.RecordGrant{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityGroup, Access: accessv1.AccessRead, Via: []string{"visibility: Group"}}
	admin := spec(func(s *accessv1.EffectivePermissionSpec) {
		s.Capabilities = []string{"*"}
		s.WithheldCapabilities = []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"}
	})
	super := spec(func(s *accessv1.EffectivePermissionSpec) { s.Capabilities = []string{"*"} })
	departments := spec(func(s *accessv1.EffectivePermissionSpec) {
		s.Objects = deals(nil, dept("sales", "", accessv1.AccessReadWrite), dept("", "", accessv1.AccessRead))
	})
	groups := spec(func(s *accessv1.EffectivePermissionSpec) {
		s.Objects = deals(&accessv1.TypeVisibility{Default: accessv1.VisibilityGroup}, group)
	})
	for _, tc := range []struct {
		name     string
		old, new accessv1.EffectivePermissionSpec
		want     writeKind
	}{
		{"Admin made SuperAdmin", admin, super, writeWiden},
		{"SuperAdmin made Admin", super, admin, writeNarrow},
		{"deactivated", super, spec(func(s *accessv1.EffectivePermissionSpec) { s.Active = false }), writeNarrow},
		{"a field hidden (was widen)", departments, spec(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects = deals(nil, dept("sales", "", accessv1.AccessReadWrite, "amount"), dept("", "", accessv1.AccessRead))
		}), writeNarrow},
		{"a user's Department grant below the department's (was widen)", departments, spec(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects = deals(nil, dept("sales", "", accessv1.AccessReadWrite), dept("sales", "bob@acme.example", accessv1.AccessRead), dept("", "", accessv1.AccessRead))
		}), writeNarrow},
		{"a visibility default made Private (was widen)", groups, spec(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects = deals(&accessv1.TypeVisibility{Default: accessv1.VisibilityPrivate}, group)
		}), writeNarrow},
		{"another permission group (was widen)", groups, spec(func(s *accessv1.EffectivePermissionSpec) {
			s.Role = "support"
			s.Objects = groups.Objects
		}), writeMixed},
		{"only a via", groups, spec(func(s *accessv1.EffectivePermissionSpec) {
			s.Objects = deals(&accessv1.TypeVisibility{Default: accessv1.VisibilityGroup}, group)
			s.Objects[0].Grants[0].Via = []string{"another reason"}
		}), writeWiden},
	} {
		if k := classify(&tc.old, &tc.new); k != tc.want {
			t.Errorf("%s: classified %s, want %s", tc.name, describeWrite(epWrite{kind: k, current: &accessv1.EffectivePermission{}}), describeWrite(epWrite{kind: tc.want, current: &accessv1.EffectivePermission{}}))
		}
	}
}

// TestRevokes: a write revokes (a Revoked Event) when the user held
// something and holds nothing after it; deleting an EffectivePermission
// that granted nothing revokes nothing.
func TestRevokes(t *testing.T) {
	inactive := ep("olaf")
	inactive.Spec.Active = false
	current := []accessv1.EffectivePermission{ep("gone", "a"), inactive, ep("deactivated", "a"), ep("narrowed", "a", "b")}
	off := ep("deactivated")
	off.Spec.Active = false
	desired := []accessv1.EffectivePermission{off, ep("narrowed", "a")}
	var got []string
	for _, w := range plannedWrites(desired, current, nil) {
		if w.revokes {
			got = append(got, describeWrite(w))
		}
	}
	if want := []string{"delete:gone", "narrow:deactivated"}; !slices.Equal(got, want) {
		t.Errorf("revoking writes %v, want %v", got, want)
	}
}

// TestRevokedEvents: a reconcile that deletes the EffectivePermission of
// someone who held something, or deactivates them, says so on the Tenant.
func TestRevokedEvents(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	tenant := &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	carol := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Name: "carol", Namespace: "acme"},
		Spec: accessv1.MemberSpec{Email: "carol@acme.example", AccountRole: accessv1.AccountRoleSuperAdmin}}
	dave := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Name: "dave", Namespace: "acme"},
		Spec: accessv1.MemberSpec{Email: "dave@acme.example", AccountRole: accessv1.AccountRoleAdmin, Active: new(false)}}
	gone, idle, daveEP := ep("gone", "*"), ep("idle"), ep("dave", "*")
	idle.Spec.Active = false
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(tenant, carol, dave, &gone, &idle, &daveEP).
		WithIndex(&accessv1.Tenant{}, gather.IndexTenantNamespace, func(o client.Object) []string { return []string{o.(*accessv1.Tenant).NamespaceOrDefault()} }).
		WithIndex(&accessv1.PartnerAccess{}, gather.IndexPartner, func(o client.Object) []string { return []string{o.(*accessv1.PartnerAccess).Spec.Partner} }).
		WithIndex(&accessv1.Member{}, gather.IndexClient, func(o client.Object) []string {
			var out []string
			for _, ca := range o.(*accessv1.Member).Spec.ClientAccess {
				out = append(out, ca.Tenant)
			}
			return out
		}).Build()
	rec := events.NewFakeRecorder(10)
	r := &TenantReconciler{Client: c, Recorder: rec, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }}
	if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: "acme"}}); err != nil {
		t.Fatal(err)
	}
	close(rec.Events)
	var got []string
	for e := range rec.Events {
		if strings.Contains(e, "Revoked") {
			got = append(got, e)
		}
	}
	slices.Sort(got)
	want := []string{
		"Normal Revoked dave@acme.example holds nothing in tenant acme any more: EffectivePermission dave grants nothing",
		"Normal Revoked gone@acme.example no longer has standing in tenant acme: EffectivePermission gone deleted",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Revoked Events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
	if cond == nil || cond.Status != metav1.ConditionUnknown || cond.Reason != accessv1.ReasonStale {
		t.Errorf("the EffectivePermission is not marked stale: %+v", got.Status.Conditions)
	}
}

// TestStoredEPsNamed: a name is found among what the pass listed, whatever
// the informer's store holds now: a newer object (changed since the list),
// none (deleted since), or one the list did not have (created since).
func TestStoredEPsNamed(t *testing.T) {
	a, b, c := ep("a", "x"), ep("b", "x"), ep("c", "x")
	for _, e := range []*accessv1.EffectivePermission{&a, &b, &c} {
		e.Namespace = "ns"
	}
	newerA := a.DeepCopy()
	newerA.ResourceVersion = "2"
	store := indexerOf(t, []*accessv1.EffectivePermission{newerA, &c})
	for _, withStore := range []bool{true, false} {
		var st toolscache.KeyGetter
		if withStore {
			st = store
		}
		s := newStoredEPs("ns", []*accessv1.EffectivePermission{&a, &b}, st)
		for name, want := range map[string]*accessv1.EffectivePermission{"a": &a, "b": &b, "c": nil, "d": nil} {
			if got := s.named(name); got != want {
				t.Errorf("store %t: named(%q) = %p, want %p", withStore, name, got, want)
			}
		}
		if !s.holds(&a) || s.holds(newerA) || s.holds(&c) {
			t.Errorf("store %t: holds is not what was listed", withStore)
		}
	}
}
