package sqlfilter

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Columns names where a table keeps the attributes a check.Filter reads (see
// check.Attribute) and how its parameters are written. The names are
// written into the SQL as given: columns or expressions of the query's
// FROM, from the application's code, never from input. An attribute left
// empty reads as on a zero check.Record ("", false, no groups) on every
// row: a table whose records state no visibility leaves Visibility empty.
type Columns struct {
	// OwnerKey holds OwnerKey of the owner's e-mail; NULL or '' when the
	// record has no owner.
	OwnerKey string
	// OwnerRole holds the owner's role; NULL or '' when none.
	OwnerRole string
	// OwnerActive holds whether the owner is an active member: a boolean
	// (an integer 0 or 1 in SQLite), NULL read as false.
	OwnerActive string
	// Visibility holds the visibility the record states; NULL or '' when
	// none.
	Visibility string
	// Groups says how the record's groups are stored; nil when the table
	// keeps none.
	Groups Set
	// Placeholder writes the parameters' placeholders; nil writes "?".
	Placeholder Placeholder
}

// Placeholder returns the placeholder of a clause's i-th parameter (i counts
// from 0, in the order of the returned args).
type Placeholder func(i int) string

// Question writes every placeholder as "?" (SQLite, MySQL, database/sql's
// default).
func Question(int) string { return "?" }

// Dollar writes placeholders $first, $first+1, ... (PostgreSQL). A query
// that already has n parameters before the clause passes n+1.
func Dollar(first int) Placeholder {
	return func(i int) string { return "$" + strconv.Itoa(first+i) }
}

// Set writes the condition "the row's groups contain one of the values"
// given the values' placeholders (at least one, in order; it must write
// each once, in that order, for "?" to bind correctly). The condition must
// be true exactly when one of the row's groups equals one of the values
// (exactly, case included), and false or NULL otherwise. A PostgreSQL
// text[] column:
//
//	func(ph []string) string { return "groups && ARRAY[" + strings.Join(ph, ", ") + "]::text[]" }
type Set func(placeholders []string) string

// GroupTable is a join table with one row per (record, group):
// table.recordColumn names the record, rowID is the record's key in the
// outer query (such as "deals.id"), table.groupColumn the group.
func GroupTable(table, recordColumn, groupColumn, rowID string) Set {
	return func(ph []string) string {
		return "EXISTS (SELECT 1 FROM " + table + " WHERE " + table + "." + recordColumn + " = " + rowID +
			" AND " + table + "." + groupColumn + " IN (" + strings.Join(ph, ", ") + "))"
	}
}

// SQLiteJSONArray is a SQLite text column holding the groups as a JSON array
// of strings, such as ["east","west"] (what json.Marshal writes for a
// []string; it writes bytes that are not UTF-8 as U+FFFD, so groups must be
// valid UTF-8). NULL and the empty string are no groups; any other text
// that is not JSON makes the query fail.
func SQLiteJSONArray(column string) Set {
	return func(ph []string) string {
		return "EXISTS (SELECT 1 FROM json_each(coalesce(nullif(" + column + ", ''), '[]')) WHERE json_each.value IN (" +
			strings.Join(ph, ", ") + "))"
	}
}

// Where returns the condition that selects exactly the rows whose record f
// allows (check.Filter.Matches), with its parameters: "1=0" when f allows
// nothing, "1=1" when it allows every record, else a parenthesized
// condition safe to combine with AND, OR and NOT.
func Where(f check.Filter, cols Columns) (clause string, args []any) {
	return render(f.Branches, &cols)
}

// Shown returns the condition under which an allowed row shows field: a
// row f allows hides field exactly where the condition is false (f.Matches
// lists it in hidden), so
//
//	CASE WHEN <Shown(f, "salary", cols)> THEN salary END AS salary
//
// reads salary only where the user may. On rows f does not allow it may be
// true: combine it with Where. It is Where's clause when no branch of f
// hides field (see Fields).
func Shown(f check.Filter, field string, cols Columns) (clause string, args []any) {
	var showing []check.Branch
	for _, b := range f.Branches {
		if !slices.Contains(b.HiddenFields, field) {
			showing = append(showing, b)
		}
	}
	return render(showing, &cols)
}

// Fields returns the fields f may hide on some row, sorted: the fields that
// need Shown. Every other field is shown on every row f allows.
func Fields(f check.Filter) []string {
	var out []string
	for _, b := range f.Branches {
		out = append(out, b.HiddenFields...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// atom is one condition on a column, before its placeholders are written.
type atom struct {
	col      string
	op       check.Op
	values   []any
	hasEmpty bool // "" is one of the values (reads NULL as "")
	set      Set
}

// term is a condition folded on what the columns tell: always true, always
// false, or a conjunction of atoms.
type term struct {
	constant, value bool
	atoms           []atom
}

// condition folds c: a constant when its column is not set or it holds or
// fails on every row, else one atom. It holds exactly where
// check.Condition would on the row's record.
func condition(c check.Condition, cols *Columns) term {
	var col string
	switch c.Attribute {
	case check.AttrOwner:
		col = cols.OwnerKey
	case check.AttrOwnerRole:
		col = cols.OwnerRole
	case check.AttrVisibility:
		col = cols.Visibility
	case check.AttrOwnerActive:
		col = cols.OwnerActive
	}
	if col == "" && (c.Attribute != check.AttrGroups || cols.Groups == nil) {
		// No column (or an unknown attribute): the condition on the zero
		// record, as Matches decides it.
		ok, _ := check.Filter{Branches: []check.Branch{{Conditions: []check.Condition{c}}}}.Matches(check.Record{})
		return term{constant: true, value: ok}
	}
	values := func() ([]any, bool) {
		out := make([]any, len(c.Values))
		empty := false
		for i, v := range c.Values {
			if c.Attribute == check.AttrOwner {
				v = OwnerKey(v)
			}
			out[i] = v
			empty = empty || v == ""
		}
		return out, empty
	}
	switch {
	case c.Attribute == check.AttrOwnerActive && c.Op == check.OpIsTrue:
		return term{atoms: []atom{{col: col, op: c.Op, values: []any{true}}}}
	case c.Attribute == check.AttrGroups && c.Op == check.OpContainsAny:
		if len(c.Values) == 0 {
			return term{constant: true, value: false}
		}
		vs, _ := values()
		return term{atoms: []atom{{op: c.Op, values: vs, set: cols.Groups}}}
	case c.Attribute == check.AttrOwnerActive || c.Attribute == check.AttrGroups:
		return term{constant: true, value: false} // an op Matches does not know for it
	case c.Op == check.OpIn || c.Op == check.OpNotIn:
		if len(c.Values) == 0 {
			return term{constant: true, value: c.Op == check.OpNotIn}
		}
		vs, empty := values()
		return term{atoms: []atom{{col: col, op: c.Op, values: vs, hasEmpty: empty}}}
	}
	return term{constant: true, value: false} // an unknown op holds for no record
}

// branch folds the conjunction of a branch's conditions.
func branch(b *check.Branch, cols *Columns) term {
	var out term
	for _, c := range b.Conditions {
		t := condition(c, cols)
		if t.constant {
			if !t.value {
				return t
			}
			continue
		}
		out.atoms = append(out.atoms, t.atoms...)
	}
	if len(out.atoms) == 0 {
		return term{constant: true, value: true}
	}
	return out
}

// render writes the disjunction of branches.
func render(bs []check.Branch, cols *Columns) (string, []any) {
	var terms []term
	for i := range bs {
		t := branch(&bs[i], cols)
		if t.constant {
			if t.value {
				return "1=1", []any{}
			}
			continue
		}
		terms = append(terms, t)
	}
	if len(terms) == 0 {
		return "1=0", []any{}
	}
	w := writer{ph: cols.Placeholder, args: []any{}}
	if w.ph == nil {
		w.ph = Question
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		as := make([]string, len(t.atoms))
		for j := range t.atoms {
			as[j] = w.atom(&t.atoms[j])
		}
		parts[i] = strings.Join(as, " AND ")
		if len(terms) > 1 && len(as) > 1 {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	if len(terms) == 1 && len(terms[0].atoms) == 1 {
		return parts[0], w.args
	}
	return "(" + strings.Join(parts, " OR ") + ")", w.args
}

type writer struct {
	ph   Placeholder
	args []any
}

// params appends vs to the args and returns their placeholders.
func (w *writer) params(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = w.ph(len(w.args))
		w.args = append(w.args, v)
	}
	return out
}

// atom writes a so that NULL reads as "" (as false for OwnerActive): each
// atom is true exactly where the condition holds and false or NULL
// elsewhere, and the clause only ANDs and ORs them, so a NULL never turns
// into a match.
func (w *writer) atom(a *atom) string {
	switch a.op {
	case check.OpIsTrue:
		return a.col + " = " + w.params(a.values)[0]
	case check.OpContainsAny:
		return a.set(w.params(a.values))
	}
	list := strings.Join(w.params(a.values), ", ")
	switch {
	case a.op == check.OpIn && a.hasEmpty:
		return "(" + a.col + " IS NULL OR " + a.col + " IN (" + list + "))"
	case a.op == check.OpIn:
		return a.col + " IN (" + list + ")"
	case a.hasEmpty: // notIn, NULL is "" and so excluded
		return a.col + " NOT IN (" + list + ")"
	default:
		return "(" + a.col + " IS NULL OR " + a.col + " NOT IN (" + list + "))"
	}
}
