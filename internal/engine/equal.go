package engine

import (
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// equalEntry compares two object entries field by field. It runs once per
// type per user, so it avoids reflection.
func equalEntry(a, b accessv1.ObjectPermission) bool {
	if a.Type != b.Type || a.All != b.All || a.Own != b.Own || !slices.Equal(a.Actions, b.Actions) {
		return false
	}
	if (a.Visibility == nil) != (b.Visibility == nil) ||
		(a.Visibility != nil && (a.Visibility.Default != b.Visibility.Default || !slices.Equal(a.Visibility.Allowed, b.Visibility.Allowed))) {
		return false
	}
	if !slices.EqualFunc(a.ActionSources, b.ActionSources, func(x, y accessv1.ActionSource) bool {
		return x.Via == y.Via && slices.Equal(x.Actions, y.Actions)
	}) {
		return false
	}
	return slices.EqualFunc(a.Grants, b.Grants, func(x, y accessv1.RecordGrant) bool {
		return x.Scope == y.Scope && x.Role == y.Role && x.User == y.User && x.Visibility == y.Visibility &&
			x.Access == y.Access && slices.Equal(x.HiddenFields, y.HiddenFields) && slices.Equal(x.Via, y.Via)
	})
}
