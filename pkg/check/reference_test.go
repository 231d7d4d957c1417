package check

// The decisions of pkg/check as they were before the compiled layout of
// tenant.go (commit 1eb6e79): a plain reading of the spec with maps by name,
// kept as the oracle of TestSharedAgrees. Test-only.

import (
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func refReadOwner(rec *Record) {
	if rec.Owner == "" {
		rec.OwnerRole, rec.OwnerActive = "", false
	}
}

type refPermissions struct {
	user   string // as written in the spec; compared with strings.EqualFold
	role   string
	active bool
	// inactive is the Reasons of every decision of an inactive EP.
	inactive []string

	// subordinates maps each role strictly below spec.role to its parent,
	// for Hierarchy grants (and to explain the path).
	subordinates map[string]string

	entries  map[string]*refEntry // by type, "*" excluded
	wildcard *refEntry            // the "*" refEntry, nil when absent

	// capabilities held by name ("*" itself excluded), with their reasons.
	capabilities map[string][]string
	allCaps      bool     // "*" is held
	starReasons  []string // reasons for a name held only through "*"
	withheld     map[string][]string
}

// refGrant is a compiled RecordGrant.
type refGrant struct {
	scope scope
	rank  int
	vis   vis // Visibility grants
	role  string
	user  string
	// via is never empty: it is the Reasons of a decision this refGrant makes.
	via    []string
	hidden []string // Department grants: hidden fields, sorted
	// hiddenReason is the Reasons of a decision denied because this refGrant
	// hides the asked field.
	hiddenReason []string

	// The values as written, for Explain.
	rawScope accessv1.GrantScope
	rawVis   accessv1.Visibility
	rawRank  accessv1.AccessLevel
}

// refEntry is a compiled ObjectPermission.
type refEntry struct {
	typ     string
	actions uint8 // bit i set: actionNames[i] is in the refEntry's actions

	// Per-action reasons, prepared here so that Action does not allocate.
	functional [numActions][]string // the actionSources listing the action
	noAction   [numActions][]string // "no functional permission: ..."
	needRW     [numActions][]string // "access Read ..., edit needs ReadWrite"
	noView     []string
	noGrant    []string
	// noGrantNoOwner is noGrant for a record with no owner.
	noGrantNoOwner []string

	// PermissionGroup visibility of the type.
	visDefault vis
	visAllowed []accessv1.Visibility // empty: all four

	grants []refGrant // in the refEntry's order, Department grants included

	// Department grants by specificity (indexes into grants).
	deptUsers   []int
	deptRoles   map[string]int
	deptDefault int // -1 when absent
	hasDept     bool

	rawActions []accessv1.Action // for Explain
}

func (e *refEntry) has(ai int) bool { return e.actions&(1<<ai) != 0 }

// compiles to a refPermissions that denies everything.
func refCompile(spec *accessv1.EffectivePermissionSpec) *refPermissions {
	p := &refPermissions{
		subordinates: map[string]string{},
		entries:      map[string]*refEntry{},
		capabilities: map[string][]string{},
		withheld:     map[string][]string{},
	}
	if spec == nil {
		p.inactive = reasonNilPermissions
		return p
	}
	spec = spec.Expanded() // either shape (api/v1alpha1's Compact) reads alike
	// spec.mode is not kept: each refGrant is read by its own scope's rule.
	p.user, p.role, p.active = spec.User, spec.Role, spec.Active
	p.inactive = []string{"inactive: " + spec.User + " holds nothing in tenant " + spec.Tenant}

	for _, s := range spec.Subordinates {
		if s.Role == "" { // an empty role would refMatch owners with no role
			continue
		}
		if _, dup := p.subordinates[s.Role]; !dup {
			p.subordinates[s.Role] = s.ReportsTo
		}
	}
	p.compileCapabilities(spec)
	for i := range spec.Objects {
		o := &spec.Objects[i]
		if o.Type == accessv1.AllTypes {
			if p.wildcard == nil {
				p.wildcard = refCompileEntry(o)
			}
			continue
		}
		if _, dup := p.entries[o.Type]; !dup { // a duplicate type is malformed; the first stands
			p.entries[o.Type] = refCompileEntry(o)
		}
	}
	return p
}

func (p *refPermissions) compileCapabilities(spec *accessv1.EffectivePermissionSpec) {
	for _, name := range spec.WithheldCapabilities {
		p.withheld[name] = []string{"capability " + name + " is withheld from the user"}
	}
	// reasonsFor returns the via of each source listing name or "*".
	reasonsFor := func(name string) []string {
		var out []string
		for _, s := range spec.CapabilitySources {
			if slices.Contains(s.Capabilities, name) || slices.Contains(s.Capabilities, accessv1.AllCapabilities) {
				if !slices.Contains(out, s.Via) {
					out = append(out, s.Via)
				}
			}
		}
		return slices.Clip(out)
	}
	held := func(name string) {
		if _, done := p.capabilities[name]; done {
			return
		}
		r := reasonsFor(name)
		if len(r) == 0 { // malformed: held with no source; still say why
			r = []string{"capabilities list " + name}
		}
		p.capabilities[name] = r
	}
	for _, name := range spec.Capabilities {
		if name == accessv1.AllCapabilities {
			p.allCaps = true
			continue
		}
		held(name)
	}
	if p.allCaps {
		// A name some source lists explicitly gets that source too, not only
		// the "*" ones.
		for _, s := range spec.CapabilitySources {
			for _, name := range s.Capabilities {
				if name != accessv1.AllCapabilities {
					held(name)
				}
			}
		}
		var star []string
		for _, s := range spec.CapabilitySources {
			if slices.Contains(s.Capabilities, accessv1.AllCapabilities) && !slices.Contains(star, s.Via) {
				star = append(star, s.Via)
			}
		}
		if len(star) == 0 {
			star = []string{"capabilities list * (every capability)"}
		}
		p.starReasons = slices.Clip(star)
	}
}

func refCompileEntry(o *accessv1.ObjectPermission) *refEntry {
	e := &refEntry{typ: o.Type, deptDefault: -1, rawActions: slices.Clone(o.Actions)}
	typ := o.Type
	if typ == accessv1.AllTypes {
		typ = "any type" // the "*" refEntry answers for types with no refEntry of their own
	}
	for _, a := range o.Actions {
		if ai := actionIndex(a); ai >= 0 {
			e.actions |= 1 << ai
		}
	}
	for ai := range numActions {
		name := string(actionNames[ai])
		if !e.has(ai) {
			e.noAction[ai] = []string{"no functional permission: the user may not " + name + " on " + typ}
			continue
		}
		var via []string
		for _, s := range o.ActionSources {
			if slices.Contains(s.Actions, actionNames[ai]) && !slices.Contains(via, s.Via) {
				via = append(via, s.Via)
			}
		}
		if len(via) == 0 { // malformed: an action with no source; still say why
			via = []string{"actions on " + typ + " list " + name}
		}
		e.functional[ai] = slices.Clip(via)
		if actionNeed[ai] == 2 {
			e.needRW[ai] = []string{"access Read on this " + typ + " record, but " + name + " needs ReadWrite"}
		}
	}
	e.noView = []string{"no view on " + typ + ": the user sees no record of this type"}
	e.noGrant = []string{"no grant on " + typ + " gives access to this record"}
	e.noGrantNoOwner = []string{"no grant on " + typ + " reaches a record with no owner: it is read as a non-member's record"}

	// PermissionGroup visibility: absent means default Group, all four allowed.
	e.visDefault = visGroup
	if o.Visibility != nil {
		e.visDefault = parseVis(o.Visibility.Default)
		if e.visDefault == visNone || e.visDefault == visInvalid {
			e.visDefault = visPrivate // a default outside the four reads as Private
		}
		e.visAllowed = slices.Clone(o.Visibility.Allowed)
	}

	e.grants = make([]refGrant, 0, len(o.Grants))
	for i := range o.Grants {
		g := &o.Grants[i]
		cg := refGrant{
			scope:    parseScope(g.Scope),
			rank:     g.Access.Rank(),
			vis:      parseVis(g.Visibility),
			role:     g.Role,
			user:     g.User,
			via:      slices.Clip(slices.Clone(g.Via)),
			rawScope: g.Scope,
			rawVis:   g.Visibility,
			rawRank:  g.Access,
		}
		if len(cg.via) == 0 { // Reasons are never empty
			cg.via = []string{string(g.Scope) + " grant on " + typ}
		}
		if cg.scope == scopeDepartment && len(g.HiddenFields) > 0 {
			cg.hidden = slices.Clone(g.HiddenFields)
			slices.Sort(cg.hidden)
			cg.hidden = slices.Compact(cg.hidden)
			cg.hiddenReason = []string{"field hidden: " + strings.Join(cg.via, ", ") + " hides it and no other path gives " + string(levels[cg.rank]) + " or more"}
		}
		e.grants = append(e.grants, cg)
	}
	e.indexDepartment()
	return e
}

// indexDepartment indexes the Department grants by specificity. The spec
// says at most one applies to a record; should a malformed EP hold two at
// the same specificity, the one with the lower access stands (fail closed).
func (e *refEntry) indexDepartment() {
	for i := range e.grants {
		g := &e.grants[i]
		if g.scope != scopeDepartment {
			continue
		}
		e.hasDept = true
		switch {
		case g.user != "":
			e.deptUsers = append(e.deptUsers, i)
		case g.role != "":
			if e.deptRoles == nil {
				e.deptRoles = map[string]int{}
			}
			if j, ok := e.deptRoles[g.role]; !ok || g.rank < e.grants[j].rank {
				e.deptRoles[g.role] = i
			}
		default:
			if e.deptDefault < 0 || g.rank < e.grants[e.deptDefault].rank {
				e.deptDefault = i
			}
		}
	}
}

// Capability decides whether the user may use the account-level capability
// name. It does not allocate.
func (p *refPermissions) Capability(name string) Decision {
	switch {
	case p == nil:
		return deny(reasonNilPermissions)
	case !p.active:
		return deny(p.inactive)
	}
	if r, ok := p.withheld[name]; ok {
		return deny(r)
	}
	if r, ok := p.capabilities[name]; ok {
		return Decision{Allowed: true, Access: accessv1.AccessNone, Reasons: r}
	}
	if p.allCaps {
		return Decision{Allowed: true, Access: accessv1.AccessNone, Reasons: p.starReasons}
	}
	return deny(reasonNotHeld)
}

// Functional decides the functional question: may the user perform action
// on records of type typ at all (semantics.md §1), for instance to show an
// "Edit" button or a menu refEntry? It looks at no record, so its Access is
// always None; before acting on a record, ask Action about that record. A
// typ that is not an object type name (see ValidType) is denied. It does not
// allocate, except to name such a typ in the denial's reason.
func (p *refPermissions) Functional(action accessv1.Action, typ string) Decision {
	e, ai, denied, ok := p.functional(action, typ)
	if !ok {
		return denied
	}
	return Decision{Allowed: true, Access: accessv1.AccessNone, Reasons: e.functional[ai]}
}

// Action decides whether the user may perform action on rec, following
// docs/effectivepermission.md step by step: the functional permission, then
// the user's access to that record. It is always a question about a record:
// one whose Owner is empty is a non-member's record (see Record.Owner). It
// does not allocate, except to name a type that is not an object type name
// in the denial's reason.
func (p *refPermissions) Action(action accessv1.Action, rec Record) Decision {
	// 1-2. The EP is active and holds the functional permission.
	e, ai, denied, ok := p.functional(action, rec.Type)
	if !ok {
		return denied
	}
	// 3. A record with no owner is a non-member's record.
	refReadOwner(&rec)
	// 4. Record access; without view there is none.
	if !e.has(actView) {
		if actionNeed[ai] == 0 {
			return Decision{Allowed: true, Access: accessv1.AccessNone, Reasons: e.functional[ai]}
		}
		return deny(e.noView)
	}
	m := p.refMatch(e, &rec)
	access := levels[m.rank]
	// 5. A hidden field denies any action.
	if rec.Field != "" && m.hides(e, rec.Field) {
		return Decision{Access: access, Reasons: e.grants[m.dept].hiddenReason}
	}
	// 6. Decide.
	need := actionNeed[ai]
	switch {
	case need == 0:
		return Decision{Allowed: true, Access: access, Reasons: e.functional[ai]}
	case m.rank >= need:
		return Decision{Allowed: true, Access: access, Reasons: e.grants[m.best].via}
	case m.rank == 0 && rec.Owner == "":
		return Decision{Access: access, Reasons: e.noGrantNoOwner}
	case m.rank == 0:
		return Decision{Access: access, Reasons: e.noGrant}
	default:
		return Decision{Access: access, Reasons: e.needRW[ai]}
	}
}

// functional is steps 1 and 2, shared by Functional and Action: the refEntry
// for typ and the index of action when the user holds it there, else the
// denial (ok false).
func (p *refPermissions) functional(action accessv1.Action, typ string) (e *refEntry, ai int, denied Decision, ok bool) {
	switch {
	case p == nil:
		return nil, -1, deny(reasonNilPermissions), false
	case !p.active:
		return nil, -1, deny(p.inactive), false
	}
	if ai = actionIndex(action); ai < 0 {
		return nil, -1, deny(reasonUnknownAction), false
	}
	if !ValidType(typ) {
		return nil, -1, deny([]string{notATypeName(typ)}), false
	}
	if e = p.entryFor(typ); e == nil {
		return nil, -1, deny(reasonNoEntry), false
	}
	if !e.has(ai) {
		return nil, -1, deny(e.noAction[ai]), false
	}
	return e, ai, Decision{}, true
}

// entryFor returns the refEntry of typ, else the "*" refEntry, else nil.
func (p *refPermissions) entryFor(typ string) *refEntry {
	if e, ok := p.entries[typ]; ok {
		return e
	}
	return p.wildcard
}

// refMatch is the outcome of step 4 for one record.
type refMatch struct {
	rank      int // the record access (a rank)
	best      int // index of the refGrant that gave rank (first in refEntry order), -1 when none matched
	dept      int // the Department refGrant that applies, -1 when none
	other     bool
	otherRank int // highest rank of the matching grants of other scopes
	ev        vis // effective visibility (PermissionGroup reading)
}

func (p *refPermissions) refMatch(e *refEntry, rec *Record) refMatch {
	m := refMatch{best: -1, dept: -1, ev: e.effective(rec.Visibility)}
	for i := range e.grants {
		g := &e.grants[i]
		if g.scope == scopeDepartment || !p.matches(g, rec, m.ev) {
			continue
		}
		if !m.other || g.rank > m.otherRank {
			m.otherRank, m.best = g.rank, i
		}
		m.other = true
	}
	m.rank = m.otherRank
	if e.hasDept {
		if d := e.department(rec); d >= 0 {
			m.dept = d
			dr := e.grants[d].rank
			if m.best < 0 || dr > m.rank || (dr == m.rank && d < m.best) {
				m.best, m.rank = d, max(dr, m.rank)
			}
		}
	}
	return m
}

// hides reports whether the applying Department refGrant hides field: it does
// unless a matching refGrant of another scope gives at least its access.
func (m *refMatch) hides(e *refEntry, field string) bool {
	if m.dept < 0 {
		return false
	}
	g := &e.grants[m.dept]
	if len(g.hidden) == 0 || (m.other && m.otherRank >= g.rank) {
		return false
	}
	_, found := slices.BinarySearch(g.hidden, field)
	return found
}

// matches is the table of step 4, for every scope but Department.
func (p *refPermissions) matches(g *refGrant, rec *Record, ev vis) bool {
	switch g.scope {
	case scopeAll:
		return true
	case scopeOwn:
		return p.user != "" && strings.EqualFold(rec.Owner, p.user)
	case scopeRole:
		return rec.OwnerActive && g.role != "" && rec.OwnerRole == g.role
	case scopeUser:
		return rec.OwnerActive && g.user != "" && strings.EqualFold(rec.Owner, g.user)
	case scopeHierarchy:
		if !rec.OwnerActive || rec.OwnerRole == "" {
			return false
		}
		_, below := p.subordinates[rec.OwnerRole]
		return below
	case scopeVisibility:
		return g.vis == ev && p.visibilityReaches(ev, rec)
	}
	return false // unknown scope: fail closed
}

// visibilityReaches is the PermissionGroup rule for a record whose effective
// visibility is ev.
func (p *refPermissions) visibilityReaches(ev vis, rec *Record) bool {
	switch ev {
	case visPublic:
		return true
	case visGroup:
		return rec.OwnerActive && p.ownerInGroup(rec)
	case visOwnerAndGroups:
		return rec.OwnerActive && (p.ownerInGroup(rec) || (p.role != "" && slices.Contains(rec.Groups, p.role)))
	}
	return false // Private, or a value outside the four
}

func (p *refPermissions) ownerInGroup(rec *Record) bool {
	return rec.OwnerRole != "" && rec.OwnerRole == p.role
}

// effective is the record's effective visibility in PermissionGroup mode:
// the stated one when it is one of the four and allowed (an empty allowed
// list allows the four), else the type's default (semantics.md §3: a record
// that states none, or one not allowed, takes the default).
func (e *refEntry) effective(v accessv1.Visibility) vis {
	if stated := parseVis(v); stated != visNone && stated != visInvalid && (len(e.visAllowed) == 0 || slices.Contains(e.visAllowed, v)) {
		return stated
	}
	return e.visDefault
}

// department returns the most specific Department refGrant for the record's
// owner, or -1: a user refGrant for the owner, else the refGrant of the owner's
// department, else the department default. Private records get none.
func (e *refEntry) department(rec *Record) int {
	if departmentPrivate(rec.Visibility) {
		return -1
	}
	best := -1
	for _, i := range e.deptUsers {
		g := &e.grants[i]
		// A refGrant naming a role too must refMatch both (fail closed).
		if strings.EqualFold(rec.Owner, g.user) && (g.role == "" || g.role == rec.OwnerRole) {
			if best < 0 || g.rank < e.grants[best].rank {
				best = i
			}
		}
	}
	if best >= 0 {
		return best
	}
	if rec.OwnerRole != "" {
		if i, ok := e.deptRoles[rec.OwnerRole]; ok {
			return i
		}
	}
	return e.deptDefault
}

// RefCompile is the reference reading, for the external tests (which may
// import the engine): Action, Functional and Capability as they were.
func RefCompile(spec *accessv1.EffectivePermissionSpec) interface {
	Action(accessv1.Action, Record) Decision
	Functional(accessv1.Action, string) Decision
	Capability(string) Decision
} {
	return refCompile(spec)
}
