package manifest

import (
	"testing"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

func TestSet(t *testing.T) {
	objs, err := Decode("t.yaml", []byte(tenant("acme")+"---\n"+role("acme", "sales")))
	if err != nil {
		t.Fatal(err)
	}
	more, err := Decode("m.yaml", []byte(head+"kind: Member\nmetadata: {name: a, namespace: acme}\n---\n"+
		head+"kind: PermissionSet\nmetadata: {name: p, namespace: acme}\n---\n"+
		head+"kind: PartnerAccess\nmetadata: {name: x, namespace: acme}\n---\n"+
		head+"kind: VisibilityPolicy\nmetadata: {name: default, namespace: acme}\n---\n"+
		head+"kind: EffectivePermission\nmetadata: {name: a, namespace: acme}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(append(objs, more...))
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot
	if len(snap.Tenants) != 1 || len(snap.Roles) != 1 || len(snap.Members) != 1 || len(snap.PermissionSets) != 1 ||
		len(snap.PartnerAccesses) != 1 || len(snap.VisibilityPolicies) != 1 || len(snap.EffectivePermissions) != 1 {
		t.Errorf("snapshot by kind = %d %d %d %d %d %d %d, want one of each", len(snap.Tenants), len(snap.Roles), len(snap.Members),
			len(snap.PermissionSets), len(snap.PartnerAccesses), len(snap.VisibilityPolicies), len(snap.EffectivePermissions))
	}
	if s.Len() != 7 {
		t.Errorf("Len() = %d, want 7", s.Len())
	}

	for _, tt := range []struct {
		ref  engine.ObjectRef
		want string
	}{
		{engine.ObjectRef{Kind: "Tenant", Name: "acme"}, "t.yaml"},
		{engine.ObjectRef{Kind: "Tenant", Namespace: "acme", Name: "acme"}, "t.yaml"},
		{engine.ObjectRef{Kind: "Role", Namespace: "acme", Name: "sales"}, "t.yaml"},
		{engine.ObjectRef{Kind: "EffectivePermission", Namespace: "acme", Name: "a"}, "m.yaml"},
		{engine.ObjectRef{Kind: "Role", Namespace: "acme", Name: "ceo"}, ""},
		{engine.ObjectRef{Kind: "Member", Namespace: "other", Name: "a"}, ""},
	} {
		if got := s.File(tt.ref); got != tt.want {
			t.Errorf("File(%s) = %q, want %q", tt.ref, got, tt.want)
		}
	}

	for _, tt := range []struct {
		f    engine.Finding
		want string
	}{
		{engine.Finding{Object: engine.ObjectRef{Kind: "Member", Namespace: "acme", Name: "a"}, Tenant: "acme"}, "m.yaml"},
		{engine.Finding{Object: engine.ObjectRef{Kind: "Role", Namespace: "acme", Name: "ceo"}, Tenant: "acme"}, "t.yaml"},
		{engine.Finding{Object: engine.ObjectRef{Kind: "Role", Namespace: "x", Name: "ceo"}, Tenant: "x"}, "-"},
		{engine.Finding{Object: engine.ObjectRef{Kind: "Role", Namespace: "x", Name: "ceo"}}, "-"},
	} {
		if got := s.FindingFile(tt.f); got != tt.want {
			t.Errorf("FindingFile(%s) = %q, want %q", tt.f.Object, got, tt.want)
		}
	}
}
