// A filter of /v1/filter, applied: matches evaluates it on one record (a
// port of pkg/check's Filter.Matches, the reference), and where and shown
// translate it to SQL with parameters, as pkg/check/sqlfilter does in Go,
// with the same column conventions (ownerKey included), so that a table one
// writes the other can query.

import type { Condition, Filter } from './types.js';

/** A record as a filter reads it; a missing attribute reads as "" (false, no groups). */
export interface FilterRecord {
  /** The owner's e-mail ("" for none): compared case-insensitively. */
  owner?: string | null;
  /** The owner's role. */
  ownerRole?: string | null;
  /** Whether the owner is an active member. */
  ownerActive?: boolean | null;
  /** The visibility the record states (not the effective one). */
  visibility?: string | null;
  /** The record's groups (roles an OwnerAndGroups record names). */
  groups?: readonly string[] | null;
}

/**
 * Evaluates filter on record: whether it is allowed and, when it is, the
 * fields hidden on it (sorted). A record is allowed when it matches a
 * branch; a field is hidden when every branch it matches hides it. A
 * condition with an unknown attribute or op holds for no record. This is
 * pkg/check's Filter.Matches, which agrees with the server's check on every
 * record and field.
 */
export function matches(filter: Filter, record: FilterRecord): { allowed: boolean; hidden: string[] } {
  let allowed = false;
  let hidden: string[] = [];
  for (const b of filter.branches) {
    if (!b.conditions.every((c) => holds(c, record))) continue;
    const h = [...new Set(b.hiddenFields)].sort(compareStrings);
    if (!allowed) {
      allowed = true;
      hidden = h;
      continue;
    }
    hidden = hidden.filter((f) => h.includes(f));
  }
  return { allowed, hidden };
}

function holds(c: Condition, rec: FilterRecord): boolean {
  const values = c.values ?? [];
  let isIn: boolean;
  switch (c.attribute) {
    case 'owner': {
      const key = ownerKey(rec.owner ?? '');
      isIn = values.some((v) => ownerKey(v) === key);
      break;
    }
    case 'ownerRole':
      isIn = values.includes(rec.ownerRole ?? '');
      break;
    case 'visibility':
      isIn = values.includes(rec.visibility ?? '');
      break;
    case 'ownerActive':
      return c.op === 'isTrue' && rec.ownerActive === true;
    case 'groups':
      return c.op === 'containsAny' && (rec.groups ?? []).some((g) => values.includes(g));
    default:
      return false;
  }
  switch (c.op) {
    case 'in':
      return isIn;
    case 'notIn':
      return !isIn;
    default:
      return false;
  }
}

/** Orders strings by UTF-16 code units, as Go orders the ASCII names a filter holds. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fields filter may hide on some row, sorted: the fields that need
 * shown. Every other field is shown on every row the filter allows.
 */
export function fields(filter: Filter): string[] {
  return [...new Set(filter.branches.flatMap((b) => b.hiddenFields))].sort(compareStrings);
}

// ---- SQL ----

/** Writes the placeholder of a clause's i-th parameter (from 0, in the order of params). */
export type Placeholder = (i: number) => string;

/** Every placeholder "?" (SQLite, MySQL). */
export const questionMark: Placeholder = () => '?';

/** $first, $first+1, ... (PostgreSQL); a query with n parameters before the clause passes n+1. */
export function dollar(first = 1): Placeholder {
  return (i) => `$${first + i}`;
}

/**
 * Writes "the row's groups contain one of the values" given the values'
 * placeholders (at least one; write each once, in order, for "?" to bind
 * right): true exactly when a group equals a value, false or NULL
 * otherwise.
 */
export type GroupSet = (placeholders: string[]) => string;

/** A join table with one row per (record, group); rowId is the record's key in the outer query, e.g. "deals.id". */
export function groupTable(table: string, recordColumn: string, groupColumn: string, rowId: string): GroupSet {
  return (ph) =>
    `EXISTS (SELECT 1 FROM ${table} WHERE ${table}.${recordColumn} = ${rowId} AND ${table}.${groupColumn} IN (${ph.join(', ')}))`;
}

/** A SQLite text column holding a JSON array of strings; NULL and '' are no groups. */
export function sqliteJsonArray(column: string): GroupSet {
  return (ph) => `EXISTS (SELECT 1 FROM json_each(coalesce(nullif(${column}, ''), '[]')) WHERE json_each.value IN (${ph.join(', ')}))`;
}

/** A PostgreSQL text[] column; NULL is no groups. */
export function postgresArray(column: string): GroupSet {
  return (ph) => `${column} && ARRAY[${ph.join(', ')}]::text[]`;
}

/**
 * Where a table keeps what a filter reads, and how parameters are written.
 * Names are written into the SQL as given: columns or expressions of the
 * query's FROM, from the application's code, never from input. An
 * attribute left out reads as on a record that does not state it ("",
 * false, no groups) on every row.
 */
export interface Columns {
  /** Holds ownerKey(owner e-mail); NULL or '' for no owner. For ASCII e-mails lower(owner) is the same. */
  ownerKey?: string;
  /** The owner's role; NULL or '' for none. */
  ownerRole?: string;
  /** Whether the owner is an active member: a boolean (0/1 in SQLite), NULL read as false. */
  ownerActive?: string;
  /** The visibility the record states; NULL or '' for none. */
  visibility?: string;
  /** How the groups are stored. */
  groups?: GroupSet;
  /** Default questionMark. */
  placeholder?: Placeholder;
}

/** A SQL condition and its parameters. */
export interface SqlCondition {
  sql: string;
  params: string[];
}

/**
 * The condition selecting exactly the rows whose record the filter allows
 * (matches), with its parameters: "1=0" when it allows nothing, "1=1" when
 * it allows everything, else a parenthesized condition safe to combine with
 * AND, OR and NOT. Every value is a parameter. The columns must compare
 * strings exactly (a binary collation).
 */
export function where(filter: Filter, columns: Columns): SqlCondition {
  return render(filter.branches.map((b) => b.conditions), columns);
}

/**
 * The condition under which an allowed row shows field: on rows the filter
 * allows, field is hidden exactly where it is false, so
 * `CASE WHEN <shown> THEN salary END` reads salary only where the user may.
 * Combine it with where: on other rows it may be true.
 */
export function shown(filter: Filter, field: string, columns: Columns): SqlCondition {
  return render(
    filter.branches.filter((b) => !b.hiddenFields.includes(field)).map((b) => b.conditions),
    columns,
  );
}

/** One condition on a column, before its placeholders are written. */
interface Atom {
  col: string;
  op: 'in' | 'notIn' | 'isTrue' | 'containsAny';
  values: string[];
  hasEmpty: boolean;
  set?: GroupSet;
}

/** A condition folded on what the columns tell: always true, always false, or atoms. */
type Term = boolean | Atom[];

function condition(c: Condition, cols: Columns): Term {
  const values = c.values ?? [];
  const col = { owner: cols.ownerKey, ownerRole: cols.ownerRole, visibility: cols.visibility, ownerActive: cols.ownerActive, groups: undefined }[
    c.attribute
  ];
  if (!col && (c.attribute !== 'groups' || !cols.groups)) {
    // No column (or an unknown attribute): as on a record without it.
    return holds(c, {});
  }
  const vs = c.attribute === 'owner' ? values.map(ownerKey) : [...values];
  if (c.attribute === 'ownerActive') {
    return c.op === 'isTrue' ? [{ col: col!, op: 'isTrue', values: [], hasEmpty: false }] : false;
  }
  if (c.attribute === 'groups') {
    if (c.op !== 'containsAny' || vs.length === 0) return false;
    return [{ col: '', op: 'containsAny', values: vs, hasEmpty: false, set: cols.groups! }];
  }
  if (c.op !== 'in' && c.op !== 'notIn') return false; // an unknown op holds for no record
  if (vs.length === 0) return c.op === 'notIn';
  return [{ col: col!, op: c.op, values: vs, hasEmpty: vs.includes('') }];
}

function render(branches: Condition[][], cols: Columns): SqlCondition {
  const terms: Atom[][] = [];
  for (const conds of branches) {
    let atoms: Atom[] = [];
    let never = false;
    for (const c of conds) {
      const t = condition(c, cols);
      if (t === false) {
        never = true;
        break;
      }
      if (t !== true) atoms = atoms.concat(t);
    }
    if (never) continue;
    if (atoms.length === 0) return { sql: '1=1', params: [] };
    terms.push(atoms);
  }
  if (terms.length === 0) return { sql: '1=0', params: [] };
  const ph = cols.placeholder ?? questionMark;
  const params: string[] = [];
  const placeholders = (vs: string[]) =>
    vs.map((v) => {
      const p = ph(params.length);
      params.push(v);
      return p;
    });
  // NULL reads as "" (false for ownerActive): each atom is true exactly
  // where its condition holds and false or NULL elsewhere, and the clause
  // only ANDs and ORs atoms, so a NULL never becomes a match.
  const atom = (a: Atom): string => {
    switch (a.op) {
      case 'isTrue':
        return `${a.col} = TRUE`;
      case 'containsAny':
        return a.set!(placeholders(a.values));
    }
    const list = placeholders(a.values).join(', ');
    if (a.op === 'in') return a.hasEmpty ? `(${a.col} IS NULL OR ${a.col} IN (${list}))` : `${a.col} IN (${list})`;
    return a.hasEmpty ? `${a.col} NOT IN (${list})` : `(${a.col} IS NULL OR ${a.col} NOT IN (${list}))`;
  };
  const parts = terms.map((t) => {
    const s = t.map(atom).join(' AND ');
    return terms.length > 1 && t.length > 1 ? `(${s})` : s;
  });
  if (terms.length === 1 && terms[0]!.length === 1) return { sql: parts[0]!, params };
  return { sql: `(${parts.join(' OR ')})`, params };
}

// ---- owner keys ----

/**
 * The key an application stores beside a record's owner e-mail for
 * Columns.ownerKey: ownerKey(a) === ownerKey(b) exactly when the two compare
 * equal case-insensitively as Go's strings.EqualFold does. It is
 * pkg/check/sqlfilter's OwnerKey, the spelling a filter writes owners in:
 * ASCII lowercased, any other letter the one member of its simple
 * case-folding orbit Go picks (ſ to s, the Kelvin sign to k, µ for Greek
 * mu). A lone surrogate becomes U+FFFD, as Go reads invalid UTF-8.
 */
export function ownerKey(email: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(email)) return email.toLowerCase();
  let out = '';
  for (const ch of email) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\ufffd';
      continue;
    }
    out += String.fromCodePoint(canonical().get(cp) ?? cp);
  }
  return out;
}

let canon: Map<number, number> | undefined;

/**
 * canonical maps each code point whose simple case-folding orbit has more
 * than one member to Go's pick for the orbit: the orbit's smallest code
 * point, lowercased when its lowercase is in the orbit. The orbits are the
 * classes of JavaScript's /iu matching (simple case folding, as Go's
 * unicode.SimpleFold), joined through each code point's one-code-point
 * lower- and uppercase. Built once, on the first non-ASCII owner.
 */
function canonical(): Map<number, number> {
  if (canon) return canon;
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  };
  const single = (s: string): number | undefined => {
    const cp = s.codePointAt(0);
    return cp !== undefined && String.fromCodePoint(cp) === s ? cp : undefined;
  };
  const esc = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const m of [s.toLowerCase(), s.toUpperCase()]) {
      if (m === s) continue;
      const mc = single(m);
      if (mc === undefined) continue;
      if (!new RegExp(`^${esc(s)}$`, 'iu').test(m)) continue; // mapped, but not one fold class (ı and I)
      parent.set(cp, find(cp));
      parent.set(mc, find(mc));
      union(cp, mc);
    }
  }
  const orbits = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const r = find(cp);
    const o = orbits.get(r);
    if (o) o.push(cp);
    else orbits.set(r, [cp]);
  }
  canon = new Map();
  for (const members of orbits.values()) {
    if (members.length < 2) continue;
    const lo = Math.min(...members);
    const l = single(String.fromCodePoint(lo).toLowerCase());
    const pick = l !== undefined && l !== lo && members.includes(l) ? l : lo;
    for (const m of members) canon.set(m, pick);
  }
  return canon;
}
