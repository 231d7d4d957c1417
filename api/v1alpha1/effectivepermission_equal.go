/*
Copyright 2026 The access-controller Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import "slices"

// Same reports whether two specs are equal field by field, a nil list equal
// to an empty one: what apimachinery's equality.Semantic.DeepEqual says of
// them, without reflection. The controller compares every desired
// EffectivePermission with the stored one on each pass, so in a tenant of
// 10,000 users this is on the path of every change. TestSpecSame holds it
// equal to equality.Semantic.DeepEqual on random specs, each field changed
// in turn, so a field added to these types and not here fails it.
func (s *EffectivePermissionSpec) Same(o *EffectivePermissionSpec) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Tenant == o.Tenant && s.User == o.User && s.Active == o.Active &&
		s.AccountRole == o.AccountRole && s.Role == o.Role && s.Partner == o.Partner && s.Mode == o.Mode &&
		slices.Equal(s.Capabilities, o.Capabilities) &&
		slices.Equal(s.WithheldCapabilities, o.WithheldCapabilities) &&
		slices.EqualFunc(s.CapabilitySources, o.CapabilitySources, func(a, b CapabilitySource) bool {
			return a.Via == b.Via && slices.Equal(a.Capabilities, b.Capabilities)
		}) &&
		(shared(s.Subordinates, o.Subordinates) || slices.Equal(s.Subordinates, o.Subordinates)) &&
		(shared(s.Objects, o.Objects) || slices.EqualFunc(s.Objects, o.Objects, sameObject))
}

// shared reports whether two lists are one: the same items in the same
// memory (a spec the controller reused is compared with the stored one it
// came from).
func shared[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func sameObject(a, b ObjectPermission) bool {
	return a.Type == b.Type && a.Own == b.Own && a.All == b.All &&
		slices.Equal(a.Actions, b.Actions) &&
		slices.EqualFunc(a.ActionSources, b.ActionSources, func(x, y ActionSource) bool {
			return x.Via == y.Via && slices.Equal(x.Actions, y.Actions)
		}) &&
		sameVisibility(a.Visibility, b.Visibility) &&
		slices.EqualFunc(a.Grants, b.Grants, func(x, y RecordGrant) bool {
			return x.Scope == y.Scope && x.Role == y.Role && x.User == y.User && x.Visibility == y.Visibility &&
				x.Access == y.Access && slices.Equal(x.HiddenFields, y.HiddenFields) && slices.Equal(x.Via, y.Via)
		})
}

func sameVisibility(a, b *TypeVisibility) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Default == b.Default && slices.Equal(a.Allowed, b.Allowed)
}
