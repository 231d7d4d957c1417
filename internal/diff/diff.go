// Package diff compares two renders of the engine: who gains and who loses
// which access between two manifest trees, for review before a change
// merges (`accessctl diff`).
//
// It compares what the engine computed, never the inputs, so that every
// consequence of a change shows, in every tenant: moving a role widens every
// manager above its new place; adding a partner admin gives a person access
// in a client tenant. Each gained or lost grant carries the via that gives
// (or gave) it.
package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Direction says what a change does to access.
type Direction string

const (
	// Widen: the user may do something more.
	Widen Direction = "widen"
	// Narrow: the user may do something less.
	Narrow Direction = "narrow"
	// Neutral: a change of how access reads (a role's name, a via, a
	// visibility default) that neither adds nor removes a grant by itself.
	Neutral Direction = "none"
)

// Op is how one item changed.
type Op string

const (
	Gained  Op = "+"
	Lost    Op = "-"
	Changed Op = "~"
)

// Change is one gained, lost or changed item of a user's access.
type Change struct {
	Op        Op        `json:"op"`
	Direction Direction `json:"direction"`
	// What is the kind of item: capability, action, records, hidden-field, subordinate, visibility or the name of a spec field
	// (active, accountRole, role, partner, mode, withheldCapabilities).
	What string `json:"what"`
	// Type is the object type, for actions and records.
	Type string `json:"type,omitempty"`
	// Item names it: the capability, the action, the grant ("Hierarchy",
	// "Role support", "Visibility Public"), the field, the role.
	Item string `json:"item"`
	// From and To are the values of a changed item (access levels, roles).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Via is what gives a gained item, or gave a lost one.
	Via []string `json:"via,omitempty"`
}

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

// Widens reports whether any change gives the user more.
func (u User) Widens() bool { return u.has(Widen) }

// Narrows reports whether any change takes something away.
func (u User) Narrows() bool { return u.has(Narrow) }

func (u User) has(d Direction) bool {
	return slices.ContainsFunc(u.Changes, func(c Change) bool { return c.Direction == d })
}

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

func compareEP(o, n *accessv1.EffectivePermission, status UserStatus) User {
	u := User{Tenant: n.Spec.Tenant, User: n.Spec.User, Namespace: n.Namespace, Name: n.Name, Status: status}
	os, ns := &o.Spec, &n.Spec
	if status != Added && status != Removed {
		u.Changes = append(u.Changes, attributes(os, ns)...)
	}
	u.Changes = append(u.Changes, capabilities(os, ns)...)
	u.Changes = append(u.Changes, subordinates(os, ns)...)
	u.Changes = append(u.Changes, objects(os, ns)...)
	return u
}

// attributes are the spec fields that say who the user is here.
func attributes(o, n *accessv1.EffectivePermissionSpec) []Change {
	var out []Change
	field := func(name, from, to string) {
		if from != to {
			out = append(out, Change{Op: Changed, Direction: Neutral, What: name, Item: name, From: from, To: to})
		}
	}
	field("active", fmt.Sprint(o.Active), fmt.Sprint(n.Active))
	field("accountRole", string(o.AccountRole), string(n.AccountRole))
	field("role", o.Role, n.Role)
	field("partner", o.Partner, n.Partner)
	field("mode", string(o.Mode), string(n.Mode))
	field("withheldCapabilities", strings.Join(o.WithheldCapabilities, ","), strings.Join(n.WithheldCapabilities, ","))
	return out
}

func capabilities(o, n *accessv1.EffectivePermissionSpec) []Change {
	via := func(spec *accessv1.EffectivePermissionSpec, c string) []string {
		var out []string
		for _, s := range spec.CapabilitySources {
			if slices.Contains(s.Capabilities, c) {
				out = append(out, s.Via)
			}
		}
		return out
	}
	return setChanges(o.Capabilities, n.Capabilities, func(op Op, c string) Change {
		spec := n
		if op == Lost {
			spec = o
		}
		return Change{Op: op, Direction: direction(op), What: "capability", Item: c, Via: via(spec, c)}
	})
}

// subordinates: a role coming into or leaving the user's hierarchy widens or
// narrows what the Hierarchy grants reach; a subordinate that only changes
// parent within it changes nothing the user may see.
func subordinates(o, n *accessv1.EffectivePermissionSpec) []Change {
	parents := func(es []accessv1.RoleEdge) map[string]string {
		m := map[string]string{}
		for _, e := range es {
			m[e.Role] = e.ReportsTo
		}
		return m
	}
	op, np := parents(o.Subordinates), parents(n.Subordinates)
	var out []Change
	for _, role := range sortedKeys(op, np) {
		from, inOld := op[role]
		to, inNew := np[role]
		switch {
		case !inOld:
			out = append(out, Change{Op: Gained, Direction: Widen, What: "subordinate", Item: role, To: to,
				Via: []string{"hierarchy: " + role + " reports to " + to}})
		case !inNew:
			out = append(out, Change{Op: Lost, Direction: Narrow, What: "subordinate", Item: role, From: from,
				Via: []string{"hierarchy: " + role + " reported to " + from}})
		case from != to:
			out = append(out, Change{Op: Changed, Direction: Neutral, What: "subordinate", Item: role, From: from, To: to})
		}
	}
	return out
}

func objects(o, n *accessv1.EffectivePermissionSpec) []Change {
	byType := func(s *accessv1.EffectivePermissionSpec) map[string]*accessv1.ObjectPermission {
		m := map[string]*accessv1.ObjectPermission{}
		for i := range s.Objects {
			m[s.Objects[i].Type] = &s.Objects[i]
		}
		return m
	}
	ot, nt := byType(o), byType(n)
	none := &accessv1.ObjectPermission{}
	var out []Change
	for _, typ := range sortedKeys(ot, nt) {
		op, np := ot[typ], nt[typ]
		if op == nil {
			op = none
		}
		if np == nil {
			np = none
		}
		out = append(out, objectChanges(typ, op, np)...)
	}
	return out
}

func objectChanges(typ string, o, n *accessv1.ObjectPermission) []Change {
	via := func(p *accessv1.ObjectPermission, a string) []string {
		var out []string
		for _, s := range p.ActionSources {
			if slices.Contains(s.Actions, accessv1.Action(a)) {
				out = append(out, s.Via)
			}
		}
		return out
	}
	out := setChanges(actionStrings(o.Actions), actionStrings(n.Actions), func(op Op, a string) Change {
		p := n
		if op == Lost {
			p = o
		}
		return Change{Op: op, Direction: direction(op), What: "action", Type: typ, Item: a, Via: via(p, a)}
	})
	// o.All and n.All summarise the All grants, which are compared below.
	if ov, nv := visibilityString(o.Visibility), visibilityString(n.Visibility); ov != nv {
		out = append(out, Change{Op: Changed, Direction: Neutral, What: "visibility", Type: typ, Item: "visibility", From: ov, To: nv})
	}
	return append(out, grants(typ, o.Grants, n.Grants)...)
}

// grants compares record grants by what they reach (scope, role, user,
// visibility): one reached anew widens, one no longer reached narrows, a
// different access level widens or narrows; a field hidden anew narrows.
func grants(typ string, o, n []accessv1.RecordGrant) []Change {
	index := func(gs []accessv1.RecordGrant) map[string]*accessv1.RecordGrant {
		m := map[string]*accessv1.RecordGrant{}
		for i := range gs {
			m[grantName(&gs[i])] = &gs[i]
		}
		return m
	}
	og, ng := index(o), index(n)
	var out []Change
	for _, name := range sortedKeys(og, ng) {
		a, b := og[name], ng[name]
		switch {
		case a == nil:
			to := string(b.Access)
			if len(b.HiddenFields) > 0 {
				to += " hiding " + strings.Join(b.HiddenFields, ",")
			}
			out = append(out, Change{Op: Gained, Direction: Widen, What: "records", Type: typ, Item: name, To: to, Via: b.Via})
		case b == nil:
			out = append(out, Change{Op: Lost, Direction: Narrow, What: "records", Type: typ, Item: name, From: string(a.Access), Via: a.Via})
		default:
			if a.Access != b.Access {
				via := b.Via
				if rank(b.Access) < rank(a.Access) {
					via = a.Via
				}
				out = append(out, level(Change{What: "records", Type: typ, Item: name, Via: via}, a.Access, b.Access))
			}
			out = append(out, setChanges(a.HiddenFields, b.HiddenFields, func(op Op, f string) Change {
				// A field hidden anew is a loss; one no longer hidden, a gain.
				c := Change{What: "hidden-field", Type: typ, Item: name + " field " + f}
				if op == Gained {
					c.Op, c.Direction, c.From, c.To, c.Via = Lost, Narrow, "visible", "hidden", b.Via
				} else {
					c.Op, c.Direction, c.From, c.To, c.Via = Gained, Widen, "hidden", "visible", b.Via
				}
				return c
			})...)
		}
	}
	return out
}

// grantName names what a grant reaches: "Hierarchy", "Role support",
// "User ann@x.example", "Visibility Public", "Department sales".
func grantName(g *accessv1.RecordGrant) string {
	parts := []string{string(g.Scope)}
	for _, p := range []string{g.Role, g.User, string(g.Visibility)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// level is a change of access level, widening or narrowing.
func level(c Change, from, to accessv1.AccessLevel) Change {
	c.From, c.To = string(from), string(to)
	if from == "" {
		c.From = "None"
	}
	if to == "" {
		c.To = "None"
	}
	switch {
	case rank(to) > rank(from):
		c.Op, c.Direction = Gained, Widen
	case rank(to) < rank(from):
		c.Op, c.Direction = Lost, Narrow
	default:
		c.Op, c.Direction = Changed, Neutral
	}
	return c
}

func rank(a accessv1.AccessLevel) int {
	switch a {
	case accessv1.AccessRead:
		return 1
	case accessv1.AccessReadWrite:
		return 2
	}
	return 0
}

func visibilityString(v *accessv1.TypeVisibility) string {
	if v == nil {
		return ""
	}
	s := "default " + string(v.Default)
	if len(v.Allowed) > 0 {
		as := make([]string, len(v.Allowed))
		for i, a := range v.Allowed {
			as[i] = string(a)
		}
		s += ", allowed " + strings.Join(as, ",")
	}
	return s
}

func actionStrings(as []accessv1.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func direction(op Op) Direction {
	switch op {
	case Gained:
		return Widen
	case Lost:
		return Narrow
	}
	return Neutral
}

// setChanges reports the items only in n (gained) and only in o (lost), in
// sorted order.
func setChanges(o, n []string, change func(Op, string) Change) []Change {
	var out []Change
	for _, s := range sortedUnion(o, n) {
		inO, inN := slices.Contains(o, s), slices.Contains(n, s)
		switch {
		case inN && !inO:
			out = append(out, change(Gained, s))
		case inO && !inN:
			out = append(out, change(Lost, s))
		}
	}
	return out
}

func sortedUnion(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
