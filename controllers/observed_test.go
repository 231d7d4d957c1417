package controllers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func TestObservedNotesTheHighestPerKind(t *testing.T) {
	var o observed
	o.note("a", kindMember, "90", false, nil)
	o.note("a", kindMember, "100", false, nil)
	o.note("a", kindMember, "95", false, nil) // an older change of the kind, delivered later: not lower
	o.note("a", kindRole, "7", true, nil)
	o.note("a", kindRole, "", true, nil)        // no resourceVersion: ignored
	o.note("a", kindRole, "x12", true, nil)     // not one of the API server's: ignored
	o.note("a", kindRole, "0012", true, nil)    // leading zeros: not well formed
	o.note("b", kindTenant, "5", false, nil)    // another namespace
	o.note("a", kindMember, "1000", false, nil) // longer is higher, not lexically lower

	a := o.take("a")
	want := map[inputKind]string{kindMember: "1000", kindRole: "7"}
	if diff := cmp.Diff(want, a.rv); diff != "" {
		t.Errorf("noted for a (-want +got):\n%s", diff)
	}
	if !a.live {
		t.Error("a change after the first list was noted: live must be true")
	}
	if again := o.take("a"); len(again.rv) != 0 || again.live {
		t.Errorf("take empties the namespace; a second take gave %+v", again)
	}
	b := o.take("b")
	if b.live || b.rv[kindTenant] != "5" {
		t.Errorf("b: got %+v, want Tenant 5 from the first list (not live)", b)
	}

	// A pass that does not record gives its changes back, merged with those
	// noted meanwhile.
	o.note("a", kindMember, "1200", false, nil)
	o.giveBack("a", a)
	merged := o.take("a")
	if diff := cmp.Diff(map[inputKind]string{kindMember: "1200", kindRole: "7"}, merged.rv); diff != "" || !merged.live {
		t.Errorf("given back and merged (-want +got):\n%s live=%v", diff, merged.live)
	}
	o.giveBack("c", &noted{rv: map[inputKind]string{}})
	if _, ok := o.ns["c"]; ok {
		t.Error("giving back nothing notes nothing")
	}
}

func TestRecordedInputs(t *testing.T) {
	n := &noted{rv: map[inputKind]string{kindMember: "120", kindPartnerAccess: "99", kindVisibilityPolicy: "3"}}
	old := &accessv1.ObservedInputs{Members: "110", PartnerAccesses: "150", Tenants: "40"}
	tests := []struct {
		name string
		old  *accessv1.ObservedInputs
		n    *noted
		want *accessv1.ObservedInputs
		same bool // the old record itself comes back: nothing to write
	}{
		{"first record", nil, n, &accessv1.ObservedInputs{Members: "120", PartnerAccesses: "99", VisibilityPolicies: "3"}, false},
		{"each kind keeps the higher", old, n, &accessv1.ObservedInputs{Members: "120", PartnerAccesses: "150", Tenants: "40", VisibilityPolicies: "3"}, false},
		{"nothing newer", &accessv1.ObservedInputs{Members: "120", PartnerAccesses: "99", VisibilityPolicies: "3"}, n, &accessv1.ObservedInputs{Members: "120", PartnerAccesses: "99", VisibilityPolicies: "3"}, true},
		{"nothing noted", old, &noted{rv: map[inputKind]string{}}, old, true},
		{"nothing noted, no record", nil, &noted{rv: map[inputKind]string{}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before accessv1.ObservedInputs
			if tt.old != nil {
				before = *tt.old
			}
			got := recordedInputs(tt.old, tt.n)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recordedInputs (-want +got):\n%s", diff)
			}
			if tt.same != (got == tt.old) {
				t.Errorf("recordedInputs returned the old record: %v, want %v", got == tt.old, tt.same)
			}
			if tt.old != nil && *tt.old != before {
				t.Errorf("the old record was changed in place: %+v", *tt.old)
			}
		})
	}
}

func TestStatusOnly(t *testing.T) {
	base := func() *accessv1.Member {
		return &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "a", Generation: 3, ResourceVersion: "10",
			Labels: map[string]string{"team": "x"}, Finalizers: []string{"f"}}}
	}
	now := metav1.Now()
	tests := []struct {
		name   string
		change func(*accessv1.Member)
		want   bool
	}{
		{"status and resourceVersion", func(m *accessv1.Member) { m.ResourceVersion = "11"; m.Status.ObservedGeneration = 3 }, true},
		{"spec (generation)", func(m *accessv1.Member) { m.Generation = 4 }, false},
		{"deletion", func(m *accessv1.Member) { m.DeletionTimestamp = &now }, false},
		{"finalizers", func(m *accessv1.Member) { m.Finalizers = nil }, false},
		{"labels", func(m *accessv1.Member) { m.Labels = map[string]string{"team": "y"} }, false},
		{"annotations", func(m *accessv1.Member) { m.Annotations = map[string]string{"a": "b"} }, false},
		{"owners", func(m *accessv1.Member) { m.OwnerReferences = []metav1.OwnerReference{{Name: "o"}} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			tt.change(n)
			if got := statusOnly(base(), n); got != tt.want {
				t.Errorf("statusOnly = %v, want %v", got, tt.want)
			}
		})
	}
}
