package check

import (
	"fmt"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Explain returns, for people, the path that decided Action(action, rec),
// or, when it is denied, why each path did not apply. It follows the same
// steps as Action (and always agrees with it) but allocates; it is meant for
// `accessctl check --explain`, not for enforcement.
func (p *Permissions) Explain(action accessv1.Action, rec Record) []string {
	e, ai, out, ok := p.explainFunctional(action, rec.Type)
	if !ok {
		return out
	}
	label := entryLabel(e, rec.Type)
	rec.readOwner()
	if rec.Owner == "" {
		out = append(out, "no owner given: the record is read as a non-member's record, which only All, Public and department-default grants reach")
	}
	if !e.has(actView) {
		out = append(out, fmt.Sprintf("no view on %s: access None", label))
		if actionNeed[ai] == 0 {
			out = append(out, "create needs only the functional permission")
		}
		return out
	}

	m := p.match(e, &rec)
	access := levels[m.rank]
	if rec.Field != "" && m.hides(e, rec.Field) {
		g := &e.grants[m.dept]
		out = append(out, fmt.Sprintf("Department rule hides field %s: %s", rec.Field, p.describe(g)))
		if m.other {
			out = append(out, fmt.Sprintf("the other paths give only %s, less than %s", levels[m.otherRank], levels[g.rank]))
		} else {
			out = append(out, "no other path applies to this record")
		}
		return out
	}
	need := actionNeed[ai]
	allowed := need == 0 || m.rank >= need
	switch {
	case need == 0:
		out = append(out, fmt.Sprintf("create needs only the functional permission (access to the record: %s)", access))
		return out
	case allowed:
		// The deciding path first, then any other path giving the same access.
		out = append(out, p.describe(&e.grants[m.best])+": "+p.why(e, m.best, &rec, &m))
		for i := range e.grants {
			if i != m.best && p.applies(e, i, &rec, &m) && e.grants[i].rank == m.rank {
				out = append(out, "also "+p.describe(&e.grants[i])+": "+p.why(e, i, &rec, &m))
			}
		}
		return out
	case m.rank == 0:
		out = append(out, fmt.Sprintf("no path gives access to this record; %s needs %s", action, levels[need]))
	default:
		out = append(out, fmt.Sprintf("access %s, but %s needs %s", access, action, levels[need]))
	}
	if len(e.grants) == 0 {
		return append(out, "no grants on "+label)
	}
	for i := range e.grants {
		out = append(out, p.describe(&e.grants[i])+": "+p.why(e, i, &rec, &m))
	}
	return out
}

// ExplainFunctional is Explain for Functional(action, typ).
func (p *Permissions) ExplainFunctional(action accessv1.Action, typ string) []string {
	_, _, out, ok := p.explainFunctional(action, typ)
	if ok {
		out = append(out, "functional question: no record is looked at (access None)")
	}
	return out
}

// explainFunctional explains steps 1 and 2, as Permissions.functional
// decides them: ok with the entry, the action's index and the line naming
// the functional permission, else the lines of the denial.
func (p *Permissions) explainFunctional(action accessv1.Action, typ string) (e *entry, ai int, out []string, ok bool) {
	switch {
	case p == nil:
		return nil, -1, slices.Clone(reasonNilPermissions), false
	case !p.active:
		return nil, -1, slices.Clone(p.inactive), false
	}
	if ai = actionIndex(action); ai < 0 {
		return nil, -1, []string{fmt.Sprintf("unknown action %q: denied", action)}, false
	}
	if !ValidType(typ) {
		return nil, -1, []string{notATypeName(typ)}, false
	}
	if e, _ = p.entryFor(typ); e == nil {
		return nil, -1, []string{fmt.Sprintf("no functional permission: no entry for type %q and no \"*\" entry", typ)}, false
	}
	label := entryLabel(e, typ)
	if !e.has(ai) {
		return nil, -1, []string{fmt.Sprintf("no functional permission: the user may not %s on %s (actions: %s)", action, label, joinActions(e.rawActions))}, false
	}
	return e, ai, []string{fmt.Sprintf("functional: %s on %s via %s", action, label, strings.Join(e.functional[ai], ", "))}, true
}

// ExplainCapability is Explain for Capability(name).
func (p *Permissions) ExplainCapability(name string) []string {
	d := p.Capability(name)
	if d.Allowed {
		return []string{fmt.Sprintf("capability %s held via %s", name, strings.Join(d.Reasons, ", "))}
	}
	if slices.Equal(d.Reasons, reasonNotHeld) {
		return []string{fmt.Sprintf("capability %s not held: no source gives it", name)}
	}
	return slices.Clone(d.Reasons)
}

func entryLabel(e *entry, typ string) string {
	if e.typ == accessv1.AllTypes {
		return fmt.Sprintf("%s (through the \"*\" entry)", typ)
	}
	return e.typ
}

func joinActions(as []accessv1.Action) string {
	if len(as) == 0 {
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// applies reports whether grant i applies to the record, as Action reads it.
func (p *Permissions) applies(e *entry, i int, rec *Record, m *match) bool {
	g := &e.grants[i]
	if g.scope == scopeDepartment {
		return i == m.dept
	}
	return p.matches(&e.hot[i], rec, m)
}

// describe names a grant: scope, target, access and via.
func (p *Permissions) describe(g *grant) string {
	var target string
	switch g.scope {
	case scopeRole:
		target = " " + g.role
	case scopeUser:
		target = " " + g.user
	case scopeVisibility:
		target = " " + string(g.rawVis)
	case scopeDepartment:
		switch {
		case g.user != "" && g.role != "":
			target = " user " + g.user + " of " + g.role
		case g.user != "":
			target = " user " + g.user
		case g.role != "":
			target = " " + g.role
		default:
			target = " default"
		}
	}
	access := string(levels[g.rank])
	if g.rawRank != levels[g.rank] {
		access = fmt.Sprintf("%q, read as None", g.rawRank)
	}
	return fmt.Sprintf("%s%s (%s) via %s", g.rawScope, target, access, strings.Join(g.via, ", "))
}

// why says why grant i applies to the record or not.
func (p *Permissions) why(e *entry, i int, rec *Record, m *match) string {
	g := &e.grants[i]
	applies := p.applies(e, i, rec, m)
	if applies {
		switch g.scope {
		case scopeAll:
			return "applies to every record"
		case scopeOwn:
			return "the user owns the record"
		case scopeRole:
			return "the owner holds role " + g.role
		case scopeUser:
			return "the record is owned by " + rec.Owner
		case scopeHierarchy:
			return fmt.Sprintf("owner's role %s is below %s (%s)", rec.OwnerRole, p.role, p.path(rec.OwnerRole))
		case scopeVisibility:
			return "the record's effective visibility is " + visName(m.ev) + " and " + p.visibilityWhy(m.ev, rec, m.owner)
		case scopeDepartment:
			return p.departmentWhy(g, rec)
		}
		return "applies"
	}
	notActive := notMember(rec)
	switch g.scope {
	case scopeOwn:
		return notOwnedBy(rec, "the user")
	case scopeRole:
		switch {
		case !rec.OwnerActive:
			return notActive
		case rec.OwnerRole == "":
			return "the owner has no role, not " + g.role
		}
		return fmt.Sprintf("owner's role %s is not %s", rec.OwnerRole, g.role)
	case scopeUser:
		if !rec.OwnerActive {
			return notActive
		}
		return notOwnedBy(rec, g.user)
	case scopeHierarchy:
		switch {
		case !rec.OwnerActive:
			return notActive
		case rec.OwnerRole == "":
			return "the owner has no role"
		}
		return fmt.Sprintf("owner's role %s is not below %s", rec.OwnerRole, p.role)
	case scopeVisibility:
		if g.vis != m.ev {
			return fmt.Sprintf("the record's effective visibility is %s, not %s", visName(m.ev), g.rawVis)
		}
		return p.visibilityWhy(m.ev, rec, m.owner)
	case scopeDepartment:
		switch {
		case rec.Visibility == accessv1.VisibilityPrivate:
			return "the record is Private"
		case departmentPrivate(rec.Visibility):
			return fmt.Sprintf("the record's visibility %q is not a known value and reads as Private", rec.Visibility)
		case g.user != "" && !strings.EqualFold(rec.Owner, g.user):
			return notOwnedBy(rec, g.user)
		case g.user != "" && g.role != "" && g.role != rec.OwnerRole:
			return fmt.Sprintf("owner's department is %s, not %s", orNone(rec.OwnerRole), g.role)
		case g.user == "" && g.role != "" && g.role != rec.OwnerRole:
			return fmt.Sprintf("owner's department is %s, not %s", orNone(rec.OwnerRole), g.role)
		case m.dept >= 0:
			return "the more specific " + p.describe(&e.grants[m.dept]) + " applies instead"
		}
		return "another Department grant of the same specificity and lower access applies instead"
	case scopeUnknown:
		return fmt.Sprintf("unknown scope %q matches nothing", g.rawScope)
	}
	return "does not apply"
}

func (p *Permissions) visibilityWhy(ev vis, rec *Record, owner int32) string {
	switch ev {
	case visPublic:
		return "Public records are read by everyone"
	case visGroup, visOwnerAndGroups:
		switch {
		case !rec.OwnerActive:
			return notMember(rec)
		case p.ownerInGroup(owner):
			return "the owner's role is the user's role " + p.role
		case ev == visOwnerAndGroups && p.role != "" && slices.Contains(rec.Groups, p.role):
			return "the record's groups name the user's role " + p.role
		case ev == visOwnerAndGroups:
			return fmt.Sprintf("neither the owner's role %s nor the record's groups [%s] are the user's role %s", orNone(rec.OwnerRole), strings.Join(rec.Groups, ", "), orNone(p.role))
		}
		return fmt.Sprintf("the owner's role %s is not the user's role %s", orNone(rec.OwnerRole), orNone(p.role))
	}
	return visName(ev) + " records are reached by no Visibility grant"
}

// notMember says why a path that needs the owner to be an active member
// does not reach the record.
func notMember(rec *Record) string {
	if rec.Owner == "" {
		return "the record names no owner (a non-member's record)"
	}
	return fmt.Sprintf("the owner %s is not an active member", rec.Owner)
}

// notOwnedBy says why a path for records of who does not reach the record.
func notOwnedBy(rec *Record, who string) string {
	if rec.Owner == "" {
		return "the record names no owner, so it is not " + who + "'s"
	}
	return fmt.Sprintf("record owned by %s, not by %s", rec.Owner, who)
}

func (p *Permissions) departmentWhy(g *grant, rec *Record) string {
	switch {
	case g.user != "":
		return "a Department rule names the owner " + rec.Owner
	case g.role != "":
		return "the owner's department is " + g.role
	}
	return "the department default, for owners of any other department (owner's department: " + orNone(rec.OwnerRole) + ")"
}

// path renders the chain from the user's role down to role through
// spec.subordinates, as api.md writes it: "sales-senior > sales-junior".
func (p *Permissions) path(role string) string {
	chain := []string{role}
	for range len(p.subordinates) { // bounded: a malformed cycle cannot loop
		k, ok := slices.BinarySearchFunc(p.subordinates, role, byRole)
		if !ok {
			break
		}
		parent := p.subordinates[k].ReportsTo
		chain = append(chain, parent)
		if parent == p.role {
			break
		}
		role = parent
	}
	slices.Reverse(chain)
	return strings.Join(chain, " > ")
}

func visName(v vis) string {
	switch v {
	case visPublic:
		return string(accessv1.VisibilityPublic)
	case visGroup:
		return string(accessv1.VisibilityGroup)
	case visOwnerAndGroups:
		return string(accessv1.VisibilityOwnerAndGroups)
	case visPrivate:
		return string(accessv1.VisibilityPrivate)
	case visNone:
		return "none"
	}
	return "invalid"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
