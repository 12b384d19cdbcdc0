// The circuit and the SDK's solver against the known-answer vectors.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import type { Artifact } from '../../src/executor/types.js';
import { sixzoneBytes, wasmArtifact } from './sixzone-artifact.js';
import { SIXZONE_KAT as KAT } from './sixzone-vectors.js';
import { directRunner } from './wasi-direct.js';

let artifact: Artifact;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const request = { nonce_uuid: KAT.nonce_uuid, tau: KAT.tau, seed: KAT.seed };
const secret: SixzoneSecret = { symbols: KAT.secret };
const mapped: SixzoneSecret = { symbols: KAT.secret, mapping: { ...KAT.mapping } };

async function run(command: string, input: unknown) {
  const r = await directRunner.run(artifact, command, [], enc(input));
  assert.equal(r.exit_code, 0, r.stdout);
  return JSON.parse(r.stdout) as unknown;
}

before(() => {
  artifact = wasmArtifact(sixzoneBytes());
});

test('the challenge for the vector seed deals the vector zones', async () => {
  const ch = (await run('challenge', request)) as SixzoneChallenge;
  assert.equal(ch.rounds.length, KAT.answer.length);
  for (const [round, zones] of Object.entries(KAT.zones)) {
    assert.deepEqual(
      ch.rounds[Number(round)]!.zones.map((z) => `${z.bearing}:${z.colour}:${z.symbols.join('')}`),
      zones,
      `round ${round}`,
    );
  }
  assert.deepEqual(solveSixzone(ch, secret), KAT.answer);
  assert.deepEqual(solveSixzone(ch, mapped), KAT.answerWithMapping);
});

test('validate-response accepts exactly the vector answers', async () => {
  const validate = (bearings: readonly string[], s: SixzoneSecret) =>
    run('validate-response', { ...request, payload: { bearings }, secret: s });
  assert.deepEqual(await validate(KAT.answer, secret), { valid: true });
  assert.deepEqual(await validate(KAT.answerWithMapping, mapped), { valid: true });
  // The unmapped answer is not the mapped one, and one changed round fails the whole answer.
  assert.deepEqual(await validate(KAT.answer, mapped), { valid: false });
  assert.deepEqual(await validate(['N', ...KAT.answer.slice(1)], secret), { valid: false });
});
