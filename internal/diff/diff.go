// Package diff compares two renders of the engine: who gains and who loses
// which access between two manifest trees, for review before a change
// merges (`accessctl diff`).
//
// It compares what the engine computed, never the inputs, so that every
// consequence of a change shows, in every tenant: moving a role widens every
// manager above its new place; adding a partner admin gives a person access
// in a client tenant. Each gained or lost grant carries the via that gives
// (or gave) it. What widens and what narrows is engine.Classify's answer, the
// one the controller orders its writes by: decided by what pkg/check allows.
package diff

import (
	"cmp"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Direction says what a change does to access: engine.Classify's, decided
// by what pkg/check allows.
type Direction = engine.Direction

const (
	// Widen: the user may do something more.
	Widen = engine.Widen
	// Narrow: the user may do something less.
	Narrow = engine.Narrow
	// Both: the change lets the user do some things more and others less.
	Both = engine.Both
	// Neutral: a change of how access reads (a role's parent, an account
	// role's name) that allows and denies exactly what it did.
	Neutral = engine.Neutral
)

// Op is the sign of a change: + widens, - narrows, ~ neither or both.
type Op = engine.Op

const (
	Gained  = engine.Gained
	Lost    = engine.Lost
	Changed = engine.Changed
)

// Change is one gained, lost or changed item of a user's access, as
// engine.Classify names it.
type Change = engine.AccessChange

// UserStatus says whether the user's EffectivePermission is new, gone or
// changed.
type UserStatus string

const (
	Added   UserStatus = "added"
	Removed UserStatus = "removed"
	Updated UserStatus = "changed"
)

// User is every change of one EffectivePermission.
type User struct {
	Tenant    string     `json:"tenant"`
	User      string     `json:"user"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Status    UserStatus `json:"status"`
	Changes   []Change   `json:"changes"`
}

// Widens reports whether the user may do something more.
func (u User) Widens() bool { return engine.AccessChanges(u.Changes).Widens() }

// Narrows reports whether the user may do something less.
func (u User) Narrows() bool { return engine.AccessChanges(u.Changes).Narrows() }

// Report is the whole comparison.
type Report struct {
	// Users whose EffectivePermission differs, sorted by namespace and name.
	Users []User
	// Appeared and Disappeared are the findings only the new, or only the
	// old, tree has.
	Appeared, Disappeared []engine.Finding
}

// Widens reports whether anyone gains access.
func (r Report) Widens() bool { return slices.ContainsFunc(r.Users, User.Widens) }

// Narrows reports whether anyone loses access.
func (r Report) Narrows() bool { return slices.ContainsFunc(r.Users, User.Narrows) }

// Empty reports whether nothing differs.
func (r Report) Empty() bool {
	return len(r.Users) == 0 && len(r.Appeared) == 0 && len(r.Disappeared) == 0
}

// Compare returns what differs from old to new.
func Compare(old, new *engine.Result) Report {
	var r Report
	key := func(ep *accessv1.EffectivePermission) string { return ep.Namespace + "/" + ep.Name }
	olds := map[string]*accessv1.EffectivePermission{}
	for i := range old.EffectivePermissions {
		olds[key(&old.EffectivePermissions[i])] = &old.EffectivePermissions[i]
	}
	news := map[string]*accessv1.EffectivePermission{}
	for i := range new.EffectivePermissions {
		news[key(&new.EffectivePermissions[i])] = &new.EffectivePermissions[i]
	}
	empty := &accessv1.EffectivePermission{}
	for k, o := range olds {
		if n, ok := news[k]; ok {
			if u := compareEP(o, n, Updated); len(u.Changes) > 0 {
				r.Users = append(r.Users, u)
			}
			continue
		}
		r.Users = append(r.Users, compareEP(o, withIdentity(empty, o), Removed))
	}
	for k, n := range news {
		if _, ok := olds[k]; !ok {
			r.Users = append(r.Users, compareEP(withIdentity(empty, n), n, Added))
		}
	}
	slices.SortFunc(r.Users, func(a, b User) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	r.Appeared = findingsOnlyIn(new.Findings, old.Findings)
	r.Disappeared = findingsOnlyIn(old.Findings, new.Findings)
	return r
}

// withIdentity is an EffectivePermission that grants nothing, named as ep.
func withIdentity(empty, ep *accessv1.EffectivePermission) *accessv1.EffectivePermission {
	e := empty.DeepCopy()
	e.Namespace, e.Name = ep.Namespace, ep.Name
	e.Spec.Tenant, e.Spec.User = ep.Spec.Tenant, ep.Spec.User
	return e
}

func findingsOnlyIn(a, b []engine.Finding) []engine.Finding {
	in := map[string]bool{}
	for _, f := range b {
		in[f.String()] = true
	}
	var out []engine.Finding
	for _, f := range a {
		if !in[f.String()] {
			out = append(out, f)
		}
	}
	return out
}

// compareEP lists what differs between two EffectivePermissions of a user
// (o grants nothing when the user is new, n when it is gone), as
// engine.Classify judges it. Changes only of why something is held (vias)
// and of objects[].all (the summary of the All grants, which are listed
// themselves) are left out; so are the attributes of a user who is new or
// gone.
func compareEP(o, n *accessv1.EffectivePermission, status UserStatus) User {
	u := User{Tenant: n.Spec.Tenant, User: n.Spec.User, Namespace: n.Namespace, Name: n.Name, Status: status}
	os, ns := &o.Spec, &n.Spec
	switch status {
	case Added:
		os = nil
	case Removed:
		ns = nil
	}
	for _, c := range engine.Classify(os, ns) {
		switch {
		case c.What == engine.WhatVia || c.What == engine.WhatAll:
		case status != Updated && !slices.Contains(itemKinds, c.What):
		default:
			u.Changes = append(u.Changes, c)
		}
	}
	return u
}

// itemKinds are the kinds of change that are items of access (the others
// are attributes of the spec: who the user is here).
var itemKinds = []string{engine.WhatCapability, engine.WhatAction, engine.WhatRecords, engine.WhatHiddenField,
	engine.WhatSubordinate, engine.WhatVisibility, engine.WhatCombined}
