// Read your revocation through the client: after a write to an input,
// an answer asked with consistency.afterWrite reflects it. Skipped unless
// DECISION_SERVER_URL and DECISION_E2E_AFTER_WRITE are set;
// clients/typescript/e2e_test.go makes the write (it deactivates a Member)
// and sets them:
//
//   DECISION_E2E_AFTER_WRITE  JSON {write, question, allowed}: the write made, a
//                             question it changes, and the answer it now has

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type CheckRequest, type Write, DecisionClient, type DecisionClientOptions } from '../src/index.js';

const env = process.env;
const skip = !env.DECISION_SERVER_URL || !env.DECISION_E2E_AFTER_WRITE ? 'DECISION_SERVER_URL or DECISION_E2E_AFTER_WRITE is not set' : false;

test('an answer asked after a write reflects it', { skip }, async () => {
  const o: DecisionClientOptions = { baseUrl: env.DECISION_SERVER_URL! };
  if (env.DECISION_SERVER_TOKEN_FILE) o.tokenFile = env.DECISION_SERVER_TOKEN_FILE;
  const c = new DecisionClient(o);
  const { write, question, allowed } = JSON.parse(env.DECISION_E2E_AFTER_WRITE!) as { write: Write; question: CheckRequest; allowed: boolean };
  const a = await c.check({ ...question, consistency: { afterWrite: write, maxWaitSeconds: 30 } });
  assert.equal(a.allowed, allowed, `after ${JSON.stringify(write)}: ${JSON.stringify(question)} answered ${JSON.stringify(a)}`);
  // A batch waits for it alike.
  const b = await c.batchCheck([question], { afterWrite: write, maxWaitSeconds: 30 });
  assert.equal(b.answers[0]!.allowed, allowed);
});
