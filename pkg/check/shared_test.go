package check

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"unsafe"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// randWorld is a random tenant as the EffectivePermissions describe it: a
// role tree, users, and one spec per user, mostly consistent with the tree
// and sometimes not (a hand-written or stale EP, malformed lists).
type randWorld struct {
	roles  []string
	parent map[string]string
	users  []string
	specs  []*accessv1.EffectivePermissionSpec
	types  []string
}

var (
	randScopes = []accessv1.GrantScope{accessv1.ScopeAll, accessv1.ScopeOwn, accessv1.ScopeRole, accessv1.ScopeUser,
		accessv1.ScopeHierarchy, accessv1.ScopeVisibility, accessv1.ScopeDepartment, "Bogus"}
	randVis    = []accessv1.Visibility{"", accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "Secret"}
	randLevels = []accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessReadWrite, "Owner"}
	randActs   = []accessv1.Action{accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
		accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll}
)

func rpick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func newRandWorld(rng *rand.Rand) *randWorld {
	w := &randWorld{parent: map[string]string{}}
	nroles := 1 + rng.IntN(40)
	for i := range nroles {
		r := fmt.Sprintf("r%d", i)
		w.roles = append(w.roles, r)
		if i > 0 {
			w.parent[r] = w.roles[rng.IntN(i)]
		}
	}
	for i := range 2 + rng.IntN(30) {
		w.users = append(w.users, fmt.Sprintf("u%d@desk.example", i))
	}
	w.types = []string{"deals", "leads", "kites", "quotes"}
	for _, u := range w.users {
		w.specs = append(w.specs, w.spec(rng, u))
	}
	return w
}

// below returns the roles strictly below r in the tree, with their parents.
func (w *randWorld) below(r string) []accessv1.RoleEdge {
	var out []accessv1.RoleEdge
	for _, c := range w.roles {
		for p := w.parent[c]; p != ""; p = w.parent[p] {
			if p == r {
				out = append(out, accessv1.RoleEdge{Role: c, ReportsTo: w.parent[c]})
				break
			}
		}
	}
	return out
}

func (w *randWorld) role(rng *rand.Rand) string {
	switch rng.IntN(12) {
	case 0:
		return ""
	case 1:
		return "ghost"
	}
	return rpick(rng, w.roles)
}

func (w *randWorld) spec(rng *rand.Rand, user string) *accessv1.EffectivePermissionSpec {
	s := &accessv1.EffectivePermissionSpec{Tenant: "t", User: user, Active: rng.IntN(10) > 0, Role: w.role(rng)}
	if rng.IntN(8) == 0 {
		s.User = strings.ToUpper(user[:1]) + user[1:]
	}
	if s.Role != "" {
		s.Subordinates = w.below(s.Role)
	}
	switch rng.IntN(8) { // malformed or stale subordinates
	case 0:
		s.Subordinates = append(s.Subordinates, accessv1.RoleEdge{Role: rpick(rng, w.roles), ReportsTo: "elsewhere"})
	case 1:
		if len(s.Subordinates) > 0 {
			s.Subordinates = slices.Delete(s.Subordinates, 0, 1)
		}
	case 2:
		s.Subordinates = append(s.Subordinates, accessv1.RoleEdge{Role: ""}, accessv1.RoleEdge{Role: "ghost", ReportsTo: s.Role})
	case 3:
		if len(s.Subordinates) > 0 {
			s.Subordinates = append(s.Subordinates, s.Subordinates[0])
		}
	}
	if rng.IntN(3) == 0 {
		s.Capabilities = []string{"reports.access", "*"}[:1+rng.IntN(2)]
		s.CapabilitySources = []accessv1.CapabilitySource{{Via: "set: x", Capabilities: s.Capabilities}}
	}
	types := append(slices.Clone(w.types), "*", "Bad Type")
	for range rng.IntN(5) {
		s.Objects = append(s.Objects, w.entry(rng, rpick(rng, types)))
	}
	return s
}

func (w *randWorld) entry(rng *rand.Rand, typ string) accessv1.ObjectPermission {
	o := accessv1.ObjectPermission{Type: typ}
	for _, a := range append(slices.Clone(randActs), "fly") {
		if rng.IntN(2) == 0 {
			o.Actions = append(o.Actions, a)
		}
	}
	if len(o.Actions) > 0 && rng.IntN(6) > 0 {
		o.ActionSources = []accessv1.ActionSource{{Via: "set: " + rpick(rng, []string{"a", "b"}), Actions: o.Actions}}
		if rng.IntN(3) == 0 {
			o.ActionSources = append(o.ActionSources, accessv1.ActionSource{Via: "set: c", Actions: o.Actions[:1]})
		}
	}
	if rng.IntN(3) == 0 {
		o.Visibility = &accessv1.TypeVisibility{Default: rpick(rng, randVis)}
		for range rng.IntN(3) {
			o.Visibility.Allowed = append(o.Visibility.Allowed, rpick(rng, randVis))
		}
	}
	for range rng.IntN(6) {
		g := accessv1.RecordGrant{Scope: rpick(rng, randScopes), Access: rpick(rng, randLevels)}
		switch g.Scope {
		case accessv1.ScopeRole:
			g.Role = w.role(rng)
		case accessv1.ScopeUser:
			g.User = rpick(rng, append(slices.Clone(w.users), "", "U0@DESK.example"))
		case accessv1.ScopeVisibility:
			g.Visibility = rpick(rng, randVis)
		case accessv1.ScopeDepartment:
			if rng.IntN(3) == 0 {
				g.User = rpick(rng, w.users)
			}
			if rng.IntN(2) == 0 {
				g.Role = w.role(rng)
			}
			if rng.IntN(2) == 0 {
				g.HiddenFields = []string{"amount", "margin"}[:1+rng.IntN(2)]
			}
		}
		if rng.IntN(8) > 0 {
			g.Via = []string{fmt.Sprintf("via %d", rng.IntN(4))}
		}
		o.Grants = append(o.Grants, g)
	}
	return o
}

// record is a random record of the world: owners among the users (some in
// another case, with a Kelvin sign for k or a long s for s), strangers and
// none, roles from the tree and elsewhere.
func (w *randWorld) record(rng *rand.Rand) Record {
	rec := Record{Type: rpick(rng, append(slices.Clone(w.types), "*", "Deals", "other")), OwnerActive: rng.IntN(4) > 0, OwnerRole: w.role(rng)}
	switch rng.IntN(10) {
	case 0:
	case 1:
		rec.Owner = "stranger@else.example"
	default:
		rec.Owner = rpick(rng, w.users)
		switch rng.IntN(6) {
		case 0:
			rec.Owner = strings.ToUpper(rec.Owner)
		case 1:
			rec.Owner = strings.Replace(strings.Replace(rec.Owner, "e", "E", 1), "k", "\u212a", 1)
		case 2:
			rec.Owner = strings.Replace(rec.Owner, "s", "\u017f", 1)
		case 3:
			rec.Owner = rec.Owner[:len(rec.Owner)-1] + "\xff"
		}
	}
	rec.Visibility = rpick(rng, randVis)
	if rng.IntN(3) == 0 {
		rec.Groups = []string{w.role(rng), w.role(rng)}
	}
	if rng.IntN(4) == 0 {
		rec.Field = rpick(rng, []string{"amount", "margin", "name"})
	}
	return rec
}

func sameDecision(a, b Decision) bool {
	return a.Allowed == b.Allowed && a.Access == b.Access && slices.Equal(a.Reasons, b.Reasons)
}

// TestSharedAgrees holds the compiled layout to the plain reading of the
// spec it replaced (reference_test.go): over random worlds, every EP
// compiled alone (Compile) and by a Compiler of its tenant — prepared with
// some of the tenant's EPs, so that others bring names the table lacks —
// answers every question as the reference does, reasons included, and
// explains and filters alike either way.
func TestSharedAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worlds := 300
	if testing.Short() {
		worlds = 60
	}
	for wi := range worlds {
		w := newRandWorld(rng)
		var seed []*accessv1.EffectivePermissionSpec
		for _, s := range w.specs {
			if rng.IntN(3) > 0 {
				seed = append(seed, s)
			}
		}
		c := NewCompiler(seed...)
		if wi%4 == 0 {
			c = NewCompiler() // every name arrives late
		}
		for _, i := range rng.Perm(len(w.specs)) {
			spec := w.specs[i]
			ref, plain, shared := refCompile(spec), Compile(spec), c.Compile(spec)
			for range 60 {
				rec, action := w.record(rng), rpick(rng, append(slices.Clone(randActs), "fly"))
				want := ref.Action(action, rec)
				for name, p := range map[string]*Permissions{"Compile": plain, "Compiler": shared} {
					if got := p.Action(action, rec); !sameDecision(got, want) {
						t.Fatalf("world %d, %s of %+v\n%s %+v: %+v, the reference %+v", wi, name, spec, action, rec, got, want)
					}
					if got, want := p.Functional(action, rec.Type), ref.Functional(action, rec.Type); !sameDecision(got, want) {
						t.Fatalf("world %d, %s: Functional(%s, %q) %+v, the reference %+v", wi, name, action, rec.Type, got, want)
					}
				}
				if a, b := plain.Explain(action, rec), shared.Explain(action, rec); !slices.Equal(a, b) {
					t.Fatalf("world %d: Explain(%s, %+v) differs:\n%q\n%q", wi, action, rec, a, b)
				}
				if a, b := plain.Filter(action, rec.Type), shared.Filter(action, rec.Type); !reflect.DeepEqual(a, b) {
					t.Fatalf("world %d: Filter(%s, %q) differs:\n%+v\n%+v", wi, action, rec.Type, a, b)
				}
			}
			for _, name := range []string{"reports.access", "billing.access", "*"} {
				if got, want := shared.Capability(name), ref.Capability(name); !sameDecision(got, want) {
					t.Fatalf("Capability(%s) %+v, the reference %+v", name, got, want)
				}
			}
		}
	}
}

// TestNonASCIIFoldsLonger is what ownedBy's shortcut rests on: every rune
// that folds to an ASCII one is ASCII or takes more than one byte.
func TestNonASCIIFoldsLonger(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f >= utf8.RuneSelf && utf8.RuneLen(f) < 2 {
				t.Errorf("%q folds to %q of %d bytes", r, f, utf8.RuneLen(f))
			}
			if f < utf8.RuneSelf && f|0x20 != r|0x20 {
				t.Errorf("%q folds to %q, which differs in more than bit 0x20", r, f)
			}
		}
	}
}

// TestRoleSetInterval: a role's subordinates in a Compiler prepared with the
// tenant are one interval of ids; a stale or malformed list gets a bitmap,
// and answers for exactly its roles.
func TestRoleSetInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 50 {
		w := newRandWorld(rng)
		var clean []*accessv1.EffectivePermissionSpec
		for _, r := range w.roles {
			clean = append(clean, &accessv1.EffectivePermissionSpec{User: r + "@t.example", Active: true, Role: r, Subordinates: w.below(r)})
		}
		c := NewCompiler(clean...)
		for _, s := range clean {
			if p := c.Compile(s); p.rare != nil || int(p.sub.n) != len(s.Subordinates) {
				t.Fatalf("%s: %d subordinates, span %+v, %+v", s.Role, len(s.Subordinates), p.sub, p.rare)
			}
		}
		for _, s := range w.specs {
			p := c.Compile(s)
			for _, r := range append(slices.Clone(w.roles), "ghost", "elsewhere") {
				want := slices.ContainsFunc(s.Subordinates, func(e accessv1.RoleEdge) bool { return e.Role == r })
				if got := p.below(p.roleOf(r)); got != want {
					t.Fatalf("%s below %s: %v, want %v", r, s.Role, got, want)
				}
			}
		}
	}
}

// TestPermissionsLayout: what a record decision reads of a Permissions lies
// in its first 64 bytes, and its size is a multiple of 64, so that the
// allocator places those bytes in one cache line.
func TestPermissionsLayout(t *testing.T) {
	var p Permissions
	if end := unsafe.Offsetof(p.sub) + unsafe.Sizeof(p.sub); end > 64 {
		t.Errorf("the hot fields end at byte %d", end)
	}
	if n := unsafe.Sizeof(p); n%64 != 0 {
		t.Errorf("a Permissions takes %d bytes, not a multiple of 64", n)
	}
}

// TestNameIndex: every name is found with its id and no other string is,
// whether the names spread over the table or hash alike (then it is a map).
func TestNameIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	alike := func(i int) string { return fmt.Sprintf("%s%03d%s", strings.Repeat("a", 8), i, strings.Repeat("b", 21)) }
	spread := func(i int) string { return fmt.Sprintf("r%d-%x", i, rng.Uint32()) }
	for _, tc := range []struct {
		name  func(int) string
		n     int
		asMap bool
	}{{spread, 0, false}, {spread, 1, false}, {spread, 7, false}, {spread, 3000, false}, {alike, 40, true}} {
		var names []string
		for i := range tc.n {
			names = append(names, tc.name(i))
		}
		x := newNameIndex(names)
		if (x.m != nil) != tc.asMap {
			t.Errorf("%d names like %q: a map %v, want %v", tc.n, tc.name(0), x.m != nil, tc.asMap)
		}
		for id, name := range names {
			if got, ok := x.get(name); !ok || got != int32(id) {
				t.Fatalf("%q: %d %v, want %d", name, got, ok, id)
			}
			if _, ok := x.get(name + "x"); ok {
				t.Fatalf("%q found", name+"x")
			}
		}
		for _, s := range []string{"", "a", "deals", strings.Repeat("a", 40)} {
			if _, ok := x.get(s); ok {
				t.Fatalf("%q found", s)
			}
		}
	}
}

// FuzzSharedAgrees is TestSharedAgrees for any record: a random world (from
// seed), one of its EPs, compiled alone, by a Compiler of the world and as
// the reference reads it, answer the fuzzed question alike.
func FuzzSharedAgrees(f *testing.F) {
	f.Add(uint64(1), uint8(0), "view", "deals", "u1@desk.example", "r1", true, "", "", "")
	f.Add(uint64(2), uint8(3), "edit", "leads", "U2@DESK.EXAMPLE", "r0", true, "Group", "r3,r4", "amount")
	f.Add(uint64(3), uint8(1), "modifyAll", "quotes", "u0@de\u212a.example", "ghost", false, "Private", "", "")
	f.Add(uint64(4), uint8(7), "create", "kites", "", "", true, "OwnerAndGroups", ",", "margin")
	f.Fuzz(func(t *testing.T, seed uint64, which uint8, action, typ, owner, ownerRole string, active bool, vis, groups, field string) {
		w := newRandWorld(rand.New(rand.NewPCG(seed, 1)))
		spec := w.specs[int(which)%len(w.specs)]
		ref, plain, shared := refCompile(spec), Compile(spec), NewCompiler(w.specs...).Compile(spec)
		rec := Record{Type: typ, Owner: owner, OwnerRole: ownerRole, OwnerActive: active, Visibility: accessv1.Visibility(vis), Field: field}
		if groups != "" {
			rec.Groups = strings.Split(groups, ",")
		}
		a := accessv1.Action(action)
		want, wantF := ref.Action(a, rec), ref.Functional(a, typ)
		for name, p := range map[string]*Permissions{"Compile": plain, "Compiler": shared} {
			if got := p.Action(a, rec); !sameDecision(got, want) {
				t.Fatalf("%s of %+v\n%s %+v: %+v, the reference %+v", name, spec, a, rec, got, want)
			}
			if got := p.Functional(a, typ); !sameDecision(got, wantF) {
				t.Fatalf("%s: Functional(%s, %q) %+v, the reference %+v", name, a, typ, got, wantF)
			}
		}
	})
}

// TestCompilerConcurrent compiles with one Compiler (and alone, growing the
// process's type table) from several goroutines while others decide with
// what was compiled; run with -race.
func TestCompilerConcurrent(t *testing.T) {
	w := newRandWorld(rand.New(rand.NewPCG(13, 14)))
	w.types = nil
	for i := range w.specs { // types no other test names, so the type table grows
		for j := range w.specs[i].Objects {
			if o := &w.specs[i].Objects[j]; ValidType(o.Type) {
				o.Type = fmt.Sprintf("concurrent-%s-%d", o.Type, i%5)
				w.types = append(w.types, o.Type)
			}
		}
	}
	c := NewCompiler()
	done := make(chan bool)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 15))
			for range 200 {
				spec := rpick(rng, w.specs)
				ref, p := refCompile(spec), c.Compile(spec)
				if g%2 == 0 {
					p = Compile(spec)
				}
				for range 20 {
					rec, a := w.record(rng), rpick(rng, randActs)
					if got, want := p.Action(a, rec), ref.Action(a, rec); !sameDecision(got, want) {
						t.Errorf("%+v: %+v, the reference %+v", rec, got, want)
					}
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}
