// A refused burn reads the same on both sides of the wire: what the service answers, the client reads back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burnRefused, refusalOf, type BurnRefusal } from '../../src/ledger/refusals.js';

test('every refusal is answered with its status and code, and read back as itself', () => {
  const expected: Record<BurnRefusal, [number, string]> = {
    replay: [409, 'REPLAY'],
    expired: [410, 'EXPIRED'],
    tau_mismatch: [400, 'TAU_MISMATCH'],
    unknown: [404, 'NOT_FOUND'],
  };
  for (const [reason, [status, code]] of Object.entries(expected) as Array<[BurnRefusal, [number, string]]>) {
    const e = burnRefused(reason);
    assert.deepEqual([e.status, e.code], [status, code], reason);
    assert.equal(refusalOf(e.status, e.code), reason);
  }
});

test('other errors are not refusals: a 400 about the request, a code at the wrong status, a failure', () => {
  assert.equal(refusalOf(400, 'INVALID_INPUT'), undefined);
  assert.equal(refusalOf(400, undefined), undefined);
  assert.equal(refusalOf(500, 'REPLAY'), undefined);
  assert.equal(refusalOf(503, 'UNAVAILABLE'), undefined);
});
