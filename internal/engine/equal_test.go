package engine

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// TestEqualEntryAgreesWithDeepEqual changes one field at a time and checks
// equalEntry sees every difference apimachinery's semantic equality sees.
func TestEqualEntryAgreesWithDeepEqual(t *testing.T) {
	base := func() accessv1.ObjectPermission {
		return accessv1.ObjectPermission{
			Type: "deals", Actions: []accessv1.Action{"view"}, All: accessv1.AccessRead,
			ActionSources: []accessv1.ActionSource{{Via: "permissionSet: a", Actions: []accessv1.Action{"view"}}},
			Visibility:    &accessv1.TypeVisibility{Default: "Group", Allowed: []accessv1.Visibility{"Group"}},
			Grants: []accessv1.RecordGrant{{Scope: "Department", Role: "r", User: "u", Visibility: "Public",
				Access: "Read", HiddenFields: []string{"email"}, Via: []string{"x"}}},
		}
	}
	mutations := map[string]func(*accessv1.ObjectPermission){
		"same":          func(*accessv1.ObjectPermission) {},
		"type":          func(e *accessv1.ObjectPermission) { e.Type = "*" },
		"all":           func(e *accessv1.ObjectPermission) { e.All = "" },
		"own":           func(e *accessv1.ObjectPermission) { e.Own = accessv1.AccessRead },
		"actions":       func(e *accessv1.ObjectPermission) { e.Actions = append(e.Actions, "edit") },
		"source via":    func(e *accessv1.ObjectPermission) { e.ActionSources[0].Via = "b" },
		"source acts":   func(e *accessv1.ObjectPermission) { e.ActionSources[0].Actions = nil },
		"visibility":    func(e *accessv1.ObjectPermission) { e.Visibility = nil },
		"vis default":   func(e *accessv1.ObjectPermission) { e.Visibility.Default = "Public" },
		"vis allowed":   func(e *accessv1.ObjectPermission) { e.Visibility.Allowed = nil },
		"grant scope":   func(e *accessv1.ObjectPermission) { e.Grants[0].Scope = "All" },
		"grant role":    func(e *accessv1.ObjectPermission) { e.Grants[0].Role = "" },
		"grant user":    func(e *accessv1.ObjectPermission) { e.Grants[0].User = "" },
		"grant vis":     func(e *accessv1.ObjectPermission) { e.Grants[0].Visibility = "" },
		"grant access":  func(e *accessv1.ObjectPermission) { e.Grants[0].Access = "ReadWrite" },
		"grant hidden":  func(e *accessv1.ObjectPermission) { e.Grants[0].HiddenFields = nil },
		"grant via":     func(e *accessv1.ObjectPermission) { e.Grants[0].Via = []string{"y"} },
		"grants length": func(e *accessv1.ObjectPermission) { e.Grants = nil },
	}
	for name, mutate := range mutations {
		a, b := base(), base()
		mutate(&b)
		if got, want := equalEntry(a, b), equality.Semantic.DeepEqual(a, b); got != want {
			t.Errorf("%s: equalEntry = %v, DeepEqual = %v", name, got, want)
		}
	}
}
