// matches, where and shown: the reference evaluator on a worked example, and
// the SQL held to it on random filters and records in a real SQLite
// (sql.js), with every column layout and placeholder style.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import initSqlJs, { type Database, type SqlValue } from 'sql.js';

import {
  type Branch,
  type Columns,
  type Condition,
  type Filter,
  type FilterRecord,
  dollar,
  fields,
  groupTable,
  matches,
  ownerKey,
  questionMark,
  shown,
  sqliteJsonArray,
  where,
} from '../src/index.js';

// dora's edit filter on deals (docs/effectivepermission.md, "Listing: the filter").
const vis = ['', 'Group', 'OwnerAndGroups', 'Public'];
const dora: Filter = {
  branches: [
    { conditions: [{ attribute: 'owner', op: 'in', values: ['dora@acme.example'] }], hiddenFields: [] },
    {
      conditions: [
        { attribute: 'owner', op: 'in', values: ['erin@acme.example'] },
        { attribute: 'visibility', op: 'in', values: vis },
      ],
      hiddenFields: [],
    },
    {
      conditions: [
        { attribute: 'owner', op: 'notIn', values: ['', 'erin@acme.example', 'mallory@acme.example'] },
        { attribute: 'ownerRole', op: 'in', values: ['finance'] },
        { attribute: 'visibility', op: 'in', values: vis },
      ],
      hiddenFields: ['salary'],
    },
    {
      conditions: [
        { attribute: 'owner', op: 'notIn', values: ['', 'mallory@acme.example'] },
        { attribute: 'ownerRole', op: 'in', values: ['sales'] },
        { attribute: 'visibility', op: 'in', values: vis },
      ],
      hiddenFields: [],
    },
  ],
};

test('matches: the worked example', () => {
  const cases: [FilterRecord, boolean, string[]][] = [
    [{ owner: 'dora@acme.example', visibility: 'Private' }, true, []],
    [{ owner: 'DORA@Acme.Example' }, true, []], // owners compare case-insensitively
    [{ owner: 'erin@acme.example' }, true, []], // no visibility stated reads as ""
    [{ owner: 'erin@acme.example', visibility: 'Private' }, false, []],
    [{ owner: 'fay@acme.example', ownerRole: 'finance', visibility: 'Public' }, true, ['salary']],
    [{ owner: 'gus@acme.example', ownerRole: 'sales', visibility: 'Public' }, true, []],
    [{ owner: '', ownerRole: 'sales' }, false, []], // no owner: a non-member's record
    [{ owner: null, ownerRole: 'finance' }, false, []],
    [{ owner: 'mallory@acme.example', ownerRole: 'sales' }, false, []],
    [{ owner: 'erin@acme.example', ownerRole: 'finance' }, true, []],
  ];
  for (const [rec, allowed, hidden] of cases) {
    assert.deepEqual(matches(dora, rec), { allowed, hidden }, JSON.stringify(rec));
  }
  assert.deepEqual(fields(dora), ['salary']);
});

test('matches: a field is hidden only where every matching branch hides it', () => {
  const f: Filter = {
    branches: [
      { conditions: [{ attribute: 'ownerRole', op: 'in', values: ['a'] }], hiddenFields: ['x', 'y', 'y'] },
      { conditions: [{ attribute: 'ownerActive', op: 'isTrue' }], hiddenFields: ['y', 'z'] },
    ],
  };
  assert.deepEqual(matches(f, { ownerRole: 'a' }), { allowed: true, hidden: ['x', 'y'] });
  assert.deepEqual(matches(f, { ownerRole: 'a', ownerActive: true }), { allowed: true, hidden: ['y'] });
  assert.deepEqual(matches(f, { ownerActive: true }), { allowed: true, hidden: ['y', 'z'] });
  assert.deepEqual(matches(f, {}), { allowed: false, hidden: [] });
  assert.deepEqual(matches({ branches: [] }, {}), { allowed: false, hidden: [] });
  assert.deepEqual(matches({ branches: [{ conditions: [], hiddenFields: [] }] }, {}), { allowed: true, hidden: [] });
});

test('matches: a condition of an unknown attribute or op holds for no record', () => {
  const one = (c: Condition) => ({ branches: [{ conditions: [c], hiddenFields: [] }] }) as Filter;
  const bad = [
    { attribute: 'colour', op: 'notIn', values: ['red'] },
    { attribute: 'owner', op: 'like', values: ['%'] },
    { attribute: 'owner', op: 'isTrue' },
    { attribute: 'ownerActive', op: 'in', values: ['true'] },
    { attribute: 'groups', op: 'in', values: ['a'] },
  ] as unknown as Condition[];
  for (const c of bad) {
    assert.equal(matches(one(c), { owner: 'a@x.example', ownerActive: true, groups: ['a'] }).allowed, false, JSON.stringify(c));
    assert.equal(where(one(c), allColumns(questionMark, 'json')).sql, '1=0', JSON.stringify(c));
  }
});

test('where: constants, and values only as parameters', () => {
  const cols = allColumns(questionMark, 'json');
  assert.deepEqual(where({ branches: [] }, cols), { sql: '1=0', params: [] });
  assert.deepEqual(where({ branches: [{ conditions: [], hiddenFields: ['salary'] }] }, cols), { sql: '1=1', params: [] });
  const evil = "x'); DROP TABLE records; --";
  const w = where({ branches: [{ conditions: [{ attribute: 'ownerRole', op: 'in', values: [evil] }], hiddenFields: [] }] }, cols);
  assert.deepEqual(w, { sql: 'owner_role IN (?)', params: [evil] });
  const d = where(dora, { ...cols, placeholder: dollar(3) });
  assert.ok(!d.sql.includes('acme'), d.sql);
  assert.deepEqual(d.sql.match(/\$\d+/g), d.params.map((_, i) => `$${i + 3}`));
});

test('ownerKey: ASCII lowercased, other letters one member of their case-folding orbit', () => {
  assert.equal(ownerKey('Dora@ACME.example'), 'dora@acme.example');
  assert.equal(ownerKey(''), '');
  assert.equal(ownerKey('ſam@x.example'), ownerKey('SAM@x.example'));
  assert.equal(ownerKey('\u212a@x.example'), 'k@x.example'); // the Kelvin sign
  assert.notEqual(ownerKey('ı@x.example'), ownerKey('i@x.example')); // dotless i folds to nothing else
  assert.equal(ownerKey('\ud800'), '\ufffd');
});

// ---- SQL against matches, in SQLite ----

/** A seeded PRNG (mulberry32): the same cases on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const owners = ['', 'ann@x.example', 'ANN@X.example', 'bob@x.example', 'sam@x.example', 'ſam@x.example', 'µ@x.example', 'Μ@x.example', '\u212a@x.example', 'k@x.example'];
const roles = ['', 'sales', 'Sales', 'finance'];
const visibilities = ['', 'Public', 'Group', 'OwnerAndGroups', 'Private'];
const groupNames = ['east', 'East', 'west', ''];
const hiddenNames = ['salary', 'notes'];

function randomFilter(r: () => number): Filter {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number) => Array.from({ length: Math.floor(r() * (max + 1)) }, () => pick(xs));
  const condition = (): Condition => {
    const x = r();
    if (x < 0.25) return { attribute: 'owner', op: pick(['in', 'notIn'] as const), values: some(owners, 3) };
    if (x < 0.45) return { attribute: 'ownerRole', op: pick(['in', 'notIn'] as const), values: some(roles, 2) };
    if (x < 0.65) return { attribute: 'visibility', op: pick(['in', 'notIn'] as const), values: some(visibilities, 3) };
    if (x < 0.75) return { attribute: 'ownerActive', op: 'isTrue' };
    if (x < 0.9) return { attribute: 'groups', op: 'containsAny', values: some(groupNames, 2) };
    // What a newer server might send, or nonsense: holds for no record.
    return pick([
      { attribute: 'colour', op: 'in', values: ['red'] },
      { attribute: 'owner', op: 'isTrue' },
      { attribute: 'groups', op: 'in', values: ['east'] },
      { attribute: 'ownerRole', op: 'like', values: ['s%'] },
    ] as unknown as Condition[]);
  };
  const branch = (): Branch => ({ conditions: Array.from({ length: Math.floor(r() * 4) }, condition), hiddenFields: some(hiddenNames, 2) });
  return { branches: Array.from({ length: Math.floor(r() * 4) }, branch) };
}

interface Row extends FilterRecord {
  id: number;
}

function randomRows(r: () => number, n: number): Row[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    owner: pick([...owners, null]),
    ownerRole: pick([...roles, null]),
    ownerActive: pick([true, false, null]),
    visibility: pick([...visibilities, null]),
    groups: pick([null, [], ['east'], ['west', 'East'], ['']]),
  }));
}

type GroupsLayout = 'json' | 'table';

function allColumns(placeholder: Columns['placeholder'], groups: GroupsLayout): Columns {
  return {
    ownerKey: 'owner_key',
    ownerRole: 'owner_role',
    ownerActive: 'owner_active',
    visibility: 'visibility',
    groups: groups === 'json' ? sqliteJsonArray('groups') : groupTable('record_groups', 'record_id', 'grp', 'records.id'),
    placeholder,
  };
}

function load(db: Database, rows: Row[]) {
  db.run('DROP TABLE IF EXISTS records');
  db.run('DROP TABLE IF EXISTS record_groups');
  db.run('CREATE TABLE records (id INTEGER PRIMARY KEY, owner_key TEXT, owner_role TEXT, owner_active INTEGER, visibility TEXT, groups TEXT)');
  db.run('CREATE TABLE record_groups (record_id INTEGER, grp TEXT)');
  for (const row of rows) {
    const active = row.ownerActive === null || row.ownerActive === undefined ? null : row.ownerActive ? 1 : 0;
    db.run('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)', [
      row.id,
      row.owner == null ? null : ownerKey(row.owner),
      row.ownerRole ?? null,
      active,
      row.visibility ?? null,
      row.groups == null ? null : JSON.stringify(row.groups),
    ]);
    for (const g of row.groups ?? []) db.run('INSERT INTO record_groups VALUES (?, ?)', [row.id, g]);
  }
}

function ids(db: Database, sql: string, params: SqlValue[]): number[] {
  const out = db.exec(sql, params);
  return out.length === 0 ? [] : out[0]!.values.map((v) => Number(v[0]));
}

test('where and shown select exactly what matches allows and shows, in SQLite', async () => {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  const r = rng(13);
  const layouts: { name: string; cols: (p: 'q' | 'd', first: number) => Columns; view: (row: Row) => FilterRecord }[] = [
    { name: 'json groups', cols: (p, first) => allColumns(p === 'q' ? questionMark : dollar(first), 'json'), view: (row) => row },
    { name: 'group table', cols: (p, first) => allColumns(p === 'q' ? questionMark : dollar(first), 'table'), view: (row) => row },
    {
      // A table that states no visibility and no groups: read as "" and none.
      name: 'no visibility, no groups',
      cols: (p, first) => ({ ownerKey: 'owner_key', ownerRole: 'owner_role', ownerActive: 'owner_active', placeholder: p === 'q' ? questionMark : dollar(first) }),
      view: (row) => ({ ...row, visibility: undefined, groups: undefined }),
    },
  ];
  let mixed = 0;
  let hiddenSeen = 0;
  const filters = 1000;
  for (let i = 0; i < filters; i++) {
    const f = randomFilter(r);
    const rows = randomRows(r, 40);
    load(db, rows);
    for (const layout of layouts) {
      for (const p of ['q', 'd'] as const) {
        const what = `filter ${i} (${layout.name}, ${p === 'q' ? '?' : '$n'}): ${JSON.stringify(f)}`;
        const w = where(f, layout.cols(p, 1));
        const got = ids(db, `SELECT id FROM records WHERE ${w.sql} ORDER BY id`, w.params);
        const want = rows.filter((row) => matches(f, layout.view(row)).allowed).map((row) => row.id);
        assert.deepEqual(got, want, `${what}\nWHERE ${w.sql} ${JSON.stringify(w.params)}`);
        if (layout.name === 'json groups' && p === 'q' && want.length > 0 && want.length < rows.length) mixed++;
        for (const field of fields(f)) {
          // shown first in the text, so its parameters come first.
          const s = shown(f, field, layout.cols(p, 1));
          const w2 = where(f, layout.cols(p, 1 + s.params.length));
          const hidden = ids(db, `SELECT id FROM records WHERE NOT coalesce(${s.sql}, FALSE) AND ${w2.sql} ORDER BY id`, [...s.params, ...w2.params]);
          const wantHidden = rows.filter((row) => matches(f, layout.view(row)).hidden.includes(field)).map((row) => row.id);
          assert.deepEqual(hidden, wantHidden, `${what}\nfield ${field}: SHOWN ${s.sql}`);
          hiddenSeen += wantHidden.length;
        }
      }
    }
  }
  db.close();
  // The cases are not vacuous: many filters allow some rows and not others,
  // and fields are hidden on some.
  assert.ok(mixed > filters / 4, `only ${mixed} of ${filters} filters allowed some rows and not others`);
  assert.ok(hiddenSeen > 1000, `only ${hiddenSeen} hidden fields`);
});
