package gather

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// recorder is a reader that records which lists it answered.
type recorder struct {
	name  string
	lists *[]string
}

func (r recorder) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	*r.lists = append(*r.lists, r.name+" get")
	return nil
}

func (r recorder) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	var o client.ListOptions
	o.ApplyOptions(opts)
	kind := map[bool]string{true: "tenants", false: "namespaced"}[isTenantList(list)]
	*r.lists = append(*r.lists, r.name+" "+kind+" "+o.Namespace)
	return nil
}

func isTenantList(l client.ObjectList) bool { _, ok := l.(*accessv1.TenantList); return ok }

// TestSplit: the judged namespace's lists go to the API server, a list by
// field selector (an index) and every other namespace to the cache; the
// Tenants go live only when asked.
func TestSplit(t *testing.T) {
	ctx := context.Background()
	var lists []string
	s := split{cache: recorder{"cache", &lists}, live: recorder{"live", &lists}, ns: "acme"}
	_ = s.List(ctx, &accessv1.MemberList{}, client.InNamespace("acme"))
	_ = s.List(ctx, &accessv1.MemberList{}, client.InNamespace("agency"))
	_ = s.List(ctx, &accessv1.PartnerAccessList{}, client.MatchingFields{IndexPartner: "acme"})
	_ = s.List(ctx, &accessv1.TenantList{})
	s.tenants = true
	_ = s.List(ctx, &accessv1.TenantList{})
	_ = s.Get(ctx, client.ObjectKey{Name: "x"}, &accessv1.Tenant{})
	want := []string{"live namespaced acme", "cache namespaced agency", "cache namespaced ", "cache tenants ", "live tenants ", "cache get"}
	if len(lists) != len(want) {
		t.Fatalf("lists = %q, want %q", lists, want)
	}
	for i := range want {
		if lists[i] != want[i] {
			t.Errorf("request %d went to %q, want %q", i, lists[i], want[i])
		}
	}
}
