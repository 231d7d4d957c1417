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

import (
	"cmp"
	"slices"
	"strings"
)

// An EffectivePermission is written in its compact shape: what one field can
// say is not repeated as list items, because the API server pays for every
// item it decodes, validates and tracks (docs/effectivepermission.md,
// "Shape"). Readers that walk the lists call Expanded and see every grant
// and source spelled out, as EffectivePermissions written before the compact
// shape were; the two shapes grant exactly the same.

// OwnerVia is the via of the grant of scope Own that spec.objects[].own
// stands for.
const OwnerVia = "owner"

// SortKey orders the grants of an entry (and tells grants that differ only
// in via apart from the rest): by scope, role, user, visibility, access and
// hidden fields.
func (g *RecordGrant) SortKey() string {
	return string(g.Scope) + "\x00" + g.Role + "\x00" + g.User + "\x00" + string(g.Visibility) + "\x00" + string(g.Access) + "\x00" + strings.Join(g.HiddenFields, ",")
}

// ownGrant is the grant that own stands for.
func ownGrant(access AccessLevel) RecordGrant {
	return RecordGrant{Scope: ScopeOwn, Access: access, Via: []string{OwnerVia}}
}

// isPlainOwn says whether g is exactly the grant own can stand for.
func isPlainOwn(g *RecordGrant) bool {
	return g.Scope == ScopeOwn && g.Role == "" && g.User == "" && g.Visibility == "" && len(g.HiddenFields) == 0 &&
		len(g.Via) == 1 && g.Via[0] == OwnerVia
}

// Compact writes s in the compact shape, in place: a plain Own grant becomes
// the entry's own (when the entry has one such grant), and a source that
// gives every capability or every action of its entry omits the list.
func (s *EffectivePermissionSpec) Compact() {
	for i := range s.CapabilitySources {
		if src := &s.CapabilitySources[i]; len(src.Capabilities) > 0 && slices.Equal(src.Capabilities, s.Capabilities) {
			src.Capabilities = nil
		}
	}
	for i := range s.Objects {
		o := &s.Objects[i]
		for j := range o.ActionSources {
			if src := &o.ActionSources[j]; len(src.Actions) > 0 && slices.Equal(src.Actions, o.Actions) {
				src.Actions = nil
			}
		}
		if o.Own != "" {
			continue
		}
		if k := slices.IndexFunc(o.Grants, func(g RecordGrant) bool { return isPlainOwn(&g) }); k >= 0 {
			o.Own = o.Grants[k].Access
			o.Grants = slices.Delete(o.Grants, k, k+1)
			if len(o.Grants) == 0 {
				o.Grants = nil
			}
		}
	}
}

// compact says whether s uses any part of the compact shape.
func (s *EffectivePermissionSpec) compact() bool {
	for i := range s.CapabilitySources {
		if len(s.CapabilitySources[i].Capabilities) == 0 {
			return true
		}
	}
	for i := range s.Objects {
		o := &s.Objects[i]
		if o.Own != "" {
			return true
		}
		for j := range o.ActionSources {
			if len(o.ActionSources[j].Actions) == 0 {
				return true
			}
		}
	}
	return false
}

// Expanded returns s with every grant and source spelled out: own as the
// grant of scope Own via "owner" at its place among the grants, and each
// source's omitted list filled in. It returns s itself when s is already
// expanded (an EffectivePermission written before the compact shape), and
// otherwise a copy: s is never changed, so it may be read from a cache.
func (s *EffectivePermissionSpec) Expanded() *EffectivePermissionSpec {
	if !s.compact() {
		return s
	}
	out := s.DeepCopy()
	for i := range out.CapabilitySources {
		if src := &out.CapabilitySources[i]; len(src.Capabilities) == 0 {
			src.Capabilities = slices.Clone(out.Capabilities)
		}
	}
	for i := range out.Objects {
		o := &out.Objects[i]
		for j := range o.ActionSources {
			if src := &o.ActionSources[j]; len(src.Actions) == 0 {
				src.Actions = slices.Clone(o.Actions)
			}
		}
		if o.Own == "" {
			continue
		}
		g := ownGrant(o.Own)
		key := g.SortKey()
		at, _ := slices.BinarySearchFunc(o.Grants, key, func(x RecordGrant, k string) int { return cmp.Compare(x.SortKey(), k) })
		o.Grants = slices.Insert(o.Grants, at, g)
		o.Own = ""
	}
	return out
}
