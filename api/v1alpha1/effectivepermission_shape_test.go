package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompactAndExpanded(t *testing.T) {
	owner := RecordGrant{Scope: ScopeOwn, Access: AccessReadWrite, Via: []string{OwnerVia}}
	role := RecordGrant{Scope: ScopeRole, Role: "sales", Access: AccessRead, Via: []string{"peer: sales"}}
	all := RecordGrant{Scope: ScopeAll, Access: AccessRead, Via: []string{"viewAll: permissionSet: a"}}
	cases := []struct {
		name             string
		spelled, compact EffectivePermissionSpec
	}{{
		name: "one source gives everything; the owner grant is a field",
		spelled: EffectivePermissionSpec{Capabilities: []string{"a", "b"},
			CapabilitySources: []CapabilitySource{{Via: "permissionSet: p", Capabilities: []string{"a", "b"}}},
			Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"edit", "view"},
				ActionSources: []ActionSource{{Via: "permissionSet: p", Actions: []Action{"edit", "view"}}},
				Grants:        []RecordGrant{all, owner, role}}}},
		compact: EffectivePermissionSpec{Capabilities: []string{"a", "b"},
			CapabilitySources: []CapabilitySource{{Via: "permissionSet: p"}},
			Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"edit", "view"}, Own: AccessReadWrite,
				ActionSources: []ActionSource{{Via: "permissionSet: p"}},
				Grants:        []RecordGrant{all, role}}}},
	}, {
		name: "sources that give part keep their lists; only the owner grant",
		spelled: EffectivePermissionSpec{Capabilities: []string{"a", "b"},
			CapabilitySources: []CapabilitySource{{Via: "p", Capabilities: []string{"a"}}, {Via: "q", Capabilities: []string{"a", "b"}}},
			Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"edit", "view"},
				ActionSources: []ActionSource{{Via: "p", Actions: []Action{"view"}}, {Via: "q", Actions: []Action{"edit", "view"}}},
				Grants:        []RecordGrant{owner}}}},
		compact: EffectivePermissionSpec{Capabilities: []string{"a", "b"},
			CapabilitySources: []CapabilitySource{{Via: "p", Capabilities: []string{"a"}}, {Via: "q"}},
			Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"edit", "view"}, Own: AccessReadWrite,
				ActionSources: []ActionSource{{Via: "p", Actions: []Action{"view"}}, {Via: "q"}}}}},
	}, {
		name: "an owner grant with more to say stays a grant",
		spelled: EffectivePermissionSpec{Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"view"},
			Grants: []RecordGrant{{Scope: ScopeOwn, Access: AccessRead, HiddenFields: []string{"amount"}, Via: []string{OwnerVia}},
				{Scope: ScopeOwn, Access: AccessRead, Via: []string{OwnerVia, "peer: x"}}}}}},
		compact: EffectivePermissionSpec{Objects: []ObjectPermission{{Type: "deals", Actions: []Action{"view"},
			Grants: []RecordGrant{{Scope: ScopeOwn, Access: AccessRead, HiddenFields: []string{"amount"}, Via: []string{OwnerVia}},
				{Scope: ScopeOwn, Access: AccessRead, Via: []string{OwnerVia, "peer: x"}}}}}},
	}, {
		name:    "nothing held",
		spelled: EffectivePermissionSpec{User: "u"},
		compact: EffectivePermissionSpec{User: "u"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.spelled.DeepCopy()
			got.Compact()
			if d := cmp.Diff(&c.compact, got); d != "" {
				t.Errorf("Compact (-want +got):\n%s", d)
			}
			before := c.compact.DeepCopy()
			if d := cmp.Diff(&c.spelled, c.compact.Expanded()); d != "" {
				t.Errorf("Expanded (-want +got):\n%s", d)
			}
			if d := cmp.Diff(before, &c.compact); d != "" {
				t.Errorf("Expanded changed its receiver:\n%s", d)
			}
			if s := c.spelled.DeepCopy(); s.Expanded() != s {
				t.Error("Expanded of a spelled-out spec is not the spec itself")
			}
		})
	}
}
