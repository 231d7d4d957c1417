package sqlfilter_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
	"github.com/tenancy-dev/access-controller/pkg/check/sqlfilter"
)

func in(a check.Attribute, vs ...string) check.Condition {
	return check.Condition{Attribute: a, Op: check.OpIn, Values: vs}
}

func notIn(a check.Attribute, vs ...string) check.Condition {
	return check.Condition{Attribute: a, Op: check.OpNotIn, Values: vs}
}

var active = check.Condition{Attribute: check.AttrOwnerActive, Op: check.OpIsTrue}

func groups(vs ...string) check.Condition {
	return check.Condition{Attribute: check.AttrGroups, Op: check.OpContainsAny, Values: vs}
}

func branch(hidden []string, cs ...check.Condition) check.Branch {
	return check.Branch{Conditions: cs, HiddenFields: hidden}
}

func filter(bs ...check.Branch) check.Filter { return check.Filter{Branches: bs} }

// plainCols are short column names for readable expectations.
var plainCols = sqlfilter.Columns{OwnerKey: "ok", OwnerRole: "r", OwnerActive: "a", Visibility: "v",
	Groups: sqlfilter.GroupTable("g", "rid", "grp", "t.id")}

// TestWhere pins the SQL of each condition and of their combinations: NULL
// reads as "" (so an in with "" also takes NULL, a notIn without "" too),
// owners are compared by OwnerKey, values are parameters.
func TestWhere(t *testing.T) {
	noGroups := plainCols
	noGroups.Groups = nil
	noVis := plainCols
	noVis.Visibility = ""
	dollar := plainCols
	dollar.Placeholder = sqlfilter.Dollar(3)
	tests := []struct {
		name     string
		f        check.Filter
		cols     sqlfilter.Columns
		want     string
		wantArgs []any
	}{
		{"nothing", filter(), plainCols, "1=0", []any{}},
		{"nil branches", check.Filter{}, plainCols, "1=0", []any{}},
		{"everything", filter(branch(nil)), plainCols, "1=1", []any{}},
		{"everything beside others", filter(branch(nil, in(check.AttrOwnerRole, "x")), branch([]string{"salary"})), plainCols, "1=1", []any{}},
		{"in", filter(branch(nil, in(check.AttrOwnerRole, "sales", "east"))), plainCols, "r IN (?, ?)", []any{"sales", "east"}},
		{"in with empty", filter(branch(nil, in(check.AttrVisibility, "", "Public"))), plainCols, "(v IS NULL OR v IN (?, ?))", []any{"", "Public"}},
		{"notIn", filter(branch(nil, notIn(check.AttrOwnerRole, "intern"))), plainCols, "(r IS NULL OR r NOT IN (?))", []any{"intern"}},
		{"notIn with empty", filter(branch(nil, notIn(check.AttrOwner, "", "erin@acme.example"))), plainCols, "ok NOT IN (?, ?)", []any{"", "erin@acme.example"}},
		{"owner values are keyed", filter(branch(nil, in(check.AttrOwner, "Dora@ACME.example", "\u212Aim@acme.example", "ſam@acme.example"))), plainCols,
			"ok IN (?, ?, ?)", []any{"dora@acme.example", "kim@acme.example", "sam@acme.example"}},
		{"isTrue", filter(branch(nil, active)), plainCols, "a = ?", []any{true}},
		{"containsAny", filter(branch(nil, groups("east", "west"))), plainCols,
			"EXISTS (SELECT 1 FROM g WHERE g.rid = t.id AND g.grp IN (?, ?))", []any{"east", "west"}},
		{"a member's branch", filter(branch(nil, notIn(check.AttrOwner, ""), in(check.AttrOwnerRole, "sales"), active)), plainCols,
			"(ok NOT IN (?) AND r IN (?) AND a = ?)", []any{"", "sales", true}},
		{"two branches", filter(branch(nil, in(check.AttrOwner, "dora@acme.example")), branch(nil, in(check.AttrOwnerRole, "sales"), active)), plainCols,
			"(ok IN (?) OR (r IN (?) AND a = ?))", []any{"dora@acme.example", "sales", true}},
		{"dollar placeholders", filter(branch(nil, in(check.AttrOwner, "dora@acme.example")), branch(nil, in(check.AttrOwnerRole, "sales"), active)), dollar,
			"(ok IN ($3) OR (r IN ($4) AND a = $5))", []any{"dora@acme.example", "sales", true}},
		// Fail closed: what Matches holds for no record.
		{"unknown attribute", filter(branch(nil, notIn("department", "x")), branch(nil, in(check.AttrOwnerRole, "x"))), plainCols, "r IN (?)", []any{"x"}},
		{"unknown op", filter(branch(nil, check.Condition{Attribute: check.AttrOwnerRole, Op: "startsWith", Values: []string{"x"}})), plainCols, "1=0", []any{}},
		{"isTrue on a string", filter(branch(nil, check.Condition{Attribute: check.AttrOwnerRole, Op: check.OpIsTrue})), plainCols, "1=0", []any{}},
		{"in on ownerActive", filter(branch(nil, in(check.AttrOwnerActive, "true"))), plainCols, "1=0", []any{}},
		{"notIn on groups", filter(branch(nil, notIn(check.AttrGroups, "x"))), plainCols, "1=0", []any{}},
		{"in nothing", filter(branch(nil, in(check.AttrOwnerRole))), plainCols, "1=0", []any{}},
		{"notIn nothing", filter(branch(nil, notIn(check.AttrOwnerRole))), plainCols, "1=1", []any{}},
		{"containsAny nothing", filter(branch(nil, groups())), plainCols, "1=0", []any{}},
		// A column the table lacks reads as the zero record's.
		{"no groups column", filter(branch(nil, groups("east")), branch(nil, in(check.AttrOwnerRole, "x"))), noGroups, "r IN (?)", []any{"x"}},
		{"no visibility column: notIn holds", filter(branch(nil, in(check.AttrOwnerRole, "x"), notIn(check.AttrVisibility, "Private"))), noVis, "r IN (?)", []any{"x"}},
		{"no visibility column: in fails", filter(branch(nil, in(check.AttrOwnerRole, "x"), in(check.AttrVisibility, "Private"))), noVis, "1=0", []any{}},
		{"no visibility column: in empty holds", filter(branch(nil, in(check.AttrVisibility, "", "Public"))), noVis, "1=1", []any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, args := sqlfilter.Where(tc.f, tc.cols)
			if got != tc.want {
				t.Errorf("Where =\n%s\nwant\n%s", got, tc.want)
			}
			if diff := cmp.Diff(tc.wantArgs, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

// TestShownAndFields: a field is shown where a branch that does not hide it
// matches; Fields lists what some branch hides.
func TestShownAndFields(t *testing.T) {
	f := filter(
		branch([]string{"salary"}, in(check.AttrOwnerRole, "finance")),
		branch([]string{"phone", "salary"}, in(check.AttrOwnerRole, "sales")),
		branch(nil, in(check.AttrOwner, "dora@acme.example")),
	)
	tests := []struct {
		field, want string
		wantArgs    []any
	}{
		{"salary", "ok IN (?)", []any{"dora@acme.example"}},
		{"phone", "(r IN (?) OR ok IN (?))", []any{"finance", "dora@acme.example"}},
		{"name", "(r IN (?) OR r IN (?) OR ok IN (?))", []any{"finance", "sales", "dora@acme.example"}},
	}
	for _, tc := range tests {
		got, args := sqlfilter.Shown(f, tc.field, plainCols)
		if got != tc.want || !slices.Equal(args, tc.wantArgs) {
			t.Errorf("Shown(%s) = %s %v, want %s %v", tc.field, got, args, tc.want, tc.wantArgs)
		}
	}
	if w, _ := sqlfilter.Where(f, plainCols); w != "(r IN (?) OR r IN (?) OR ok IN (?))" {
		t.Errorf("Where = %s", w)
	}
	if got := sqlfilter.Fields(f); !slices.Equal(got, []string{"phone", "salary"}) {
		t.Errorf("Fields = %q", got)
	}
	all := filter(branch([]string{"salary"}, in(check.AttrOwnerRole, "x")), branch([]string{"salary"}))
	if got, _ := sqlfilter.Shown(all, "salary", plainCols); got != "1=0" {
		t.Errorf("Shown of a field every branch hides = %s, want 1=0", got)
	}
	if got := sqlfilter.Fields(filter(branch(nil))); len(got) != 0 {
		t.Errorf("Fields(everything) = %q", got)
	}
}

// hostile are values an attacker may put in an e-mail, a role name, a
// visibility or a group: quotes, comments, statement ends, placeholders,
// NUL, LIKE and JSON metacharacters, and spellings that fold.
var hostile = []string{
	"", "x' OR '1'='1", "' OR 1=1 --", "'); DROP TABLE deals; --", `"); DELETE FROM deals; --`, "?", "?1", "$1", ":name", "@p1",
	"%", "_", "\\", "\x00", "a\x00b", "\n", "/* c */", "[\"east\"]", "\",\"", "NULL", "null", "1=1", "\xff", "\u212A", "ſ",
	"robert'); DROP TABLE deal_groups;--@acme.example", "O'Brien@acme.example", "o'brien@ACME.example",
}

// TestHostileValues: values never reach the SQL text (the clause is the
// same whatever the values, only whether each is "" shows), and SQLite
// decides rows holding them exactly as Matches does.
func TestHostileValues(t *testing.T) {
	db := openDB(t)
	var rows []row
	for i, v := range hostile {
		rows = append(rows,
			row{rec: check.Record{Owner: v, OwnerRole: v, OwnerActive: i%2 == 0, Visibility: accessv1.Visibility(v), Groups: []string{v}}},
			row{rec: check.Record{Owner: strings.ToUpper(v), OwnerRole: hostile[(i+1)%len(hostile)], OwnerActive: true}, null: true})
	}
	insert(t, db, rows)
	checked := 0
	for _, v := range hostile {
		for _, w := range hostile {
			f := filter(
				branch([]string{w}, in(check.AttrOwner, v, w)),
				branch(nil, notIn(check.AttrOwnerRole, v), in(check.AttrVisibility, w), active),
				branch([]string{"salary"}, groups(v, w)),
			)
			for k, cols := range []sqlfilter.Columns{joinCols, jsonCols} {
				sqlText, args := sqlfilter.Where(f, cols)
				if blank, _ := sqlfilter.Where(blankValues(f), cols); blank != sqlText {
					t.Fatalf("values %q, %q changed the SQL:\n%s\n%s", v, w, sqlText, blank)
				}
				if len(args) != 7 {
					t.Fatalf("values %q, %q: %d args, want 7: %q", v, w, len(args), args)
				}
				got, q, err := list(db, f, cols, []string{w, "salary"}, false)
				if err != nil {
					t.Fatal(err)
				}
				if d := diffListing(got, matches(f, stored(rows, k == 1), []string{w, "salary"})); d != "" {
					t.Fatalf("values %q, %q: %s\n%s", v, w, d, q)
				}
				checked++
			}
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM deals").Scan(&n); err != nil || n != len(rows) {
		t.Fatalf("the table holds %d rows (%v), want %d", n, err, len(rows))
	}
	t.Logf("%d filters of hostile values over %d rows", checked, len(rows))
}

// stored is rows as the table holds them: in the JSON column (json), the
// groups json.Marshal writes, which spell bytes that are not UTF-8 with
// U+FFFD.
func stored(rows []row, json bool) []row {
	if !json {
		return rows
	}
	out := slices.Clone(rows)
	for i := range out {
		out[i].rec.Groups = jsonRoundTrip(out[i].rec.Groups)
	}
	return out
}

func jsonRoundTrip(gs []string) []string {
	data, err := json.Marshal(gs)
	if err != nil {
		panic(err)
	}
	var out []string
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// blankValues replaces every value of f by "v", keeping "" as "".
func blankValues(f check.Filter) check.Filter {
	var out check.Filter
	for _, b := range f.Branches {
		nb := check.Branch{HiddenFields: b.HiddenFields}
		for _, c := range b.Conditions {
			vs := make([]string, len(c.Values))
			for i, v := range c.Values {
				if v != "" {
					vs[i] = "v"
				}
			}
			nb.Conditions = append(nb.Conditions, check.Condition{Attribute: c.Attribute, Op: c.Op, Values: vs})
		}
		out.Branches = append(out.Branches, nb)
	}
	return out
}

// matches is the listing Matches gives for rows, hidden fields among
// fields.
func matches(f check.Filter, rows []row, fields []string) listing {
	out := listing{}
	for i, r := range rows {
		ok, hidden := f.Matches(r.rec)
		if !ok {
			continue
		}
		h := []string{}
		for _, field := range fields {
			if slices.Contains(hidden, field) && !slices.Contains(h, field) {
				h = append(h, field)
			}
		}
		out[i+1] = h
	}
	return out
}

// FuzzWhere: random filters over a small domain plus fuzzed strings, on a
// row of fuzzed attributes stored with NULLs or not: SQLite returns the
// row exactly when Matches allows it, hiding exactly what it hides.
func FuzzWhere(f *testing.F) {
	f.Add(uint64(1), "dora@acme.example", "sales", true, "Public", "east", false, "x' OR '1'='1")
	f.Add(uint64(2), "", "", false, "", "", true, "")
	f.Add(uint64(3), "\u212Aim@acme.example", "finance", true, "OwnerAndGroups", "finance", true, "kim@acme.example")
	f.Add(uint64(4), "ſam@acme.example", "'); DROP TABLE deals; --", false, "Private", "\x00", false, "SAM@acme.example")
	db := openDB(f)
	f.Fuzz(func(t *testing.T, seed uint64, owner, role string, active bool, vis, group string, null bool, value string) {
		if _, err := db.Exec("DELETE FROM deal_groups; DELETE FROM deals"); err != nil {
			t.Fatal(err)
		}
		rec := check.Record{Owner: owner, OwnerRole: role, OwnerActive: active, Visibility: accessv1.Visibility(vis)}
		if group != "" {
			rec.Groups = strings.Split(group, ",")
		}
		rows := []row{{rec: rec, null: null}}
		insert(t, db, rows)
		fl := randomFilter(seed, []string{owner, role, vis, group, value, strings.ToUpper(owner)})
		for k, cols := range []sqlfilter.Columns{joinCols, jsonCols} {
			got, q, err := list(db, fl, cols, []string{"salary", "phone"}, seed%2 == 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffListing(got, matches(fl, stored(rows, k == 1), []string{"salary", "phone"})); d != "" {
				fj, _ := json.Marshal(fl)
				t.Fatalf("%s\nrecord %+v (NULLs %v)\nfilter %s\n%s", d, rec, null, fj, q)
			}
		}
	})
}

// randomFilter draws a filter of up to three branches whose conditions take
// their values from extra and a small domain, with unknown attributes and
// ops now and then.
func randomFilter(seed uint64, extra []string) check.Filter {
	state := seed
	next := func(n int) int { // splitmix64: the fuzzer gives the seed
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return int((z ^ (z >> 31)) % uint64(n))
	}
	domain := append([]string{"", "dora@acme.example", "sales", "Public", "east"}, extra...)
	values := func() []string {
		var vs []string
		for range next(4) {
			vs = append(vs, domain[next(len(domain))])
		}
		return vs
	}
	attrs := []check.Attribute{check.AttrOwner, check.AttrOwnerRole, check.AttrVisibility, check.AttrOwnerActive, check.AttrGroups, "department"}
	ops := []check.Op{check.OpIn, check.OpNotIn, check.OpIsTrue, check.OpContainsAny, "startsWith"}
	fields := []string{"salary", "phone", ""}
	var fl check.Filter
	for range next(4) {
		var b check.Branch
		for range next(4) {
			a := attrs[next(len(attrs))]
			op := ops[next(len(ops))]
			if next(4) > 0 { // mostly well-formed
				switch a {
				case check.AttrOwnerActive:
					op = check.OpIsTrue
				case check.AttrGroups:
					op = check.OpContainsAny
				default:
					op = ops[next(2)]
				}
			}
			b.Conditions = append(b.Conditions, check.Condition{Attribute: a, Op: op, Values: values()})
		}
		for range next(3) {
			b.HiddenFields = append(b.HiddenFields, fields[next(len(fields))])
		}
		fl.Branches = append(fl.Branches, b)
	}
	return fl
}

// TestRealFilters: the filters pkg/check writes for dora's Department EP
// (hidden fields, user grants) and sam's (his own deals, his role's), over
// records of every shape, in SQLite: with the stored OwnerKey, and with
// lower(owner) on the rows whose owner is ASCII.
func TestRealFilters(t *testing.T) {
	var rows []row
	owners := []string{"", "dora@acme.example", "DORA@acme.example", "erin@acme.example", "mallory@acme.example", "sam@acme.example",
		"ſam@acme.example", "SAM@acme.example", "\u212Aim@acme.example", "kim@acme.example", "stranger@else.example"}
	roles := []string{"", "sales", "sales-team", "finance", "marketing", "east"}
	for i, o := range owners {
		for j, r := range roles {
			for _, v := range statedVisibilities {
				for _, a := range []bool{true, false} {
					rows = append(rows, row{rec: check.Record{Owner: o, OwnerRole: r, OwnerActive: a, Visibility: v, Groups: roles[:j%4]}, null: (i+j)%2 == 0})
				}
			}
		}
	}
	var ascii []row
	for _, r := range rows {
		if !strings.ContainsFunc(r.rec.Owner, func(c rune) bool { return c > unicode.MaxASCII }) {
			ascii = append(ascii, r)
		}
	}
	lower := joinCols
	lower.OwnerKey = "lower(owner)"
	fields := []string{"email", "phone", "salary"}
	allowed := 0
	for _, tc := range []struct {
		rows []row
		cols sqlfilter.Columns
	}{{rows, joinCols}, {ascii, lower}} {
		db := openDB(t)
		insert(t, db, tc.rows)
		for _, spec := range []*accessv1.EffectivePermissionSpec{departmentSpec(), samSpec()} {
			p := check.Compile(spec)
			for _, action := range tenantActions {
				f := p.Filter(action, "deals")
				got, q, err := list(db, f, tc.cols, fields, false)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := expectFields(p, action, "deals", tc.rows, fields)
				if d := diffListing(got, want); d != "" {
					t.Fatalf("%s %s, owner key %s: %s\n%s", spec.User, action, tc.cols.OwnerKey, d, q)
				}
				allowed += len(want)
			}
		}
	}
	if allowed == 0 {
		t.Fatal("no record allowed")
	}
}

// expectFields is expect over the given fields.
func expectFields(p *check.Permissions, action accessv1.Action, typ string, rows []row, fields []string) (listing, int) {
	want := listing{}
	for i := range rows {
		rec := rows[i].rec
		rec.Type = typ
		if !p.Action(action, rec).Allowed {
			continue
		}
		hidden := []string{}
		for _, field := range fields {
			rec.Field = field
			if !p.Action(action, rec).Allowed {
				hidden = append(hidden, field)
			}
		}
		want[i+1] = hidden
	}
	return want, len(rows)
}

// departmentSpec is dora's EP in a Department tenant, pkg/check's
// departmentSpec (check_test.go), whose filter docs/effectivepermission.md
// shows: finance's deals with salary hidden, marketing's with phone and
// email hidden, sales', erin's by a user grant, mallory's not at all, her
// own, and finance's and marketing's shared for reading.
func departmentSpec() *accessv1.EffectivePermissionSpec {
	r, rw, none := accessv1.AccessRead, accessv1.AccessReadWrite, accessv1.AccessNone
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "dora@acme.example", Active: true, Role: "sales", Mode: accessv1.ModeDepartment,
		Objects: []accessv1.ObjectPermission{
			{Type: "deals", Actions: []accessv1.Action{accessv1.ActionEdit, accessv1.ActionView},
				Grants: []accessv1.RecordGrant{
					{Scope: accessv1.ScopeDepartment, Access: r, Via: []string{"departmentDefault"}},
					{Scope: accessv1.ScopeDepartment, Role: "finance", Access: rw, HiddenFields: []string{"salary"}, Via: []string{"departmentRule: 1"}},
					{Scope: accessv1.ScopeDepartment, Role: "marketing", Access: r, HiddenFields: []string{"phone", "email"}, Via: []string{"departmentRule: 0"}},
					{Scope: accessv1.ScopeDepartment, Role: "sales", Access: rw, Via: []string{"department: same (sales)"}},
					{Scope: accessv1.ScopeDepartment, User: "erin@acme.example", Access: rw, Via: []string{"departmentRule: 3"}},
					{Scope: accessv1.ScopeDepartment, User: "mallory@acme.example", Access: none, Via: []string{"departmentRule: 2"}},
					{Scope: accessv1.ScopeOwn, Access: rw, Via: []string{"owner"}},
					{Scope: accessv1.ScopeRole, Role: "finance", Access: r, Via: []string{"sharingRule: finance-deals"}},
					{Scope: accessv1.ScopeRole, Role: "marketing", Access: r, Via: []string{"sharingRule: marketing-deals"}},
				}},
		},
	}
}

// Example lists the deals sam may edit: his own and those of his role's
// active members.
func Example() {
	f := check.Compile(samSpec()).Filter(accessv1.ActionEdit, "deals")
	where, args := sqlfilter.Where(f, sqlfilter.Columns{
		OwnerKey: "owner_key", OwnerRole: "owner_role", OwnerActive: "owner_active", Visibility: "visibility",
		Groups: sqlfilter.GroupTable("deal_groups", "deal_id", "grp", "deals.id"),
	})
	fmt.Println("SELECT id, title FROM deals WHERE " + where)
	fmt.Printf("%q\n", args)
	// Output:
	// SELECT id, title FROM deals WHERE (owner_key IN (?) OR (owner_key NOT IN (?) AND owner_role IN (?) AND owner_active = ?))
	// ["sam@acme.example" "" "sales-team" %!q(bool=true)]
}

// ExampleShown builds dora's query for the deals she may edit, the fields
// some of them hide read through a CASE, with PostgreSQL's placeholders.
func ExampleShown() {
	f := check.Compile(departmentSpec()).Filter(accessv1.ActionEdit, "deals")
	cols := sqlfilter.Columns{
		OwnerKey: "owner_key", OwnerRole: "owner_role", OwnerActive: "owner_active", Visibility: "visibility",
		Groups: sqlfilter.GroupTable("deal_groups", "deal_id", "grp", "deals.id"),
	}
	query, args := "SELECT id, title", []any{}
	for _, field := range sqlfilter.Fields(f) {
		cols.Placeholder = sqlfilter.Dollar(len(args) + 1)
		shown, more := sqlfilter.Shown(f, field, cols)
		query += ",\n  CASE WHEN " + shown + " THEN " + field + " END AS " + field
		args = append(args, more...)
	}
	cols.Placeholder = sqlfilter.Dollar(len(args) + 1)
	where, more := sqlfilter.Where(f, cols)
	query += "\nFROM deals\nWHERE " + where
	args = append(args, more...)
	fmt.Println(query)
	fmt.Println(len(args), "args")
	// Output:
	// SELECT id, title,
	//   CASE WHEN (owner_key IN ($1) OR (owner_key IN ($2) AND (visibility IS NULL OR visibility IN ($3, $4, $5, $6))) OR (owner_key NOT IN ($7, $8) AND owner_role IN ($9) AND (visibility IS NULL OR visibility IN ($10, $11, $12, $13)))) THEN salary END AS salary
	// FROM deals
	// WHERE (owner_key IN ($14) OR (owner_key IN ($15) AND (visibility IS NULL OR visibility IN ($16, $17, $18, $19))) OR (owner_key NOT IN ($20, $21, $22) AND owner_role IN ($23) AND (visibility IS NULL OR visibility IN ($24, $25, $26, $27))) OR (owner_key NOT IN ($28, $29) AND owner_role IN ($30) AND (visibility IS NULL OR visibility IN ($31, $32, $33, $34))))
	// 34 args
}

// samSpec is sam's EP, pkg/check's exampleSpec: he may edit his own deals
// and those of his role's members.
func samSpec() *accessv1.EffectivePermissionSpec {
	edit := []accessv1.Action{accessv1.ActionEdit, accessv1.ActionView}
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "sam@acme.example", Active: true, Role: "sales-team",
		Objects: []accessv1.ObjectPermission{{
			Type: "deals", Actions: edit,
			Grants: []accessv1.RecordGrant{
				{Scope: accessv1.ScopeOwn, Access: accessv1.AccessReadWrite, Via: []string{"owner"}},
				{Scope: accessv1.ScopeRole, Role: "sales-team", Access: accessv1.AccessReadWrite, Via: []string{"peers: sales-team"}},
			},
		}},
	}
}
