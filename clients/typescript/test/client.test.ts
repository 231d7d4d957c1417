// DecisionClient against a local fake server: the requests it sends, the
// answers it returns, and how each failure becomes a DecisionError.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { DecisionClient, DecisionError, type ErrorCode, compareFreshness, errorCodes } from '../src/index.js';

/** What the fake server received. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = (seen: Seen, res: ServerResponse) => void;

const seen: Seen[] = [];
let replies: Reply[] = [];
let baseUrl = '';
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const s: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    seen.push(s);
    const reply = replies.shift();
    if (!reply) {
      json(res, 500, { code: 'internal', message: 'the test gave no reply' });
      return;
    }
    reply(s, res);
  });
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body) + '\n');
}

const ok = (body: unknown): Reply => (_, res) => json(res, 200, body);

const answer = { allowed: true, access: 'ReadWrite', reasons: ['hierarchy: below sales-senior'], freshness: '51342' };

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  seen.length = 0;
  replies = [];
});

describe('requests', () => {
  test('check posts the question as JSON with the bearer token, and returns the answer', async () => {
    replies = [ok(answer)];
    const c = new DecisionClient({ baseUrl: baseUrl + '/', token: ' secret\n' });
    const q = { tenant: 'northwind', user: 'teresa@northwind.example', action: 'edit', type: 'deals', owner: 'jim@northwind.example' } as const;
    assert.deepEqual(await c.check(q), answer);
    assert.equal(seen.length, 1);
    const s = seen[0]!;
    assert.equal(s.method, 'POST');
    assert.equal(s.path, '/v1/check');
    assert.equal(s.headers.authorization, 'Bearer secret');
    assert.equal(s.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(s.body), q);
  });

  test('check carries consistency as the API names it', async () => {
    replies = [ok(answer)];
    const c = new DecisionClient({ baseUrl });
    await c.check({
      tenant: 'northwind',
      user: 'sam@northwind.example',
      capability: 'reports.access',
      consistency: { afterWrite: { kind: 'Member', resourceVersion: '77' }, maxWaitSeconds: 2 },
    });
    assert.deepEqual(JSON.parse(seen[0]!.body), {
      tenant: 'northwind',
      user: 'sam@northwind.example',
      capability: 'reports.access',
      consistency: { afterWrite: { kind: 'Member', resourceVersion: '77' }, maxWaitSeconds: 2 },
    });
    assert.equal(seen[0]!.headers.authorization, undefined, 'no token given, none sent');
  });

  test('batchCheck sends the questions, and consistency beside them only when given', async () => {
    const qs = [
      { tenant: 'northwind', user: 'a@northwind.example', capability: 'x' },
      { tenant: 'acme', user: 'b@acme.example', action: 'view' as const, type: 'deals' },
    ];
    replies = [ok({ answers: [answer, answer] }), ok({ answers: [answer, answer] })];
    const c = new DecisionClient({ baseUrl });
    assert.deepEqual(await c.batchCheck(qs), { answers: [answer, answer] });
    await c.batchCheck(qs, { atLeastAsFresh: '12' });
    assert.equal(seen[0]!.path, '/v1/batch-check');
    assert.deepEqual(JSON.parse(seen[0]!.body), { questions: qs });
    assert.deepEqual(JSON.parse(seen[1]!.body), { questions: qs, consistency: { atLeastAsFresh: '12' } });
  });

  test('whoCan and filter post to their endpoints', async () => {
    const who = { tenant: 'northwind', question: 'may edit deals', users: [], of: 10, freshness: '3' };
    const filter = { branches: [{ conditions: [{ attribute: 'owner', op: 'in', values: ['a@x.example'] }], hiddenFields: [] }], freshness: '3' };
    replies = [ok(who), ok(filter)];
    const c = new DecisionClient({ baseUrl });
    assert.deepEqual(await c.whoCan({ tenant: 'northwind', action: 'edit', type: 'deals' }), who);
    assert.deepEqual(await c.filter({ tenant: 'northwind', user: 'a@x.example', action: 'view', type: 'deals' }), filter);
    assert.deepEqual(
      seen.map((s) => [s.path, JSON.parse(s.body)]),
      [
        ['/v1/who-can', { tenant: 'northwind', action: 'edit', type: 'deals' }],
        ['/v1/filter', { tenant: 'northwind', user: 'a@x.example', action: 'view', type: 'deals' }],
      ],
    );
  });

  test('ready reads /readyz', async () => {
    replies = [
      (_, res) => res.end('ok'),
      (_, res) => {
        res.writeHead(503);
        res.end('the cache has not synced');
      },
    ];
    const c = new DecisionClient({ baseUrl });
    assert.equal(await c.ready(), true);
    assert.equal(await c.ready(), false);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.path}`),
      ['GET /readyz', 'GET /readyz'],
    );
  });

  test('a token file is read, trimmed, and read again once its time is up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'decision-client-'));
    try {
      const file = join(dir, 'token');
      await writeFile(file, 'first\n');
      const cached = new DecisionClient({ baseUrl, tokenFile: file });
      const fresh = new DecisionClient({ baseUrl, tokenFile: file, tokenFileTtlMs: 0 });
      replies = [ok(answer), ok(answer), ok(answer), ok(answer)];
      const q = { tenant: 't', user: 'u@x.example', capability: 'c' };
      await cached.check(q);
      await fresh.check(q);
      await writeFile(file, 'second\n'); // the kubelet rotates it
      await cached.check(q);
      await fresh.check(q);
      assert.deepEqual(
        seen.map((s) => s.headers.authorization),
        ['Bearer first', 'Bearer first', 'Bearer first', 'Bearer second'],
      );
      await writeFile(file, '  \n');
      await assert.rejects(fresh.check(q), /the token file .* is empty/);
      const missing = new DecisionClient({ baseUrl, tokenFile: join(dir, 'nope') });
      await assert.rejects(missing.check(q), { code: 'ENOENT' });
      assert.equal(seen.length, 4, 'nothing is sent without the token');
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test('a token function is asked on every request', async () => {
    let n = 0;
    replies = [ok(answer), ok(answer)];
    const c = new DecisionClient({ baseUrl, token: async () => `t${++n}` });
    const q = { tenant: 't', user: 'u@x.example', capability: 'c' };
    await c.check(q);
    await c.check(q);
    assert.deepEqual(
      seen.map((s) => s.headers.authorization),
      ['Bearer t1', 'Bearer t2'],
    );
  });

  test('the constructor refuses what cannot work', () => {
    assert.throws(() => new DecisionClient({ baseUrl: '' }), /baseUrl is required/);
    assert.throws(() => new DecisionClient({ baseUrl: 'ftp://x' }), /want an https:\/\//);
    assert.throws(() => new DecisionClient({ baseUrl, token: 'a', tokenFile: '/x' }), /not both/);
  });
});

describe('errors', () => {
  const q = { tenant: 'northwind', user: 'teresa@northwind.example', capability: 'x' };

  test('every error code of the server becomes a DecisionError with its status and retry guidance', async () => {
    const c = new DecisionClient({ baseUrl });
    for (const [code, { status, retryable }] of Object.entries(errorCodes) as [ErrorCode, { status: number; retryable: boolean }][]) {
      replies = [(_, res) => json(res, status, { code, message: `words about ${code}` })];
      const err = await c.check(q).then(
        () => assert.fail(`${code}: resolved`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DecisionError, `${code}: ${String(err)}`);
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'DecisionError');
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.equal(err.message, `words about ${code}`);
      assert.equal(err.retryable, retryable, code);
      assert.equal(err.retryable, code === 'not_ready' || code === 'not_converged', code);
    }
  });

  test("a code this client does not know is kept; its status says whether to retry", async () => {
    const c = new DecisionClient({ baseUrl });
    replies = [(_, res) => json(res, 503, { code: 'brand_new', message: 'm' }), (_, res) => json(res, 400, { code: 'other_new', message: 'm' })];
    await assert.rejects(c.check(q), { name: 'DecisionError', code: 'brand_new', status: 503, retryable: true });
    await assert.rejects(c.check(q), { name: 'DecisionError', code: 'other_new', status: 400, retryable: false });
  });

  test("answers that are not the server's JSON are unexpected_response", async () => {
    const c = new DecisionClient({ baseUrl });
    replies = [
      (_, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end('<html>bad gateway</html>');
      },
      (_, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      },
      (_, res) => {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end('{"code":');
      },
    ];
    await assert.rejects(c.check(q), { code: 'unexpected_response', status: 502, retryable: true, message: /502 .*bad gateway/ });
    await assert.rejects(c.check(q), { code: 'unexpected_response', status: 200, retryable: false });
    await assert.rejects(c.check(q), { code: 'unexpected_response', status: 400, retryable: false });
  });

  test('no server is unreachable, status 0, retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const c = new DecisionClient({ baseUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(c.check(q), { name: 'DecisionError', code: 'unreachable', status: 0, retryable: true });
  });

  test('no answer within timeoutMs is timeout, retryable', async () => {
    replies = [() => {}]; // never answers
    const c = new DecisionClient({ baseUrl, timeoutMs: 50 });
    await assert.rejects(c.check(q), { name: 'DecisionError', code: 'timeout', status: 0, retryable: true });
  });

  test('a request after a write may take as long as the wait it allows the server, on top of timeoutMs', async () => {
    const late: Reply = (_, res) => setTimeout(() => json(res, 200, answer), 150);
    replies = [late, late];
    const c = new DecisionClient({ baseUrl, timeoutMs: 50 });
    await assert.rejects(c.check(q), { code: 'timeout' });
    const after = { ...q, consistency: { afterWrite: { kind: 'Member' as const, resourceVersion: '9' }, maxWaitSeconds: 2 } };
    assert.deepEqual(await c.check(after), answer);
  });

  test("the caller's cancellation rejects with its reason, not a DecisionError", async () => {
    replies = [() => {}];
    const c = new DecisionClient({ baseUrl });
    const ctl = new AbortController();
    const p = c.check(q, { signal: ctl.signal });
    ctl.abort(new Error('the caller gave up'));
    await assert.rejects(p, { message: 'the caller gave up' });
  });

  test('retries: a retryable error is asked again, up to retries times, honouring Retry-After', async () => {
    const notReady: Reply = (_, res) => json(res, 503, { code: 'not_ready', message: 'not yet' }, { 'Retry-After': '0' });
    replies = [notReady, notReady, ok(answer)];
    const c = new DecisionClient({ baseUrl, retries: 2, retryBackoffMs: 1 });
    assert.deepEqual(await c.check(q), answer);
    assert.equal(seen.length, 3);

    seen.length = 0;
    replies = [notReady, notReady, ok(answer)];
    const once = new DecisionClient({ baseUrl, retries: 1, retryBackoffMs: 1 });
    await assert.rejects(once.check(q), { code: 'not_ready', retryAfterSeconds: 0 });
    assert.equal(seen.length, 2);

    seen.length = 0;
    replies = [(_, res) => json(res, 400, { code: 'invalid_request', message: 'no' }), ok(answer)];
    await assert.rejects(c.check(q), { code: 'invalid_request' });
    assert.equal(seen.length, 1, 'an error that is not retryable is not asked again');
  });
});

test('compareFreshness orders tokens as integers', () => {
  assert.equal(compareFreshness('9', '10'), -1);
  assert.equal(compareFreshness('10', '9'), 1);
  assert.equal(compareFreshness('51342', '51342'), 0);
  assert.equal(compareFreshness('18446744073709551615', '18446744073709551614'), 1);
});
