package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ktypes "k8s.io/apimachinery/pkg/types"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// TestReuseAgrees holds ComputeReusing to Compute: a world is computed, its
// specs and fingerprints offered to the next computation, the world changed
// (one to three random changes of any input: roles moved, into cycles and
// out of the tree, members' roles, sets, e-mails, account roles, rules
// naming users in any case, sets, policies, partner access, deletions, and
// every revocation of the property tests), and what ComputeReusing gives
// must be byte for byte what Compute gives — five changes in a row, each
// reusing the one before. A fingerprint that missed an input would leave a
// person's old spec in place here. ACCESS_CONTROLLER_PROPERTY_WORLDS sets
// the number of worlds (make reliability: 100,000).
func TestReuseAgrees(t *testing.T) {
	worlds := 3000
	if n, err := strconv.Atoi(os.Getenv("ACCESS_CONTROLLER_PROPERTY_WORLDS")); err == nil && n > 0 {
		worlds = n // make reliability
	}
	// Each world twice: as manifests (no UIDs or generations: Members and
	// Roles are known by their specs) and as an API server serves it
	// (known by UID and generation, which every change of a spec bumps,
	// while status writes bump only the resourceVersion).
	reusedBy := map[bool]int{}
	recreated := 0                 // Members deleted and created again, served (a new UID)
	offline := make([]int, worlds) // specs reused in each world as manifests
	for _, served := range []bool{false, true} {
		reusedSome := 0
		for seed := range uint64(worlds) {
			reusedBefore := reusedSome
			g := gen{rand.New(rand.NewPCG(seed, 0x5eed))}
			world := g.world()
			var api *versions
			if served {
				api = &versions{}
				api.serve(world)
			}
			prev := engine.ComputeReusing(world, et.Now, nil)
			if !sameResult(prev, engine.Compute(world, et.Now)) {
				t.Fatalf("world %d (served %t): ComputeReusing with nothing to reuse differs from Compute", seed, served)
			}
			var done []string
			for step := range 5 {
				world = deepCopy(world)
				for range 1 + g.n(3) {
					if what := change(g, world); what != "" {
						done = append(done, what)
					}
				}
				if served {
					api.serve(world)
				}
				got := engine.ComputeReusing(world, et.Now, engine.OfferMap(offer(prev)))
				if want := engine.Compute(world, et.Now); !sameResult(got, want) {
					t.Fatalf("world %d (served %t), step %d, after %s: reusing gives\n%s\nwant\n%s", seed, served, step, strings.Join(done, "; "), epJSON(got), epJSON(want))
				}
				reusedSome += countReused(prev, got)
				prev = got
			}
			inWorld := reusedSome - reusedBefore
			if !served {
				offline[seed] = inWorld
				continue
			}
			recreated += api.recreated
			// A status written between two snapshots changes no spec:
			// served, a person keeps its spec as often as offline, but for
			// the people of a Member deleted and created again with the
			// same spec (a new object, computed afresh), at most one each.
			// A Role created again is a new object too, and everyone above
			// it is computed afresh: then only fewer.
			lost := offline[seed] - inWorld
			if lost < 0 || api.rolesRecreated == 0 && lost > api.recreated {
				t.Errorf("world %d: served by an API server %d specs were reused, as manifests %d, with %d Members and %d Roles created again: a status write counts as a change",
					seed, inWorld, offline[seed], api.recreated, api.rolesRecreated)
			}
		}
		if reusedSome == 0 {
			t.Errorf("served %t: no person's spec was ever reused: the test tests nothing", served)
		}
		t.Logf("served %t: %d specs reused in %d worlds", served, reusedSome, worlds)
		reusedBy[served] = reusedSome
	}
	t.Logf("served: %d Members created again; %d specs reused served, %d as manifests", recreated, reusedBy[true], reusedBy[false])
}

// versions plays the API server's part for Members and Roles, the inputs
// a fingerprint knows by identity: each has a UID (a new one when it is
// deleted and created again), a generation that changes whenever its spec
// does, and a resourceVersion that changes whenever anything does — here, a
// status written between every two snapshots.
type versions struct {
	next int
	seen map[string]versioned // kind/namespace/name → what it was served as
	ever map[string]bool      // every kind/namespace/name served
	// recreated counts Members served again after a snapshot without
	// them; rolesRecreated the same of Roles.
	recreated, rolesRecreated int
}

type versioned struct {
	spec       string
	uid        ktypes.UID
	generation int64
}

// serve stamps the snapshot's Members and Roles as the API server would,
// given those it served the last time.
func (v *versions) serve(s *engine.Snapshot) {
	now := map[string]versioned{}
	stamp := func(kind string, meta *metav1.ObjectMeta, spec any, observed *int64) {
		b, _ := json.Marshal(spec)
		// Two objects of one name (a world may hold a second claim, which
		// the engine refuses) are two objects, told apart by their order.
		key := kind + "/" + meta.Namespace + "/" + meta.Name
		for n := 2; ; n++ {
			if _, dup := now[key]; !dup {
				break
			}
			key = fmt.Sprintf("%s/%s/%s#%d", kind, meta.Namespace, meta.Name, n)
		}
		was, ok := v.seen[key]
		switch {
		case !ok:
			v.next++
			was = versioned{spec: string(b), uid: ktypes.UID(fmt.Sprintf("uid-%d", v.next)), generation: 1}
			if v.ever[key] {
				if kind == accessv1.KindMember {
					v.recreated++
				} else {
					v.rolesRecreated++
				}
			}
			if v.ever == nil {
				v.ever = map[string]bool{}
			}
			v.ever[key] = true
		case was.spec != string(b):
			was.spec, was.generation = string(b), was.generation+1
		}
		v.next++
		meta.UID, meta.Generation, meta.ResourceVersion = was.uid, was.generation, strconv.Itoa(v.next)
		*observed = was.generation // a status written since
		now[key] = was
	}
	for _, m := range s.Members {
		stamp(accessv1.KindMember, &m.ObjectMeta, &m.Spec, &m.Status.ObservedGeneration)
	}
	for i := range s.Roles {
		r := &s.Roles[i]
		stamp(accessv1.KindRole, &r.ObjectMeta, &r.Spec, &r.Status.ObservedGeneration)
	}
	v.seen = now
}

// TestReuseRoleMove: in the fixture tenant, moving one role under another
// leaves the fingerprint of everyone but the people of the roles above its
// old and new places and below it, and ComputeReusing gives what Compute
// does.
func TestReuseRoleMove(t *testing.T) {
	o := fixture.Tenant("reuse", 2000, 200, 3)
	before := engine.ComputeReusing(o.Snapshot(), et.Now, nil)
	var moved, to string
	for _, r := range o.Roles {
		if r.Spec.ReportsTo != "" && r.Spec.ReportsTo != accessv1.CEORole {
			moved = r.Name
			break
		}
	}
	to = o.Roles[len(o.Roles)-1].Name
	for i := range o.Roles {
		if o.Roles[i].Name == moved {
			o.Roles[i].Spec.ReportsTo = to
		}
	}
	after := engine.ComputeReusing(o.Snapshot(), et.Now, engine.OfferMap(offer(before)))
	if want := engine.Compute(o.Snapshot(), et.Now); !sameResult(after, want) {
		t.Fatal("reusing differs from computing")
	}
	changed := 0
	for _, ep := range after.EffectivePermissions {
		a, _ := before.Fingerprint(ep.Namespace, ep.Name)
		b, _ := after.Fingerprint(ep.Namespace, ep.Name)
		if a != b {
			changed++
		}
	}
	reused := countReused(before, after)
	t.Logf("moving %s under %s: %d of %d fingerprints changed, %d specs reused", moved, to, changed, len(after.EffectivePermissions), reused)
	if changed == 0 || reused == 0 || changed+reused != len(after.EffectivePermissions) {
		t.Errorf("moving %s under %s: %d fingerprints changed and %d specs reused of %d", moved, to, changed, reused, len(after.EffectivePermissions))
	}
	if changed > len(after.EffectivePermissions)/2 {
		t.Errorf("a role move changed %d of %d fingerprints: reuse saves little", changed, len(after.EffectivePermissions))
	}
}

// offer is what a controller offers the next pass: each EP's spec as
// computed, with its fingerprint.
func offer(res *engine.Result) map[engine.ObjectRef]engine.Reused {
	out := map[engine.ObjectRef]engine.Reused{}
	for i := range res.EffectivePermissions {
		ep := &res.EffectivePermissions[i]
		if f, ok := res.Fingerprint(ep.Namespace, ep.Name); ok {
			out[engine.ObjectRef{Kind: accessv1.KindEffectivePermission, Namespace: ep.Namespace, Name: ep.Name}] = engine.Reused{Fingerprint: f, Spec: ep.Spec.DeepCopy()}
		}
	}
	return out
}

// countReused counts the people whose fingerprint did not change.
func countReused(prev, next *engine.Result) int {
	n := 0
	for _, ep := range next.EffectivePermissions {
		a, ok := prev.Fingerprint(ep.Namespace, ep.Name)
		b, ok2 := next.Fingerprint(ep.Namespace, ep.Name)
		if ok && ok2 && a == b {
			n++
		}
	}
	return n
}

func sameResult(a, b *engine.Result) bool {
	return bytes.Equal(epJSON(a), epJSON(b))
}

func epJSON(r *engine.Result) []byte {
	b, err := json.Marshal(struct {
		EPs      []accessv1.EffectivePermission
		Findings []engine.Finding
	}{r.EffectivePermissions, r.Findings})
	if err != nil {
		panic(err)
	}
	return b
}

// change makes one random change to the world and says what.
func change(g gen, s *engine.Snapshot) string {
	roleNames := func(ns string) []string {
		var out []string
		for _, r := range s.Roles {
			if r.Namespace == ns {
				out = append(out, r.Name)
			}
		}
		return append(out, accessv1.CEORole, "no-such-role")
	}
	members := func(ns string) []*accessv1.Member {
		var out []*accessv1.Member
		for i := range s.Members {
			if s.Members[i].Namespace == ns {
				out = append(out, s.Members[i])
			}
		}
		return out
	}
	ns := pick(g, []string{"acme", "acme", "acme", "agency"})
	switch g.n(16) {
	case 14, 15: // a new role, perhaps one a rule or a member names already
		var names []string
		for _, p := range s.VisibilityPolicies {
			for _, r := range p.Spec.SharingRules {
				names = append(names, r.From.Role, r.To.Role)
			}
			for _, r := range p.Spec.DepartmentRules {
				names = append(names, r.From.Role, r.To.Role)
			}
		}
		for _, m := range s.Members {
			names = append(names, m.Spec.Role)
		}
		names = append(names, "no-such-role", fmt.Sprintf("fresh%d", g.n(1000)))
		name := pick(g, names)
		if name == "" || name == accessv1.CEORole || slices.ContainsFunc(s.Roles, func(r accessv1.Role) bool { return r.Namespace == ns && r.Name == name }) {
			return ""
		}
		s.Add(et.MakeRole(ns, name).ReportsTo(pick(g, roleNames(ns))).Obj())
		return "role " + name + " added"
	case 0, 1: // move a role, possibly into a cycle or out of the tree
		if len(s.Roles) == 0 {
			return ""
		}
		r := &s.Roles[g.n(len(s.Roles))]
		r.Spec.ReportsTo = pick(g, roleNames(r.Namespace))
		return "role " + r.Name + " reports to " + r.Spec.ReportsTo
	case 2: // a member's role
		ms := members(ns)
		if len(ms) == 0 {
			return ""
		}
		m := pick(g, ms)
		m.Spec.Role = pick(g, append(roleNames(ns), ""))
		return "member " + m.Name + " role " + m.Spec.Role
	case 3: // a member's sets
		ms := members(ns)
		if len(ms) == 0 {
			return ""
		}
		m := pick(g, ms)
		var sets []string
		for _, ps := range s.PermissionSets {
			if ps.Namespace == ns && g.chance(0.5) {
				sets = append(sets, ps.Name)
			}
		}
		m.Spec.PermissionSets = sets
		return "member " + m.Name + " sets " + strings.Join(sets, ",")
	case 4: // a member's e-mail: another's (a duplicate), another case, a new one
		ms := members(ns)
		if len(ms) == 0 {
			return ""
		}
		m, other := pick(g, ms), pick(g, ms)
		switch g.n(3) {
		case 0:
			m.Spec.Email = other.Spec.Email
		case 1:
			m.Spec.Email = strings.ToUpper(m.Spec.Email)
		default:
			m.Spec.Email = fmt.Sprintf("new%d@%s.example", g.n(1000), ns)
		}
		return "member " + m.Name + " e-mail " + m.Spec.Email
	case 5: // account role or activity
		ms := members(ns)
		if len(ms) == 0 {
			return ""
		}
		m := pick(g, ms)
		if g.chance(0.5) {
			m.Spec.AccountRole = pick(g, []accessv1.AccountRole{accessv1.AccountRoleSuperAdmin, accessv1.AccountRoleAdmin, accessv1.AccountRoleDeveloper, accessv1.AccountRoleStandard})
		} else {
			m.Spec.Active = new(!m.IsActive())
		}
		return "member " + m.Name + " account"
	case 6: // a new member, like another
		ms := members(ns)
		if len(ms) == 0 {
			return ""
		}
		m := pick(g, ms).DeepCopy()
		m.Name = fmt.Sprintf("%s-twin%d", m.Name, g.n(1000))
		m.Spec.Email = m.Name + "@" + ns + ".example"
		s.Add(m)
		return "member " + m.Name + " added"
	case 7: // delete a member or a role
		if g.chance(0.5) && len(s.Members) > 0 {
			i := g.n(len(s.Members))
			name := s.Members[i].Name
			s.Members = slices.Delete(s.Members, i, i+1)
			return "member " + name + " deleted"
		}
		if len(s.Roles) > 0 {
			i := g.n(len(s.Roles))
			name := s.Roles[i].Name
			s.Roles = slices.Delete(s.Roles, i, i+1)
			return "role " + name + " deleted"
		}
		return ""
	case 8: // a role's peers
		if len(s.Roles) == 0 {
			return ""
		}
		r := &s.Roles[g.n(len(s.Roles))]
		r.Spec.ShareDataWithPeers = !r.Spec.ShareDataWithPeers
		return "role " + r.Name + " peers"
	case 9: // a PermissionSet's objects or capabilities
		if len(s.PermissionSets) == 0 {
			return ""
		}
		ps := &s.PermissionSets[g.n(len(s.PermissionSets))]
		if g.chance(0.5) {
			ps.Spec.Capabilities = g.some(worldCaps, 0.3)
		} else {
			ps.Spec.Objects = append(ps.Spec.Objects, accessv1.ObjectActions{Types: g.some(worldTypes, 0.5), Actions: g.actions()})
		}
		return "set " + ps.Name
	case 10: // a rule naming someone, in any case
		if len(s.VisibilityPolicies) == 0 {
			return ""
		}
		p := &s.VisibilityPolicies[g.n(len(s.VisibilityPolicies))]
		ms := members(p.Namespace)
		subject := func() accessv1.Subject {
			if len(ms) > 0 && g.chance(0.6) {
				e := pick(g, ms).Spec.Email
				if g.chance(0.5) {
					e = strings.ToUpper(e)
				}
				return accessv1.Subject{User: e}
			}
			return accessv1.Subject{Role: pick(g, roleNames(p.Namespace))}
		}
		if p.Spec.Mode == accessv1.ModeDepartment && g.chance(0.5) {
			p.Spec.DepartmentRules = append(p.Spec.DepartmentRules, accessv1.DepartmentRule{ObjectTypes: g.some(worldTypes, 0.5),
				From: subject(), To: subject(), Access: pick(g, worldAccess)})
		} else {
			p.Spec.SharingRules = append(p.Spec.SharingRules, accessv1.SharingRule{Name: fmt.Sprintf("s%d", g.n(1000)),
				ObjectTypes: g.some(worldTypes, 0.5), From: subject(), To: subject(), Access: pick(g, worldAccess[1:])})
		}
		return "rule in " + p.Namespace
	case 11: // the policy's mode or hierarchy
		if len(s.VisibilityPolicies) == 0 {
			return ""
		}
		p := &s.VisibilityPolicies[g.n(len(s.VisibilityPolicies))]
		if g.chance(0.5) {
			p.Spec.Mode = pick(g, []accessv1.VisibilityMode{accessv1.ModeRoleHierarchy, accessv1.ModePermissionGroup, accessv1.ModeDepartment})
		} else {
			p.Spec.Hierarchy = pick(g, []accessv1.HierarchySetting{accessv1.HierarchyEnabled, accessv1.HierarchyDisabled})
		}
		return "policy " + p.Name
	default: // every revocation of the property tests (partner access among them)
		rv := pick(g, revocations)
		if what := rv.apply(g, s); what != "" {
			return rv.name + ": " + what
		}
		return ""
	}
}
