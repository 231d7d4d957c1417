package check

import (
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Permissions is a compiled EffectivePermission: the spec indexed once so
// that Action and Capability answer without allocating. It holds its own
// copies of everything it keeps, so the caller may change or drop the spec
// after Compile. A Permissions is read-only and safe for concurrent use.
//
// The Reasons slices of the Decisions it returns are shared between calls:
// callers must not modify them.
type Permissions struct {
	// What a record decision reads comes first: these 64 bytes (the first
	// cache line, see TestPermissionsLayout).
	active    bool
	userASCII bool  // user holds no byte above 0x7f
	allCaps   bool  // "*" is held
	hasRare   bool  // rare is set
	roleID    int32 // spec.role's id (see roleOf), -1 when none
	// roles numbers the role names (a Compiler's table, or p's own).
	roles roleTable
	types *typeTable // numbers the type names
	set   *entrySet  // the entries, by type
	// userKey is the first bytes of user, case-folded (see ownedBy).
	userKey uint64
	user    string   // as written in the spec; compared with strings.EqualFold
	sub     roleSpan // spec.subordinates' ids, with subBits

	rare *rare // what few Permissions need, nil when none

	role string
	// inactive is the Reasons of every decision of an inactive EP.
	inactive []string
	// subordinates are spec.subordinates sorted by role, without empty
	// roles and with the first of duplicates: to explain the path, and for
	// Filter.
	subordinates []accessv1.RoleEdge

	// capabilities held by name ("*" itself excluded), with their reasons.
	capabilities map[string][]string
	starReasons  []string // reasons for a name held only through "*"
	withheld     map[string][]string

	_ [2]uint64 // to 192 bytes (TestPermissionsLayout)
}

// rare is what a Permissions needs only when its subordinates are not one
// interval of ids, or when it names roles its table lacks.
type rare struct {
	subBits    []uint64         // which ids of sub, nil when all of them
	extraRoles map[string]int32 // roles the table lacks, numbered after it
}

// action indexes, so that per-action data lives in fixed arrays.
const (
	actView = iota
	actCreate
	actEdit
	actDelete
	actExport
	actViewAll
	actModifyAll
	numActions
)

var actionNames = [numActions]accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// actionNeed is the access rank an action needs on a record (step 6):
// view, export and viewAll need Read; edit, delete and modifyAll ReadWrite;
// create only the functional permission.
var actionNeed = [numActions]int{
	actView: 1, actCreate: 0, actEdit: 2, actDelete: 2, actExport: 1, actViewAll: 1, actModifyAll: 2,
}

// actionIndex returns the index of a known action, -1 for anything else.
func actionIndex(a accessv1.Action) int {
	switch a {
	case accessv1.ActionView:
		return actView
	case accessv1.ActionCreate:
		return actCreate
	case accessv1.ActionEdit:
		return actEdit
	case accessv1.ActionDelete:
		return actDelete
	case accessv1.ActionExport:
		return actExport
	case accessv1.ActionViewAll:
		return actViewAll
	case accessv1.ActionModifyAll:
		return actModifyAll
	}
	return -1
}

// levels maps a rank back to its canonical access level, so a Decision never
// carries an unknown value read from the spec.
var levels = [3]accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessReadWrite}

// scope is a compiled GrantScope; scopeUnknown matches nothing.
type scope uint8

const (
	scopeUnknown scope = iota
	scopeAll
	scopeOwn
	scopeRole
	scopeUser
	scopeHierarchy
	scopeVisibility
	scopeDepartment
)

func parseScope(s accessv1.GrantScope) scope {
	switch s {
	case accessv1.ScopeAll:
		return scopeAll
	case accessv1.ScopeOwn:
		return scopeOwn
	case accessv1.ScopeRole:
		return scopeRole
	case accessv1.ScopeUser:
		return scopeUser
	case accessv1.ScopeHierarchy:
		return scopeHierarchy
	case accessv1.ScopeVisibility:
		return scopeVisibility
	case accessv1.ScopeDepartment:
		return scopeDepartment
	}
	return scopeUnknown
}

// vis is a compiled Visibility. visInvalid is a value outside the four: it
// equals no grant's visibility, so it matches nothing.
type vis uint8

const (
	visNone vis = iota
	visPublic
	visGroup
	visOwnerAndGroups
	visPrivate
	visInvalid
)

func parseVis(v accessv1.Visibility) vis {
	switch v {
	case "":
		return visNone
	case accessv1.VisibilityPublic:
		return visPublic
	case accessv1.VisibilityGroup:
		return visGroup
	case accessv1.VisibilityOwnerAndGroups:
		return visOwnerAndGroups
	case accessv1.VisibilityPrivate:
		return visPrivate
	}
	return visInvalid
}

// grant is a compiled RecordGrant.
type grant struct {
	scope scope
	rank  int
	vis   vis // Visibility grants
	role  string
	user  string
	// via is never empty: it is the Reasons of a decision this grant makes.
	via    []string
	hidden []string // Department grants: hidden fields, sorted
	// hiddenReason is the Reasons of a decision denied because this grant
	// hides the asked field.
	hiddenReason []string

	// The values as written, for Explain.
	rawScope accessv1.GrantScope
	rawVis   accessv1.Visibility
	rawRank  accessv1.AccessLevel
}

// hotGrant is what matching a record reads of a grant, packed: the grants
// of an entry side by side in one or two cache lines.
type hotGrant struct {
	scope scope
	rank  uint8
	vis   vis
	role  int32  // Role grants: the role's id, -1 for none
	user  string // User grants
}

// entry is a compiled ObjectPermission. A Compiler shares one between the
// Permissions whose spec holds an equal ObjectPermission.
type entry struct {
	// What a record decision reads comes first.
	actions    uint8 // bit i set: actionNames[i] is in the entry's actions
	visDefault vis   // PermissionGroup visibility of the type
	visMask    uint8 // bit v set: a stated visibility v is allowed
	usesRole   bool  // some grant reads the owner's role
	hasDept    bool
	hot        []hotGrant // grants[i] as match reads it
	info       *typeInfo  // the reasons of the type's denials
	serial     uint32     // a Compiler's number for it, 0 when not shared

	// functional are the Reasons of each action held: the actionSources
	// listing it.
	functional [numActions][]string

	// Department grants by specificity (indexes into grants).
	deptUsers   []int
	deptByRole  []deptRole // by role id
	deptDefault int        // -1 when absent

	// For Explain and Filter.
	typ        string
	grants     []grant               // in the entry's order, Department grants included
	visAllowed []accessv1.Visibility // empty: all four
	deptRoles  map[string]int
	rawActions []accessv1.Action
}

// deptRole is the Department grant of one role (its id).
type deptRole struct {
	role  int32
	grant int
}

func (e *entry) has(ai int) bool { return e.actions&(1<<ai) != 0 }

// Static reasons, for denials that do not depend on the spec.
var (
	reasonNilPermissions = []string{"no EffectivePermission: the user holds nothing"}
	reasonNoEntry        = []string{"no functional permission: the user has no permission on this type"}
	reasonUnknownAction  = []string{"unknown action: denied"}
	reasonNotHeld        = []string{"capability not held"}
)

// Compile indexes an EffectivePermission spec for many questions. A nil spec
// compiles to a Permissions that denies everything. To compile the
// EffectivePermissions of a tenant, a Compiler shares what they have in
// common.
func Compile(spec *accessv1.EffectivePermissionSpec) *Permissions {
	if spec == nil {
		return &Permissions{inactive: reasonNilPermissions, roleID: -1, roles: noRoles, types: types.Load(), set: &entrySet{}}
	}
	return compile(spec, nil)
}

// compile compiles spec with the tables of c, or with tables of its own
// when c is nil.
func compile(spec *accessv1.EffectivePermissionSpec, c *Compiler) *Permissions {
	p := &Permissions{
		capabilities: map[string][]string{},
		withheld:     map[string][]string{},
	}
	spec = spec.Expanded() // either shape (api/v1alpha1's Compact) reads alike
	p.types = typesFor(spec)
	if c != nil {
		p.roles = c.table(spec)
	} else {
		n := newNames()
		n.add(spec)
		p.roles = n.build()
	}
	// spec.mode is not kept: each grant is read by its own scope's rule.
	p.user, p.role, p.active = spec.User, spec.Role, spec.Active
	p.inactive = []string{"inactive: " + spec.User + " holds nothing in tenant " + spec.Tenant}
	p.roleID = p.internRole(spec.Role)
	p.userKey, p.userASCII = foldKey(p.user), isASCII(p.user)

	for _, s := range spec.Subordinates {
		if s.Role != "" { // an empty role would match owners with no role
			p.subordinates = append(p.subordinates, s)
		}
	}
	slices.SortStableFunc(p.subordinates, func(a, b accessv1.RoleEdge) int { return strings.Compare(a.Role, b.Role) })
	p.subordinates = slices.Clip(slices.CompactFunc(p.subordinates, func(a, b accessv1.RoleEdge) bool { return a.Role == b.Role }))
	sub := make([]int32, len(p.subordinates))
	for i, s := range p.subordinates {
		sub[i] = p.internRole(s.Role)
	}
	p.setSubordinates(sub)

	if !c.sharedCapabilities(p, spec) {
		p.compileCapabilities(spec)
		c.shareCapabilities(p, spec)
	}
	set := &entrySet{}
	for i := range spec.Objects {
		o := &spec.Objects[i]
		if o.Type == accessv1.AllTypes {
			if set.wildcard == nil {
				set.wildcard = c.entry(p, o)
			}
			continue
		}
		// A type that is not a type name is asked about by no question; a
		// duplicate type is malformed, and the first stands.
		if ValidType(o.Type) && set.of(p.types, o.Type) == nil {
			set.add(p.types, o.Type, c.entry(p, o))
		}
	}
	p.set = c.set(set)
	return p
}

func byRole(e accessv1.RoleEdge, role string) int { return strings.Compare(e.Role, role) }

func (p *Permissions) compileCapabilities(spec *accessv1.EffectivePermissionSpec) {
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

func compileEntry(o *accessv1.ObjectPermission) *entry {
	e := &entry{typ: o.Type, deptDefault: -1, rawActions: slices.Clone(o.Actions)}
	typ := o.Type
	if typ == accessv1.AllTypes {
		typ = "any type" // the "*" entry answers for types with no entry of their own
	}
	for _, a := range o.Actions {
		if ai := actionIndex(a); ai >= 0 {
			e.actions |= 1 << ai
		}
	}
	for ai := range numActions {
		name := string(actionNames[ai])
		if !e.has(ai) {
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
	}

	// PermissionGroup visibility: absent means default Group, all four allowed.
	e.visDefault = visGroup
	if o.Visibility != nil {
		e.visDefault = parseVis(o.Visibility.Default)
		if e.visDefault == visNone || e.visDefault == visInvalid {
			e.visDefault = visPrivate // a default outside the four reads as Private
		}
		e.visAllowed = slices.Clone(o.Visibility.Allowed)
	}

	e.grants = make([]grant, 0, len(o.Grants))
	for i := range o.Grants {
		g := &o.Grants[i]
		cg := grant{
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
func (e *entry) indexDepartment() {
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
