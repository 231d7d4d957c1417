package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// policy is a tenant's VisibilityPolicy, indexed.
type policy struct {
	obj         *accessv1.VisibilityPolicy // nil: all defaults
	mode        accessv1.VisibilityMode
	hierarchy   bool
	types       map[string]*accessv1.ObjectTypePolicy
	sharing     []indexedRule
	department  []indexedRule
	deptDefault accessv1.AccessLevel
	named       []string // every type the policy names, sorted

	// Malformed department rules narrow (semantics.md §6): noDept maps each
	// type of a rule whose from or to names nothing to the first such rule;
	// noDeptAll is the first rule whose objectTypes are not all type names
	// (-1 when none), which takes department access from every type, since
	// any of them may be the one it meant.
	noDept    map[string]int
	noDeptAll int
}

// noDepartment returns the malformed department rule that takes every
// department path from typ, if any.
func (p *policy) noDepartment(typ string) (int, bool) {
	if p.noDeptAll >= 0 {
		return p.noDeptAll, true
	}
	i, ok := p.noDept[typ]
	return i, ok && typ != accessv1.AllTypes
}

// indexedRule is a sharing or department rule with its position.
type indexedRule struct {
	index  int
	name   string // sharing rules only
	types  []string
	from   accessv1.Subject
	to     accessv1.Subject
	access accessv1.AccessLevel
	hidden []string
}

// appliesTo says whether the rule's objectTypes name typ. In rules "*" is
// not special (semantics.md §6): it names no type, so a rule never applies
// to the EffectivePermission's "*" entry, which answers for every type with
// no entry of its own.
func (r *indexedRule) appliesTo(typ string) bool {
	return typ != accessv1.AllTypes && slices.Contains(r.types, typ)
}

func (p *policy) build(t *tenant, fs *findings) {
	p.mode, p.hierarchy = accessv1.ModeRoleHierarchy, true
	p.types = map[string]*accessv1.ObjectTypePolicy{}
	p.noDept, p.noDeptAll = map[string]int{}, -1
	if p.obj == nil {
		return
	}
	spec := &p.obj.Spec
	ref := refOf(accessv1.KindVisibilityPolicy, t.ns, p.obj.Name)
	switch spec.Mode {
	case "", accessv1.ModeRoleHierarchy:
	case accessv1.ModePermissionGroup, accessv1.ModeDepartment:
		p.mode = spec.Mode
	default:
		fs.add(Refused, t.name, ref, "spec.mode", accessv1.ReasonInvalidValue,
			"spec.mode %q is not a mode; use RoleHierarchy, PermissionGroup or Department (until then no mode path applies)", spec.Mode)
	}
	switch spec.Hierarchy {
	case "", accessv1.HierarchyEnabled:
	case accessv1.HierarchyDisabled:
		p.hierarchy = false
	default:
		p.hierarchy = false // fail closed
		fs.add(Refused, t.name, ref, "spec.hierarchy", accessv1.ReasonInvalidValue,
			"spec.hierarchy %q must be Enabled or Disabled; until fixed the hierarchy is off", spec.Hierarchy)
	}
	named := map[string]bool{}
	for i := range spec.ObjectTypes {
		ot := &spec.ObjectTypes[i]
		p.types[ot.Name] = ot
		named[ot.Name] = true
	}
	// The words of the CRD's CEL rules, which refuse the same.
	checkSubject := func(field, msg string, s accessv1.Subject) bool {
		if s.Role == "" && s.User == "" {
			fs.add(Refused, t.name, ref, field, accessv1.ReasonInvalidValue, "%s", msg)
			return false
		}
		if s.Role != "" && !t.roles.has(s.Role) {
			fs.add(Reported, t.name, ref, field+".role", accessv1.ReasonRoleNotFound,
				"%s.role names Role %q, which does not exist in tenant %q; the rule matches nobody there until it does", field, s.Role, t.name)
		}
		return true
	}
	// "*" is not special in rules (semantics.md §6): it names no type. It
	// is refused, so that nobody who meant "every type" is left without a
	// word, as is anything else that is not a type name. A sharing rule
	// still applies to the types it names (it only adds access); a
	// department rule may take access away, so it narrows instead (below).
	checkTypes := func(field, what, until string, types []string) bool {
		ok := true
		for j, typ := range types {
			switch {
			case typ == accessv1.AllTypes:
				ok = false
				fs.add(Refused, t.name, ref, fieldIndex(field+".objectTypes", j), accessv1.ReasonInvalidValue,
					"\"*\" in a %s rule is no type (only a PermissionSet reads \"*\" as every type): list the types the rule is for%s", what, until)
			case !check.ValidType(typ):
				ok = false
				fs.add(Refused, t.name, ref, fieldIndex(field+".objectTypes", j), accessv1.ReasonInvalidValue,
					"object type %q is not a type name (a lowercase DNS label such as deals or business-cards, at most 63 characters): write the name of the type%s", typ, until)
			}
		}
		return ok
	}
	for i, r := range spec.SharingRules {
		field := fieldIndex("spec.sharingRules", i)
		checkTypes(field, "sharing", "", r.ObjectTypes)
		okFrom := checkSubject(field+".from", "from names nobody: set from.role or from.user, whose records the rule shares; until then the rule grants nothing", r.From)
		okTo := checkSubject(field+".to", "to names nobody: set to.role or to.user, who the rule shares the records with; until then the rule grants nothing", r.To)
		if r.Access != accessv1.AccessRead && r.Access != accessv1.AccessReadWrite {
			fs.add(Refused, t.name, ref, field+".access", accessv1.ReasonInvalidValue,
				"sharing rule %q has access %q; it must be Read or ReadWrite; the rule is ignored until fixed", r.Name, r.Access)
			continue
		}
		if !okFrom || !okTo {
			continue
		}
		for _, typ := range r.ObjectTypes {
			if check.ValidType(typ) { // an entry of the EP is for a type
				named[typ] = true
			}
		}
		p.sharing = append(p.sharing, indexedRule{index: i, name: r.Name, types: r.ObjectTypes, from: r.From, to: r.To, access: r.Access})
	}
	for i, r := range spec.DepartmentRules {
		field := fieldIndex("spec.departmentRules", i)
		okTypes := checkTypes(field, "department", "; until then no type has department access (None)", r.ObjectTypes)
		okFrom := checkSubject(field+".from", "from names nobody: set from.role (the owners' department) or from.user; until then the rule's types have no department access (None)", r.From)
		okTo := checkSubject(field+".to", "to names nobody: set to.role (the viewers' department) or to.user; until then the rule's types have no department access (None)", r.To)
		if r.Access.Rank() == 0 && r.Access != accessv1.AccessNone {
			fs.add(Refused, t.name, ref, field+".access", accessv1.ReasonInvalidValue,
				"department rule %d has access %q; it must be None, Read or ReadWrite; it reads as None until fixed", i, r.Access)
		}
		// A malformed rule never widens (semantics.md §6): what it was meant
		// to restrict cannot be told, so its types get no department
		// access at all — not the departmentDefault, not the same
		// department's ReadWrite.
		if !okTypes && p.noDeptAll < 0 {
			p.noDeptAll = i
		}
		if !okFrom || !okTo {
			for _, typ := range r.ObjectTypes {
				if _, seen := p.noDept[typ]; !seen && check.ValidType(typ) {
					p.noDept[typ] = i
					named[typ] = true
				}
			}
			continue
		}
		for _, typ := range r.ObjectTypes {
			if check.ValidType(typ) { // an entry of the EP is for a type
				named[typ] = true
			}
		}
		p.department = append(p.department, indexedRule{index: i, types: r.ObjectTypes, from: r.From, to: r.To, access: accessOrNone(r.Access), hidden: r.HiddenFields})
	}
	switch {
	case spec.DepartmentDefault != nil:
		p.deptDefault = accessOrNone(*spec.DepartmentDefault)
	case len(p.department) > 0:
		p.deptDefault = accessv1.AccessReadWrite // semantics.md §6: absent while (well-formed) rules exist
	default:
		p.deptDefault = accessv1.AccessNone // invariant 12: refused; fail closed if it slips in
	}
	if p.mode == accessv1.ModeDepartment && spec.DepartmentDefault == nil && len(spec.DepartmentRules) == 0 {
		fs.add(Refused, t.name, ref, "spec.departmentDefault", accessv1.ReasonDepartmentOpen,
			"Department mode with no departmentRules and no explicit departmentDefault would open every record to every member; set departmentDefault (for example None) or add departmentRules")
	}
	delete(named, accessv1.AllTypes) // the "*" entry is always there, once
	p.named = slices.Sorted(maps.Keys(named))
}

func accessOrNone(a accessv1.AccessLevel) accessv1.AccessLevel {
	switch a {
	case accessv1.AccessRead, accessv1.AccessReadWrite:
		return a
	}
	return accessv1.AccessNone
}

// viewer is who record grants are computed for.
type viewer struct {
	email string
	role  string // a valid role ("" none): the paths of role membership
	named int8   // namesViewer(email), once asked (entryKey): 0 not yet, 1 no, 2 yes
}

// namesViewer reports whether a sharing or department rule's "to" names a
// user who could be the viewer of e-mail email: only then do a viewer's
// record grants depend on who it is rather than on its role.
func (p *policy) namesViewer(email string) bool {
	for i := range p.sharing {
		if u := p.sharing[i].to.User; u != "" && strings.EqualFold(u, email) {
			return true
		}
	}
	for i := range p.department {
		if u := p.department[i].to.User; u != "" && strings.EqualFold(u, email) {
			return true
		}
	}
	return false
}

// subjectMatchesViewer reports whether a rule's "to" side matches the viewer.
// A side naming both a role and a user must match both.
func subjectMatchesViewer(s accessv1.Subject, v viewer) bool {
	if s.Role == "" && s.User == "" {
		return false
	}
	if s.Role != "" && (v.role == "" || s.Role != v.role) {
		return false
	}
	return s.User == "" || strings.EqualFold(s.User, v.email)
}

// standardGrants are the record grants of a Standard member's own paths on a
// type (semantics.md §2.3–§3), for a viewer holding view on it. typ is "*"
// for the types no one names.
func (t *tenant) standardGrants(v viewer, typ string, bits actionBits, allGrant *accessv1.RecordGrant) []accessv1.RecordGrant {
	p := &t.policy
	if ot := p.types[typ]; typ != accessv1.AllTypes && ot != nil && ot.ExemptFromRoles {
		access := accessv1.AccessRead
		if bits.has(bitEdit) {
			access = accessv1.AccessReadWrite
		}
		return []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: access, Via: []string{"exemptFromRoles: " + typ}}}
	}
	var gs []accessv1.RecordGrant
	if allGrant != nil {
		gs = append(gs, *allGrant)
	}
	gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeOwn, Access: accessv1.AccessReadWrite, Via: []string{"owner"}})
	if v.role == accessv1.CEORole {
		gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeAll, Access: accessv1.AccessReadWrite, Via: []string{"role: ceo"}})
	}
	if v.role != "" && v.role != accessv1.CEORole {
		if p.hierarchy && len(t.roles.nodes[v.role].children) > 0 {
			gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeHierarchy, Access: accessv1.AccessReadWrite, Via: []string{"hierarchy: below " + v.role}})
		}
		if node := t.roles.nodes[v.role]; node.obj != nil && node.obj.Spec.ShareDataWithPeers {
			gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: v.role, Access: accessv1.AccessReadWrite, Via: []string{"peers: " + v.role}})
		}
	}
	for i := range p.sharing {
		r := &p.sharing[i]
		if !r.appliesTo(typ) || !subjectMatchesViewer(r.to, v) {
			continue
		}
		via := []string{"sharingRule: " + r.name}
		switch {
		case r.from.User != "":
			owner := t.unique(r.from.User)
			if owner == nil || (r.from.Role != "" && owner.role != r.from.Role) {
				continue
			}
			gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeUser, User: owner.email, Access: r.access, Via: via})
		case t.roles.has(r.from.Role):
			gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: r.from.Role, Access: r.access, Via: via})
		}
	}
	switch p.mode {
	case accessv1.ModePermissionGroup:
		gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityPublic, Access: accessv1.AccessRead, Via: []string{"mode: PermissionGroup (Public)"}})
		if v.role != "" {
			gs = append(gs,
				accessv1.RecordGrant{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityGroup, Access: accessv1.AccessRead, Via: []string{"mode: PermissionGroup (Group of " + v.role + ")"}},
				accessv1.RecordGrant{Scope: accessv1.ScopeVisibility, Visibility: accessv1.VisibilityOwnerAndGroups, Access: accessv1.AccessRead, Via: []string{"mode: PermissionGroup (OwnerAndGroups with " + v.role + ")"}})
		}
	case accessv1.ModeDepartment:
		gs = append(gs, t.departmentGrants(v, typ)...)
	}
	return gs
}

// typeVisibility is a type's PermissionGroup settings as the EP carries them.
func (p *policy) typeVisibility(typ string) *accessv1.TypeVisibility {
	if p.mode != accessv1.ModePermissionGroup {
		return nil
	}
	tv := &accessv1.TypeVisibility{Default: accessv1.VisibilityGroup}
	if ot := p.types[typ]; ot != nil && typ != accessv1.AllTypes {
		if ot.DefaultVisibility != "" {
			tv.Default = ot.DefaultVisibility
			switch ot.DefaultVisibility {
			case accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate:
			default:
				tv.Default = accessv1.VisibilityPrivate // semantics.md §6
			}
		}
		tv.Allowed = slices.Clone(ot.AllowedVisibilities)
		slices.Sort(tv.Allowed)
		tv.Allowed = slices.Compact(tv.Allowed)
	}
	return tv
}

// departmentGrants computes a viewer's Department grants on a type: per owner
// department the last matching rule, its own department ReadWrite unless a
// rule says otherwise, owners named by user resolved here, and the default.
func (t *tenant) departmentGrants(v viewer, typ string) []accessv1.RecordGrant {
	if v.role == "" {
		return nil // a viewer with no department gets no department access
	}
	p := &t.policy
	if i, ok := p.noDepartment(typ); ok {
		// The one Department grant of the type, with neither role nor user:
		// it answers for every owner, and it answers None.
		return []accessv1.RecordGrant{{Scope: accessv1.ScopeDepartment, Access: accessv1.AccessNone,
			Via: []string{fmt.Sprintf("departmentRule: %d (malformed: no department access until fixed)", i)}}}
	}
	var rules []*indexedRule
	for i := range p.department {
		r := &p.department[i]
		if r.appliesTo(typ) && subjectMatchesViewer(r.to, v) {
			rules = append(rules, r)
		}
	}
	byRole := map[string]*indexedRule{}
	users := map[string]bool{}
	for _, r := range rules {
		if r.from.User == "" {
			byRole[r.from.Role] = r // later rules win
		} else {
			users[strings.ToLower(r.from.User)] = true
		}
	}
	grant := func(r *indexedRule, role, user string) accessv1.RecordGrant {
		return accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Role: role, User: user, Access: r.access,
			HiddenFields: sortedCopy(r.hidden), Via: []string{fmt.Sprintf("departmentRule: %d", r.index)}}
	}
	var gs []accessv1.RecordGrant
	for _, role := range slices.Sorted(maps.Keys(byRole)) {
		gs = append(gs, grant(byRole[role], role, ""))
	}
	if _, ok := byRole[v.role]; !ok {
		gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Role: v.role, Access: accessv1.AccessReadWrite, Via: []string{"department: same (" + v.role + ")"}})
	}
	for _, email := range slices.Sorted(maps.Keys(users)) {
		owner := t.single(email)
		if owner == nil || (!owner.usable && owner.active) || owner.role == "" {
			// Unknown, duplicate or broken, or with no role (Admin,
			// Developer, dangling role): no department, so no rule
			// matches and departmentDefault applies (semantics.md §6).
			continue
		}
		var last *indexedRule
		for _, r := range rules {
			switch {
			case r.from.User == "" && owner.role != "" && r.from.Role == owner.role:
				last = r
			case strings.EqualFold(r.from.User, email) && (r.from.Role == "" || r.from.Role == owner.role):
				last = r
			}
		}
		if last != nil && last.from.User != "" { // a role rule's answer is already in the role grant
			gs = append(gs, grant(last, "", email))
		}
	}
	gs = append(gs, accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Access: p.deptDefault, Via: []string{"departmentDefault"}})
	return gs
}

func sortedCopy(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
