// The client against a running decision server. Skipped unless
// DECISION_SERVER_URL is set; clients/typescript/e2e_test.go sets it (and the
// rest) for a server it starts over an envtest API server with the real
// controller, so `go test ./...` runs this.
//
//   DECISION_SERVER_URL           the server, e.g. https://127.0.0.1:8090
//   DECISION_SERVER_TOKEN_FILE    a file with a bearer token allowed to get and list
//   (or DECISION_SERVER_TOKEN)    effectivepermissions in the tenants asked about
//   NODE_EXTRA_CA_CERTS           the server's CA, for Node to trust it (read by Node itself)
//   DECISION_E2E_FORBIDDEN_TOKEN  a valid token allowed nothing (optional)
//   DECISION_E2E_CHECKS           a scenario's checks.tsv: each row asked and held to allow/deny (optional)
//   DECISION_E2E_RECORDS          JSON {tenant, users, actions, types, records}: filters as SQL held to checks (optional)
//   DECISION_OPENAPI_JSON         clients/openapi.yaml as JSON: every answer held to it (optional)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

import initSqlJs from 'sql.js';

import {
  type Action,
  type Answer,
  type CheckRequest,
  type DecisionClientOptions,
  type FilterRecord,
  type Question,
  type Visibility,
  DecisionClient,
  DecisionError,
  compareFreshness,
  errorCodes,
  fields,
  maxBatch,
  matches,
  ownerKey,
  sqliteJsonArray,
  where,
} from '../src/index.js';
import { OpenAPI } from './openapi.js';

const env = process.env;
const url = env.DECISION_SERVER_URL;
const skip = url ? false : 'DECISION_SERVER_URL is not set (clients/typescript/e2e_test.go sets it)';

function options(): DecisionClientOptions {
  const o: DecisionClientOptions = { baseUrl: url! };
  if (env.DECISION_SERVER_TOKEN_FILE) o.tokenFile = env.DECISION_SERVER_TOKEN_FILE;
  else if (env.DECISION_SERVER_TOKEN) o.token = env.DECISION_SERVER_TOKEN;
  return o;
}

const authenticated = () => Boolean(env.DECISION_SERVER_TOKEN_FILE || env.DECISION_SERVER_TOKEN);

let openapi: OpenAPI | undefined;
async function conforms(schema: string, value: unknown) {
  if (!env.DECISION_OPENAPI_JSON) return;
  openapi ??= new OpenAPI(JSON.parse(await readFile(env.DECISION_OPENAPI_JSON, 'utf8')));
  assert.deepEqual(openapi.validate(openapi.schema(schema), value), [], `a ${schema} of the server that the document does not describe: ${JSON.stringify(value)}`);
}

/** One row of a scenario's checks.tsv ("-" an empty column, groups comma-separated). */
interface Row {
  line: number;
  allow: boolean;
  question: CheckRequest;
}

async function rows(file: string): Promise<Row[]> {
  const out: Row[] = [];
  (await readFile(file, 'utf8')).split('\n').forEach((line, i) => {
    const cols = line.split('\t').map((c) => (c === '-' ? '' : c));
    while (cols.length < 9) cols.push('');
    const [verdict, tenant, user, what, type, owner, visibility, groups, field] = cols as [string, string, string, string, string, string, string, string, string];
    if (verdict !== 'allow' && verdict !== 'deny') return;
    const q: CheckRequest = { tenant, user };
    if (what.startsWith('cap:')) q.capability = what.slice(4);
    else {
      q.action = what as Action;
      q.type = type;
      if (owner) q.owner = owner;
      if (visibility) q.visibility = visibility as Visibility;
      if (groups) q.groups = groups.split(',');
      if (field) q.field = field;
    }
    out.push({ line: i + 1, allow: verdict === 'allow', question: q });
  });
  assert.ok(out.length > 0, `no rows in ${file}`);
  return out;
}

describe('against a running decision server', { skip }, () => {
  test('it is ready', async () => {
    assert.equal(await new DecisionClient(options()).ready(), true);
  });

  test("every row of the scenario's checks.tsv: check, batch-check and who-can agree with it", { skip: !env.DECISION_E2E_CHECKS && 'no DECISION_E2E_CHECKS' }, async () => {
    const c = new DecisionClient(options());
    const all = await rows(env.DECISION_E2E_CHECKS!);
    const single: Answer[] = [];
    for (const r of all) {
      const a = await c.check(r.question);
      await conforms('Answer', a);
      assert.equal(a.allowed, r.allow, `checks.tsv:${r.line} ${JSON.stringify(r.question)}: ${JSON.stringify(a)}`);
      single.push(a);
    }
    const batch = await c.batchCheck(all.map((r) => r.question));
    await conforms('BatchCheckAnswer', batch);
    assert.equal(batch.answers.length, all.length);
    batch.answers.forEach((a, i) => {
      const { freshness: _, ...rest } = a;
      const { freshness: __, ...want } = single[i]!;
      assert.deepEqual(rest, want, `checks.tsv:${all[i]!.line}: batch-check and check differ`);
    });
    for (const r of all) {
      const { user, ...q } = r.question;
      const who = await c.whoCan(q);
      await conforms('WhoCanAnswer', who);
      const listed = who.users.some((u) => u.user.toLowerCase() === user.toLowerCase());
      assert.equal(listed, r.allow, `checks.tsv:${r.line}: who-can ${listed ? 'lists' : 'leaves out'} ${user}: ${JSON.stringify(who.users.map((u) => u.user))}`);
      assert.ok(who.users.length <= who.of);
    }
  });

  test('filters, as SQL in SQLite, select exactly the records check allows, and hide the fields check hides', { skip: !env.DECISION_E2E_RECORDS && 'no DECISION_E2E_RECORDS' }, async () => {
    const c = new DecisionClient(options());
    const spec = JSON.parse(await readFile(env.DECISION_E2E_RECORDS!, 'utf8')) as {
      tenant: string;
      users: string[];
      actions: Action[];
      types: string[];
      records: FilterRecord[];
    };
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE records (id INTEGER PRIMARY KEY, owner_key TEXT, owner_role TEXT, owner_active INTEGER, visibility TEXT, groups TEXT)');
    spec.records.forEach((r, i) =>
      db.run('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)', [
        i,
        ownerKey(r.owner ?? ''),
        r.ownerRole ?? null,
        r.ownerActive ? 1 : 0,
        r.visibility ?? null,
        JSON.stringify(r.groups ?? []),
      ]),
    );
    const columns = { ownerKey: 'owner_key', ownerRole: 'owner_role', ownerActive: 'owner_active', visibility: 'visibility', groups: sqliteJsonArray('groups') };
    let allowedSomewhere = 0;
    let deniedSomewhere = 0;
    for (const user of spec.users) {
      for (const action of spec.actions) {
        for (const type of spec.types) {
          const what = `${user} ${action} ${type}`;
          const f = await c.filter({ tenant: spec.tenant, user, action, type });
          await conforms('FilterAnswer', f);
          const w = where(f, columns);
          const res = db.exec(`SELECT id FROM records WHERE ${w.sql} ORDER BY id`, w.params);
          const selected = res.length === 0 ? [] : res[0]!.values.map((v) => Number(v[0]));
          const questions: Question[] = spec.records.map((r) => {
            const q: Question = { tenant: spec.tenant, user, action, type, owner: r.owner! };
            if (r.visibility) q.visibility = r.visibility as Visibility;
            if (r.groups?.length) q.groups = [...r.groups];
            return q;
          });
          const answers = (await c.batchCheck(questions)).answers;
          const allowed = answers.flatMap((a, i) => (a.allowed ? [i] : []));
          assert.deepEqual(selected, allowed, `${what}: the filter's SQL selects records ${JSON.stringify(selected)}, check allows ${JSON.stringify(allowed)}\nWHERE ${w.sql}`);
          allowedSomewhere += allowed.length;
          deniedSomewhere += spec.records.length - allowed.length;
          // Hidden fields: a field is hidden on an allowed record exactly
          // where check denies the record with that field.
          for (const field of fields(f)) {
            const withField = allowed.map((i) => ({ ...questions[i]!, field }));
            const fieldAnswers = withField.length ? (await c.batchCheck(withField)).answers : [];
            allowed.forEach((i, j) => {
              const hidden = matches(f, spec.records[i]!).hidden.includes(field);
              assert.equal(hidden, !fieldAnswers[j]!.allowed, `${what}: field ${field} of record ${i} ${JSON.stringify(spec.records[i])}`);
            });
          }
        }
      }
    }
    db.close();
    assert.ok(allowedSomewhere > 0 && deniedSomewhere > 0, `not a test: ${allowedSomewhere} allowed, ${deniedSomewhere} denied`);
  });

  test('consistency: an answer at least as fresh as an earlier one', async () => {
    const c = new DecisionClient(options());
    const q: CheckRequest = { tenant: 'northwind', user: 'teresa@northwind.example', action: 'edit', type: 'deals', owner: 'jim@northwind.example' };
    const first = await c.check(q);
    const again = await c.check({ ...q, consistency: { atLeastAsFresh: first.freshness, maxWaitSeconds: 5 } });
    await conforms('Answer', again);
    assert.equal(again.allowed, first.allowed);
    assert.ok(compareFreshness(again.freshness, first.freshness) >= 0, `freshness ${again.freshness} is older than ${first.freshness}`);
  });

  test('errors come back as DecisionErrors with their stable codes', async () => {
    const c = new DecisionClient(options());
    const q: CheckRequest = { tenant: 'northwind', user: 'teresa@northwind.example', capability: 'reports.access' };
    const expect = async (p: Promise<unknown>, code: keyof typeof errorCodes, message: RegExp) => {
      const err = await p.then(
        (a) => assert.fail(`${code}: answered ${JSON.stringify(a)}`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DecisionError, String(err));
      assert.equal(err.code, code, err.message);
      assert.equal(err.status, errorCodes[code].status);
      assert.equal(err.retryable, errorCodes[code].retryable);
      assert.match(err.message, message);
    };
    await expect(c.check({ ...q, ownr: 'jim@northwind.example' } as CheckRequest), 'invalid_request', /unknown field "ownr"/);
    await expect(c.check({ tenant: 'northwind', user: 'teresa' }), 'invalid_request', /not an e-mail address/);
    await expect(c.batchCheck(Array.from({ length: maxBatch + 1 }, () => q)), 'too_many_questions', /at most 1000/);
    await expect(
      c.check({ ...q, consistency: { afterWrite: { kind: 'Member', resourceVersion: '999999999999' }, maxWaitSeconds: 0 } }),
      'not_converged',
      /not reflected/,
    );
    if (authenticated()) {
      const { token: _, tokenFile: __, ...anonymous } = options();
      await expect(new DecisionClient(anonymous).check(q), 'unauthenticated', /no bearer token/);
      await expect(new DecisionClient({ ...anonymous, token: 'not-a-token' }).check(q), 'unauthenticated', /not accepted/);
    }
    if (env.DECISION_E2E_FORBIDDEN_TOKEN) {
      const { tokenFile: _, ...o } = options();
      const nobody = new DecisionClient({ ...o, token: env.DECISION_E2E_FORBIDDEN_TOKEN });
      await expect(nobody.check(q), 'forbidden', /may not get effectivepermissions\.access\.tenancy\.dev in namespace northwind/);
      const { user: ___, ...who } = q;
      await expect(nobody.whoCan(who), 'forbidden', /may not list effectivepermissions/);
    }
  });
});
