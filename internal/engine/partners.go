package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// adminGrant is one partner admin of a partner in a client: the built-in
// partner-admin set from its entries without a permissionSet, and the
// client's PermissionSets its other entries name, capped by the ceiling.
type adminGrant struct {
	partner string
	member  *member  // the partner tenant's Member
	builtin bool     // some entry gives the built-in set
	billing bool     // ... with billing.access
	pas     []string // the PartnerAccess objects giving the built-in set
	own     []source // the own sets, capped (an own set that does not exist adds none)
	// missing: some entry names an own set that does not exist (yet): what
	// this admin's staff exceed may still be cleared by its arrival.
	missing bool
}

// ceilingCaps is the partner-admin ceiling's capabilities: the built-in set's,
// with billing.access only at the client's request.
func ceilingCaps(billing bool) []string {
	if !billing {
		return partnerAdminCapabilities
	}
	return sortedCopy(append(slices.Clone(partnerAdminCapabilities), capabilityBilling))
}

// caps is what the admin holds in the client: the ceiling of the
// capabilities it may delegate.
func (a *adminGrant) caps() []string {
	var out []string
	if a.builtin {
		out = slices.Clone(ceilingCaps(a.billing))
	}
	for _, s := range a.own {
		out = append(out, s.caps...)
	}
	return sortedCopy(out)
}

// actions is what the admin holds on typ in the client ("*": on a type no
// set names): the ceiling of the actions it may delegate there.
func (a *adminGrant) actions(typ string) actionBits {
	if a.builtin {
		return allActionBits
	}
	var bits actionBits
	for _, s := range a.own {
		bits |= s.types[accessv1.AllTypes] | s.types[typ]
	}
	return bits
}

// merge adds another valid entry for the same admin (another PartnerAccess).
func (a *adminGrant) merge(g *adminGrant) {
	a.builtin = a.builtin || g.builtin
	a.billing = a.billing || g.billing
	a.pas = append(a.pas, g.pas...)
	a.own = append(a.own, g.own...)
	a.missing = a.missing || g.missing
}

// partnerPerson is a person's partner standing in a client tenant.
type partnerPerson struct {
	email    string
	names    []memberOf // the person's Members in its partners, sorted by String
	partners []string   // sorted
	admin    bool
	parts    []*part
}

// memberOf is a Member of a partner tenant: what a partner person's
// EffectivePermission is named after.
type memberOf struct{ partner, member string }

// String is the common name of its EffectivePermission: <partner>.<member>.
func (m memberOf) String() string { return m.partner + "." + m.member }

func (t *tenant) person(email string) *partnerPerson {
	pp := t.partnerParts[email]
	if pp == nil {
		pp = &partnerPerson{email: email}
		t.partnerParts[email] = pp
	}
	return pp
}

func (pp *partnerPerson) add(partner, memberName string, p *part, admin bool) {
	pp.parts = append(pp.parts, p)
	pp.admin = pp.admin || admin
	if !slices.Contains(pp.partners, partner) {
		pp.partners = append(pp.partners, partner)
		slices.Sort(pp.partners)
	}
	if n := (memberOf{partner, memberName}); !slices.Contains(pp.names, n) {
		pp.names = append(pp.names, n)
		slices.SortFunc(pp.names, func(a, b memberOf) int {
			return cmp.Or(cmp.Compare(a.String(), b.String()), cmp.Compare(a.partner, b.partner))
		})
	}
}

// partnerAccesses decides which PartnerAccess objects are active and which
// partner admin entries are valid (semantics.md §4, invariants 7–9).
func (w *world) partnerAccesses(now time.Time) {
	for _, c := range w.tenants {
		for _, pa := range c.pas {
			w.partnerAccess(c, pa, now)
		}
	}
}

func (w *world) partnerAccess(c *tenant, pa *accessv1.PartnerAccess, now time.Time) {
	fs := &w.fs
	ref := refOf(accessv1.KindPartnerAccess, c.ns, pa.Name)
	spec := &pa.Spec
	phase := accessv1.PhaseActive
	demote := func(p accessv1.PartnerAccessPhase) {
		// Invalid outranks Expired outranks Pending: the phase names the worst.
		rank := map[accessv1.PartnerAccessPhase]int{accessv1.PhaseActive: 0, accessv1.PhasePending: 1, accessv1.PhaseExpired: 2, accessv1.PhaseInvalid: 3}
		if rank[p] > rank[phase] {
			phase = p
		}
	}
	p := w.byName[spec.Partner]
	switch {
	case p == nil && w.beingDeleted(accessv1.KindTenant, "", spec.Partner):
		demote(accessv1.PhasePending)
		fs.add(Reported, c.name, ref, "spec.partner", accessv1.ReasonPartnerNotFound,
			"PartnerAccess %q names partner %q, whose Tenant is being deleted; nothing is granted from now on (deletion is revocation): delete this PartnerAccess, or name another partner", pa.Name, spec.Partner)
	case p == nil:
		demote(accessv1.PhasePending)
		fs.add(Reported, c.name, ref, "spec.partner", accessv1.ReasonPartnerNotFound,
			"PartnerAccess %q names partner %q, which is not a Tenant; nothing is granted until it exists: create Tenant %q with spec.partnerProgram, or fix spec.partner", pa.Name, spec.Partner, spec.Partner)
	case !p.isPartner():
		demote(accessv1.PhaseInvalid)
		fs.add(Reported, c.name, ref, "spec.partner", accessv1.ReasonNotAPartner,
			"PartnerAccess %q names tenant %q, which is not a partner agency (no spec.partnerProgram); nothing is granted: give Tenant %q a spec.partnerProgram tier or name a partner", pa.Name, spec.Partner, spec.Partner)
	}
	approver := c.unique(spec.ApprovedBy)
	switch {
	case approver == nil && c.single(spec.ApprovedBy) == nil && w.deletingMember(c.ns, spec.ApprovedBy) != nil:
		demote(accessv1.PhaseInvalid)
		fs.add(Reported, c.name, ref, "spec.approvedBy", accessv1.ReasonApproverNotAuthorized,
			"PartnerAccess %q was approved by %s, whose Member %q is being deleted from tenant %q; nothing is granted from now on: have a super admin (or a member with users.manage) approve it and set spec.approvedBy",
			pa.Name, spec.ApprovedBy, w.deletingMember(c.ns, spec.ApprovedBy).Name, c.name)
	case approver == nil || (approver.accountRole != accessv1.AccountRoleSuperAdmin && !c.memberHolds(approver, capabilityUsersManage)):
		demote(accessv1.PhaseInvalid)
		fs.add(Reported, c.name, ref, "spec.approvedBy", accessv1.ReasonApproverNotAuthorized,
			"PartnerAccess %q was approved by %s, who is not an active SuperAdmin of tenant %q nor holds users.manage there; nothing is granted: have a super admin (or a member with users.manage) approve it and set spec.approvedBy",
			pa.Name, orNobody(spec.ApprovedBy), c.name)
	}
	if spec.ExpiresAt != "" {
		exp, err := time.Parse(time.RFC3339, spec.ExpiresAt)
		if err != nil || !now.Before(exp) {
			demote(accessv1.PhaseExpired)
			why := "expired at " + spec.ExpiresAt
			if err != nil {
				why = fmt.Sprintf("has an expiresAt %q that is not an RFC 3339 time, which counts as expired", spec.ExpiresAt)
			}
			fs.add(Reported, c.name, ref, "spec.expiresAt", accessv1.ReasonExpired,
				"PartnerAccess %q %s; its partner admins and staff hold nothing here: renew it with a later spec.expiresAt, or delete it", pa.Name, why)
		}
	}
	// Entries are checked whatever the phase, so every mistake shows at once.
	var valid []*adminGrant
	for i, e := range spec.PartnerAdmins {
		field := fieldIndex("spec.partnerAdmins", i)
		if g := w.partnerAdminEntry(c, pa, p, i, field, e); g != nil {
			valid = append(valid, g)
		}
	}
	c.paPhase[pa.Name] = phase
	if phase != accessv1.PhaseActive {
		if p != nil {
			for _, g := range valid {
				w.reached(p, g.member, c.name, "", fmt.Sprintf("partner admin in PartnerAccess %q, which is %s", pa.Name, phase))
			}
		}
		return
	}
	c.activePartners[p.name] = true
	for _, g := range valid {
		w.reached(p, g.member, c.name, accessv1.UserRolePartnerAdmin, "")
		key := p.name + "/" + g.member.email
		if prev := c.admins[key]; prev != nil {
			prev.merge(g)
			continue
		}
		c.admins[key] = g
	}
}

// deletingAccessIn returns the name of client c's PartnerAccess for partner
// that is being deleted, when c has no other PartnerAccess for it; "" else.
func (w *world) deletingAccessIn(c *tenant, partner string) string {
	if c == nil || slices.ContainsFunc(c.pas, func(pa *accessv1.PartnerAccess) bool { return pa.Spec.Partner == partner }) {
		return ""
	}
	return w.deletingAccess(c.ns, partner)
}

// partnerAdminEntry validates one partnerAdmins entry (invariants 8 and 9).
func (w *world) partnerAdminEntry(c *tenant, pa *accessv1.PartnerAccess, p *tenant, i int, field string, e accessv1.PartnerAdmin) *adminGrant {
	fs := &w.fs
	ref := refOf(accessv1.KindPartnerAccess, c.ns, pa.Name)
	if !ValidEmail(e.Email) {
		fs.add(Refused, c.name, ref, field+".email", accessv1.ReasonInvalidEmail,
			"%s is not a valid e-mail address; write it as name@example.com", e.Email)
		return nil
	}
	ok := true
	if e.MigratedFrom != "" {
		var fromMember *member
		for _, m := range c.members {
			if m.name() == e.MigratedFrom {
				fromMember = m
			}
		}
		switch {
		case fromMember == nil:
			ok = false
			f := fs.add(Refused, c.name, ref, field+".migratedFrom", accessv1.ReasonMigrationInvalid,
				"PartnerAccess %q: partner admin %s migrates from member %q, which does not exist in tenant %q; only a member of this tenant can migrate to partner admin: fix spec.partnerAdmins[%d].migratedFrom",
				pa.Name, e.Email, e.MigratedFrom, c.name, i)
			w.drop(c.name, e.Email, f)
			w.pend(f) // the member may still arrive
		case !strings.EqualFold(fromMember.obj.Spec.Email, e.Email):
			ok = false
			f := fs.add(Refused, c.name, ref, field+".migratedFrom", accessv1.ReasonMigrationInvalid,
				"partner admin %s cannot migrate member %q (%s): only oneself can migrate from super admin to partner admin; the member's e-mail must equal the entry's",
				e.Email, e.MigratedFrom, fromMember.obj.Spec.Email)
			w.drop(c.name, e.Email, f)
		default:
			others := 0
			for _, m := range c.members {
				if m != fromMember && m.isActiveSuperAdmin() {
					others++
				}
			}
			if others == 0 {
				ok = false
				f := fs.add(Refused, c.name, ref, field+".migratedFrom", accessv1.ReasonMigrationInvalid,
					"member %q cannot migrate to partner admin: tenant %q would have no other active SuperAdmin; make another member SuperAdmin first", e.MigratedFrom, c.name)
				w.drop(c.name, e.Email, f)
				w.pend(f) // another SuperAdmin may still arrive
			}
		}
	}
	if p == nil || !p.isPartner() {
		return nil // reported on spec.partner
	}
	bad := func(why string) {
		ok = false
		f := fs.add(Reported, c.name, ref, field+".email", accessv1.ReasonPartnerAdminInvalid,
			"partner admin %s %s; this entry grants nothing: %s", e.Email, why, "name an active Employee of "+p.name+" who holds a partner seat")
		w.drop(c.name, e.Email, f)
	}
	ms := p.byEmail[strings.ToLower(e.Email)]
	var m *member
	switch {
	case len(ms) == 0 && w.deletingMember(p.ns, e.Email) != nil:
		bad(fmt.Sprintf("is being deleted from partner %q (Member %q)", p.name, w.deletingMember(p.ns, e.Email).Name))
	case len(ms) == 0:
		bad(fmt.Sprintf("is not a member of partner %q", p.name))
	case len(ms) > 1:
		bad(fmt.Sprintf("is shared by %d members of partner %q, so it is nobody's", len(ms), p.name))
	default:
		m = ms[0]
		switch {
		case !m.usable:
			bad(fmt.Sprintf("is not an active member of partner %q", p.name))
		case m.obj.EmploymentOrDefault() != accessv1.EmploymentEmployee:
			bad(fmt.Sprintf("is a %s of partner %q, and contractors are never partner admins", m.obj.EmploymentOrDefault(), p.name))
		case !m.obj.Spec.PartnerSeat:
			bad(fmt.Sprintf("has no partner seat at %q (spec.partnerSeat)", p.name))
		}
	}
	if !ok {
		return nil
	}
	if e.PermissionSet == "" {
		return &adminGrant{partner: p.name, member: m, builtin: true, billing: e.BillingAccess, pas: []string{pa.Name}}
	}
	own := w.ownSet(c, pa, p, i, e)
	return &adminGrant{partner: p.name, member: m, own: own, missing: own == nil}
}

// ownSet is a partner admin's own PermissionSet (semantics.md §4, invariant
// 11a): the client's set, its capabilities capped by the partner-admin
// ceiling. A set that does not exist grants nothing, never the built-in set.
func (w *world) ownSet(c *tenant, pa *accessv1.PartnerAccess, p *tenant, i int, e accessv1.PartnerAdmin) []source {
	fs := &w.fs
	ref := refOf(accessv1.KindPartnerAccess, c.ns, pa.Name)
	field := fieldIndex("spec.partnerAdmins", i) + ".permissionSet"
	ps, ok := c.sets[e.PermissionSet]
	if !ok {
		f := fs.add(Reported, c.name, ref, field, accessv1.ReasonPermissionSetNotFound,
			"partner admin %s's own PermissionSet %q does not exist in tenant %q; this admin holds nothing here (never the built-in partner-admin set) until it does: create it in namespace %q, or remove spec.partnerAdmins[%d].permissionSet to give the built-in set",
			e.Email, e.PermissionSet, c.name, c.ns, i)
		w.drop(c.name, e.Email, f)
		return nil
	}
	src := setSource(ps, viaOwnSet(pa.Name, ps.Name, p.name))
	ceiling := ceilingCaps(e.BillingAccess)
	var kept, never, beyond []string
	for _, name := range src.caps {
		switch {
		case slices.Contains(ceiling, name):
			kept = append(kept, name)
		case slices.Contains(neverGrantedToPartners, name):
			never = append(never, name)
		default:
			beyond = append(beyond, name)
		}
	}
	src.caps = kept
	if len(never) > 0 {
		w.drop(c.name, e.Email, w.neverGranted(c, ps, never, "as partner admin "+e.Email+"'s own set"))
	}
	if len(beyond) > 0 {
		why := "beyond the partner-admin ceiling"
		if slices.Contains(beyond, capabilityBilling) {
			why += " (billing.access only with billingAccess: true)"
		}
		f := fs.add(Reported, c.name, ref, field, accessv1.ReasonBeyondPartnerCeiling,
			"partner admin %s's own PermissionSet %q holds %s, %s; they are dropped: remove them from the set, or give the admin the permissions another way",
			e.Email, ps.Name, strings.Join(beyond, ", "), why)
		w.drop(c.name, e.Email, f)
	}
	return []source{src}
}

// neverGranted reports, once per set, a PermissionSet of tenant t used for
// partner people that holds capabilities they never get (invariant 11), and
// returns that finding.
func (w *world) neverGranted(t *tenant, ps *accessv1.PermissionSet, never []string, use string) Finding {
	if w.neverSeen == nil {
		w.neverSeen = map[*accessv1.PermissionSet]Finding{}
	}
	if f, ok := w.neverSeen[ps]; ok {
		return f
	}
	f := w.fs.add(Reported, t.name, refOf(accessv1.KindPermissionSet, t.ns, ps.Name), "spec.capabilities", accessv1.ReasonNeverGranted,
		"PermissionSet %q is used %s but holds %s, which partner people never get; they are stripped: remove them from the set",
		ps.Name, use, strings.Join(never, ", "))
	w.neverSeen[ps] = f
	return f
}

// capActions caps a staff template's actions by what the granting admin
// holds (a partner admin delegates only what it holds: an admin with its own
// set holds its actions, one with the built-in set every action). lost
// names what was cut, as "TYPE: action, ..." ("*" for a template's every
// type).
func capActions(types map[string]actionBits, admin *adminGrant) (map[string]actionBits, []string) {
	if admin.builtin {
		return types, nil
	}
	keys := map[string]bool{}
	for typ := range types {
		keys[typ] = true
	}
	for _, s := range admin.own {
		for typ := range s.types {
			keys[typ] = true
		}
	}
	out := map[string]actionBits{}
	var lost []string
	for _, typ := range slices.Sorted(maps.Keys(keys)) {
		has := types[accessv1.AllTypes] | types[typ]
		kept := has & admin.actions(typ)
		if _, named := types[typ]; named {
			if cut := types[typ] &^ admin.actions(typ); cut != 0 {
				lost = append(lost, fmt.Sprintf("%s: %s", typ, quoteActions(cut)))
			}
		}
		if typ == accessv1.AllTypes || kept != types[accessv1.AllTypes]&admin.actions(accessv1.AllTypes) {
			if kept != 0 {
				out[typ] = kept
			}
		}
	}
	return out, lost
}

func quoteActions(b actionBits) string {
	names := make([]string, 0, 7)
	for _, a := range b.list() {
		names = append(names, string(a))
	}
	return strings.Join(names, " ")
}

// partnerGrants gives every valid partner admin and partner staff person its
// parts in each client (semantics.md §4, invariants 10, 11, 18).
func (w *world) partnerGrants() {
	for _, c := range w.tenants {
		for _, key := range slices.Sorted(maps.Keys(c.admins)) {
			g := c.admins[key]
			if g.builtin {
				via := viaPartnerAdmin(g.pas, g.partner)
				p := &part{sources: []source{everything(via, ceilingCaps(g.billing))}, mode: modeAllRW, allVia: via}
				c.person(g.member.email).add(g.partner, g.member.name(), p, true)
			}
			// An own set reaches records from its actions, as staff do; an
			// admin whose only set is missing is still a partner admin,
			// holding nothing.
			if len(g.own) > 0 || !g.builtin {
				p := &part{sources: g.own, mode: modeOwnAll, viewer: viewer{email: g.member.email}}
				c.person(g.member.email).add(g.partner, g.member.name(), p, true)
			}
		}
	}
	neverReported := map[*accessv1.PermissionSet]*Finding{}
	for _, p := range w.tenants {
		for _, s := range p.members {
			for i, ca := range s.obj.Spec.ClientAccess {
				w.clientAccess(p, s, i, ca, neverReported)
			}
		}
	}
}

func (w *world) clientAccess(p *tenant, s *member, i int, ca accessv1.ClientAccess, neverReported map[*accessv1.PermissionSet]*Finding) {
	fs := &w.fs
	ref := refOf(accessv1.KindMember, p.ns, s.name())
	field := fieldIndex("spec.clientAccess", i)
	// dropHere records a finding on the person's EffectivePermission in the
	// client, only if the client declared this partner (a PartnerAccess
	// naming it): a partner cannot write into the status of a client that
	// never let it in (spec principle 6).
	dropHere := func(f Finding) {
		if c := w.byName[ca.Tenant]; c != nil && slices.ContainsFunc(c.pas, func(pa *accessv1.PartnerAccess) bool { return pa.Spec.Partner == p.name }) {
			w.drop(ca.Tenant, s.email, f)
		}
	}
	// Templates are checked first: a template with never-granted capabilities
	// is reported whatever else is wrong.
	var sets []*accessv1.PermissionSet
	for j, name := range ca.PermissionSets {
		ps, ok := p.sets[name]
		if !ok {
			f := fs.add(Reported, p.name, ref, fieldIndex(field+".permissionSets", j), accessv1.ReasonPermissionSetNotFound,
				"member %q's client access to %q names PermissionSet %q, which does not exist in partner tenant %q; it grants nothing: create it in namespace %q or remove it from the entry", s.name(), ca.Tenant, name, p.name, p.ns)
			dropHere(f)
			continue
		}
		sets = append(sets, ps)
		if _, seen := neverReported[ps]; !seen {
			var never []string
			for _, c := range ps.Spec.Capabilities {
				if slices.Contains(neverGrantedToPartners, c) {
					never = append(never, c)
				}
			}
			neverReported[ps] = nil
			if len(never) > 0 {
				f := fs.add(Reported, p.name, refOf(accessv1.KindPermissionSet, p.ns, ps.Name), "spec.capabilities", accessv1.ReasonNeverGranted,
					"PermissionSet %q is used as a partner template but holds %s, which partner people never get; they are stripped: remove them from the set",
					ps.Name, strings.Join(never, ", "))
				neverReported[ps] = &f
			}
		}
	}
	if !s.usable {
		return // an inactive or broken staff member reaches nothing
	}
	c := w.byName[ca.Tenant]
	if c == nil || !c.activePartners[p.name] {
		w.reached(p, s, ca.Tenant, "", "no active PartnerAccess for "+p.name+" there")
		if name := w.deletingAccessIn(c, p.name); name != "" {
			f := fs.add(Reported, p.name, ref, field+".tenant", accessv1.ReasonNoPartnerAccess,
				"member %q has client access to %q, but %q's PartnerAccess %q for partner %q is being deleted; it grants nothing from now on (deletion is revocation): ask the client to grant a new one, or remove this entry",
				s.name(), ca.Tenant, ca.Tenant, name, p.name)
			dropHere(f)
			return
		}
		f := fs.add(Reported, p.name, ref, field+".tenant", accessv1.ReasonNoPartnerAccess,
			"member %q has client access to %q, but %q gives partner %q no active PartnerAccess; it grants nothing: ask the client to grant one (a PartnerAccess naming %q in its namespace), or remove this entry",
			s.name(), ca.Tenant, ca.Tenant, p.name, p.name)
		dropHere(f)
		return
	}
	admin := c.admins[p.name+"/"+strings.ToLower(ca.GrantedBy)]
	if admin == nil {
		w.reached(p, s, ca.Tenant, "", "granted by "+orNobody(ca.GrantedBy)+", who is not a partner admin there")
		f := fs.add(Reported, p.name, ref, field+".grantedBy", accessv1.ReasonGranterNotPartnerAdmin,
			"member %q's client access to %q was granted by %s, who is not a partner admin of %q there; it grants nothing: have one of the partner admins in %q grant it",
			s.name(), ca.Tenant, orNobody(ca.GrantedBy), p.name, ca.Tenant)
		dropHere(f)
		return
	}
	ceiling := admin.caps()
	var excess []string
	pt := &part{mode: modeOwnAll, viewer: viewer{email: s.email}}
	for _, ps := range sets {
		src := setSource(ps, viaClientAccess(p.name, s.name(), ps.Name, admin.member.email))
		var kept []string
		for _, c := range src.caps {
			switch {
			case slices.Contains(ceiling, c):
				kept = append(kept, c)
			case slices.Contains(neverGrantedToPartners, c):
				// Stripped from everyone and reported on the set
				// (invariant 11), not a delegation beyond the admin.
			case !slices.Contains(excess, c):
				excess = append(excess, c)
			}
		}
		src.caps = kept
		var lost []string
		src.types, lost = capActions(src.types, admin)
		for _, l := range lost {
			if !slices.Contains(excess, l) {
				excess = append(excess, l)
			}
		}
		pt.sources = append(pt.sources, src)
	}
	if len(excess) > 0 {
		slices.Sort(excess)
		f := fs.add(Refused, p.name, ref, field+".permissionSets", accessv1.ReasonDelegationExceeded,
			"member %q's client access to %q grants %s, which partner admin %s does not hold there; a partner admin delegates only what it holds: remove them from the templates or grant from an admin who holds them",
			s.name(), ca.Tenant, strings.Join(excess, ", "), admin.member.email)
		dropHere(f)
		if admin.missing {
			w.pend(f) // the admin's own set may still arrive
		}
	}
	for _, ps := range sets {
		if f := neverReported[ps]; f != nil {
			w.drop(ca.Tenant, s.email, *f)
		}
	}
	c.person(s.email).add(p.name, s.name(), pt, false)
	w.reached(p, s, ca.Tenant, accessv1.UserRolePartnerStaff, "")
}
