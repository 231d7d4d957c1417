// ownerKey against Go: every code point whose simple case-folding orbit has
// more than one member gets the key pkg/check/sqlfilter.OwnerKey gives it,
// so a table one language writes owner keys into, the other can query.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { ownerKey } from '../src/index.js';

test("ownerKey is Go's sqlfilter.OwnerKey on every code point whose orbit has more than one member", async () => {
  // Written by clients/typescript's Go test TestOwnerKeys from
  // pkg/check/sqlfilter.OwnerKey (go test ./clients/typescript -run TestOwnerKeys -update).
  const golden = JSON.parse(await readFile(new URL('../../test/testdata/ownerkeys.json', import.meta.url), 'utf8')) as [number, number][];
  assert.ok(golden.length > 2000, `only ${golden.length} code points in the golden file`);
  const wrong: string[] = [];
  for (const [cp, want] of golden) {
    const got = ownerKey(String.fromCodePoint(cp)).codePointAt(0);
    if (got !== want) wrong.push(`U+${hex(cp)}: got U+${hex(got ?? 0)}, Go U+${hex(want)}`);
  }
  assert.deepEqual(wrong, []);
});

function hex(n: number) {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

