package check

import (
	"cmp"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Decide compiles spec and answers one record question, as Action does.
// Prefer Compile when asking more than one question of the same
// EffectivePermission.
func Decide(spec *accessv1.EffectivePermissionSpec, action accessv1.Action, rec Record) Decision {
	return Compile(spec).Action(action, rec)
}

// Capability decides whether the user may use the account-level capability
// name. It does not allocate.
func (p *Permissions) Capability(name string) Decision {
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
// "Edit" button or a menu entry? It looks at no record, so its Access is
// always None; before acting on a record, ask Action about that record. A
// typ that is not an object type name (see ValidType) is denied. It does not
// allocate, except to name such a typ in the denial's reason.
func (p *Permissions) Functional(action accessv1.Action, typ string) Decision {
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
func (p *Permissions) Action(action accessv1.Action, rec Record) Decision {
	// 1-2. The EP is active and holds the functional permission.
	e, ai, denied, ok := p.functional(action, rec.Type)
	if !ok {
		return denied
	}
	// 3. A record with no owner is a non-member's record.
	rec.readOwner()
	// 4. Record access; without view there is none.
	if !e.has(actView) {
		if actionNeed[ai] == 0 {
			return Decision{Allowed: true, Access: accessv1.AccessNone, Reasons: e.functional[ai]}
		}
		return deny(e.info.noView)
	}
	m := p.match(e, &rec)
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
		return Decision{Access: access, Reasons: e.info.noGrantNoOwner}
	case m.rank == 0:
		return Decision{Access: access, Reasons: e.info.noGrant}
	default:
		return Decision{Access: access, Reasons: e.info.needRW[ai]}
	}
}

// functional is steps 1 and 2, shared by Functional and Action: the entry
// for typ and the index of action when the user holds it there, else the
// denial (ok false).
func (p *Permissions) functional(action accessv1.Action, typ string) (e *entry, ai int, denied Decision, ok bool) {
	switch {
	case p == nil:
		return nil, -1, deny(reasonNilPermissions), false
	case !p.active:
		return nil, -1, deny(p.inactive), false
	}
	if ai = actionIndex(action); ai < 0 {
		return nil, -1, deny(reasonUnknownAction), false
	}
	s := p.set
	id, known := p.types.ids.get(typ)
	if known && uint32(id) < setSlots {
		// The type's own entry, from the slot: denied without reading it.
		if a := s.actions[id]; a != 0 {
			if a&(1<<ai) == 0 {
				return nil, -1, deny(p.types.infos[id].noAction[ai]), false
			}
			return s.byType[id], ai, Decision{}, true
		}
	}
	e, valid := p.entryOf(typ, id, known)
	switch {
	case !valid:
		return nil, -1, deny([]string{notATypeName(typ)}), false
	case e == nil:
		return nil, -1, deny(reasonNoEntry), false
	case !e.has(ai):
		return nil, -1, deny(e.info.noAction[ai]), false
	}
	return e, ai, Decision{}, true
}

// readOwner reads a record whose Owner is empty as a non-member's record
// (semantics.md §6): whatever role and membership the caller filled in, it
// has neither.
func (rec *Record) readOwner() {
	if rec.Owner == "" {
		rec.OwnerRole, rec.OwnerActive = "", false
	}
}

func deny(reasons []string) Decision {
	return Decision{Access: accessv1.AccessNone, Reasons: reasons}
}

// entryFor returns the entry of typ, else the "*" entry, else nil; valid is
// false when typ is not a type name (ValidType), and then e is nil. The
// type table holds type names only, so a type it knows is not checked
// again.
func (p *Permissions) entryFor(typ string) (e *entry, valid bool) {
	id, known := p.types.ids.get(typ)
	return p.entryOf(typ, id, known)
}

// entryOf is entryFor, given the type's id (known: typ has one).
func (p *Permissions) entryOf(typ string, id int32, known bool) (e *entry, valid bool) {
	s := p.set
	if known {
		if e = s.get(id); e != nil {
			return e, true
		}
	}
	if s.over != nil {
		if e = s.over.extra[typ]; e != nil {
			return e, true
		}
	}
	if !known && !ValidType(typ) {
		return nil, false
	}
	return s.wildcard, true
}

// match is the outcome of step 4 for one record.
type match struct {
	rank      int // the record access (a rank)
	best      int // index of the grant that gave rank (first in entry order), -1 when none matched
	dept      int // the Department grant that applies, -1 when none
	other     bool
	otherRank int   // highest rank of the matching grants of other scopes
	ev        vis   // effective visibility (PermissionGroup reading)
	owner     int32 // the owner's role id (roleOf), -1 when none or not needed
}

func (p *Permissions) match(e *entry, rec *Record) match {
	m := match{best: -1, dept: -1, ev: e.effective(rec.Visibility), owner: -1}
	if e.usesRole && rec.OwnerRole != "" {
		m.owner = p.roleOf(rec.OwnerRole)
	}
	for i := range e.hot {
		g := &e.hot[i]
		if g.scope == scopeDepartment || !p.matches(g, rec, &m) {
			continue
		}
		if r := int(g.rank); !m.other || r > m.otherRank {
			m.otherRank, m.best = r, i
		}
		m.other = true
	}
	m.rank = m.otherRank
	if e.hasDept {
		if d := e.department(rec, m.owner); d >= 0 {
			m.dept = d
			dr := e.grants[d].rank
			if m.best < 0 || dr > m.rank || (dr == m.rank && d < m.best) {
				m.best, m.rank = d, max(dr, m.rank)
			}
		}
	}
	return m
}

// hides reports whether the applying Department grant hides field: it does
// unless a matching grant of another scope gives at least its access.
func (m *match) hides(e *entry, field string) bool {
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

// matches is the table of step 4, for every scope but Department. Roles
// are compared by id: m.owner is the owner's role's id, which equals a role
// of the grant or of the user only when the names are equal and not empty.
func (p *Permissions) matches(g *hotGrant, rec *Record, m *match) bool {
	switch g.scope {
	case scopeAll:
		return true
	case scopeOwn:
		return p.ownedBy(rec.Owner)
	case scopeRole:
		return rec.OwnerActive && g.role >= 0 && m.owner == g.role
	case scopeUser:
		return rec.OwnerActive && g.user != "" && strings.EqualFold(rec.Owner, g.user)
	case scopeHierarchy:
		return rec.OwnerActive && p.below(m.owner)
	case scopeVisibility:
		return g.vis == m.ev && p.visibilityReaches(m.ev, rec, m.owner)
	}
	return false // unknown scope: fail closed
}

// ownedBy reports whether owner is the user, as strings.EqualFold says. An
// ASCII user folds only to strings at least as long (no ASCII letter folds
// to a shorter rune) and, at the same length, only to strings that differ
// in the case of ASCII letters: userKey settles most owners without reading
// the user's name.
func (p *Permissions) ownedBy(owner string) bool {
	if p.user == "" {
		return false
	}
	if p.userASCII && (len(owner) < len(p.user) || len(owner) == len(p.user) && foldKey(owner) != p.userKey) {
		return false
	}
	// Only a rune outside ASCII folds to an ASCII letter at another length
	// (ſ to s, K to k): a longer ASCII owner is someone else, settled
	// without reading the user's name (a line of its own).
	if p.userASCII && len(owner) != len(p.user) && isASCII(owner) {
		return false
	}
	return strings.EqualFold(owner, p.user)
}

// visibilityReaches is the PermissionGroup rule for a record whose effective
// visibility is ev; owner is the owner's role's id.
func (p *Permissions) visibilityReaches(ev vis, rec *Record, owner int32) bool {
	switch ev {
	case visPublic:
		return true
	case visGroup:
		return rec.OwnerActive && p.ownerInGroup(owner)
	case visOwnerAndGroups:
		return rec.OwnerActive && (p.ownerInGroup(owner) || (p.role != "" && slices.Contains(rec.Groups, p.role)))
	}
	return false // Private, or a value outside the four
}

// ownerInGroup reports whether the owner's role (its id) is the user's.
func (p *Permissions) ownerInGroup(owner int32) bool {
	return p.roleID >= 0 && owner == p.roleID
}

// effective is the record's effective visibility in PermissionGroup mode:
// the stated one when it is one of the four and allowed (an empty allowed
// list allows the four), else the type's default (semantics.md §3: a record
// that states none, or one not allowed, takes the default).
func (e *entry) effective(v accessv1.Visibility) vis {
	if stated := parseVis(v); stated != visNone && stated != visInvalid && e.visMask&(1<<stated) != 0 {
		return stated
	}
	return e.visDefault
}

// department returns the most specific Department grant for the record's
// owner, or -1: a user grant for the owner, else the grant of the owner's
// department (owner is its role's id), else the department default. Private
// records get none.
func (e *entry) department(rec *Record, owner int32) int {
	if departmentPrivate(rec.Visibility) {
		return -1
	}
	best := -1
	for _, i := range e.deptUsers {
		g := &e.grants[i]
		// A grant naming a role too must match both (fail closed).
		if strings.EqualFold(rec.Owner, g.user) && (g.role == "" || g.role == rec.OwnerRole) {
			if best < 0 || g.rank < e.grants[best].rank {
				best = i
			}
		}
	}
	if best >= 0 {
		return best
	}
	if owner >= 0 {
		if k, ok := slices.BinarySearchFunc(e.deptByRole, owner, func(d deptRole, id int32) int { return cmp.Compare(d.role, id) }); ok {
			return e.deptByRole[k].grant
		}
	}
	return e.deptDefault
}

// departmentPrivate is how Department grants read a record's visibility:
// Private only when it states Private (Public, Group, OwnerAndGroups and
// none are Public). A value outside the four is not one of the Public ones
// the spec lists, so it reads as Private: a bad input never widens access.
func departmentPrivate(v accessv1.Visibility) bool {
	switch parseVis(v) {
	case visPrivate, visInvalid:
		return true
	}
	return false
}
