import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Value from 'typebox/value';
import { ChallengeReply } from '../../src/client/wire-proof.js';
import { argvModule, echoModule } from '../executor/wasm-builder.js';
import { publish, signedCircuit, startPublishingRegistry, type TestRegistry } from '../proof/mint.js';

const TOKEN = 'admin-token-for-challenge-body';

describe('POST /api/circuits/{h}/challenge: no body or {} only, and the reply it gets', () => {
  let reg: TestRegistry;
  before(async () => {
    const started = await startPublishingRegistry({
      token: TOKEN,
      config: { proof: { challenge_rps: 1000, burst: 1000 } },
      circuits: { body: { symbols: 'K7Q2X9' } },
    });
    reg = started.reg;
    // Circuits whose challenge prints its stdin (JSON) or its argv (not JSON).
    for (const [handle, bytes] of [
      ['echo', echoModule(0)],
      ['argv', argvModule()],
    ] as const) {
      const r = await publish(reg.url, TOKEN, signedCircuit(bytes, started.publisher.seed, { handle }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });
  after(() => reg.close());

  const challenge = (body?: string, handle = 'body') =>
    fetch(`${reg.url}/api/circuits/${handle}/challenge`, {
      method: 'POST',
      ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
    }).then(async (r) => ({
      status: r.status,
      type: r.headers.get('content-type'),
      body: (await r.json()) as any,
    }));

  test("the reply is JSON of the documented shape, with the circuit's challenge output as it printed it", async () => {
    for (const handle of ['body', 'echo']) {
      const r = await challenge(undefined, handle);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.type, 'application/json; charset=utf-8');
      assert.ok(Value.Check(ChallengeReply, r.body), JSON.stringify([...Value.Errors(ChallengeReply, r.body)]));
    }
    // The echo circuit prints the input the gateway gave it: the nonce, the tau and the seed, nothing else.
    const r = await challenge(undefined, 'echo');
    assert.deepEqual(Object.keys(r.body.challenge), ['nonce_uuid', 'tau', 'seed']);
    assert.equal(r.body.challenge.nonce_uuid, r.body.nonce_uuid);
    assert.equal(r.body.challenge.tau, r.body.tau);
    assert.match(r.body.challenge.seed, /^[0-9a-f]{64}$/);
  });

  test('a circuit whose challenge output is not one JSON value is 500 INTERNAL, in a JSON error body', async () => {
    const r = await challenge(undefined, 'argv');
    assert.equal(r.status, 500, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'INTERNAL');
  });

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
