package check_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// The small domain random EPs and records are drawn from, so that records
// often meet what the grants name.
var (
	fEmails = []string{"dora@acme.example", "erin@acme.example", "sam@acme.example", "kim@acme.example"}
	// Owners as records state them: the e-mails above in other cases and
	// spellings strings.EqualFold equates (ſ is s, K the Kelvin sign is k),
	// no owner, and a stranger.
	fOwners = []string{"", "dora@acme.example", "DORA@acme.example", "erin@acme.example", "Erin@ACME.example",
		"sam@acme.example", "ſam@acme.example", "kim@acme.example", "\u212Aim@acme.example", "stranger@else.example"}
	fRoles        = []string{"sales", "finance", "east", "west", "intern"}
	fOwnerRoles   = []string{"", "sales", "finance", "east", "west", "intern", "unknown"}
	fVisibilities = []accessv1.Visibility{"", accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "Everyone", "public"}
	fFields       = []string{"salary", "phone", "email", "name"}
	fActions      = []accessv1.Action{accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
		accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll, "approve"}
	// deals and leads have entries of their own in most random EPs, tickets
	// only through "*", Deals and "" are no type names.
	fTypes = []string{"deals", "leads", "tickets", "Deals", ""}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func subset[T any](rng *rand.Rand, xs []T, pct int) []T {
	var out []T
	for _, x := range xs {
		if rng.IntN(100) < pct {
			out = append(out, x)
		}
	}
	return out
}

// randomSpec is an EffectivePermission with random grants of every scope,
// well-formed or not: Department grants by user (with a role or not), by
// role and by default, with hidden fields; visibility settings; unknown
// scopes and access levels; duplicate entries.
func randomSpec(rng *rand.Rand) *accessv1.EffectivePermissionSpec {
	users := append(slices.Clone(fEmails), "Dora@Acme.Example", "ſam@acme.example", "")
	s := &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: pick(rng, users), Active: rng.IntN(20) > 0,
		Role: pick(rng, append(slices.Clone(fRoles), "")), Mode: pick(rng, []accessv1.VisibilityMode{accessv1.ModeRoleHierarchy, accessv1.ModePermissionGroup, accessv1.ModeDepartment}),
	}
	for _, r := range subset(rng, append(slices.Clone(fRoles), ""), 25) {
		s.Subordinates = append(s.Subordinates, accessv1.RoleEdge{Role: r, ReportsTo: pick(rng, fRoles)})
	}
	for _, typ := range []string{"deals", "leads", "*", "deals"} {
		if rng.IntN(100) < map[string]int{"deals": 85, "leads": 60, "*": 50}[typ] {
			s.Objects = append(s.Objects, randomEntry(rng, typ))
		}
	}
	return s
}

func randomEntry(rng *rand.Rand, typ string) accessv1.ObjectPermission {
	o := accessv1.ObjectPermission{Type: typ, Actions: subset(rng, fActions, 60)}
	if rng.IntN(2) == 0 {
		o.Visibility = &accessv1.TypeVisibility{
			Default: pick(rng, []accessv1.Visibility{accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "", "Everyone"}),
			Allowed: subset(rng, []accessv1.Visibility{accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "Bogus"}, 40),
		}
	}
	users := append(slices.Clone(fEmails), "ERIN@acme.example", "\u212Aim@acme.example", "")
	for range rng.IntN(11) {
		g := accessv1.RecordGrant{Access: pick(rng, []accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessRead, accessv1.AccessReadWrite, accessv1.AccessReadWrite, "Full"}),
			Via: []string{"random"}}
		switch n := rng.IntN(100); {
		case n < 8:
			g.Scope = accessv1.ScopeAll
		case n < 18:
			g.Scope = accessv1.ScopeOwn
		case n < 30:
			g.Scope, g.Role = accessv1.ScopeRole, pick(rng, append(slices.Clone(fRoles), ""))
		case n < 40:
			g.Scope, g.User = accessv1.ScopeUser, pick(rng, users)
		case n < 47:
			g.Scope = accessv1.ScopeHierarchy
		case n < 62:
			g.Scope, g.Visibility = accessv1.ScopeVisibility, pick(rng, fVisibilities)
		case n < 97:
			g.Scope = accessv1.ScopeDepartment
			if rng.IntN(100) < 35 {
				g.User = pick(rng, users[:len(users)-1])
			}
			if rng.IntN(100) < 55 {
				g.Role = pick(rng, fRoles)
			}
			g.HiddenFields = subset(rng, append(fFields[:3:3], ""), 30)
		default:
			g.Scope = "Everything"
		}
		o.Grants = append(o.Grants, g)
	}
	return o
}

func randomRecord(rng *rand.Rand) check.Record {
	return check.Record{
		Owner: pick(rng, fOwners), OwnerRole: pick(rng, fOwnerRoles), OwnerActive: rng.IntN(4) > 0,
		Visibility: pick(rng, fVisibilities), Groups: subset(rng, append(slices.Clone(fRoles), "other"), 20),
	}
}

// agree checks that f, the Filter of action on typ, decides rec exactly as
// Action does, the record and each field.
func agree(p *check.Permissions, f check.Filter, action accessv1.Action, typ string, rec check.Record) error {
	allowed, hidden := f.Matches(rec)
	if slices.Contains(hidden, "") {
		return fmt.Errorf("%+v: hidden names the empty field: %q", rec, hidden)
	}
	rec.Type, rec.Field = typ, ""
	if d := p.Action(action, rec); d.Allowed != allowed {
		return fmt.Errorf("Action(%s, %+v) = %v %q; filter: %v", action, rec, d.Allowed, d.Reasons, allowed)
	}
	for _, field := range fFields {
		rec.Field = field
		if d, got := p.Action(action, rec), allowed && !slices.Contains(hidden, field); d.Allowed != got {
			return fmt.Errorf("Action(%s, %+v) = %v %q; filter: allowed %v, hidden %q", action, rec, d.Allowed, d.Reasons, allowed, hidden)
		}
	}
	return nil
}

// filterSize counts what a Filter writes: branches, conditions, values and
// hidden fields.
func filterSize(f check.Filter) int {
	n := len(f.Branches)
	for _, b := range f.Branches {
		n += len(b.Conditions) + len(b.HiddenFields)
		for _, c := range b.Conditions {
			n += len(c.Values)
		}
	}
	return n
}

// grantCount is what a Filter's size may grow with: the grants of every
// entry, the subordinates, one.
func grantCount(s *accessv1.EffectivePermissionSpec) int {
	n := 1 + len(s.Subordinates)
	for _, o := range s.Objects {
		n += len(o.Grants)
	}
	return n
}

// maxFilterSize is the bound TestFilterSize and the property tests hold
// every Filter to: a cubic of the grant count (Department cells, times
// other grants, times the e-mails a cell sets apart), never the records.
func maxFilterSize(grants int) int { return 4 * grants * grants * grants }

// filterStats counts what the property tests saw, so that a test that
// stopped exercising a path would show it.
type filterStats struct {
	cases, allowed, withHidden    int // (action, type, record) cases
	filters, maxSize, maxBranches int
}

func (st *filterStats) String() string {
	return fmt.Sprintf("%d (action, type, record) cases, each with %d fields: %d allowed, %d of them with hidden fields; %d filters, the largest %d (%d branches)",
		st.cases, len(fFields), st.allowed, st.withHidden, st.filters, st.maxSize, st.maxBranches)
}

// checkSpec checks the Filter of every action and type of one spec against
// records, its determinism, size and JSON round trip.
func checkSpec(t *testing.T, st *filterStats, spec *accessv1.EffectivePermissionSpec, types []string, recs []check.Record) {
	t.Helper()
	p := check.Compile(spec)
	again := check.Compile(spec.DeepCopy())
	for _, action := range fActions {
		for _, typ := range types {
			f := p.Filter(action, typ)
			data, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			if d2, _ := json.Marshal(again.Filter(action, typ)); !bytes.Equal(data, d2) {
				t.Fatalf("%s %s: not deterministic:\n%s\n%s", action, typ, data, d2)
			}
			var back check.Filter
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			n, bound := filterSize(f), maxFilterSize(grantCount(spec))
			if n > bound {
				t.Fatalf("%s %s: filter size %d above %d for %d grants:\n%s", action, typ, n, bound, grantCount(spec), data)
			}
			st.filters++
			st.maxSize, st.maxBranches = max(st.maxSize, n), max(st.maxBranches, len(f.Branches))
			for _, rec := range recs {
				if err := agree(p, f, action, typ, rec); err != nil {
					t.Fatalf("%v\nfilter: %s\nspec: %s", err, data, mustJSON(spec))
				}
				a1, h1 := f.Matches(rec)
				if a2, h2 := back.Matches(rec); a1 != a2 || !slices.Equal(h1, h2) {
					t.Fatalf("JSON round trip changed the answer for %+v:\n%s", rec, data)
				}
				st.cases++
				if a1 {
					st.allowed++
					if len(h1) > 0 {
						st.withHidden++
					}
				}
			}
		}
	}
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// TestFilterRandom: over random EPs and records, the Filter of every action
// and type allows exactly the records Action allows and hides exactly the
// fields Action denies.
func TestFilterRandom(t *testing.T) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(13, 1))
	const specs, records = 600, 40
	var st filterStats
	pairs := 0
	for range specs {
		spec := randomSpec(rng)
		recs := make([]check.Record, records)
		for i := range recs {
			recs[i] = randomRecord(rng)
		}
		checkSpec(t, &st, spec, fTypes, recs)
		pairs += records
	}
	// A nil spec, a nil *Permissions.
	var nilP *check.Permissions
	for _, action := range fActions {
		if !check.Compile(nil).Filter(action, "deals").Nothing() || !nilP.Filter(action, "deals").Nothing() {
			t.Errorf("%s: a nil EP's filter allows something", action)
		}
	}
	t.Logf("%d EPs × %d records = %d EP×record pairs; %v; in %v", specs, records, pairs, &st, time.Since(start).Round(time.Millisecond))
}

// TestFilterRealEPs: the same over EPs the engine computes from a fixture
// tenant in each mode, with Department rules (by role and by user, with
// hidden fields) and PermissionGroup visibility settings, and records of
// its members as Result.RecordOwner describes them, with no owner, of a
// stranger, in another case, and with a role and membership the tenant does
// not know.
func TestFilterRealEPs(t *testing.T) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(13, 2))
	types := append(slices.Clone(fixture.ObjectTypes), "custom-objects", "Deals")
	var st filterStats
	eps := 0
	for _, mode := range []accessv1.VisibilityMode{accessv1.ModeRoleHierarchy, accessv1.ModePermissionGroup, accessv1.ModeDepartment} {
		o := fixture.Tenant("filter", 150, 15, 3)
		pol := &o.VisibilityPolicies[0].Spec
		pol.Mode = mode
		roles := make([]string, len(o.Roles))
		for i, r := range o.Roles {
			roles[i] = r.Name
		}
		var emails []string
		for _, m := range o.Members {
			emails = append(emails, m.Spec.Email)
		}
		switch mode {
		case accessv1.ModePermissionGroup:
			pol.ObjectTypes = []accessv1.ObjectTypePolicy{
				{Name: "deals", DefaultVisibility: accessv1.VisibilityPublic, AllowedVisibilities: []accessv1.Visibility{accessv1.VisibilityGroup, accessv1.VisibilityPrivate}},
				{Name: "leads", DefaultVisibility: accessv1.VisibilityOwnerAndGroups},
				{Name: "quotes", DefaultVisibility: accessv1.VisibilityPrivate, AllowedVisibilities: []accessv1.Visibility{accessv1.VisibilityPublic}},
			}
		case accessv1.ModeDepartment:
			read := accessv1.AccessRead
			pol.DepartmentDefault = &read
			for i := range 30 {
				r := accessv1.DepartmentRule{
					ObjectTypes:  subset(rng, fixture.ObjectTypes, 40),
					From:         accessv1.Subject{Role: pick(rng, roles)},
					To:           accessv1.Subject{Role: pick(rng, roles)},
					Access:       pick(rng, []accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessReadWrite}),
					HiddenFields: subset(rng, fFields[:3], 60),
				}
				if i%3 == 0 {
					r.From = accessv1.Subject{User: pick(rng, emails)}
				}
				if i%4 == 1 {
					r.To = accessv1.Subject{User: pick(rng, emails)}
				}
				if len(r.ObjectTypes) == 0 {
					r.ObjectTypes = []string{"deals"}
				}
				pol.DepartmentRules = append(pol.DepartmentRules, r)
			}
		}
		res := engine.Compute(o.Snapshot(), benchNow)
		if len(res.EffectivePermissions) == 0 {
			t.Fatalf("%s: the engine wrote no EffectivePermission", mode)
		}
		byRole := map[string][]string{}
		for _, e := range emails {
			r := res.RecordOwner("filter", e).Role
			byRole[r] = append(byRole[r], e)
		}
		hidden := 0
		for i := range res.EffectivePermissions {
			spec := &res.EffectivePermissions[i].Spec
			for _, ob := range spec.Objects {
				for _, g := range ob.Grants {
					hidden += len(g.HiddenFields)
				}
			}
			// A third of the owners hold a role the EP's grants name.
			var named []string
			for _, ob := range spec.Objects {
				for _, g := range ob.Grants {
					if len(byRole[g.Role]) > 0 {
						named = append(named, g.Role)
					}
				}
			}
			recs := make([]check.Record, 0, 16)
			for j := range 12 {
				email := pick(rng, emails)
				if j%3 == 0 && len(named) > 0 {
					email = pick(rng, byRole[pick(rng, named)])
				}
				ow := res.RecordOwner("filter", email)
				rec := check.Record{Owner: email, OwnerRole: ow.Role, OwnerActive: ow.Active,
					Visibility: pick(rng, fVisibilities), Groups: subset(rng, append(roles, spec.Role), 5)}
				switch rng.IntN(8) {
				case 0:
					rec.Owner = strings.ToUpper(email)
				case 1:
					rec.OwnerRole = pick(rng, append(roles, "", "unknown"))
				case 2:
					rec.OwnerActive = !rec.OwnerActive
				}
				recs = append(recs, rec)
			}
			recs = append(recs,
				check.Record{Owner: spec.User, OwnerRole: spec.Role, OwnerActive: true},
				check.Record{Owner: "stranger@elsewhere.example", Visibility: pick(rng, fVisibilities)},
				check.Record{OwnerRole: spec.Role, OwnerActive: true, Visibility: pick(rng, fVisibilities)}, // no owner
			)
			checkSpec(t, &st, spec, types, recs)
			eps++
		}
		if mode == accessv1.ModeDepartment && hidden == 0 {
			t.Errorf("Department world: no EP hides a field; the test would not exercise hidden fields")
		}
	}
	t.Logf("%d real EPs; %v; in %v", eps, &st, time.Since(start).Round(time.Millisecond))
}

// TestFilterSize: a Filter's size depends on the EP alone (it is computed
// without records) and grows with the grants: with n Department user
// grants it grows linearly in n, and with the Role grants too.
func TestFilterSize(t *testing.T) {
	spec := func(users, roles int) *accessv1.EffectivePermissionSpec {
		s := &accessv1.EffectivePermissionSpec{Tenant: "acme", User: "dora@acme.example", Active: true, Role: "sales", Mode: accessv1.ModeDepartment,
			Objects: []accessv1.ObjectPermission{{Type: "deals", Actions: []accessv1.Action{accessv1.ActionView, accessv1.ActionEdit}}}}
		gs := &s.Objects[0].Grants
		*gs = append(*gs,
			accessv1.RecordGrant{Scope: accessv1.ScopeOwn, Access: accessv1.AccessReadWrite},
			accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Access: accessv1.AccessRead},
			accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Role: "sales", Access: accessv1.AccessReadWrite},
			accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, Role: "finance", Access: accessv1.AccessReadWrite, HiddenFields: []string{"salary"}})
		for i := range users {
			*gs = append(*gs, accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, User: fmt.Sprintf("u%d@acme.example", i),
				Access: []accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessReadWrite}[i%2], HiddenFields: []string{"phone"}})
		}
		for i := range roles {
			*gs = append(*gs, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: fmt.Sprintf("r%d", i), Access: accessv1.AccessRead})
		}
		return s
	}
	for _, action := range []accessv1.Action{accessv1.ActionView, accessv1.ActionEdit} {
		sizes := map[[2]int]int{}
		for _, n := range [][2]int{{10, 0}, {20, 0}, {40, 0}, {0, 10}, {0, 20}, {0, 40}} {
			s := spec(n[0], n[1])
			f := check.Compile(s).Filter(action, "deals")
			sizes[n] = filterSize(f)
			if sizes[n] > maxFilterSize(grantCount(s)) {
				t.Errorf("%s %v: size %d above the bound %d", action, n, sizes[n], maxFilterSize(grantCount(s)))
			}
		}
		// Linear: doubling the grants at most doubles what they add.
		for _, pair := range [][2][2]int{{{10, 0}, {20, 0}}, {{20, 0}, {40, 0}}, {{0, 10}, {0, 20}}, {{0, 20}, {0, 40}}} {
			a, b := sizes[pair[0]], sizes[pair[1]]
			base := filterSize(check.Compile(spec(0, 0)).Filter(action, "deals"))
			if b-base > 2*(a-base)+2 {
				t.Errorf("%s: size %d for %v, %d for %v (base %d): not linear", action, a, pair[0], b, pair[1], base)
			}
		}
		t.Logf("%s: sizes %v", action, sizes)
	}
}

// TestFilterShape pins the JSON of a few filters.
func TestFilterShape(t *testing.T) {
	p := check.Compile(exampleSpec())
	tests := []struct {
		action accessv1.Action
		typ    string
		want   string
	}{
		{accessv1.ActionEdit, "deals", `{"branches":[` +
			`{"conditions":[{"attribute":"owner","op":"in","values":["sam@acme.example"]}],"hiddenFields":[]},` +
			`{"conditions":[{"attribute":"owner","op":"notIn","values":[""]},{"attribute":"ownerRole","op":"in","values":["sales-team"]},{"attribute":"ownerActive","op":"isTrue"}],"hiddenFields":[]}]}`},
		{accessv1.ActionDelete, "deals", `{"branches":[]}`},
		{accessv1.ActionEdit, "Deals", `{"branches":[]}`},
	}
	for _, tc := range tests {
		f := p.Filter(tc.action, tc.typ)
		if got := mustJSON(f); got != tc.want {
			t.Errorf("Filter(%s, %s) =\n%s\nwant\n%s", tc.action, tc.typ, got, tc.want)
		}
	}
	create := check.Compile(&accessv1.EffectivePermissionSpec{Active: true, Objects: []accessv1.ObjectPermission{{Type: "*", Actions: []accessv1.Action{accessv1.ActionCreate}}}})
	if f := create.Filter(accessv1.ActionCreate, "deals"); !f.Everything() || mustJSON(f) != `{"branches":[{"conditions":[],"hiddenFields":[]}]}` {
		t.Errorf("create without view: %s, want everything", mustJSON(f))
	}
}

// TestFilterMatchesFailsClosed: a Condition a Filter does not write (read
// from JSON) holds for no record.
func TestFilterMatchesFailsClosed(t *testing.T) {
	rec := check.Record{Owner: "a@b.example", OwnerRole: "x", OwnerActive: true, Visibility: accessv1.VisibilityPublic, Groups: []string{"x"}}
	for _, c := range []check.Condition{
		{Attribute: "department", Op: check.OpNotIn, Values: []string{"y"}},
		{Attribute: check.AttrOwnerRole, Op: "startsWith", Values: []string{"x"}},
		{Attribute: check.AttrOwnerActive, Op: check.OpIn, Values: []string{"true"}},
		{Attribute: check.AttrGroups, Op: check.OpNotIn, Values: []string{"y"}},
	} {
		f := check.Filter{Branches: []check.Branch{{Conditions: []check.Condition{c}}}}
		if ok, _ := f.Matches(rec); ok {
			t.Errorf("%+v holds", c)
		}
	}
}

func FuzzFilter(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0), "dora@acme.example", "sales", true, "", "sales")
	f.Add(uint64(2), uint8(2), uint8(1), "ſam@acme.example", "", false, "Private", "east,west")
	f.Add(uint64(3), uint8(1), uint8(2), "", "finance", true, "Everyone", "")
	f.Add(uint64(4), uint8(6), uint8(0), "\u212Aim@acme.example", "intern", true, "OwnerAndGroups", "intern")
	f.Fuzz(func(t *testing.T, seed uint64, action, typ uint8, ownerEmail, ownerRole string, ownerActive bool, visibility, groups string) {
		rng := rand.New(rand.NewPCG(seed, 3))
		spec := randomSpec(rng)
		p := check.Compile(spec)
		rec := check.Record{Owner: ownerEmail, OwnerRole: ownerRole, OwnerActive: ownerActive, Visibility: accessv1.Visibility(visibility)}
		if groups != "" {
			rec.Groups = strings.Split(groups, ",")
		}
		a, ty := fActions[int(action)%len(fActions)], fTypes[int(typ)%len(fTypes)]
		if err := agree(p, p.Filter(a, ty), a, ty, rec); err != nil {
			t.Fatalf("%v\nfilter: %s\nspec: %s", err, mustJSON(p.Filter(a, ty)), mustJSON(spec))
		}
	})
}
