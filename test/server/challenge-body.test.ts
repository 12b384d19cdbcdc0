import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPublishingRegistry, type TestRegistry } from '../proof/mint.js';

const TOKEN = 'admin-token-for-challenge-body';

describe('POST /api/circuits/{h}/challenge takes no body or {} only', () => {
  let reg: TestRegistry;
  before(async () => {
    ({ reg } = await startPublishingRegistry({
      token: TOKEN,
      config: { proof: { challenge_rps: 1000, burst: 1000 } },
      circuits: { body: { symbols: 'K7Q2X9' } },
    }));
  });
  after(() => reg.close());

  const challenge = (body?: string) =>
    fetch(`${reg.url}/api/circuits/body/challenge`, {
      method: 'POST',
      ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as any,
    }));

  test('no body and {} get a challenge', async () => {
    for (const body of [undefined, '{}', ' { } ']) {
      const r = await challenge(body);
      assert.equal(r.status, 200, `${body}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.nonce_uuid, 'string');
    }
  });

  test('null, 1, "s", arrays, other objects and a 200k-deep object are 400 INVALID_INPUT', async () => {
    for (const body of [
      'null',
      '1',
      '"s"',
      '[]',
      '[{}]',
      '{"a":1}',
      '{"kind":"bearings"}',
      `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`,
    ]) {
      const r = await challenge(body);
      assert.equal(r.status, 400, `${body.slice(0, 40)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
    }
  });
});
