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
	user   string // as written in the spec; compared with strings.EqualFold
	role   string
	active bool
	// inactive is the Reasons of every decision of an inactive EP.
	inactive []string

	// subordinates maps each role strictly below spec.role to its parent,
	// for Hierarchy grants (and to explain the path).
	subordinates map[string]string

	entries  map[string]*entry // by type, "*" excluded
	wildcard *entry            // the "*" entry, nil when absent

	// capabilities held by name ("*" itself excluded), with their reasons.
	capabilities map[string][]string
	allCaps      bool     // "*" is held
	starReasons  []string // reasons for a name held only through "*"
	withheld     map[string][]string
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

// entry is a compiled ObjectPermission.
type entry struct {
	typ     string
	actions uint8 // bit i set: actionNames[i] is in the entry's actions

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

	grants []grant // in the entry's order, Department grants included

	// Department grants by specificity (indexes into grants).
	deptUsers   []int
	deptRoles   map[string]int
	deptDefault int // -1 when absent
	hasDept     bool

	rawActions []accessv1.Action // for Explain
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
// compiles to a Permissions that denies everything.
func Compile(spec *accessv1.EffectivePermissionSpec) *Permissions {
	p := &Permissions{
		subordinates: map[string]string{},
		entries:      map[string]*entry{},
		capabilities: map[string][]string{},
		withheld:     map[string][]string{},
	}
	if spec == nil {
		p.inactive = reasonNilPermissions
		return p
	}
	spec = spec.Expanded() // either shape (api/v1alpha1's Compact) reads alike
	// spec.mode is not kept: each grant is read by its own scope's rule.
	p.user, p.role, p.active = spec.User, spec.Role, spec.Active
	p.inactive = []string{"inactive: " + spec.User + " holds nothing in tenant " + spec.Tenant}

	for _, s := range spec.Subordinates {
		if s.Role == "" { // an empty role would match owners with no role
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
				p.wildcard = compileEntry(o)
			}
			continue
		}
		if _, dup := p.entries[o.Type]; !dup { // a duplicate type is malformed; the first stands
			p.entries[o.Type] = compileEntry(o)
		}
	}
	return p
}

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
