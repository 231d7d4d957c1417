package engine

import (
	"maps"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// source is one origin of functional permissions: an account role, a
// PermissionSet, a partner grant. via says which, for explanations.
type source struct {
	via   string
	types map[string]actionBits // object type, or "*", → actions (implied expanded)
	caps  []string              // "*" here (engine-internal only) means every capability
}

// recordMode is how a part of a person's standing reaches records.
type recordMode int

const (
	// modeFull: a Standard member's paths (semantics.md §2–3).
	modeFull recordMode = iota
	// modeOwnAll: own records, plus viewAll / modifyAll (Developers, partner staff).
	modeOwnAll
	// modeOwnOnly: own records only (a member of a broken role).
	modeOwnOnly
	// modeAllRW: ReadWrite on every record (SuperAdmin, Admin, partner admin).
	modeAllRW
)

// part is one independent piece of a person's standing in a tenant: its
// Member grants, or a partner admin grant, or partner staff grants. Each part
// computes its own record grants from its own actions (semantics.md §6);
// parts are then united.
type part struct {
	sources  []source
	withheld []string // with a "*" capability: the ones not held
	mode     recordMode
	viewer   viewer
	allVia   string // modeAllRW: why
}

// setSource turns a PermissionSet into a source.
func setSource(ps *accessv1.PermissionSet, via string) source {
	s := source{via: via, types: map[string]actionBits{}}
	for _, o := range ps.Spec.Objects {
		var bits actionBits
		for _, a := range o.Actions {
			if b, ok := actionBit(a); ok {
				bits |= b
			}
		}
		bits = bits.implied()
		if bits == 0 {
			continue
		}
		for _, typ := range o.Types {
			s.types[typ] |= bits
		}
	}
	for _, c := range ps.Spec.Capabilities {
		if c != "" && c != accessv1.AllCapabilities { // "*" is reported and dropped
			s.caps = append(s.caps, c)
		}
	}
	s.caps = sortedCopy(s.caps)
	return s
}

func everything(via string, caps []string) source {
	return source{via: via, types: map[string]actionBits{accessv1.AllTypes: allActionBits}, caps: caps}
}

// memberPart is what a usable Member holds through its own grants, or nil.
func (t *tenant) memberPart(m *member) *part {
	if !m.usable {
		return nil
	}
	via := viaAccountRole(string(m.accountRole))
	switch m.accountRole {
	case accessv1.AccountRoleSuperAdmin:
		return &part{sources: []source{everything(via, []string{accessv1.AllCapabilities})}, mode: modeAllRW, allVia: via}
	case accessv1.AccountRoleAdmin:
		return &part{sources: []source{everything(via, []string{accessv1.AllCapabilities})}, withheld: adminWithheld, mode: modeAllRW, allVia: via}
	}
	p := &part{viewer: viewer{email: m.email}}
	if m.accountRole == accessv1.AccountRoleDeveloper {
		p.mode = modeOwnAll
		p.sources = append(p.sources, source{via: via, caps: developerCapabilities})
	} else {
		p.mode = modeFull
		p.viewer.role = m.role
		if m.role != "" && t.roles.nodes[m.role].broken {
			p.mode, p.viewer.role = modeOwnOnly, ""
		}
	}
	seen := map[string]bool{}
	for _, name := range m.obj.Spec.PermissionSets {
		if ps, ok := t.sets[name]; ok && !seen[name] {
			seen[name] = true
			p.sources = append(p.sources, t.memberSource(ps))
		}
	}
	return p
}

// memberSource is setSource for a Member holding ps, computed once per pass
// for all its holders: the source is only read from then on.
func (t *tenant) memberSource(ps *accessv1.PermissionSet) source {
	if !memoize {
		return setSource(ps, viaPermissionSet(ps.Name))
	}
	if src, ok := t.memberSources[ps.Name]; ok {
		return src
	}
	if t.memberSources == nil {
		t.memberSources = map[string]source{}
	}
	src := setSource(ps, viaPermissionSet(ps.Name))
	t.memberSources[ps.Name] = src
	return src
}

// capSet is a set of capabilities: every name but withheld when all is set,
// else the names in has.
type capSet struct {
	all      bool
	withheld map[string]bool
	has      map[string]bool
}

func (c capSet) holds(name string) bool {
	if c.withheld[name] {
		return false
	}
	return c.all || c.has[name]
}

// capabilities unites the parts' capabilities. Withheld names of a "*" part
// stay withheld only if no other part grants them; partner people never hold
// the three never-granted ones (semantics.md §4).
func capabilities(parts []*part, partnerPerson bool) capSet {
	c := capSet{has: map[string]bool{}}
	for _, p := range parts {
		wild := false
		for _, s := range p.sources {
			for _, name := range s.caps {
				if name == accessv1.AllCapabilities {
					wild = true
				} else {
					c.has[name] = true
				}
			}
		}
		if !wild {
			continue
		}
		w := map[string]bool{}
		for _, name := range p.withheld {
			w[name] = true
		}
		if !c.all {
			c.all, c.withheld = true, w
		} else {
			for name := range c.withheld {
				if !w[name] {
					delete(c.withheld, name)
				}
			}
		}
	}
	for name := range c.has {
		delete(c.withheld, name)
	}
	if partnerPerson {
		if c.withheld == nil {
			c.withheld = map[string]bool{}
		}
		for _, name := range neverGrantedToPartners {
			c.withheld[name] = true
			delete(c.has, name)
		}
	}
	return c
}

// entry computes one part's actions, their sources and its record grants on
// a type ("*" for the types no one names).
func (t *tenant) entry(p *part, typ string) (actionBits, []accessv1.ActionSource, []accessv1.RecordGrant) {
	var bits, modifyAll, viewAll actionBits
	var srcs []accessv1.ActionSource
	var allRW, allR []string
	for _, s := range p.sources {
		b := s.types[accessv1.AllTypes]
		if typ != accessv1.AllTypes {
			b |= s.types[typ]
		}
		if b == 0 {
			continue
		}
		bits |= b
		srcs = append(srcs, accessv1.ActionSource{Via: s.via, Actions: b.list()})
		if b.has(bitModifyAll) {
			modifyAll |= b
			allRW = append(allRW, viaModifyAll(s.via))
		} else if b.has(bitViewAll) {
			viewAll |= b
			allR = append(allR, viaViewAll(s.via))
		}
	}
	if !bits.has(bitView) {
		return bits, srcs, nil // §2.1: no view, no record
	}
	var allGrant *accessv1.RecordGrant
	switch {
	case modifyAll != 0:
		allGrant = &accessv1.RecordGrant{Scope: accessv1.ScopeAll, Access: accessv1.AccessReadWrite, Via: allRW}
	case viewAll != 0:
		allGrant = &accessv1.RecordGrant{Scope: accessv1.ScopeAll, Access: accessv1.AccessRead, Via: allR}
	}
	own := accessv1.RecordGrant{Scope: accessv1.ScopeOwn, Access: accessv1.AccessReadWrite, Via: []string{"owner"}}
	switch p.mode {
	case modeAllRW:
		return bits, srcs, []accessv1.RecordGrant{{Scope: accessv1.ScopeAll, Access: accessv1.AccessReadWrite, Via: []string{p.allVia}}}
	case modeOwnOnly:
		return bits, srcs, []accessv1.RecordGrant{own}
	case modeOwnAll:
		gs := []accessv1.RecordGrant{own}
		if allGrant != nil {
			gs = append(gs, *allGrant)
		}
		return bits, srcs, gs
	}
	return bits, srcs, t.standardGrants(p.viewer, typ, bits, allGrant)
}

// typeKeys are the object types a person's entries are computed for: every
// type its sources name and every type the policy names, sorted, then "*".
func (t *tenant) typeKeys(parts []*part) []string {
	keys := map[string]bool{}
	for _, p := range parts {
		for _, s := range p.sources {
			for typ := range s.types {
				if typ != accessv1.AllTypes {
					keys[typ] = true
				}
			}
		}
	}
	for _, typ := range t.policy.named {
		keys[typ] = true
	}
	return append(slices.Sorted(maps.Keys(keys)), accessv1.AllTypes)
}

// memberHolds reports whether a member holds a capability through its own
// grants (used for the PartnerAccess approver, semantics.md §6).
func (t *tenant) memberHolds(m *member, name string) bool {
	p := t.memberPart(m)
	if p == nil {
		return false
	}
	return capabilities([]*part{p}, false).holds(name)
}
