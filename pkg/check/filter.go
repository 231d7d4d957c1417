package check

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Attribute names the record attribute a Condition reads.
type Attribute string

// The attributes a Filter reads, the columns an application maps them to.
const (
	// AttrOwner is the owner's e-mail, "" when the record has no owner.
	// Values compare as strings.EqualFold does; a Filter writes them in
	// lowercase (for ASCII e-mails, lower(owner) IN (...) is exact).
	AttrOwner Attribute = "owner"
	// AttrOwnerRole is the owner's role, as the record states it.
	AttrOwnerRole Attribute = "ownerRole"
	// AttrOwnerActive is whether the owner is an active member.
	AttrOwnerActive Attribute = "ownerActive"
	// AttrVisibility is the visibility the record states, "" for none: the
	// stated value, not the effective one (the Filter already accounts for
	// the type's default and allowed visibilities).
	AttrVisibility Attribute = "visibility"
	// AttrGroups are the record's groups (roles named by an OwnerAndGroups
	// record).
	AttrGroups Attribute = "groups"
)

// Op is how a Condition compares its attribute with its values.
type Op string

// The operators.
const (
	// OpIn holds when the attribute equals one of the values.
	OpIn Op = "in"
	// OpNotIn holds when it equals none of them.
	OpNotIn Op = "notIn"
	// OpIsTrue holds when the (boolean) attribute is true; it has no values.
	OpIsTrue Op = "isTrue"
	// OpContainsAny holds when the (list) attribute contains one of the
	// values.
	OpContainsAny Op = "containsAny"
)

// Condition is one test of a record attribute.
type Condition struct {
	Attribute Attribute `json:"attribute"`
	Op        Op        `json:"op"`
	Values    []string  `json:"values,omitempty"`
}

// Branch is a conjunction of Conditions and the fields hidden on the
// records it matches. A Branch with no Conditions matches every record.
type Branch struct {
	Conditions   []Condition `json:"conditions"`
	HiddenFields []string    `json:"hiddenFields"`
}

// Filter says which records of one type the user may perform one action
// on, as a condition an application applies to its own query: a record is
// allowed when it matches at least one Branch, and a field is hidden on an
// allowed record when every Branch the record matches hides it. No Branches
// allows nothing. Filter (the method of Permissions) writes branches,
// conditions and values sorted, so one EffectivePermission always gives the
// same Filter, byte for byte in JSON.
//
// The Conditions read the record as stored, with no normalization: a
// Condition that needs the owner to have a role or to be active also
// requires a non-empty owner, so a record with no owner is a non-member's
// record here exactly as in Action.
type Filter struct {
	Branches []Branch `json:"branches"`
}

// Nothing reports whether f allows no record.
func (f Filter) Nothing() bool { return len(f.Branches) == 0 }

// Everything reports whether f allows every record and hides no field.
func (f Filter) Everything() bool {
	return slices.ContainsFunc(f.Branches, func(b Branch) bool {
		return len(b.Conditions) == 0 && len(b.HiddenFields) == 0
	})
}

// Matches evaluates f on rec (rec.Type and rec.Field are not read): whether
// rec is allowed and, when it is, the fields hidden on it, sorted. It is the
// reference for translations of a Filter: for the Filter of action on type
// T, Matches(rec) is allowed exactly when Action(action, rec) is (rec of type
// T, no Field), and a field F is in hidden exactly when Action(action, rec
// with Field F) is denied although rec is allowed. A Condition with an
// unknown attribute or operator holds for no record.
func (f Filter) Matches(rec Record) (allowed bool, hidden []string) {
	for i := range f.Branches {
		b := &f.Branches[i]
		if !b.matches(&rec) {
			continue
		}
		h := slices.Compact(slices.Sorted(slices.Values(b.HiddenFields)))
		if !allowed {
			allowed, hidden = true, h
			continue
		}
		hidden = slices.DeleteFunc(hidden, func(s string) bool {
			_, found := slices.BinarySearch(h, s)
			return !found
		})
	}
	if len(hidden) == 0 {
		hidden = nil
	}
	return allowed, hidden
}

func (b *Branch) matches(rec *Record) bool {
	for i := range b.Conditions {
		if !b.Conditions[i].holds(rec) {
			return false
		}
	}
	return true
}

func (c *Condition) holds(rec *Record) bool {
	var in bool
	switch c.Attribute {
	case AttrOwner:
		in = slices.ContainsFunc(c.Values, func(v string) bool { return strings.EqualFold(rec.Owner, v) })
	case AttrOwnerRole:
		in = slices.Contains(c.Values, rec.OwnerRole)
	case AttrVisibility:
		in = slices.Contains(c.Values, string(rec.Visibility))
	case AttrOwnerActive:
		return c.Op == OpIsTrue && rec.OwnerActive
	case AttrGroups:
		return c.Op == OpContainsAny && slices.ContainsFunc(rec.Groups, func(g string) bool { return slices.Contains(c.Values, g) })
	default:
		return false
	}
	switch c.Op {
	case OpIn:
		return in
	case OpNotIn:
		return !in
	}
	return false
}

// Filter returns the records of type typ the user may perform action on, as
// a Filter that agrees with Action on every record and field (see
// Filter.Matches). Its size grows with the grants of the type's entry (and
// the EffectivePermission's subordinates), never with the records. An
// inactive or nil Permissions, an unknown action, a typ that is not an
// object type name or an action the user does not hold on typ give a
// Filter that allows nothing.
func (p *Permissions) Filter(action accessv1.Action, typ string) Filter {
	e, ai, _, ok := p.functional(action, typ)
	if !ok {
		return nothingFilter()
	}
	need := actionNeed[ai]
	if !e.has(actView) {
		if need == 0 {
			return everythingFilter()
		}
		return nothingFilter()
	}
	return p.buildFilter(e, need)
}

func nothingFilter() Filter { return Filter{Branches: []Branch{}} }

func everythingFilter() Filter {
	return Filter{Branches: []Branch{{Conditions: []Condition{}, HiddenFields: []string{}}}}
}

// effect is what the Department grant applying to a record does for one
// action: whether it alone allows the record (its rank is at least the
// action's need), and, when it does and hides fields, its rank and hidden
// fields. Two grants of equal effect decide every record alike. No
// Department grant, or one below the need, allows nothing alone (except
// create, which needs nothing) and hides nothing: any other path allowing
// the record gives at least the need, so more than that grant.
type effect struct {
	allowed bool
	rank    int
	hidden  []string
}

func (a effect) equal(b effect) bool {
	return a.allowed == b.allowed && a.rank == b.rank && slices.Equal(a.hidden, b.hidden)
}

// hiddenUnder is what a cell of this effect hides on records a grant of
// rank r allows: the fields, unless r is at least the Department grant's.
func (a effect) hiddenUnder(r int) []string {
	if a.allowed && a.rank > r {
		return a.hidden
	}
	return nil
}

// conj is a conjunction of Conditions.
type conj []Condition

// cell is a set of records (a union of conjunctions) to which Department
// grants of one effect apply. Two cells may overlap only where they have
// equal effects, so each record gets the effect Action gives it.
type cell struct {
	conds []conj
	eff   effect
}

// The stated visibilities Department grants read as Public, and all four.
var (
	departmentPublic = []string{"", string(accessv1.VisibilityGroup), string(accessv1.VisibilityOwnerAndGroups), string(accessv1.VisibilityPublic)}
	fourVisibilities = []accessv1.Visibility{accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate}
)

func in(a Attribute, vs ...string) Condition { return Condition{Attribute: a, Op: OpIn, Values: vs} }
func notIn(a Attribute, vs ...string) Condition {
	return Condition{Attribute: a, Op: OpNotIn, Values: vs}
}

// member is how a Filter says "the owner is an active member": non-empty
// owner (a record with no owner is a non-member's) and active.
var member = []Condition{notIn(AttrOwner, ""), {Attribute: AttrOwnerActive, Op: OpIsTrue}}

func (p *Permissions) buildFilter(e *entry, need int) Filter {
	cells := e.cells(need)
	everything := true
	for _, c := range cells {
		if !c.eff.allowed || len(c.eff.hidden) > 0 {
			everything = false
		}
	}
	if everything {
		return everythingFilter()
	}
	var out []Branch
	add := func(cs conj, hidden []string) {
		if cs, ok := normalize(cs); ok {
			// "" names no field: Action never asks about it.
			h := slices.DeleteFunc(slices.Clone(hidden), func(f string) bool { return f == "" })
			out = append(out, Branch{Conditions: cs, HiddenFields: h})
		}
	}
	// The Department grant of each cell, when it alone allows the action.
	for _, c := range cells {
		if c.eff.allowed {
			for _, cc := range c.conds {
				add(cc, c.eff.hidden)
			}
		}
	}
	// Every other grant reaching the need: once, when it hides nothing in
	// any cell, else once per cell with what that cell hides under it.
	for i := range e.grants {
		g := &e.grants[i]
		if g.scope == scopeDepartment || g.rank < need {
			continue
		}
		ms := p.reach(e, g)
		global := true
		for _, c := range cells {
			if len(c.eff.hiddenUnder(g.rank)) > 0 {
				global = false
			}
		}
		for _, m := range ms {
			if global {
				add(m, nil)
				continue
			}
			for _, c := range cells {
				for _, cc := range c.conds {
					add(append(slices.Clone(cc), m...), c.eff.hiddenUnder(g.rank))
				}
			}
		}
	}
	return Filter{Branches: simplify(out)}
}

// reach is the records a grant of a scope other than Department matches, as
// a union of conjunctions (none for a grant that matches nothing).
func (p *Permissions) reach(e *entry, g *grant) []conj {
	with := func(cs ...Condition) []conj { return []conj{append(slices.Clone(member), cs...)} }
	switch g.scope {
	case scopeAll:
		return []conj{{}}
	case scopeOwn:
		if p.user == "" {
			return nil
		}
		return []conj{{in(AttrOwner, foldCanon(p.user))}}
	case scopeRole:
		if g.role == "" {
			return nil
		}
		return with(in(AttrOwnerRole, g.role))
	case scopeUser:
		if g.user == "" {
			return nil
		}
		return with(in(AttrOwner, foldCanon(g.user)))
	case scopeHierarchy:
		if len(p.subordinates) == 0 {
			return nil
		}
		roles := make([]string, 0, len(p.subordinates))
		for _, s := range p.subordinates {
			roles = append(roles, s.Role)
		}
		return with(in(AttrOwnerRole, roles...))
	case scopeVisibility:
		v, ok := e.statedFor(g.vis)
		if !ok {
			return nil
		}
		switch g.vis {
		case visPublic:
			return []conj{v}
		case visGroup:
			if p.role == "" {
				return nil
			}
			return with(append(v, in(AttrOwnerRole, p.role))...)
		case visOwnerAndGroups:
			if p.role == "" {
				return nil
			}
			return append(with(append(v, in(AttrOwnerRole, p.role))...),
				with(append(v, Condition{Attribute: AttrGroups, Op: OpContainsAny, Values: []string{p.role}})...)...)
		}
	}
	return nil // Private reaches nobody; an unknown scope matches nothing
}

// statedFor is the stated visibilities whose effective visibility (see
// entry.effective) is v, as at most one condition; ok is false when there
// are none.
func (e *entry) statedFor(v vis) (c conj, ok bool) {
	if v == visNone || v == visInvalid {
		return nil, false
	}
	var others []string // allowed values of the four, v excluded
	vAllowed := false
	for _, s := range fourVisibilities {
		if len(e.visAllowed) > 0 && !slices.Contains(e.visAllowed, s) {
			continue
		}
		if parseVis(s) == v {
			vAllowed = true
		} else {
			others = append(others, string(s))
		}
	}
	switch {
	case e.visDefault == v && len(others) == 0:
		return conj{}, true
	case e.visDefault == v:
		return conj{notIn(AttrVisibility, others...)}, true
	case vAllowed:
		return conj{in(AttrVisibility, visName(v))}, true
	}
	return nil, false
}

// cells partitions the records by the effect of the Department grant that
// applies to them (entry.department): Private ones (none), then owners some
// Department user grant names, owners of a department some role grant
// names, and everyone else (the department default).
func (e *entry) cells(need int) []cell {
	eff := func(i int) effect {
		if i < 0 || e.grants[i].rank < need {
			return effect{allowed: need == 0} // create: allowed, nothing hidden
		}
		g := &e.grants[i]
		if len(g.hidden) == 0 {
			return effect{allowed: true} // its rank then matters to nothing
		}
		return effect{allowed: true, rank: g.rank, hidden: g.hidden}
	}
	if !e.hasDept {
		return []cell{{conds: []conj{{}}, eff: effect{allowed: need == 0}}}
	}
	cells := []cell{{conds: []conj{{notIn(AttrVisibility, departmentPublic...)}}, eff: eff(-1)}}
	public := in(AttrVisibility, departmentPublic...)

	// Owners named by Department user grants, by case-folded e-mail.
	type class struct {
		value  string
		grants []int // in deptUsers order
		roles  []string
	}
	var classes []*class
	byKey := map[string]*class{}
	for _, i := range e.deptUsers {
		k := foldCanon(e.grants[i].user)
		c := byKey[k]
		if c == nil {
			c = &class{value: k}
			byKey[k] = c
			classes = append(classes, c)
		}
		c.grants = append(c.grants, i)
		if r := e.grants[i].role; r != "" && !slices.Contains(c.roles, r) {
			c.roles = append(c.roles, r)
		}
	}
	roleEff := func(role string) effect {
		if i, ok := e.deptRoles[role]; ok && role != "" {
			return eff(i)
		}
		return eff(e.deptDefault)
	}
	// forClass is the effect for an owner of c whose role is role: the
	// lowest of the user grants that fit (the first of equals), else the
	// role's grant or the default, as entry.department.
	forClass := func(c *class, role string) effect {
		best := -1
		for _, i := range c.grants {
			if g := &e.grants[i]; (g.role == "" || g.role == role) && (best < 0 || g.rank < e.grants[best].rank) {
				best = i
			}
		}
		if best >= 0 {
			return eff(best)
		}
		return roleEff(role)
	}
	def := eff(e.deptDefault)
	var roles []string // roles whose grant differs from the default
	for r := range e.deptRoles {
		if !roleEff(r).equal(def) {
			roles = append(roles, r)
		}
	}
	slices.Sort(roles)
	// The roles that may set an owner of c apart: those its grants name and
	// those with a Department grant.
	named := func(c *class) []string {
		out := slices.Clone(c.roles)
		for r := range e.deptRoles {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		slices.Sort(out)
		return out
	}
	own := map[*class]bool{} // classes that need cells of their own

	// Owners of a department with a grant of its own, unless a user grant
	// gives them another effect.
	for _, r := range roles {
		ex := []string{""}
		for _, c := range classes {
			if !forClass(c, r).equal(roleEff(r)) {
				ex = append(ex, c.value)
				own[c] = true
			}
		}
		cells = append(cells, cell{conds: []conj{{public, notIn(AttrOwner, ex...), in(AttrOwnerRole, r)}}, eff: roleEff(r)})
	}
	// Everyone else gets the default: records with no owner (read with no
	// role), and owners whose role has no grant of its own.
	var ex []string
	for _, c := range classes {
		differs := !forClass(c, "").equal(def)
		for _, r := range named(c) {
			if !slices.Contains(roles, r) && !forClass(c, r).equal(def) {
				differs = true
			}
		}
		if differs {
			ex = append(ex, c.value)
			own[c] = true
		}
	}
	if len(roles) == 0 {
		cells = append(cells, cell{conds: []conj{{public, notIn(AttrOwner, ex...)}}, eff: def})
	} else {
		cells = append(cells, cell{conds: []conj{
			{public, in(AttrOwner, "")},
			{public, notIn(AttrOwner, append([]string{""}, ex...)...), notIn(AttrOwnerRole, roles...)},
		}, eff: def})
	}
	// Owners of a class set apart above: by role where it matters.
	for _, c := range classes {
		if !own[c] {
			continue
		}
		rest := forClass(c, "") // any role none of its grants names, or none
		var apart []string
		for _, r := range named(c) {
			if f := forClass(c, r); !f.equal(rest) {
				apart = append(apart, r)
				cells = append(cells, cell{conds: []conj{{public, in(AttrOwner, c.value), in(AttrOwnerRole, r)}}, eff: f})
			}
		}
		cells = append(cells, cell{conds: []conj{{public, in(AttrOwner, c.value), notIn(AttrOwnerRole, apart...)}}, eff: rest})
	}
	return cells
}

// attrOrder is the order of attributes in a Branch.
var attrOrder = map[Attribute]int{AttrOwner: 0, AttrOwnerRole: 1, AttrOwnerActive: 2, AttrVisibility: 3, AttrGroups: 4}

// normalize simplifies a conjunction of the conditions Filter writes: one
// in or notIn per attribute (an in absorbs the notIns), values sorted and
// without duplicates, conditions in attribute order. ok is false when no
// record can match it. Owner values compare case-folded (foldCanon).
func normalize(cs conj) (out []Condition, ok bool) {
	out = []Condition{}
	for _, a := range []Attribute{AttrOwner, AttrOwnerRole, AttrVisibility} {
		key := func(s string) string { return s }
		if a == AttrOwner {
			key = foldCanon
		}
		var inSet []string
		hasIn := false
		var notInSet []string
		for _, c := range cs {
			if c.Attribute != a {
				continue
			}
			vs := make([]string, len(c.Values))
			for i, v := range c.Values {
				vs[i] = key(v)
			}
			switch c.Op {
			case OpIn:
				if !hasIn {
					inSet, hasIn = vs, true
				} else {
					inSet = slices.DeleteFunc(inSet, func(v string) bool { return !slices.Contains(vs, v) })
				}
			case OpNotIn:
				notInSet = append(notInSet, vs...)
			}
		}
		switch {
		case hasIn:
			inSet = slices.DeleteFunc(inSet, func(v string) bool { return slices.Contains(notInSet, v) })
			if len(inSet) == 0 {
				return nil, false
			}
			out = append(out, in(a, sortedSet(inSet)...))
		case len(notInSet) > 0:
			out = append(out, notIn(a, sortedSet(notInSet)...))
		}
	}
	active := false
	var groups [][]string
	for _, c := range cs {
		switch c.Attribute {
		case AttrOwnerActive:
			active = true
		case AttrGroups:
			vs := sortedSet(slices.Clone(c.Values))
			if !slices.ContainsFunc(groups, func(g []string) bool { return slices.Equal(g, vs) }) {
				groups = append(groups, vs)
			}
		}
	}
	if active {
		out = append(out, Condition{Attribute: AttrOwnerActive, Op: OpIsTrue})
	}
	for _, g := range groups {
		out = append(out, Condition{Attribute: AttrGroups, Op: OpContainsAny, Values: g})
	}
	slices.SortStableFunc(out, compareCondition)
	return out, true
}

func sortedSet(vs []string) []string {
	slices.Sort(vs)
	return slices.Compact(vs)
}

func compareCondition(a, b Condition) int {
	return cmp.Or(cmp.Compare(attrOrder[a.Attribute], attrOrder[b.Attribute]), cmp.Compare(a.Op, b.Op), slices.Compare(a.Values, b.Values))
}

func compareBranch(a, b Branch) int {
	return cmp.Or(slices.CompareFunc(a.Conditions, b.Conditions, compareCondition), slices.Compare(a.HiddenFields, b.HiddenFields))
}

// simplify sorts normalized branches, drops those another one makes
// redundant and merges those that differ only in one attribute's values,
// until nothing changes.
func simplify(bs []Branch) []Branch {
	for i := range bs {
		bs[i].HiddenFields = sortedSet(bs[i].HiddenFields)
		if bs[i].HiddenFields == nil {
			bs[i].HiddenFields = []string{}
		}
	}
	for {
		n := len(bs)
		slices.SortFunc(bs, compareBranch)
		bs = prune(bs)
		bs = merge(bs)
		if len(bs) == n {
			break
		}
	}
	slices.SortFunc(bs, compareBranch)
	if bs == nil {
		bs = []Branch{}
	}
	return bs
}

// covers reports whether every record matching b matches a and a hides
// no field b does not: then b changes neither which records are allowed
// nor what is hidden on them.
func covers(a, b *Branch) bool {
	if !isSubset(a.HiddenFields, b.HiddenFields) {
		return false
	}
	for _, c := range a.Conditions {
		if !slices.ContainsFunc(b.Conditions, func(d Condition) bool { return implies(d, c) }) {
			return false
		}
	}
	return true
}

// implies reports whether every record satisfying d satisfies c (for
// normalized conditions, whose owner values are case-folded).
func implies(d, c Condition) bool {
	if d.Attribute != c.Attribute {
		return false
	}
	switch {
	case d.Op == c.Op && (c.Op == OpIsTrue || c.Op == OpIn || c.Op == OpContainsAny):
		return isSubset(d.Values, c.Values)
	case c.Op == OpNotIn && d.Op == OpNotIn:
		return isSubset(c.Values, d.Values)
	case c.Op == OpNotIn && d.Op == OpIn:
		return !slices.ContainsFunc(d.Values, func(v string) bool { return slices.Contains(c.Values, v) })
	}
	return false
}

func isSubset(a, b []string) bool {
	return !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}

// prune drops every branch another covers (of two that cover each other,
// the later one).
func prune(bs []Branch) []Branch {
	drop := make([]bool, len(bs))
	for j := range bs {
		for i := range bs {
			if i != j && covers(&bs[i], &bs[j]) && (i < j || !covers(&bs[j], &bs[i])) {
				drop[j] = true
				break
			}
		}
	}
	out := bs[:0:0]
	for j := range bs {
		if !drop[j] {
			out = append(out, bs[j])
		}
	}
	return out
}

// merge joins two branches with the same hidden fields whose conditions
// differ only in the values of one in (union) or one notIn (intersection).
func merge(bs []Branch) []Branch {
	for i := 0; i < len(bs); i++ {
		for j := i + 1; j < len(bs); j++ {
			if m, ok := mergeTwo(&bs[i], &bs[j]); ok {
				bs[i] = m
				bs = slices.Delete(bs, j, j+1)
				j = i // start over with the merged branch
			}
		}
	}
	return bs
}

func mergeTwo(a, b *Branch) (Branch, bool) {
	if len(a.Conditions) != len(b.Conditions) || !slices.Equal(a.HiddenFields, b.HiddenFields) {
		return Branch{}, false
	}
	diff := -1
	for k := range a.Conditions {
		ca, cb := &a.Conditions[k], &b.Conditions[k]
		if ca.Attribute != cb.Attribute || ca.Op != cb.Op {
			return Branch{}, false
		}
		if !slices.Equal(ca.Values, cb.Values) {
			if diff >= 0 || (ca.Op != OpIn && ca.Op != OpNotIn) {
				return Branch{}, false
			}
			diff = k
		}
	}
	if diff < 0 {
		return *a, true // equal
	}
	m := Branch{Conditions: slices.Clone(a.Conditions), HiddenFields: a.HiddenFields}
	ca, cb := a.Conditions[diff], b.Conditions[diff]
	if ca.Op == OpIn {
		m.Conditions[diff].Values = sortedSet(append(slices.Clone(ca.Values), cb.Values...))
		return m, true
	}
	both := slices.DeleteFunc(slices.Clone(ca.Values), func(v string) bool { return !slices.Contains(cb.Values, v) })
	if len(both) == 0 {
		m.Conditions = slices.Delete(m.Conditions, diff, diff+1)
	} else {
		m.Conditions[diff].Values = both
	}
	return m, true
}

// OwnerKey is the spelling a Filter writes owner e-mails in:
// OwnerKey(a) == OwnerKey(b) exactly when strings.EqualFold(a, b), as Action
// compares owners (foldCanon). An application matching a Filter against
// stored owners stores this beside them (pkg/check/sqlfilter's OwnerKey).
func OwnerKey(email string) string { return foldCanon(email) }

// foldCanon returns the one spelling of s's case-folding class that Filter
// writes: s and t have the same foldCanon exactly when strings.EqualFold(s,
// t). Each rune becomes the lowercase of the smallest rune of its
// simple-folding orbit when that lowercase is in the orbit (so ASCII is
// lowercased), else that smallest rune; an invalid byte becomes U+FFFD, as
// EqualFold reads it.
func foldCanon(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(canonRune(r))
	}
	return b.String()
}

func canonRune(r rune) rune {
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lo = min(lo, f)
	}
	if l := unicode.ToLower(lo); l != lo {
		for f := unicode.SimpleFold(lo); f != lo; f = unicode.SimpleFold(f) {
			if f == l {
				return l
			}
		}
	}
	return lo
}
