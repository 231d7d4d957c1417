// Package sqlfilter turns a check.Filter into a parameterized SQL condition,
// so that an application lists only the records a user may see (or edit,
// export...) with one query, and hides the fields the user may not read.
//
//	f := check.Compile(&ep.Spec).Filter(accessv1.ActionView, "deals")
//	cols := sqlfilter.Columns{
//		OwnerKey: "owner_key", OwnerRole: "owner_role", OwnerActive: "owner_active",
//		Visibility: "visibility", Groups: sqlfilter.GroupTable("deal_groups", "deal_id", "grp", "deals.id"),
//	}
//	where, args := sqlfilter.Where(f, cols)
//	rows, err := db.Query("SELECT id, title FROM deals WHERE "+where, args...)
//
// The clause selects exactly the rows whose record check.Filter.Matches
// allows, and so exactly those Permissions.Action allows; Shown gives, per
// field, the condition under which an allowed row shows it (a field is
// hidden on an allowed row where Shown is false), for a CASE in the select
// list. Every value of the Filter is a parameter, never part of the SQL
// text; the column names in Columns are written as given and must come
// from the application's code, never from input.
//
// How a table states a record (the application's schema):
//
//   - OwnerKey holds OwnerKey(owner e-mail), computed by the application
//     when it writes the row: owners compare case-insensitively as
//     strings.EqualFold does, which no SQL function reproduces for every
//     Unicode e-mail. When every stored owner is ASCII, lower(owner) is
//     OwnerKey(owner) and may be named instead (SQLite's lower; another
//     database's when its locale lowercases ASCII as ASCII, which a
//     Turkish one does not).
//   - OwnerRole and Visibility hold the record's strings as check.Record
//     has them; OwnerActive is a boolean (an integer 0/1 in SQLite).
//   - Groups is a set: a join table (GroupTable), a JSON array of strings
//     in SQLite (SQLiteJSONArray), or any Set the application writes, such
//     as a PostgreSQL text[] column.
//
// NULL reads as "" (false for OwnerActive, no groups for Groups), as the
// zero check.Record does; an attribute whose column is left empty reads so
// on every row. The columns must compare strings exactly (a binary
// collation: MySQL's default collations ignore case and accents, and would
// widen the match).
package sqlfilter
