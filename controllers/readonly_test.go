package controllers

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// TestReadOnlyCheck: the check the envtest suite runs on every pass reports
// a pass that changed what it listed, deep inside an object too, and says
// nothing of one that only read.
func TestReadOnlyCheck(t *testing.T) {
	defer func(v func(string)) { verifyReadOnly = v }(verifyReadOnly)
	var reports []string
	verifyReadOnly = func(what string) { reports = append(reports, what) }
	member := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "alice"},
		Spec: accessv1.MemberSpec{Email: "alice@acme.example", PermissionSets: []string{"rep"}}}
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	r := &TenantReconciler{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(member).Build()}
	for _, c := range []struct {
		name   string
		change func(*accessv1.Member)
		want   bool
	}{
		{"reads only", func(*accessv1.Member) {}, false},
		{"a field", func(m *accessv1.Member) { m.Spec.Email = "mallory@acme.example" }, true},
		{"a list's item", func(m *accessv1.Member) { m.Spec.PermissionSets[0] = "admin" }, true},
	} {
		reports = nil
		ro := r.readOnly()
		var l accessv1.MemberList
		if err := ro.List(context.Background(), &l); err != nil {
			t.Fatal(err)
		}
		c.change(&l.Items[0])
		ro.done("acme")
		if got := len(reports) > 0; got != c.want {
			t.Errorf("%s: reported %v, want %v", c.name, reports, c.want)
		}
		if c.want && (len(reports) != 1 || !strings.Contains(reports[0], "MemberList")) {
			t.Errorf("%s: %v", c.name, reports)
		}
	}
}

// TestReadOnlyCheckEffectivePermissions: the check covers the
// EffectivePermissions a pass lists without a list (listEPs) too.
func TestReadOnlyCheckEffectivePermissions(t *testing.T) {
	defer func(v bool) { verifyStore = v }(verifyStore)
	verifyStore = false // this pass lists no Members (TestReadOnlyCheckMembersListed)
	ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "alice"},
		Spec: accessv1.EffectivePermissionSpec{User: "alice@acme.example", Capabilities: []string{"reports.run"}}}
	checkStoreList(t, ep, "EffectivePermission alice", readOnly.listEPs, []storeListChange[*accessv1.EffectivePermission]{
		{"reads only", func(*accessv1.EffectivePermission) {}, false},
		{"a field", func(ep *accessv1.EffectivePermission) { ep.Spec.User = "mallory@acme.example" }, true},
		{"a list's item", func(ep *accessv1.EffectivePermission) { ep.Spec.Capabilities[0] = "users.manage" }, true},
	})
}

// TestReadOnlyCheckMembers: the check covers the Members a pass lists for
// the engine without a list (ListMembers).
func TestReadOnlyCheckMembers(t *testing.T) {
	member := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "bob"},
		Spec: accessv1.MemberSpec{Email: "bob@acme.example", Role: "sales", PermissionSets: []string{"rep"}}}
	checkStoreList(t, member, "Member bob", readOnly.ListMembers, []storeListChange[*accessv1.Member]{
		{"reads only", func(*accessv1.Member) {}, false},
		{"a field", func(m *accessv1.Member) { m.Spec.Role = "ceo" }, true},
		{"a list's item", func(m *accessv1.Member) { m.Spec.PermissionSets[0] = "admin" }, true},
	})
}

// storeListChange is a change a pass makes to an object it listed, and
// whether the check must report it.
type storeListChange[P client.Object] struct {
	name   string
	change func(P)
	want   bool
}

// checkStoreList lists obj, alone in its namespace, through list as a pass
// does, makes each change to what it got, and wants the check to report it
// (naming it as named) exactly when the change says.
func checkStoreList[P client.Object](t *testing.T, obj P, named string, list func(readOnly, context.Context, string) ([]P, error), changes []storeListChange[P]) {
	t.Helper()
	defer func(v func(string)) { verifyReadOnly = v }(verifyReadOnly)
	var reports []string
	verifyReadOnly = func(what string) { reports = append(reports, what) }
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	r := &TenantReconciler{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(obj).Build()}
	for _, c := range changes {
		reports = nil
		ro := r.readOnly()
		got, err := list(ro, context.Background(), obj.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("listed %d objects, want 1", len(got))
		}
		c.change(got[0])
		ro.done(obj.GetNamespace())
		if reported := len(reports) > 0; reported != c.want {
			t.Errorf("%s: reported %v, want %v", c.name, reports, c.want)
		}
		if c.want && (len(reports) != 1 || !strings.Contains(reports[0], named)) {
			t.Errorf("%s: %v", c.name, reports)
		}
	}
}

// TestReadOnlyCheckMembersListed: where the tests expect the store to be
// read, a pass that got to its EffectivePermissions without gathering its
// Members through ListMembers is reported.
func TestReadOnlyCheckMembersListed(t *testing.T) {
	defer func(v func(string)) { verifyReadOnly = v }(verifyReadOnly)
	defer func(v bool) { verifyStore = v }(verifyStore)
	var reports []string
	verifyReadOnly, verifyStore = func(what string) { reports = append(reports, what) }, true
	scheme := runtime.NewScheme()
	_ = accessv1.AddToScheme(scheme)
	r := &TenantReconciler{Client: fake.NewClientBuilder().WithScheme(scheme).Build()}
	for _, c := range []struct {
		name    string
		members bool
		want    bool
	}{{"Members through ListMembers", true, false}, {"Members some other way", false, true}} {
		reports = nil
		ro := r.readOnly()
		if c.members {
			if _, err := ro.ListMembers(context.Background(), "acme"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ro.listEPs(context.Background(), "acme"); err != nil {
			t.Fatal(err)
		}
		ro.done("acme")
		if got := len(reports) == 1 && strings.Contains(reports[0], "without ListMembers"); got != c.want || len(reports) > 1 {
			t.Errorf("%s: reported %v, want a report: %v", c.name, reports, c.want)
		}
	}
}
