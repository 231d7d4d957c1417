package engine

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func TestSnapshotFind(t *testing.T) {
	s := &Snapshot{
		Tenants: []accessv1.Tenant{{ObjectMeta: metav1.ObjectMeta{Name: "acme", ResourceVersion: "1"}}},
		Members: []*accessv1.Member{{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "ann", ResourceVersion: "2"}}},
		Roles:   []accessv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "ann", ResourceVersion: "3"}}},
	}
	for _, c := range []struct {
		ref    ObjectRef
		wantRV string
	}{
		{refOf(accessv1.KindTenant, "", "acme"), "1"},
		{refOf(accessv1.KindMember, "acme", "ann"), "2"},
		{refOf(accessv1.KindRole, "acme", "ann"), "3"},
		{refOf(accessv1.KindMember, "other", "ann"), ""},
		{refOf(accessv1.KindPermissionSet, "acme", "ann"), ""},
	} {
		o, ok := s.Find(c.ref)
		if ok != (c.wantRV != "") || (ok && o.GetResourceVersion() != c.wantRV) {
			t.Errorf("Find(%v) = %v, %v; want resourceVersion %q", c.ref, o, ok, c.wantRV)
		}
	}
}
