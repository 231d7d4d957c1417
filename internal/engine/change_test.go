package engine_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

type spec = accessv1.EffectivePermissionSpec

// ---------------------------------------------------------------- oracle

// The oracle asks pkg/check every question of a fixed vocabulary, which
// holds every value the base specs and the mutations below use and one of
// each kind they never name (an owner, a role, a type, a capability).
var (
	oracleOwners = []string{"", "ann@acme.example", "bob@acme.example", "carl@acme.example", "zed@other.example"}
	oracleRoles  = []string{"", "sales", "support", "junior", "intern", "nowhere"}
	oracleVis    = []accessv1.Visibility{"", accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate, "Bogus"}
	oracleGroups = [][]string{nil, {"sales"}, {"support"}, {"junior"}}
	oracleFields = []string{"", "amount", "margin"}
	oracleTypes  = []string{"deals", "contacts", "tickets", "leads"}
	oracleCaps   = []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning", "reports.access", "users.manage", "custom.thing", "*", "never.named"}
	oracleActs   = []accessv1.Action{accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
		accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll}
)

// functionalAsker is pkg/check's functional question, where it has one
// (asked through an interface so that this test does not depend on it).
type functionalAsker interface {
	Functional(accessv1.Action, string) check.Decision
}

// decisions are every answer pkg/check gives s over the vocabulary.
func decisions(s *spec) []bool {
	p := check.Compile(s)
	var out []bool
	for _, c := range oracleCaps {
		out = append(out, p.Capability(c).Allowed)
	}
	if f, ok := any(p).(functionalAsker); ok {
		for _, t := range oracleTypes {
			for _, a := range oracleActs {
				out = append(out, f.Functional(a, t).Allowed)
			}
		}
	}
	rec := check.Record{}
	for _, t := range oracleTypes {
		rec.Type = t
		for _, o := range oracleOwners {
			rec.Owner = o
			for _, r := range oracleRoles {
				rec.OwnerRole = r
				for _, active := range []bool{true, false} {
					rec.OwnerActive = active
					for _, v := range oracleVis {
						rec.Visibility = v
						for _, g := range oracleGroups {
							rec.Groups = g
							for _, f := range oracleFields {
								rec.Field = f
								for _, a := range oracleActs {
									out = append(out, p.Action(a, rec).Allowed)
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// oracle is the direction pkg/check's answers take from old to new.
func oracle(old, new []bool) engine.Direction {
	widens, narrows := false, false
	for i := range old {
		widens = widens || (new[i] && !old[i])
		narrows = narrows || (old[i] && !new[i])
	}
	switch {
	case widens && narrows:
		return engine.Both
	case widens:
		return engine.Widen
	case narrows:
		return engine.Narrow
	}
	return engine.Neutral
}

// ---------------------------------------------------------------- bases

func grant(scope accessv1.GrantScope, access accessv1.AccessLevel, via string) accessv1.RecordGrant {
	return accessv1.RecordGrant{Scope: scope, Access: access, Via: []string{via}}
}

func acts(as ...accessv1.Action) []accessv1.Action { return as }

// bases are EffectivePermissions in every mode and account role, together
// setting every field of the spec.
func bases() map[string]*spec {
	with := func(g accessv1.RecordGrant, f func(*accessv1.RecordGrant)) accessv1.RecordGrant { f(&g); return g }
	return map[string]*spec{
		"standard-role-hierarchy": {
			Tenant: "acme", User: "ann@acme.example", Active: true, AccountRole: "Standard", Role: "sales", Mode: accessv1.ModeRoleHierarchy,
			Capabilities:      []string{"reports.access"},
			CapabilitySources: []accessv1.CapabilitySource{{Via: "permissionSet: rep", Capabilities: []string{"reports.access"}}},
			Subordinates:      []accessv1.RoleEdge{{Role: "intern", ReportsTo: "junior"}, {Role: "junior", ReportsTo: "sales"}},
			Objects: []accessv1.ObjectPermission{
				{Type: "*", Actions: acts(view), ActionSources: []accessv1.ActionSource{{Via: "permissionSet: ro", Actions: acts(view)}},
					Grants: []accessv1.RecordGrant{grant(accessv1.ScopeOwn, RW, "owner")}},
				{Type: "deals", Actions: acts(create, edit, export, view, viewAll), All: R,
					ActionSources: []accessv1.ActionSource{{Via: "permissionSet: rep", Actions: acts(create, edit, export, view, viewAll)}},
					Grants: []accessv1.RecordGrant{
						grant(accessv1.ScopeAll, R, "viewAll: permissionSet: rep"),
						grant(accessv1.ScopeHierarchy, RW, "hierarchy: below sales"),
						grant(accessv1.ScopeOwn, RW, "owner"),
						with(grant(accessv1.ScopeRole, RW, "sharingRule: s1"), func(g *accessv1.RecordGrant) { g.Role = "support" }),
						with(grant(accessv1.ScopeUser, RW, "sharingRule: s2"), func(g *accessv1.RecordGrant) { g.User = "bob@acme.example" }),
					}},
			},
		},
		"standard-permission-group": {
			Tenant: "acme", User: "ann@acme.example", Active: true, AccountRole: "Standard", Role: "sales", Mode: accessv1.ModePermissionGroup,
			Objects: []accessv1.ObjectPermission{
				{Type: "deals", Actions: acts(create, edit, view),
					ActionSources: []accessv1.ActionSource{{Via: "permissionSet: rep", Actions: acts(create, edit, view)}},
					Visibility:    &accessv1.TypeVisibility{Default: accessv1.VisibilityGroup, Allowed: []accessv1.Visibility{accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPublic}},
					Grants: []accessv1.RecordGrant{
						grant(accessv1.ScopeOwn, RW, "owner"),
						with(grant(accessv1.ScopeVisibility, R, "visibility: Group"), func(g *accessv1.RecordGrant) { g.Visibility = accessv1.VisibilityGroup }),
						with(grant(accessv1.ScopeVisibility, R, "visibility: OwnerAndGroups"), func(g *accessv1.RecordGrant) { g.Visibility = accessv1.VisibilityOwnerAndGroups }),
						with(grant(accessv1.ScopeVisibility, R, "visibility: Public"), func(g *accessv1.RecordGrant) { g.Visibility = accessv1.VisibilityPublic }),
					}},
				{Type: "contacts", Actions: acts(view),
					ActionSources: []accessv1.ActionSource{{Via: "permissionSet: rep", Actions: acts(view)}},
					Visibility:    &accessv1.TypeVisibility{Default: accessv1.VisibilityPrivate},
					Grants: []accessv1.RecordGrant{
						grant(accessv1.ScopeOwn, RW, "owner"),
						with(grant(accessv1.ScopeVisibility, R, "visibility: Public"), func(g *accessv1.RecordGrant) { g.Visibility = accessv1.VisibilityPublic }),
					}},
			},
		},
		"standard-department": {
			Tenant: "acme", User: "ann@acme.example", Active: true, AccountRole: "Standard", Role: "sales", Mode: accessv1.ModeDepartment,
			Objects: []accessv1.ObjectPermission{
				{Type: "deals", Actions: acts(create, edit, view),
					ActionSources: []accessv1.ActionSource{{Via: "permissionSet: rep", Actions: acts(create, edit, view)}},
					Grants: []accessv1.RecordGrant{
						with(grant(accessv1.ScopeDepartment, R, "departmentDefault"), func(g *accessv1.RecordGrant) { g.HiddenFields = []string{"amount"} }),
						with(grant(accessv1.ScopeDepartment, RW, "department: sales"), func(g *accessv1.RecordGrant) { g.Role = "sales" }),
						with(grant(accessv1.ScopeDepartment, R, "departmentRule: support to sales"), func(g *accessv1.RecordGrant) {
							g.Role, g.HiddenFields = "support", []string{"amount", "margin"}
						}),
						with(grant(accessv1.ScopeDepartment, RW, "departmentRule: bob to sales"), func(g *accessv1.RecordGrant) {
							g.User, g.Role = "bob@acme.example", "support"
						}),
						grant(accessv1.ScopeOwn, RW, "owner"),
						with(grant(accessv1.ScopeRole, R, "sharingRule: s1"), func(g *accessv1.RecordGrant) { g.Role = "junior" }),
					}},
			},
		},
		"admin": {
			Tenant: "acme", User: "ann@acme.example", Active: true, AccountRole: "Admin",
			Capabilities:         []string{"*"},
			WithheldCapabilities: []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"},
			CapabilitySources:    []accessv1.CapabilitySource{{Via: "accountRole: Admin", Capabilities: []string{"*"}}},
			Objects: []accessv1.ObjectPermission{{Type: "*", Actions: acts(create, del, edit, export, modifyAll, view, viewAll), All: RW,
				ActionSources: []accessv1.ActionSource{{Via: "accountRole: Admin", Actions: acts(create, del, edit, export, modifyAll, view, viewAll)}},
				Grants:        []accessv1.RecordGrant{grant(accessv1.ScopeAll, RW, "accountRole: Admin")}}},
		},
		"partner-staff": {
			Tenant: "acme", User: "carl@acme.example", Active: true, AccountRole: "PartnerStaff", Partner: "agency",
			Capabilities:         []string{"reports.access", "users.manage"},
			WithheldCapabilities: []string{"payments.instruments"},
			CapabilitySources:    []accessv1.CapabilitySource{{Via: "clientAccess: agency/bob", Capabilities: []string{"reports.access", "users.manage"}}},
			Objects: []accessv1.ObjectPermission{
				{Type: "*", Actions: acts(view), ActionSources: []accessv1.ActionSource{{Via: "clientAccess: agency/bob", Actions: acts(view)}},
					Grants: []accessv1.RecordGrant{grant(accessv1.ScopeOwn, RW, "owner")}},
				{Type: "contacts", Actions: acts(create, edit, view), ActionSources: []accessv1.ActionSource{{Via: "clientAccess: agency/bob", Actions: acts(create, edit, view)}},
					Grants: []accessv1.RecordGrant{grant(accessv1.ScopeOwn, RW, "owner")}},
			},
		},
		"inactive": {Tenant: "acme", User: "ann@acme.example", AccountRole: "Standard", Role: "sales"},
	}
}

// ---------------------------------------------------------------- mutations

// pools are the values a mutation of each field of the spec tries, by the
// field's path. A field of EffectivePermissionSpec without a pool fails
// TestClassifyEveryField: give it one, and teach Classify the field.
var pools = map[string][]string{
	"Tenant":                            {"acme", "initech"},
	"User":                              {"ann@acme.example", "ANN@acme.example", "bob@acme.example"},
	"Active":                            nil, // flipped
	"AccountRole":                       {"SuperAdmin", "Admin", "Standard", "PartnerAdmin"},
	"Role":                              {"", "sales", "support", "junior"},
	"Partner":                           {"", "agency"},
	"Mode":                              {"RoleHierarchy", "PermissionGroup", "Department"},
	"Capabilities":                      {"reports.access", "billing.access", "users.manage", "custom.thing", "*"},
	"WithheldCapabilities":              {"billing.access", "reports.access", "users.manage", "*"},
	"CapabilitySources[].Via":           {"permissionSet: other"},
	"CapabilitySources[].Capabilities":  {"billing.access", "*"},
	"Subordinates[].Role":               {"", "junior", "intern", "support", "sales"},
	"Subordinates[].ReportsTo":          {"sales", "junior", "nowhere"},
	"Objects[].Type":                    {"deals", "contacts", "tickets", "*"},
	"Objects[].Actions":                 {"view", "create", "edit", "delete", "export", "viewAll", "modifyAll", "bogus"},
	"Objects[].ActionSources[].Via":     {"permissionSet: other"},
	"Objects[].ActionSources[].Actions": {"view", "modifyAll"},
	"Objects[].All":                     {"None", "Read", "ReadWrite"},
	"Objects[].Own":                     {"", "None", "Read", "ReadWrite"},
	"Objects[].Visibility":              nil, // nil <-> set
	"Objects[].Visibility.Default":      {"", "Public", "Group", "OwnerAndGroups", "Private", "Bogus"},
	"Objects[].Visibility.Allowed":      {"Public", "Group", "OwnerAndGroups", "Private"},
	"Objects[].Grants[].Scope":          {"All", "Own", "Role", "User", "Hierarchy", "Visibility", "Department", "Bogus"},
	"Objects[].Grants[].Role":           {"", "sales", "support", "junior"},
	"Objects[].Grants[].User":           {"", "ann@acme.example", "bob@acme.example", "carl@acme.example"},
	"Objects[].Grants[].Visibility":     {"", "Public", "Group", "OwnerAndGroups", "Private"},
	"Objects[].Grants[].Access":         {"", "None", "Read", "ReadWrite"},
	"Objects[].Grants[].HiddenFields":   {"amount", "margin"},
	"Objects[].Grants[].Via":            {"other"},
	"CapabilitySources":                 nil, // elements removed
	"Subordinates":                      nil,
	"Objects":                           nil,
	"Objects[].ActionSources":           nil,
	"Objects[].Grants":                  nil,
}

// reports are the kinds of change (AccessChange.What) a change of each field
// must show as.
var reports = map[string][]string{
	"Tenant": {"tenant"}, "User": {"user"}, "Active": {"active"}, "AccountRole": {"accountRole"}, "Role": {"role"},
	"Partner": {"partner"}, "Mode": {"mode"},
	"Capabilities":                      {engine.WhatCapability},
	"WithheldCapabilities":              {"withheldCapabilities"},
	"CapabilitySources[].Via":           {engine.WhatVia},
	"CapabilitySources[].Capabilities":  {engine.WhatVia},
	"Subordinates[].Role":               {engine.WhatSubordinate},
	"Subordinates[].ReportsTo":          {engine.WhatSubordinate},
	"Objects[].Type":                    {engine.WhatAction, engine.WhatRecords},
	"Objects[].Actions":                 {engine.WhatAction},
	"Objects[].ActionSources[].Via":     {engine.WhatVia},
	"Objects[].ActionSources[].Actions": {engine.WhatVia},
	"Objects[].All":                     {engine.WhatAll},
	"Objects[].Own":                     {engine.WhatRecords},
	"Objects[].Visibility":              {engine.WhatVisibility},
	"Objects[].Visibility.Default":      {engine.WhatVisibility},
	"Objects[].Visibility.Allowed":      {engine.WhatVisibility},
	"Objects[].Grants[].Scope":          {engine.WhatRecords},
	"Objects[].Grants[].Role":           {engine.WhatRecords},
	"Objects[].Grants[].User":           {engine.WhatRecords},
	"Objects[].Grants[].Visibility":     {engine.WhatRecords},
	"Objects[].Grants[].Access":         {engine.WhatRecords},
	"Objects[].Grants[].HiddenFields":   {engine.WhatHiddenField},
	"Objects[].Grants[].Via":            {engine.WhatVia},
	"CapabilitySources":                 {engine.WhatVia},
	"Subordinates":                      {engine.WhatSubordinate},
	"Objects":                           {engine.WhatAction, engine.WhatRecords},
	"Objects[].ActionSources":           {engine.WhatVia},
	"Objects[].Grants":                  {engine.WhatRecords},
}

// fieldPaths lists every field of t, recursively: a struct's fields, a
// slice of structs as "Name[]" and its element's fields, a pointer to a
// struct and its fields. Lists of structs and pointers are paths of their
// own (their elements can be removed, the pointer unset).
func fieldPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		p := prefix + f.Name
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, p)
			out = append(out, fieldPaths(ft.Elem(), p+"[].")...)
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			out = append(out, p)
			out = append(out, fieldPaths(ft.Elem(), p+".")...)
		case ft.Kind() == reflect.Struct:
			out = append(out, fieldPaths(ft, p+".")...)
		default:
			out = append(out, p)
		}
	}
	return out
}

type mutation struct {
	path, desc string
	spec       *spec
}

// step is one step from the spec to a field: a struct field, a list
// element or a pointer's target.
type step struct {
	field int // >= 0: struct field; -1: list element idx; -2: pointer target
	idx   int
}

// mutator makes every single-field mutation of base: each field set to each
// value of its pool, each list element removed and each pool value added,
// each bool flipped, each pointer set or unset, each element of a list of
// structs removed.
type mutator struct {
	t    *testing.T
	base *spec
	out  []mutation
}

func mutate(t *testing.T, base *spec) []mutation {
	m := &mutator{t: t, base: base}
	m.fields(reflect.ValueOf(base).Elem(), "", nil)
	return m.out
}

// at returns a fresh copy of the base and the value at steps in it.
func (m *mutator) at(steps []step) (*spec, reflect.Value) {
	c := m.base.DeepCopy()
	v := reflect.ValueOf(c).Elem()
	for _, s := range steps {
		switch s.field {
		case -1:
			v = v.Index(s.idx)
		case -2:
			v = v.Elem()
		default:
			v = v.Field(s.field)
		}
	}
	return c, v
}

func (m *mutator) add(path, desc string, steps []step, f func(reflect.Value)) {
	c, v := m.at(steps)
	f(v)
	m.out = append(m.out, mutation{path: path, desc: desc, spec: c})
}

func (m *mutator) fields(v reflect.Value, prefix string, steps []step) {
	for i := range v.NumField() {
		m.walk(v.Field(i), prefix+v.Type().Field(i).Name, append(slices.Clip(steps), step{field: i}))
	}
}

func without(x reflect.Value, i int) reflect.Value {
	out := reflect.MakeSlice(x.Type(), 0, x.Len()-1)
	out = reflect.AppendSlice(out, x.Slice(0, i))
	return reflect.AppendSlice(out, x.Slice(i+1, x.Len()))
}

func (m *mutator) walk(v reflect.Value, path string, steps []step) {
	pool, ok := pools[path]
	if !ok {
		m.t.Errorf("field %s of EffectivePermissionSpec has no mutation pool: add one (and its report kinds) here, and teach engine.Classify the field", path)
		return
	}
	steps = slices.Clip(steps)
	switch {
	case v.Kind() == reflect.Bool:
		m.add(path, "flip", steps, func(x reflect.Value) { x.SetBool(!x.Bool()) })
	case v.Kind() == reflect.String:
		for _, p := range pool {
			if p != v.String() {
				m.add(path, fmt.Sprintf("%q", p), steps, func(x reflect.Value) { x.SetString(p) })
			}
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var have []string
		for i := range v.Len() {
			have = append(have, v.Index(i).String())
			m.add(path, fmt.Sprintf("remove %q", v.Index(i).String()), steps, func(x reflect.Value) { x.Set(without(x, i)) })
		}
		for _, p := range pool {
			if !slices.Contains(have, p) {
				m.add(path, fmt.Sprintf("add %q", p), steps, func(x reflect.Value) {
					x.Set(reflect.Append(x, reflect.ValueOf(p).Convert(x.Type().Elem())))
				})
			}
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		for i := range v.Len() {
			m.add(path, fmt.Sprintf("remove [%d]", i), steps, func(x reflect.Value) { x.Set(without(x, i)) })
			m.fields(v.Index(i), path+"[].", append(steps, step{field: -1, idx: i}))
		}
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
		if v.IsNil() {
			m.add(path, "set", steps, func(x reflect.Value) { x.Set(reflect.New(x.Type().Elem())) })
			return
		}
		m.add(path, "unset", steps, func(x reflect.Value) { x.Set(reflect.Zero(x.Type())) })
		m.fields(v.Elem(), path+".", append(steps, step{field: -2}))
	default:
		m.t.Errorf("field %s: kind %s is not mutated: teach this test", path, v.Kind())
	}
}

// TestClassifyEveryField drives every field of EffectivePermissionSpec
// (found by reflection, so a field added later fails here until Classify
// and this test know it) through Classify: each single-field mutation of
// each base, both ways, must get exactly the direction pkg/check's answers
// take (a question denied before and allowed after: Widen; the reverse:
// Narrow), and each field must show as its kind of change.
func TestClassifyEveryField(t *testing.T) {
	paths := fieldPaths(reflect.TypeFor[spec](), "")
	for _, p := range paths {
		if _, ok := reports[p]; !ok {
			t.Errorf("field %s of EffectivePermissionSpec has no report kinds: teach engine.Classify the field, then list here what it reports", p)
		}
	}
	var mu sync.Mutex
	reported := map[string]bool{}
	count := 0
	t.Run("bases", func(t *testing.T) {
		for name, base := range bases() {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				before := decisions(base)
				ms := mutate(t, base)
				mu.Lock()
				count += 2 * len(ms)
				mu.Unlock()
				for _, m := range ms {
					after := decisions(m.spec)
					for _, way := range []struct {
						name     string
						old, new *spec
						want     engine.Direction
					}{{"forth", base, m.spec, oracle(before, after)}, {"back", m.spec, base, oracle(after, before)}} {
						got := engine.Classify(way.old, way.new)
						if d := got.Direction(); d != way.want {
							t.Errorf("%s %s (%s): Classify says %s, pkg/check's answers %s; changes:\n%s", m.path, m.desc, way.name, d, way.want, describe(got))
						}
						if d := engine.ClassifyDirection(way.old, way.new); d != way.want {
							t.Errorf("%s %s (%s): ClassifyDirection says %s, pkg/check's answers %s", m.path, m.desc, way.name, d, way.want)
						}
						for _, c := range got {
							if c.Op != map[engine.Direction]engine.Op{engine.Widen: engine.Gained, engine.Narrow: engine.Lost}[c.Direction] && (c.Op != engine.Changed || (c.Direction != engine.Neutral && c.Direction != engine.Both)) {
								t.Errorf("%s %s: change %+v: op does not match its direction", m.path, m.desc, c)
							}
							if slices.Contains(reports[m.path], c.What) {
								mu.Lock()
								reported[m.path] = true
								mu.Unlock()
							}
						}
					}
				}
			})
		}
	})
	for _, p := range paths {
		if !reported[p] {
			t.Errorf("no mutation of %s showed as %v: Classify does not report the field", p, reports[p])
		}
	}
	t.Logf("%d fields, %d classifications checked against pkg/check", len(paths), count)
}

func describe(cs engine.AccessChanges) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s %s %s %s %s: %q → %q (%s)\n", c.Op, c.What, c.Type, c.Item, c.Direction, c.From, c.To, strings.Join(c.Via, "; "))
	}
	return b.String()
}

// computed returns the EffectivePermission of user in acme.
func computed(t *testing.T, user string, objs ...any) *spec {
	t.Helper()
	res := et.Compute(objs...)
	eps := et.EPsOf(res, "acme", user)
	if len(eps) != 1 {
		t.Fatalf("%d EffectivePermissions of %s:\n%s", len(eps), user, et.DescribeFindings(res))
	}
	return &eps[0].Spec
}

// TestClassifyAccountRoles: an Admin made SuperAdmin gains the four
// capabilities an Admin does not hold (a review gate missed it: they are
// withheld from "*", not listed); the demotion loses them.
func TestClassifyAccountRoles(t *testing.T) {
	world := []any{et.MakeTenant("acme"), et.MakeMember("acme", "carol").SuperAdmin()}
	admin := computed(t, et.Email("acme", "ann"), world, et.MakeMember("acme", "ann").Admin())
	super := computed(t, et.Email("acme", "ann"), world, et.MakeMember("acme", "ann").SuperAdmin())
	four := []string{"billing.access", "datacenter.migration", "payments.instruments", "scim.provisioning"}

	up := engine.Classify(admin, super)
	if d := up.Direction(); d != engine.Widen {
		t.Errorf("Admin → SuperAdmin: %s, want widen; changes:\n%s", d, describe(up))
	}
	down := engine.Classify(super, admin)
	if d := down.Direction(); d != engine.Narrow {
		t.Errorf("SuperAdmin → Admin: %s, want narrow; changes:\n%s", d, describe(down))
	}
	for _, tc := range []struct {
		cs engine.AccessChanges
		op engine.Op
	}{{up, engine.Gained}, {down, engine.Lost}} {
		var got []string
		for _, c := range tc.cs {
			if c.What == engine.WhatCapability {
				if c.Op != tc.op || len(c.Via) == 0 {
					t.Errorf("capability change %+v: want op %s with its via", c, tc.op)
				}
				got = append(got, c.Item)
			}
		}
		if !slices.Equal(got, four) {
			t.Errorf("capability changes %v, want %v", got, four)
		}
	}
	if d := engine.ClassifyDirection(admin, super); d != engine.Widen {
		t.Errorf("ClassifyDirection(Admin → SuperAdmin) = %s", d)
	}

	// A Standard member made Admin widens; deactivating anyone narrows; no
	// EffectivePermission (nil) grants nothing.
	std := computed(t, et.Email("acme", "ann"), world, et.MakeMember("acme", "ann").Role("ceo"))
	off := computed(t, et.Email("acme", "ann"), world, et.MakeMember("acme", "ann").Admin().Inactive())
	for _, tc := range []struct {
		name     string
		old, new *spec
		want     engine.Direction
	}{
		{"Standard → Admin", std, admin, engine.Widen},
		{"Admin deactivated", admin, off, engine.Narrow},
		{"SuperAdmin deactivated", super, off, engine.Narrow},
		{"reactivated", off, admin, engine.Widen},
		{"created", nil, admin, engine.Widen},
		{"deleted", super, nil, engine.Narrow},
		{"an inactive one deleted", off, nil, engine.Neutral},
		{"unchanged", admin, admin, engine.Neutral},
	} {
		if d := engine.Classify(tc.old, tc.new).Direction(); d != tc.want {
			t.Errorf("%s: %s, want %s; changes:\n%s", tc.name, d, tc.want, describe(engine.Classify(tc.old, tc.new)))
		}
	}
}

// TestClassifyCases: the changes whose direction is not what their sign
// suggests, each decided by what pkg/check allows.
func TestClassifyCases(t *testing.T) {
	b := bases()
	change := func(name string, f func(*spec)) *spec {
		s := b[name].DeepCopy()
		f(s)
		return s
	}
	deals := func(s *spec) *accessv1.ObjectPermission {
		for i := range s.Objects {
			if s.Objects[i].Type == "deals" {
				return &s.Objects[i]
			}
		}
		t.Fatal("no deals")
		return nil
	}
	type want struct {
		what, item string
		dir        engine.Direction
	}
	for _, tc := range []struct {
		name     string
		old, new *spec
		want     []want // the changes, in order (informational via changes left out)
	}{
		{"a withheld capability released widens", b["admin"], change("admin", func(s *spec) { s.WithheldCapabilities = s.WithheldCapabilities[1:] }),
			[]want{{"withheldCapabilities", "withheldCapabilities", engine.Neutral}, {engine.WhatCapability, "billing.access", engine.Widen}}},
		{"a field hidden on a department grant narrows", b["standard-department"], change("standard-department", func(s *spec) {
			deals(s).Grants[1].HiddenFields = []string{"margin"}
		}), []want{{engine.WhatHiddenField, "Department sales field margin", engine.Narrow}}},
		{"a more specific department grant with less access narrows", b["standard-department"], change("standard-department", func(s *spec) {
			d := deals(s)
			d.Grants = append(d.Grants, accessv1.RecordGrant{Scope: accessv1.ScopeDepartment, User: "carl@acme.example", Role: "sales", Access: R, Via: []string{"departmentRule: carl"}})
		}), []want{{engine.WhatRecords, "Department sales carl@acme.example", engine.Narrow}}},
		{"a department grant raised over no other path widens", b["standard-department"], change("standard-department", func(s *spec) {
			deals(s).Grants[2].Access = RW // support: Read hiding amount, margin → ReadWrite
		}), []want{{engine.WhatRecords, "Department support", engine.Widen}}},
		{"a department grant raised over another path widens and hides", change("standard-department", func(s *spec) {
			d := deals(s)
			d.Grants = append(d.Grants, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: "support", Access: R, Via: []string{"sharingRule: s3"}})
		}), change("standard-department", func(s *spec) {
			d := deals(s)
			d.Grants = append(d.Grants, accessv1.RecordGrant{Scope: accessv1.ScopeRole, Role: "support", Access: R, Via: []string{"sharingRule: s3"}})
			d.Grants[2].Access = RW // now above the sharing rule's Read, so its hidden fields hide
		}), []want{{engine.WhatRecords, "Department support", engine.Both}}},
		{"losing view with a hidden field lets create ask about it", b["standard-department"], change("standard-department", func(s *spec) {
			d := deals(s)
			d.Actions, d.Grants = acts(create, edit), nil
			// Each lost grant alone: the default's records lose Read but may
			// now be asked about amount on create; support's fall to the
			// default, which hides less.
		}), []want{{engine.WhatAction, "view", engine.Both}, {engine.WhatRecords, "Department", engine.Both}, {engine.WhatRecords, "Department sales", engine.Narrow},
			{engine.WhatRecords, "Department support", engine.Widen}, {engine.WhatRecords, "Department support bob@acme.example", engine.Narrow},
			{engine.WhatRecords, "Own", engine.Narrow}, {engine.WhatRecords, "Role junior", engine.Narrow}}},
		{"a visibility default to Private narrows", b["standard-permission-group"], change("standard-permission-group", func(s *spec) {
			deals(s).Visibility.Default = accessv1.VisibilityPrivate
		}), []want{{engine.WhatVisibility, "visibility", engine.Narrow}}},
		{"a visibility default to Public widens", b["standard-permission-group"], change("standard-permission-group", func(s *spec) {
			deals(s).Visibility.Default = accessv1.VisibilityPublic
		}), []want{{engine.WhatVisibility, "visibility", engine.Widen}}},
		{"another permission group both widens and narrows", b["standard-permission-group"], change("standard-permission-group", func(s *spec) { s.Role = "support" }),
			[]want{{"role", "role", engine.Both}}},
		{"a subordinate moved within reach changes nothing", b["standard-role-hierarchy"], change("standard-role-hierarchy", func(s *spec) {
			s.Subordinates[0].ReportsTo = "sales"
		}), []want{{engine.WhatSubordinate, "intern", engine.Neutral}}},
		{"a grant another path covers changes nothing", b["standard-role-hierarchy"], change("standard-role-hierarchy", func(s *spec) {
			d := deals(s)
			d.Grants = slices.DeleteFunc(d.Grants, func(g accessv1.RecordGrant) bool { return g.Scope == accessv1.ScopeUser })
			d.Grants = append(d.Grants, accessv1.RecordGrant{Scope: accessv1.ScopeUser, User: "ann@acme.example", Access: R, Via: []string{"x"}})
		}), []want{{engine.WhatRecords, "User ann@acme.example", engine.Neutral}, {engine.WhatRecords, "User bob@acme.example", engine.Narrow}}},
		{"an entry dropped for the \"*\" entry loses only what \"*\" lacks", b["partner-staff"], change("partner-staff", func(s *spec) {
			s.Objects = s.Objects[:1]
		}), []want{{engine.WhatAction, "create", engine.Narrow}, {engine.WhatAction, "edit", engine.Narrow}}},
		{"an e-mail's case changes nothing", b["standard-role-hierarchy"], change("standard-role-hierarchy", func(s *spec) { s.User = "ANN@acme.example" }),
			[]want{{"user", "user", engine.Neutral}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := engine.Classify(tc.old, tc.new)
			var got []want
			for _, c := range cs {
				if c.What != engine.WhatVia {
					got = append(got, want{c.What, c.Item, c.Direction})
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("changes:\n%s want %v", describe(cs), tc.want)
			}
			if w := oracle(decisions(tc.old), decisions(tc.new)); cs.Direction() != w {
				t.Errorf("direction %s, pkg/check's answers %s", cs.Direction(), w)
			}
		})
	}
}
