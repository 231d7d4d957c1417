package sqlfilter_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"

	"github.com/tenancy-dev/access-controller/pkg/check"
	"github.com/tenancy-dev/access-controller/pkg/check/sqlfilter"
)

// The table the tests store records in: an application's deals, with the
// owner's e-mail as the record states it and its OwnerKey beside it, the
// groups twice (a JSON array and a join table) so that both Sets are
// exercised on the same rows.
const schema = `
CREATE TABLE deals (
	id           INTEGER PRIMARY KEY,
	owner        TEXT,
	owner_key    TEXT,
	owner_role   TEXT,
	owner_active INTEGER,
	visibility   TEXT,
	groups_json  TEXT
);
CREATE TABLE deal_groups (
	deal_id INTEGER NOT NULL REFERENCES deals(id),
	grp     TEXT NOT NULL,
	PRIMARY KEY (deal_id, grp)
) WITHOUT ROWID;
`

// row is a record and how the table stores its empty values: NULL or the
// empty string (NULL or false for owner_active), both check's zero.
type row struct {
	rec  check.Record
	null bool // "" and false as NULL
}

// The two ways the tests map the table, by how they read the groups.
var (
	joinCols = sqlfilter.Columns{OwnerKey: "owner_key", OwnerRole: "owner_role", OwnerActive: "owner_active", Visibility: "visibility",
		Groups: sqlfilter.GroupTable("deal_groups", "deal_id", "grp", "deals.id")}
	jsonCols = sqlfilter.Columns{OwnerKey: "owner_key", OwnerRole: "owner_role", OwnerActive: "owner_active", Visibility: "visibility",
		Groups: sqlfilter.SQLiteJSONArray("groups_json")}
)

// openDB returns an empty in-memory database with the schema. One
// connection: each connection to ":memory:" is a database of its own.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	return db
}

// insert stores rows with ids 1..len(rows) (rows[i] is id i+1).
func insert(t testing.TB, db *sql.DB, rows []row) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	deal, err := tx.Prepare(`INSERT INTO deals (id, owner, owner_key, owner_role, owner_active, visibility, groups_json) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	grp, err := tx.Prepare(`INSERT OR IGNORE INTO deal_groups (deal_id, grp) VALUES (?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string, null bool) any {
		if s == "" && null {
			return nil
		}
		return s
	}
	for i, r := range rows {
		id := i + 1
		var active any = r.rec.OwnerActive
		if !r.rec.OwnerActive && r.null {
			active = nil
		}
		var groups any
		if len(r.rec.Groups) > 0 || !r.null {
			data, err := json.Marshal(r.rec.Groups)
			if err != nil {
				t.Fatal(err)
			}
			groups = string(data)
			if len(r.rec.Groups) == 0 && id%2 == 0 {
				groups = "" // '' is no groups too
			}
		}
		if _, err := deal.Exec(id, str(r.rec.Owner, r.null), str(sqlfilter.OwnerKey(r.rec.Owner), r.null), str(r.rec.OwnerRole, r.null),
			active, str(string(r.rec.Visibility), r.null), groups); err != nil {
			t.Fatal(err)
		}
		for _, g := range r.rec.Groups {
			if _, err := grp.Exec(id, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// numbered writes SQLite's numbered placeholders ?NNN from first on, the
// shape of Dollar for a database that takes no $1.
func numbered(first int) sqlfilter.Placeholder {
	return func(i int) string { return "?" + strconv.Itoa(first+i) }
}

// listing is what a query returned: per allowed id, the fields it hides.
type listing map[int][]string

// list runs the query an application would: the rows f allows, with a
// CASE per field of fields (1 shown, 0 hidden). numberedPH writes numbered
// placeholders instead of "?", each clause starting where the previous one
// ended.
func list(db *sql.DB, f check.Filter, cols sqlfilter.Columns, fields []string, numberedPH bool) (listing, string, error) {
	var q strings.Builder
	var args []any
	q.WriteString("SELECT id")
	for _, field := range fields {
		if numberedPH {
			cols.Placeholder = numbered(len(args) + 1)
		}
		shown, a := sqlfilter.Shown(f, field, cols)
		fmt.Fprintf(&q, ", CASE WHEN %s THEN 1 ELSE 0 END", shown)
		args = append(args, a...)
	}
	if numberedPH {
		cols.Placeholder = numbered(len(args) + 1)
	}
	where, a := sqlfilter.Where(f, cols)
	args = append(args, a...)
	q.WriteString(" FROM deals WHERE " + where)
	rows, err := db.Query(q.String(), args...)
	if err != nil {
		return nil, q.String(), fmt.Errorf("%w\n%s", err, q.String())
	}
	defer func() { _ = rows.Close() }()
	out := listing{}
	shown := make([]int, len(fields))
	dest := make([]any, 1+len(fields))
	var id int
	dest[0] = &id
	for i := range shown {
		dest[1+i] = &shown[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, q.String(), err
		}
		hidden := []string{}
		for i, s := range shown {
			if s == 0 {
				hidden = append(hidden, fields[i])
			}
		}
		out[id] = hidden
	}
	return out, q.String(), rows.Err()
}

// diffListing compares a query's listing with the expected one, naming at
// most a few differing ids.
func diffListing(got, want listing) string {
	var diffs []string
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("id %d: allowed (hiding %q), the query did not return it", id, w))
		case !slices.Equal(g, w):
			diffs = append(diffs, fmt.Sprintf("id %d: hides %q, the query hid %q", id, w, g))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			diffs = append(diffs, fmt.Sprintf("id %d: denied, the query returned it", id))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	slices.Sort(diffs)
	return fmt.Sprintf("%d differences, e.g.:\n%s", len(diffs), strings.Join(diffs[:min(len(diffs), 8)], "\n"))
}
