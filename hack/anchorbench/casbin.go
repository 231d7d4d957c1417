package anchorbench

import (
	"fmt"
	"slices"

	"github.com/casbin/casbin/v3"
	"github.com/casbin/casbin/v3/model"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/hack/decisionbench"
)

// PolicyPerRoleModel is Casbin's classic RBAC with domains: users are
// assigned (g) to policy subjects — their Role, their PermissionSets, an
// account-role subject, "own" — and every subject's reach is written out as
// policy lines, one per thing it reaches; nothing is walked at check time
// but the user's direct assignments. Two requests decide a record question,
// as an application would send them: the functional one (r, p, m: may the
// user perform the action on the type, implications written out) and, when
// the action needs record access, the reach one (r2, p2, m2: a line of one
// of the user's subjects reaching the record at the level needed).
//
// Reach lines (p2 = sub, dom, lvl, tgt), by target:
//   - "*": every record (CEO role, SuperAdmins, Admins, partner admins);
//   - "<type>/*": every record of a type (viewAll "r", modifyAll "rw");
//   - "role:<R>": records of active members of role R (a role's line for
//     each role strictly below it, and for itself when it shares with peers);
//   - "<type>/role:<R>", "<type>/user:<U>": a sharing rule's from side, on
//     the line of its to side (a role, or the user itself as subject);
//   - "own": the user's own records (every active member is in "own").
//
// Capabilities are functional lines of type "#capability".
const PolicyPerRoleModel = `
[request_definition]
r = sub, dom, typ, act
r2 = sub, dom, typ, owner, orole, oactive, need

[policy_definition]
p = sub, dom, typ, act
p2 = sub, dom, lvl, tgt

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.typ == p.typ && r.act == p.act && r.dom == p.dom && g(r.sub, p.sub, r.dom)
m2 = r2.dom == p2.dom && (p2.lvl == "rw" || r2.need == "r") && (p2.tgt == "*" || p2.tgt == r2.typ + "/*" || r2.oactive == "1" && (p2.tgt == "role:" + r2.orole || p2.tgt == r2.typ + "/role:" + r2.orole || p2.tgt == r2.typ + "/user:" + r2.owner || p2.tgt == "own" && r2.owner == r2.sub)) && g(r2.sub, p2.sub, r2.dom)
`

// RoleGraphModel is the best role-graph-only model: RBAC with domains in
// which every fact is a link of one of three role graphs, walked at check
// time by Casbin's role managers, and one matcher with no policy lines
// (Casbin then evaluates it once per request instead of once per line).
//
//   - g, what a user holds: user → PermissionSet → "can:<type>:<action>"
//     → the actions it implies (modifyAll → viewAll, edit, delete → view);
//     user → "acct:all" (SuperAdmins, Admins, partner admins) →
//     "can:<type>:modifyAll", create, export on every type, and → "scope:all";
//     CEO role members → "scope:all"; members of a role sharing with peers
//     → "peers:<role>"; capabilities "cap:<name>", and "nocap:<name>" for
//     the three never granted to partner people.
//   - g2, the role tree upward, for the owner scope: "below:<R>" →
//     "anc:<parent of R>" → "anc:<its parent>" … and "anc:<R>" → each active
//     Standard member of R. A viewer reaches an owner's record by the
//     hierarchy when g2("below:<owner's role>", viewer) holds.
//   - g3, sharing rules, from the owner side to the viewer side:
//     "shr:<lvl>:<type>:role:<R>" or "shr:<lvl>:<type>:user:<U>" → the rule's
//     viewers ("grp:<R>" → its members, or a user); every "r" node links to
//     its "rw" node, so a Read question accepts ReadWrite rules.
//
// r.need is "" (create, functional questions), "r" or "rw".
const RoleGraphModel = `
[request_definition]
r = sub, dom, kind, act, typ, owner, orole, oactive, need

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _
g2 = _, _, _
g3 = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.kind == "cap" && g(r.sub, "cap:" + r.act, r.dom) && !g(r.sub, "nocap:" + r.act, r.dom) || r.kind != "cap" && g(r.sub, "can:" + r.typ + ":" + r.act, r.dom) && (r.need == "" || r.oactive == "1" && r.owner == r.sub || g(r.sub, "scope:all", r.dom) || g(r.sub, "can:" + r.typ + ":modifyAll", r.dom) || r.need == "r" && g(r.sub, "can:" + r.typ + ":viewAll", r.dom) || r.oactive == "1" && (g(r.sub, "peers:" + r.orole, r.dom) || g2("below:" + r.orole, r.sub, r.dom) || g3("shr:" + r.need + ":" + r.typ + ":role:" + r.orole, r.sub, r.dom) || g3("shr:" + r.need + ":" + r.typ + ":user:" + r.owner, r.sub, r.dom)))
`

// Casbin is one enforcer loaded with the world, and how it asks a question.
type Casbin struct {
	Name     string
	Enforcer *casbin.Enforcer
	Lines    int // policy lines and role links written
	ask      func(e *casbin.Enforcer, q *casbinQuestion) (bool, error)
}

// casbinQuestion is a question as the request values of both models.
type casbinQuestion struct {
	fn, reach, graph []any
	need             string
	capability       bool
}

func newEnforcer(text string) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(text)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	e.EnableAutoBuildRoleLinks(true)
	return e, nil
}

var reachContext = casbin.EnforceContext{RType: "r2", PType: "p2", EType: "e", MType: "m2"}

// NewPolicyPerRole loads the world into PolicyPerRoleModel.
func NewPolicyPerRole(facts []*Facts) (*Casbin, error) {
	e, err := newEnforcer(PolicyPerRoleModel)
	if err != nil {
		return nil, err
	}
	var p, p2, g [][]string
	for _, f := range facts {
		dom := f.Tenant
		fn := func(sub string, objs []accessv1.ObjectActions, caps []string) {
			for _, o := range objs {
				for _, typ := range expandTypes(o.Types) {
					for _, a := range o.Actions {
						for _, ia := range implied(a) {
							p = append(p, []string{sub, dom, typ, string(ia)})
						}
						switch a {
						case accessv1.ActionViewAll:
							p2 = append(p2, []string{sub, dom, "r", typ + "/*"})
						case accessv1.ActionModifyAll:
							p2 = append(p2, []string{sub, dom, "rw", typ + "/*"})
						}
					}
				}
			}
			for _, c := range caps {
				p = append(p, []string{sub, dom, "#capability", c})
			}
		}
		every := []accessv1.ObjectActions{{Types: []string{accessv1.AllTypes}, Actions: allActions}}
		for i := range f.Sets {
			fn("ps:"+f.Sets[i].Name, f.Sets[i].Spec.Objects, f.Sets[i].Spec.Capabilities)
		}
		fn("acct:superadmin", every, capsOf("superadmin", false))
		fn("acct:admin", every, capsOf("admin", false))
		fn("acct:developer", nil, capsOf("developer", false))
		fn("acct:partneradmin", every, capsOf("partneradmin", false))
		fn("acct:partneradmin-billing", every, capsOf("partneradmin", true))
		for _, sub := range []string{"acct:superadmin", "acct:admin", "acct:partneradmin", "acct:partneradmin-billing", "role:" + accessv1.CEORole} {
			p2 = append(p2, []string{sub, dom, "rw", "*"})
		}
		p2 = append(p2, []string{"own", dom, "rw", "own"})
		// Each role's line for every role strictly below it, and for itself
		// with peers.
		children := f.children()
		for i := range f.Roles {
			r := &f.Roles[i]
			if r.Spec.ShareDataWithPeers {
				p2 = append(p2, []string{"role:" + r.Name, dom, "rw", "role:" + r.Name})
			}
		}
		for _, r := range append([]string{accessv1.CEORole}, roleNames(f.Roles)...) {
			queue := slices.Clone(children[r])
			for len(queue) > 0 {
				x := queue[0]
				queue = append(queue[1:], children[x]...)
				p2 = append(p2, []string{"role:" + r, dom, "rw", "role:" + x})
			}
		}
		if f.Policy != nil {
			for _, rule := range f.Policy.Spec.SharingRules {
				sub := rule.To.User
				if rule.To.Role != "" {
					sub = "role:" + rule.To.Role
				}
				lvl := "r"
				if rule.Access == accessv1.AccessReadWrite {
					lvl = "rw"
				}
				for _, typ := range rule.ObjectTypes {
					tgt := typ + "/user:" + rule.From.User
					if rule.From.Role != "" {
						tgt = typ + "/role:" + rule.From.Role
					}
					p2 = append(p2, []string{sub, dom, lvl, tgt})
				}
			}
		}
		// Assignments.
		assign := func(user, sub string) { g = append(g, []string{user, sub, dom}) }
		for e := range f.ActiveMember {
			assign(e, "own")
			for _, ps := range f.PermissionSets[e] {
				assign(e, "ps:"+ps)
			}
		}
		for _, e := range f.SuperAdmins {
			assign(e, "acct:superadmin")
		}
		for _, e := range f.Admins {
			assign(e, "acct:admin")
		}
		for _, e := range f.Developers {
			assign(e, "acct:developer")
		}
		for _, e := range f.Standard {
			assign(e, "role:"+f.Role[e])
		}
		for e, billing := range f.PartnerAdmins {
			if billing {
				assign(e, "acct:partneradmin-billing")
			} else {
				assign(e, "acct:partneradmin")
			}
		}
		for _, s := range f.Staff {
			sub := "staff:" + s.Email
			fn(sub, s.Objects, s.Capabilities)
			assign(s.Email, sub)
		}
	}
	slices.SortFunc(g, slices.Compare)
	if err := addAll(e, p, p2, g); err != nil {
		return nil, err
	}
	return &Casbin{Name: "Casbin policy-per-role", Enforcer: e, Lines: len(p) + len(p2) + len(g), ask: askPolicyPerRole}, nil
}

func roleNames(rs []accessv1.Role) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = rs[i].Name
	}
	return out
}

func addAll(e *casbin.Enforcer, p, p2, g [][]string) error {
	if len(p) > 0 {
		if _, err := e.AddNamedPolicies("p", p); err != nil {
			return err
		}
	}
	if len(p2) > 0 {
		if _, err := e.AddNamedPolicies("p2", p2); err != nil {
			return err
		}
	}
	if len(g) > 0 {
		if _, err := e.AddNamedGroupingPolicies("g", g); err != nil {
			return err
		}
	}
	return nil
}

func askPolicyPerRole(e *casbin.Enforcer, q *casbinQuestion) (bool, error) {
	ok, err := e.Enforce(q.fn...)
	if err != nil || !ok || q.need == "" {
		return ok, err
	}
	return e.Enforce(q.reach...)
}

// NewRoleGraph loads the world into RoleGraphModel.
func NewRoleGraph(facts []*Facts) (*Casbin, error) {
	e, err := newEnforcer(RoleGraphModel)
	if err != nil {
		return nil, err
	}
	var g, g2, g3 [][]string
	for _, f := range facts {
		dom := f.Tenant
		link := func(gs *[][]string, a, b string) { *gs = append(*gs, []string{a, b, dom}) }
		holds := func(sub string, objs []accessv1.ObjectActions, caps []string) {
			for _, o := range objs {
				for _, typ := range expandTypes(o.Types) {
					for _, a := range o.Actions {
						link(&g, sub, "can:"+typ+":"+string(a))
					}
				}
			}
			for _, c := range caps {
				link(&g, sub, "cap:"+c)
			}
		}
		// The implication graph, and what every action of acct:all gives.
		for _, typ := range decisionbench.Types {
			for _, a := range allActions {
				for _, ia := range directImplied(a) {
					link(&g, "can:"+typ+":"+string(a), "can:"+typ+":"+string(ia))
				}
			}
			for _, a := range []accessv1.Action{accessv1.ActionModifyAll, accessv1.ActionCreate, accessv1.ActionExport} {
				link(&g, "acct:all", "can:"+typ+":"+string(a))
			}
		}
		link(&g, "acct:all", "scope:all")
		for i := range f.Sets {
			holds("ps:"+f.Sets[i].Name, f.Sets[i].Spec.Objects, f.Sets[i].Spec.Capabilities)
		}
		holds("acct:superadmin", nil, capsOf("superadmin", false))
		holds("acct:admin", nil, capsOf("admin", false))
		holds("acct:developer", nil, capsOf("developer", false))
		holds("acct:partneradmin", nil, capsOf("partneradmin", false))
		holds("acct:partneradmin-billing", nil, capsOf("partneradmin", true))
		for _, c := range neverGrantedPartners {
			link(&g, "acct:partner", "nocap:"+c)
		}
		for e := range f.ActiveMember {
			for _, ps := range f.PermissionSets[e] {
				link(&g, e, "ps:"+ps)
			}
		}
		for _, e := range f.SuperAdmins {
			link(&g, e, "acct:superadmin")
			link(&g, e, "acct:all")
		}
		for _, e := range f.Admins {
			link(&g, e, "acct:admin")
			link(&g, e, "acct:all")
		}
		for _, e := range f.Developers {
			link(&g, e, "acct:developer")
		}
		for e, billing := range f.PartnerAdmins {
			link(&g, e, "acct:all")
			link(&g, e, "acct:partner")
			if billing {
				link(&g, e, "acct:partneradmin-billing")
			} else {
				link(&g, e, "acct:partneradmin")
			}
		}
		for _, s := range f.Staff {
			holds(s.Email, s.Objects, s.Capabilities)
			link(&g, s.Email, "acct:partner")
		}
		peers := map[string]bool{}
		for i := range f.Roles {
			peers[f.Roles[i].Name] = f.Roles[i].Spec.ShareDataWithPeers
		}
		members := f.members()
		for _, e := range f.Standard {
			r := f.Role[e]
			if r == accessv1.CEORole {
				link(&g, e, "scope:all")
			}
			if peers[r] {
				link(&g, e, "peers:"+r)
			}
		}
		// The tree upward.
		for r, pr := range f.parent() {
			link(&g2, "below:"+r, "anc:"+pr)
			link(&g2, "anc:"+r, "anc:"+pr)
		}
		for r, es := range members {
			for _, e := range es {
				link(&g2, "anc:"+r, e)
			}
		}
		// Sharing rules.
		if f.Policy != nil {
			for _, rule := range f.Policy.Spec.SharingRules {
				to := rule.To.User
				if rule.To.Role != "" {
					to = "grp:" + rule.To.Role
				}
				lvl := "r"
				if rule.Access == accessv1.AccessReadWrite {
					lvl = "rw"
				}
				for _, typ := range rule.ObjectTypes {
					from := typ + ":user:" + rule.From.User
					if rule.From.Role != "" {
						from = typ + ":role:" + rule.From.Role
					}
					link(&g3, "shr:"+lvl+":"+from, to)
					link(&g3, "shr:r:"+from, "shr:rw:"+from)
				}
			}
			for r, es := range members {
				for _, e := range es {
					link(&g3, "grp:"+r, e)
				}
			}
		}
	}
	for _, gs := range [][][]string{g, g2, g3} {
		slices.SortFunc(gs, slices.Compare)
	}
	g, g2, g3 = slices.CompactFunc(g, slices.Equal), slices.CompactFunc(g2, slices.Equal), slices.CompactFunc(g3, slices.Equal)
	for name, gs := range map[string][][]string{"g": g, "g2": g2, "g3": g3} {
		if len(gs) == 0 {
			continue
		}
		if _, err := e.AddNamedGroupingPolicies(name, gs); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return &Casbin{Name: "Casbin role-graph", Enforcer: e, Lines: len(g) + len(g2) + len(g3), ask: askRoleGraph}, nil
}

func askRoleGraph(e *casbin.Enforcer, q *casbinQuestion) (bool, error) { return e.Enforce(q.graph...) }

// prepare turns questions into request values, before anything is timed
// (an application holds them as it holds the record).
func (c *Casbin) prepare(qs []Question) []casbinQuestion {
	out := make([]casbinQuestion, len(qs))
	for i := range qs {
		q := &qs[i]
		cq := &out[i]
		cq.need = q.Need()
		oactive := ""
		if q.Record.OwnerActive {
			oactive = "1"
		}
		switch q.Kind() {
		case "capability":
			cq.capability = true
			cq.fn = []any{q.User, q.Tenant, "#capability", q.Capability}
			cq.graph = []any{q.User, q.Tenant, "cap", q.Capability, "", "", "", "", ""}
		default:
			cq.fn = []any{q.User, q.Tenant, q.Type, string(q.Action)}
			cq.reach = []any{reachContext, q.User, q.Tenant, q.Type, q.Owner, q.Record.OwnerRole, oactive, cq.need}
			cq.graph = []any{q.User, q.Tenant, "action", string(q.Action), q.Type, q.Owner, q.Record.OwnerRole, oactive, cq.need}
		}
	}
	return out
}
