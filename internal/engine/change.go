package engine

import (
	"cmp"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Direction says what a change does to a user's access, judged by what
// pkg/check allows: Widen when some question it denied before is allowed
// after, Narrow when some question it allowed is denied, Both when each
// happens, Neutral when no answer changes (a via, a role's parent, the
// account role's name: how access reads, not what it allows).
type Direction string

const (
	// Neutral: no decision of pkg/check changes.
	Neutral Direction = "none"
	// Widen: some decision goes from denied to allowed, none the other way.
	Widen Direction = "widen"
	// Narrow: some decision goes from allowed to denied, none the other way.
	Narrow Direction = "narrow"
	// Both: some decisions widen and others narrow.
	Both Direction = "both"
)

// Widens reports whether d allows something that was denied.
func (d Direction) Widens() bool { return d == Widen || d == Both }

// Narrows reports whether d denies something that was allowed.
func (d Direction) Narrows() bool { return d == Narrow || d == Both }

func direction(widens, narrows bool) Direction {
	switch {
	case widens && narrows:
		return Both
	case widens:
		return Widen
	case narrows:
		return Narrow
	}
	return Neutral
}

// join is d and e together.
func (d Direction) join(e Direction) Direction {
	return direction(d.Widens() || e.Widens(), d.Narrows() || e.Narrows())
}

// meet is what d and e have in common.
func (d Direction) meet(e Direction) Direction {
	return direction(d.Widens() && e.Widens(), d.Narrows() && e.Narrows())
}

// minus is what d has and e has not.
func (d Direction) minus(e Direction) Direction {
	return direction(d.Widens() && !e.Widens(), d.Narrows() && !e.Narrows())
}

// Op is the sign of a change, as a diff shows it: "+" it widens, "-" it
// narrows, "~" it does neither or both.
type Op string

const (
	Gained  Op = "+"
	Lost    Op = "-"
	Changed Op = "~"
)

func opOf(d Direction) Op {
	switch d {
	case Widen:
		return Gained
	case Narrow:
		return Lost
	}
	return Changed
}

// The kinds of AccessChange (AccessChange.What). The attributes of the spec are named
// after their field: active, accountRole, role, partner, mode, tenant, user,
// withheldCapabilities.
const (
	WhatCapability  = "capability"   // a capability held anew or no longer (Item: the name, "*" for every other name)
	WhatAction      = "action"       // an action on a type
	WhatRecords     = "records"      // a record grant of a type (Item: its scope, then role, user or visibility)
	WhatHiddenField = "hidden-field" // a field of a grant's records hidden anew or shown
	WhatSubordinate = "subordinate"  // a role below the user's, for Hierarchy grants
	WhatVisibility  = "visibility"   // a type's PermissionGroup visibility settings
	WhatAll         = "all"          // objects[].all, the summary of the All grants (informational)
	WhatVia         = "via"          // only why something is held changed (informational)
	WhatCombined    = "combined"     // what the changes of a type do together beyond each alone
)

// AccessChange is one field-by-field difference between two EffectivePermissions,
// with what it does to access.
type AccessChange struct {
	// Op is the sign of Direction: + widens, - narrows, ~ neither or both.
	Op Op `json:"op"`
	// Direction is what this change does to pkg/check's decisions.
	Direction Direction `json:"direction"`
	// What is the kind of item (the What* constants, or an attribute's
	// field name).
	What string `json:"what"`
	// Type is the object type, for actions, records, hidden fields,
	// visibility; "*" is every type without an entry of its own.
	Type string `json:"type,omitempty"`
	// Item names it: the capability, the action, the grant ("Hierarchy",
	// "Role support", "Visibility Public"), the field, the role.
	Item string `json:"item"`
	// From and To are the values before and after (access levels, roles);
	// empty when the item did not exist on that side.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Via is what gives a widening item, or gave a narrowing one.
	Via []string `json:"via,omitempty"`
}

// AccessChanges are every difference between two EffectivePermissions.
type AccessChanges []AccessChange

// Direction is what the changes do together. It is exact: Widens is true
// exactly when some decision of pkg/check on the new EffectivePermission
// allows what the old one denied, Narrows when the reverse holds.
func (cs AccessChanges) Direction() Direction {
	d := Neutral
	for _, c := range cs {
		d = d.join(c.Direction)
	}
	return d
}

// Widens reports whether the user may do something more.
func (cs AccessChanges) Widens() bool { return cs.Direction().Widens() }

// Narrows reports whether the user may do something less.
func (cs AccessChanges) Narrows() bool { return cs.Direction().Narrows() }

// Classify compares two EffectivePermission specs of one user and returns
// every difference, field by field, each with what it does to access as
// pkg/check decides it. nil is no EffectivePermission: it grants nothing.
//
// Each change's direction is what it does alone, applied to the old spec or
// taken back from the new one, limited to what all changes of that type do
// together; when changes only together widen or narrow a type, a "combined"
// change says so. So AccessChanges.Direction is exactly ClassifyDirection.
func Classify(old, new *accessv1.EffectivePermissionSpec) AccessChanges {
	return newComparison(old, new).changes()
}

// ClassifyDirection is Classify(old, new).Direction(), without naming each
// change: what the controller needs to order its writes.
func ClassifyDirection(old, new *accessv1.EffectivePermissionSpec) Direction {
	c := newComparison(old, new)
	d := c.capabilityDirection()
	for _, t := range c.types {
		if d == Both {
			break
		}
		d = d.join(c.combined(t))
	}
	return d
}

// state is the part of a spec pkg/check reads, for an active spec; an
// inactive or absent one holds nothing.
type state struct {
	active     bool
	user, role string
	subs       []accessv1.RoleEdge
	caps       []string
	withheld   []string
	entries    map[string]*accessv1.ObjectPermission // the first entry of each type, "*" included
}

func stateOf(s *accessv1.EffectivePermissionSpec) *state {
	st := &state{entries: map[string]*accessv1.ObjectPermission{}}
	if s == nil || !s.Active {
		return st
	}
	st.active, st.user, st.role = true, s.User, s.Role
	st.subs, st.caps, st.withheld = s.Subordinates, s.Capabilities, s.WithheldCapabilities
	for i := range s.Objects {
		if _, dup := st.entries[s.Objects[i].Type]; !dup { // pkg/check reads the first
			st.entries[s.Objects[i].Type] = &s.Objects[i]
		}
	}
	return st
}

// entry is the entry pkg/check reads for typ: its own, else "*".
func (s *state) entry(typ string) *accessv1.ObjectPermission {
	if e, ok := s.entries[typ]; ok {
		return e
	}
	return s.entries[accessv1.AllTypes]
}

func (s *state) clone() *state {
	c := *s
	c.subs = slices.Clone(s.subs)
	return &c
}

func (s *state) holds(name string) bool {
	if !s.active || slices.Contains(s.withheld, name) {
		return false
	}
	return slices.Contains(s.caps, name) || slices.Contains(s.caps, accessv1.AllCapabilities)
}

type comparison struct {
	rawOld, rawNew *accessv1.EffectivePermissionSpec
	old, new       *state
	types          []string             // every type either side names, "*" included
	sameContext    bool                 // sameContextOf(old, new), once per comparison
	memo           map[string]Direction // combined, by type
	probes         map[string]Direction // probe, by what the two mini specs hold
	compiled       map[string]*check.Permissions
	// compiler compiles the probes' mini specs with the role table of
	// both sides, built once (a department head's subordinates are
	// hundreds of roles, and every type's probe compiles them again).
	compiler *check.Compiler
	// subs holds what the probes read of each subordinate list they meet
	// (the old side's, the new side's), worked out once: a department
	// head's lists are hundreds of roles, read by every type's probe.
	subs map[listID]*subList
	// unions is the sorted union of the roles of two lists, by the pair.
	unions map[[2]listID][]string
}

// listID tells subordinate lists apart within a comparison, where no list
// changes: every list the probes meet is one of the two sides' (a copy is
// only worked out again).
type listID struct {
	first *accessv1.RoleEdge
	n     int
}

func idOf(es []accessv1.RoleEdge) listID {
	if len(es) == 0 {
		return listID{}
	}
	return listID{&es[0], len(es)}
}

// subList is what the probes read of one subordinate list: its roles as a
// set, and sorted without repeats (roleSet), also joined by commas
// (probeKey).
type subList struct {
	set   map[string]bool
	roles []string
	key   string
}

// subList returns what the probes read of es, worked out once per list.
func (c *comparison) subList(es []accessv1.RoleEdge) *subList {
	id := idOf(es)
	if l, ok := c.subs[id]; ok {
		return l
	}
	roles := roleSet(es)
	l := &subList{set: subSet(es), roles: roles, key: strings.Join(roles, ",")}
	c.subs[id] = l
	return l
}

// union is the roles of a and b, sorted without repeats, once per pair.
func (c *comparison) union(a, b []accessv1.RoleEdge) []string {
	id := [2]listID{idOf(a), idOf(b)}
	if u, ok := c.unions[id]; ok {
		return u
	}
	u := make([]string, 0, len(a)+len(b))
	for _, es := range [][]accessv1.RoleEdge{a, b} {
		for _, e := range es {
			u = append(u, e.Role)
		}
	}
	slices.Sort(u)
	u = slices.Compact(u)
	c.unions[id] = u
	return u
}

func newComparison(old, new *accessv1.EffectivePermissionSpec) *comparison {
	if old != nil { // either shape may come from the API server: compare grants
		old = old.Expanded()
	}
	if new != nil {
		new = new.Expanded()
	}
	empty := &accessv1.EffectivePermissionSpec{}
	c := &comparison{rawOld: cmp.Or(old, empty), rawNew: cmp.Or(new, empty), old: stateOf(old), new: stateOf(new),
		memo: map[string]Direction{}, probes: map[string]Direction{}, compiled: map[string]*check.Permissions{},
		subs: map[listID]*subList{}, unions: map[[2]listID][]string{}}
	for t := range c.old.entries {
		c.types = append(c.types, t)
	}
	for t := range c.new.entries {
		c.types = append(c.types, t)
	}
	slices.Sort(c.types)
	c.types = slices.Compact(c.types)
	c.sameContext = c.sameContextOf(c.old, c.new)
	return c
}

// combined is what everything that differs does to the records and actions
// of type t.
func (c *comparison) combined(t string) Direction {
	if d, ok := c.memo[t]; ok {
		return d
	}
	eo, en := c.old.entry(t), c.new.entry(t)
	d := functional(eo, en)
	if !c.sameContext || !sameEntry(eo, en) {
		d = d.join(c.probe(mini(c.old, t, eo), mini(c.new, t, en), t))
	}
	c.memo[t] = d
	return d
}

// functional is what the difference in held actions does to the functional
// question (may the user perform an action on the type at all).
func functional(eo, en *accessv1.ObjectPermission) Direction {
	o, n := knownActions(eo), knownActions(en)
	return direction(n&^o != 0, o&^n != 0)
}

var checkActions = []accessv1.Action{accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll}

func knownActions(e *accessv1.ObjectPermission) uint8 {
	var bits uint8
	if e == nil {
		return 0
	}
	for _, a := range e.Actions {
		if i := slices.Index(checkActions, a); i >= 0 {
			bits |= 1 << i
		}
	}
	return bits
}

func (c *comparison) sameContextOf(a, b *state) bool {
	return a.active == b.active && a.user == b.user && a.role == b.role && slices.Equal(c.subList(a.subs).roles, c.subList(b.subs).roles)
}

func roleSet(es []accessv1.RoleEdge) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Role)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sameEntry compares what pkg/check reads of two entries: the actions, the
// visibility settings and the grants (as a set, without their via).
func sameEntry(a, b *accessv1.ObjectPermission) bool {
	if a == nil || b == nil {
		return a == b
	}
	if knownActions(a) != knownActions(b) || visibilityString(a.Visibility) != visibilityString(b.Visibility) {
		return false
	}
	return slices.Equal(grantKeys(a.Grants), grantKeys(b.Grants))
}

func grantKeys(gs []accessv1.RecordGrant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, grantName(&g)+"\x00"+string(g.Access)+"\x00"+strings.Join(sortedCopy(g.HiddenFields), ","))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mini is the spec pkg/check compiles to answer for type t: s's context and
// e alone.
func mini(s *state, t string, e *accessv1.ObjectPermission) *accessv1.EffectivePermissionSpec {
	spec := &accessv1.EffectivePermissionSpec{Active: s.active, User: s.user, Role: s.role, Subordinates: s.subs}
	if e != nil && s.active {
		x := *e
		x.Type = t
		spec.Objects = []accessv1.ObjectPermission{x}
	}
	return spec
}

// otherType is the type a question about "*" asks: any type with no entry
// of its own (a mini spec holds only the "*" entry then).
const otherType = "any-other-type"

// probe compares pkg/check's decisions on a and b (mini specs for type t)
// for every record that can tell them apart. pkg/check compares a record's
// owner, owner's role, visibility, groups and field only with values the
// spec names, so one record per class of values (each value named, and one
// named nowhere) decides every record. Pairs already probed (another type
// with the same entries) are not probed again.
func (c *comparison) probe(a, b *accessv1.EffectivePermissionSpec, t string) Direction {
	if !a.Active && !b.Active {
		// pkg/check denies everything of an inactive EffectivePermission:
		// no answer differs. (A create's changes, applied alone to the
		// empty old side, are all probed so.)
		return Neutral
	}
	// Types share answers, but a malformed type name may be answered
	// differently (pkg/check denies what is not a type name).
	class := "type name"
	if !check.ValidType(t) && t != accessv1.AllTypes {
		class = t
	}
	ka, kb := c.probeKey(a), c.probeKey(b)
	key := class + "\x01" + ka + "\x01" + kb
	if d, ok := c.probes[key]; ok {
		return d
	}
	d := probe(t, c.probeValues(a, b), c.compile(a, t, ka), c.compile(b, t, kb))
	c.probes[key] = d
	return d
}

// compile is check.Compile(s) for s, a mini spec for type t whose probeKey
// is key, once per comparison: a change's probes compile the same side
// again and again (the old context, the new one).
func (c *comparison) compile(s *accessv1.EffectivePermissionSpec, t, key string) *check.Permissions {
	key = t + "\x01" + key
	if p, ok := c.compiled[key]; ok {
		return p
	}
	if c.compiler == nil {
		c.compiler = check.NewCompiler(c.rawOld, c.rawNew)
	}
	p := c.compiler.Compile(s)
	c.compiled[key] = p
	return p
}

// probeKey is what pkg/check reads of a mini spec, but its type.
func (c *comparison) probeKey(s *accessv1.EffectivePermissionSpec) string {
	var b strings.Builder
	b.WriteString(boolString(s.Active) + "\x00" + s.User + "\x00" + s.Role + "\x00" + c.subList(s.Subordinates).key)
	for _, o := range s.Objects {
		b.WriteString("\x00" + strings.Join(actionStrings(o.Actions), ",") + "\x00" + visibilityString(o.Visibility) + "\x00")
		b.WriteString(strings.Join(grantKeys(o.Grants), "\x02"))
	}
	return b.String()
}

func probe(t string, vals values, pa, pb *check.Permissions) Direction {
	if t == accessv1.AllTypes {
		t = otherType
	}
	widens, narrows := false, false
	ask := func(rec check.Record) bool {
		for _, act := range checkActions {
			x, y := pa.Action(act, rec).Allowed, pb.Action(act, rec).Allowed
			widens = widens || (y && !x)
			narrows = narrows || (x && !y)
		}
		return widens && narrows
	}
	rec := check.Record{Type: t}
	for _, owner := range vals.owners {
		rec.Owner = owner
		roles, actives := vals.roles, vals.actives
		if owner == "" { // a record with no owner has no owner's role either
			roles, actives = []string{""}, []bool{false}
		}
		for _, role := range roles {
			rec.OwnerRole = role
			for _, active := range actives {
				rec.OwnerActive = active
				for _, v := range vals.visibilities {
					rec.Visibility = v
					for _, g := range vals.groups {
						rec.Groups = g
						for _, f := range vals.fields {
							rec.Field = f
							if ask(rec) {
								return Both
							}
						}
					}
				}
			}
		}
	}
	return direction(widens, narrows)
}

type values struct {
	owners, roles, fields []string
	actives               []bool
	visibilities          []accessv1.Visibility
	groups                [][]string
}

// probeValues are the record values worth asking about for a and b: the
// empty owner and role, one of each named, and one named nowhere. Roles that
// only the subordinate lists name are alike when both lists agree on them,
// so one of each kind stands for all.
func (c *comparison) probeValues(a, b *accessv1.EffectivePermissionSpec) values {
	var v values
	named := map[string]bool{} // roles a grant or the user's role names
	var users []string
	// Which record values the grants read (docs/effectivepermission.md,
	// step 4): whether the owner is an active member (Role, User, Hierarchy,
	// Visibility), the owner's role (Role, Hierarchy, Visibility,
	// Department), the visibility and groups (Visibility, Department).
	visibility, active, roles := false, false, false
	for _, s := range []*accessv1.EffectivePermissionSpec{a, b} {
		users = append(users, s.User)
		if s.Role != "" {
			named[s.Role] = true
		}
		for _, o := range s.Objects {
			for _, g := range o.Grants {
				users = append(users, g.User)
				if g.Role != "" {
					named[g.Role] = true
				}
				v.fields = append(v.fields, g.HiddenFields...)
				switch g.Scope {
				case accessv1.ScopeRole, accessv1.ScopeUser, accessv1.ScopeHierarchy:
					active, roles = true, true
				case accessv1.ScopeVisibility:
					active, roles, visibility = true, true, true
				case accessv1.ScopeDepartment:
					roles, visibility = true, true
				}
			}
		}
	}
	v.owners = []string{"", "nobody@probe.invalid"}
	for _, u := range users {
		if u != "" && !slices.ContainsFunc(v.owners, func(o string) bool { return strings.EqualFold(o, u) }) {
			v.owners = append(v.owners, u)
		}
	}
	v.actives = []bool{false}
	if active {
		v.actives = []bool{false, true}
	}
	v.roles = []string{"", "no-such-role.probe"}
	if !roles {
		v.roles = v.roles[:1]
		named = nil
	}
	inA, inB := c.subList(a.Subordinates).set, c.subList(b.Subordinates).set
	var kinds [4]bool // by whether a and b list the role
	for _, r := range c.union(a.Subordinates, b.Subordinates) {
		if r == "" || named[r] || !roles {
			continue
		}
		k := b2i(inA[r])<<1 | b2i(inB[r])
		if !kinds[k] {
			kinds[k] = true
			v.roles = append(v.roles, r)
		}
	}
	n := len(v.roles)
	for r := range named {
		v.roles = append(v.roles, r)
	}
	slices.Sort(v.roles[n:])
	v.fields = append([]string{""}, sortedCopy(v.fields)...)
	v.visibilities = []accessv1.Visibility{""}
	v.groups = [][]string{nil}
	if visibility {
		v.visibilities = append(v.visibilities, accessv1.VisibilityPublic, accessv1.VisibilityGroup,
			accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "NoSuchVisibility")
		for _, r := range []string{a.Role, b.Role} {
			if r != "" && !slices.ContainsFunc(v.groups, func(g []string) bool { return slices.Equal(g, []string{r}) }) {
				v.groups = append(v.groups, []string{r})
			}
		}
		if len(v.groups) == 3 {
			v.groups = append(v.groups, []string{a.Role, b.Role})
		}
	}
	return v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// subSet is the set of roles a subordinate list names.
func subSet(es []accessv1.RoleEdge) map[string]bool {
	out := make(map[string]bool, len(es))
	for _, e := range es {
		out[e.Role] = true
	}
	return out
}

func (c *comparison) capabilityDirection() Direction {
	d := Neutral
	for _, name := range c.capabilityNames() {
		d = d.join(direction(c.new.holds(name) && !c.old.holds(name), c.old.holds(name) && !c.new.holds(name)))
	}
	return d
}

// capabilityNames are the names whose holding may differ: every name either
// side lists or withholds, and "*" for every name neither names.
func (c *comparison) capabilityNames() []string {
	names := slices.Concat(c.old.caps, c.old.withheld, c.new.caps, c.new.withheld)
	names = append(names, accessv1.AllCapabilities)
	slices.Sort(names)
	return slices.Compact(names)
}

// item is a change under construction: its AccessChange, and how to apply it
// alone to the old side or take it back from the new one.
type item struct {
	AccessChange
	// For changes of the context (user, role, subordinates).
	applyState, revertState func(*state)
	// For changes of one type's entry.
	applyEntry, revertEntry func(*accessv1.ObjectPermission)
	// fixed is the direction when it needs no probing.
	fixed Direction
	// relevant says which types a context change can affect.
	relevant func(*accessv1.ObjectPermission) bool
}

func (c *comparison) changes() AccessChanges {
	var out AccessChanges
	covered := map[string]Direction{}

	// Context changes: each type's share of their direction counts.
	var ctx []item
	ctx = append(ctx, c.attributes()...)
	for _, it := range ctx {
		out = append(out, c.finishContext(it, covered))
	}
	out = append(out, c.capabilities()...)
	if !slices.EqualFunc(c.rawOld.CapabilitySources, c.rawNew.CapabilitySources, func(a, b accessv1.CapabilitySource) bool {
		return a.Via == b.Via && slices.Equal(a.Capabilities, b.Capabilities)
	}) && (c.old.active || c.new.active) {
		out = append(out, neutral(AccessChange{What: WhatVia, Item: "capabilitySources"}))
	}
	for _, it := range c.subordinates() {
		out = append(out, c.finishContext(it, covered))
	}
	for _, t := range c.types {
		for _, it := range c.objectItems(t) {
			out = append(out, c.finishEntry(t, it, covered))
		}
	}
	// What only the changes together do.
	for _, t := range c.types {
		if rest := c.combined(t).minus(covered[t]); rest != Neutral {
			ch := AccessChange{Direction: rest, Op: opOf(rest), What: WhatCombined, Type: t, Item: "access"}
			// Place it after the type's own changes.
			i := len(out)
			for j := range out {
				if out[j].Type > t {
					i = j
					break
				}
			}
			out = slices.Insert(out, i, ch)
		}
	}
	return out
}

func neutral(ch AccessChange) AccessChange {
	ch.Direction, ch.Op = Neutral, Changed
	return ch
}

// finishContext gives a context change its direction: on each type, what it
// does alone (applied to the old side, or taken back from the new one)
// within what everything does to that type.
func (c *comparison) finishContext(it item, covered map[string]Direction) AccessChange {
	if it.applyState == nil {
		return withDirection(it.AccessChange, it.fixed)
	}
	d := Neutral
	for _, t := range c.types {
		eo, en := c.old.entry(t), c.new.entry(t)
		all := c.combined(t)
		if all == Neutral || (!it.relevant(eo) && !it.relevant(en)) {
			continue
		}
		o := c.old.clone()
		it.applyState(o)
		alone := c.probe(mini(c.old, t, eo), mini(o, t, eo), t)
		if alone.meet(all) != all {
			n := c.new.clone()
			it.revertState(n)
			alone = alone.join(c.probe(mini(n, t, en), mini(c.new, t, en), t))
		}
		share := alone.meet(all)
		covered[t] = covered[t].join(share)
		d = d.join(share)
	}
	return withDirection(it.AccessChange, d)
}

// finishEntry gives a change of type t's entry its direction: what it does
// alone, within what everything does to t.
func (c *comparison) finishEntry(t string, it item, covered map[string]Direction) AccessChange {
	if it.applyEntry == nil {
		return withDirection(it.AccessChange, it.fixed)
	}
	all := c.combined(t)
	alone := it.fixed
	eo, en := c.old.entry(t), c.new.entry(t)
	if alone.meet(all) != all {
		o := editable(eo, t)
		it.applyEntry(o)
		alone = alone.join(c.probe(mini(c.old, t, eo), mini(c.old, t, o), t))
	}
	if alone.meet(all) != all {
		n := editable(en, t)
		it.revertEntry(n)
		alone = alone.join(c.probe(mini(c.new, t, n), mini(c.new, t, en), t))
	}
	d := alone.meet(all)
	covered[t] = covered[t].join(d)
	return withDirection(it.AccessChange, d)
}

func editable(e *accessv1.ObjectPermission, t string) *accessv1.ObjectPermission {
	if e == nil {
		return &accessv1.ObjectPermission{Type: t}
	}
	return e.DeepCopy()
}

func withDirection(ch AccessChange, d Direction) AccessChange {
	d = Neutral.join(d) // the zero value reads as Neutral
	ch.Direction, ch.Op = d, opOf(d)
	return ch
}

// attributes are the spec's scalar fields. user and role are read by
// pkg/check (Own grants; Group and OwnerAndGroups visibility); the others
// only say how access reads: what they change shows on the other changes.
func (c *comparison) attributes() []item {
	o, n := c.rawOld, c.rawNew
	var out []item
	field := func(name, from, to string) {
		if from != to {
			out = append(out, item{AccessChange: AccessChange{What: name, Item: name, From: from, To: to}})
		}
	}
	field("tenant", o.Tenant, n.Tenant)
	if o.User != n.User {
		out = append(out, item{AccessChange: AccessChange{What: "user", Item: "user", From: o.User, To: n.User},
			applyState:  func(s *state) { s.user = n.User },
			revertState: func(s *state) { s.user = o.User },
			relevant:    grantsScope(accessv1.ScopeOwn)})
	}
	field("active", boolString(o.Active), boolString(n.Active))
	field("accountRole", string(o.AccountRole), string(n.AccountRole))
	if o.Role != n.Role {
		out = append(out, item{AccessChange: AccessChange{What: "role", Item: "role", From: o.Role, To: n.Role},
			applyState:  func(s *state) { s.role = n.Role },
			revertState: func(s *state) { s.role = o.Role },
			relevant:    grantsScope(accessv1.ScopeVisibility)})
	}
	field("partner", o.Partner, n.Partner)
	field("mode", string(o.Mode), string(n.Mode))
	field("withheldCapabilities", strings.Join(o.WithheldCapabilities, ","), strings.Join(n.WithheldCapabilities, ","))
	return out
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func grantsScope(scope accessv1.GrantScope) func(*accessv1.ObjectPermission) bool {
	return func(e *accessv1.ObjectPermission) bool {
		return e != nil && slices.ContainsFunc(e.Grants, func(g accessv1.RecordGrant) bool { return g.Scope == scope })
	}
}

// capabilities: one change per name whose holding differs (withholding
// included), and "*" for the names neither side names. Exact by itself.
func (c *comparison) capabilities() AccessChanges {
	var out AccessChanges
	for _, name := range c.capabilityNames() {
		had, has := c.old.holds(name), c.new.holds(name)
		if had == has {
			continue
		}
		ch := AccessChange{What: WhatCapability, Item: name}
		if has {
			ch.Via = capabilityVia(c.rawNew, name)
			out = append(out, withDirection(ch, Widen))
		} else {
			ch.Via = capabilityVia(c.rawOld, name)
			out = append(out, withDirection(ch, Narrow))
		}
	}
	return out
}

// capabilityVia are the sources listing name, else those listing "*".
func capabilityVia(s *accessv1.EffectivePermissionSpec, name string) []string {
	for _, want := range []string{name, accessv1.AllCapabilities} {
		var out []string
		for _, src := range s.CapabilitySources {
			if slices.Contains(src.Capabilities, want) {
				out = append(out, src.Via)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// subordinates: a role coming into or leaving the user's hierarchy changes
// what the Hierarchy grants reach; one that only changes parent changes
// nothing pkg/check decides.
func (c *comparison) subordinates() []item {
	parents := func(st *state) map[string]string {
		m := map[string]string{}
		for _, e := range st.subs {
			if _, dup := m[e.Role]; !dup {
				m[e.Role] = e.ReportsTo
			}
		}
		return m
	}
	op, np := parents(c.old), parents(c.new)
	var out []item
	for _, role := range sortedKeys(op, np) {
		from, inOld := op[role]
		to, inNew := np[role]
		edge := func(parent string) func(*state) {
			return func(s *state) { s.subs = append(s.subs, accessv1.RoleEdge{Role: role, ReportsTo: parent}) }
		}
		drop := func(s *state) {
			s.subs = slices.DeleteFunc(s.subs, func(e accessv1.RoleEdge) bool { return e.Role == role })
		}
		switch {
		case !inOld:
			out = append(out, item{AccessChange: AccessChange{What: WhatSubordinate, Item: role, To: to,
				Via: []string{"hierarchy: " + role + " reports to " + to}},
				applyState: edge(to), revertState: drop, relevant: grantsScope(accessv1.ScopeHierarchy)})
		case !inNew:
			out = append(out, item{AccessChange: AccessChange{What: WhatSubordinate, Item: role, From: from,
				Via: []string{"hierarchy: " + role + " reported to " + from}},
				applyState: drop, revertState: edge(from), relevant: grantsScope(accessv1.ScopeHierarchy)})
		case from != to:
			out = append(out, item{AccessChange: AccessChange{What: WhatSubordinate, Item: role, From: from, To: to}, fixed: Neutral})
		}
	}
	return out
}

// objectItems are the changes of the entry pkg/check reads for type t (its
// own, else "*"): actions, visibility, record grants and their hidden fields.
func (c *comparison) objectItems(t string) []item {
	eo, en := c.old.entry(t), c.new.entry(t)
	if eo == nil && en == nil {
		return nil
	}
	o, n := editable(eo, t), editable(en, t)
	var out []item
	actionVia := func(p *accessv1.ObjectPermission, a accessv1.Action) []string {
		var via []string
		for _, s := range p.ActionSources {
			if slices.Contains(s.Actions, a) {
				via = append(via, s.Via)
			}
		}
		return via
	}
	for _, a := range sortedUnion(actionStrings(o.Actions), actionStrings(n.Actions)) {
		act := accessv1.Action(a)
		inO, inN := slices.Contains(o.Actions, act), slices.Contains(n.Actions, act)
		add := func(e *accessv1.ObjectPermission) { e.Actions = append(e.Actions, act) }
		remove := func(e *accessv1.ObjectPermission) {
			e.Actions = slices.DeleteFunc(e.Actions, func(x accessv1.Action) bool { return x == act })
		}
		known := slices.Contains(checkActions, act)
		switch {
		case inN && !inO:
			out = append(out, item{AccessChange: AccessChange{What: WhatAction, Type: t, Item: a, Via: actionVia(n, act)},
				applyEntry: add, revertEntry: remove, fixed: direction(known, false)})
		case inO && !inN:
			out = append(out, item{AccessChange: AccessChange{What: WhatAction, Type: t, Item: a, Via: actionVia(o, act)},
				applyEntry: remove, revertEntry: add, fixed: direction(false, known)})
		}
	}
	if ov, nv := visibilityString(o.Visibility), visibilityString(n.Visibility); ov != nv {
		out = append(out, item{AccessChange: AccessChange{What: WhatVisibility, Type: t, Item: "visibility", From: ov, To: nv},
			applyEntry:  func(e *accessv1.ObjectPermission) { e.Visibility = n.Visibility.DeepCopy() },
			revertEntry: func(e *accessv1.ObjectPermission) { e.Visibility = o.Visibility.DeepCopy() },
			fixed:       Neutral})
	}
	out = append(out, grantItems(t, o, n)...)
	if o.All != n.All {
		out = append(out, item{AccessChange: AccessChange{What: WhatAll, Type: t, Item: "all", From: string(o.All), To: string(n.All)}, fixed: Neutral})
	}
	if !slices.EqualFunc(o.ActionSources, n.ActionSources, func(a, b accessv1.ActionSource) bool {
		return a.Via == b.Via && slices.Equal(a.Actions, b.Actions)
	}) {
		out = append(out, item{AccessChange: AccessChange{What: WhatVia, Type: t, Item: "actionSources"}, fixed: Neutral})
	}
	return out
}

// grantItems compares record grants by what they reach (scope, role, user,
// visibility), as the grant's name says: one reached anew, one no longer
// reached, a different access level, a field hidden anew or shown. Grants of
// the same name pair up when each side has one; otherwise each unmatched one
// is gained or lost.
func grantItems(t string, o, n *accessv1.ObjectPermission) []item {
	byName := func(e *accessv1.ObjectPermission) map[string][]int {
		m := map[string][]int{}
		for i := range e.Grants {
			name := grantName(&e.Grants[i])
			m[name] = append(m[name], i)
		}
		return m
	}
	on, nn := byName(o), byName(n)
	var out []item
	for _, name := range sortedKeys(on, nn) {
		ro, rn := slices.Clone(on[name]), slices.Clone(nn[name])
		// Grants equal but for their via pair up first.
		for _, i := range slices.Clone(ro) {
			for k, j := range rn {
				if sameGrant(&o.Grants[i], &n.Grants[j]) {
					if !slices.Equal(o.Grants[i].Via, n.Grants[j].Via) {
						out = append(out, item{AccessChange: AccessChange{What: WhatVia, Type: t, Item: name}, fixed: Neutral})
					}
					ro = slices.DeleteFunc(ro, func(x int) bool { return x == i })
					rn = slices.Delete(rn, k, k+1)
					break
				}
			}
		}
		if len(ro) == 1 && len(rn) == 1 {
			out = append(out, grantPair(t, name, o, n, ro[0], rn[0])...)
			continue
		}
		for _, i := range ro {
			a := o.Grants[i]
			out = append(out, item{AccessChange: AccessChange{What: WhatRecords, Type: t, Item: name, From: levelString(a.Access), Via: a.Via},
				applyEntry:  removeGrant(a),
				revertEntry: func(e *accessv1.ObjectPermission) { e.Grants = append(e.Grants, *a.DeepCopy()) },
				fixed:       Neutral})
		}
		for _, j := range rn {
			b := n.Grants[j]
			to := levelString(b.Access)
			if len(b.HiddenFields) > 0 {
				to += " hiding " + strings.Join(b.HiddenFields, ",")
			}
			out = append(out, item{AccessChange: AccessChange{What: WhatRecords, Type: t, Item: name, To: to, Via: b.Via},
				applyEntry:  func(e *accessv1.ObjectPermission) { e.Grants = append(e.Grants, *b.DeepCopy()) },
				revertEntry: removeGrant(b),
				fixed:       Neutral})
		}
	}
	return out
}

// removeGrant removes the first grant equal to g (via included).
func removeGrant(g accessv1.RecordGrant) func(*accessv1.ObjectPermission) {
	return func(e *accessv1.ObjectPermission) {
		for i := range e.Grants {
			if sameGrant(&e.Grants[i], &g) && slices.Equal(e.Grants[i].Via, g.Via) {
				e.Grants = slices.Delete(e.Grants, i, i+1)
				return
			}
		}
	}
}

// editGrant changes the first grant equal to g (via included).
func editGrant(g accessv1.RecordGrant, f func(*accessv1.RecordGrant)) func(*accessv1.ObjectPermission) {
	return func(e *accessv1.ObjectPermission) {
		for i := range e.Grants {
			if sameGrant(&e.Grants[i], &g) && slices.Equal(e.Grants[i].Via, g.Via) {
				f(&e.Grants[i])
				return
			}
		}
	}
}

func sameGrant(a, b *accessv1.RecordGrant) bool {
	return a.Scope == b.Scope && a.Role == b.Role && a.User == b.User && a.Visibility == b.Visibility &&
		a.Access == b.Access && slices.Equal(sortedCopy(a.HiddenFields), sortedCopy(b.HiddenFields))
}

// grantPair compares one grant reaching the same records on both sides.
func grantPair(t, name string, o, n *accessv1.ObjectPermission, i, j int) []item {
	a, b := o.Grants[i], n.Grants[j]
	var out []item
	if a.Access != b.Access {
		out = append(out, item{AccessChange: AccessChange{What: WhatRecords, Type: t, Item: name, From: levelString(a.Access), To: levelString(b.Access), Via: b.Via},
			applyEntry:  editGrant(a, func(g *accessv1.RecordGrant) { g.Access = b.Access }),
			revertEntry: editGrant(b, func(g *accessv1.RecordGrant) { g.Access = a.Access }),
			fixed:       Neutral})
	}
	for _, f := range sortedUnion(a.HiddenFields, b.HiddenFields) {
		inA, inB := slices.Contains(a.HiddenFields, f), slices.Contains(b.HiddenFields, f)
		if inA == inB {
			continue
		}
		hide := func(g *accessv1.RecordGrant) { g.HiddenFields = append(g.HiddenFields, f) }
		show := func(g *accessv1.RecordGrant) {
			g.HiddenFields = slices.DeleteFunc(slices.Clone(g.HiddenFields), func(x string) bool { return x == f })
		}
		ch := AccessChange{What: WhatHiddenField, Type: t, Item: name + " field " + f, Via: b.Via}
		if inB { // hidden anew
			ch.From, ch.To = "visible", "hidden"
			out = append(out, item{AccessChange: ch, applyEntry: editGrant(a, hide), revertEntry: editGrant(b, show), fixed: Neutral})
		} else {
			ch.From, ch.To = "hidden", "visible"
			out = append(out, item{AccessChange: ch, applyEntry: editGrant(a, show), revertEntry: editGrant(b, hide), fixed: Neutral})
		}
	}
	if !slices.Equal(a.Via, b.Via) {
		out = append(out, item{AccessChange: AccessChange{What: WhatVia, Type: t, Item: name}, fixed: Neutral})
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

// levelString is an access level as a change shows it: None when unset.
func levelString(a accessv1.AccessLevel) string {
	if a == "" {
		return string(accessv1.AccessNone)
	}
	return string(a)
}

func visibilityString(v *accessv1.TypeVisibility) string {
	if v == nil {
		return ""
	}
	s := "default " + string(v.Default)
	if len(v.Allowed) > 0 {
		s += ", allowed " + strings.Join(actionStrings(v.Allowed), ",")
	}
	return s
}

func actionStrings[S ~string](as []S) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
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
