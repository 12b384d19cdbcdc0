import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import {
  SIXZONE_ALPHABET,
  SIXZONE_BEARINGS,
  SIXZONE_COLOURS,
  solveSixzone,
  type Bearing,
  type SixzoneChallenge,
  type SixzoneSecret,
} from '../../src/client/sixzone.js';
import { setSixzoneRounds } from '../../src/circuits/mint.js';
import type { Artifact } from '../../src/executor/types.js';
import { repoRoot, sixzoneBytes, wasmArtifact } from './sixzone-artifact.js';
import { directRunner } from './wasi-direct.js';

const execFileAsync = promisify(execFile);
const SEED_A = 'aa'.repeat(32);
const SEED_B = 'ab'.repeat(32);
const MAPPING: SixzoneSecret['mapping'] = {
  red: 'S',
  orange: 'SW',
  yellow: 'NW',
  green: 'N',
  blue: 'NE',
  violet: 'SE',
};

let artifact: Artifact;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function call(command: string, input: unknown, a: Artifact = artifact) {
  const r = await directRunner.run(a, command, [], enc(input));
  return { code: r.exit_code, json: JSON.parse(r.stdout) as Record<string, unknown> };
}

async function challenge(seed: string, a: Artifact = artifact): Promise<SixzoneChallenge> {
  const r = await call('challenge', { nonce_uuid: 'n-1', tau: 'tau-1', seed }, a);
  assert.equal(r.code, 0, JSON.stringify(r.json));
  return r.json as unknown as SixzoneChallenge;
}

async function validate(seed: string, bearings: string[], secret: SixzoneSecret): Promise<boolean> {
  const r = await call('validate-response', { nonce_uuid: 'n-1', tau: 'tau-1', seed, payload: { bearings }, secret });
  assert.equal(r.code, 0, JSON.stringify(r.json));
  return (r.json as { valid: boolean }).valid;
}

before(() => {
  artifact = wasmArtifact(sixzoneBytes());
});

describe('sixzone circuit', () => {
  it('info describes the parameters and commands', async () => {
    const r = await call('info', {});
    assert.equal(r.code, 0);
    assert.deepEqual(r.json, {
      circuit: 'sixzone',
      version: 1,
      commands: ['info', 'challenge', 'validate-response'],
      rounds: 12,
      alphabet: SIXZONE_ALPHABET,
      bearings: [...SIXZONE_BEARINGS],
      colours: [...SIXZONE_COLOURS],
      secret_length: { min: 4, max: 12 },
    });
  });

  it('is deterministic in the seed: same seed → same grid, different seed → different grid', async () => {
    const a1 = await challenge(SEED_A);
    const a2 = await challenge(SEED_A);
    const b = await challenge(SEED_B);
    assert.deepEqual(a1, a2);
    assert.equal(a1.nonce_uuid, 'n-1');
    assert.equal(a1.tau, 'tau-1');
    assert.notDeepEqual(a1.rounds, b.rounds);
    // Rounds differ from each other too (the round number is in the hash input).
    assert.notDeepEqual(a1.rounds[0]!.zones, a1.rounds[1]!.zones);
  });

  it('deals every round into six zones that partition the alphabet', async () => {
    for (const seed of [SEED_A, SEED_B, '0f'.repeat(32)]) {
      const c = await challenge(seed);
      assert.equal(c.rounds.length, 12);
      for (const round of c.rounds) {
        assert.deepEqual(
          round.zones.map((z) => z.bearing),
          [...SIXZONE_BEARINGS],
        );
        assert.deepEqual(round.zones.map((z) => z.colour).sort(), [...SIXZONE_COLOURS].sort());
        const all = round.zones.flatMap((z) => z.symbols);
        assert.equal(all.length, SIXZONE_ALPHABET.length);
        assert.deepEqual([...all].sort(), [...SIXZONE_ALPHABET].sort());
      }
    }
  });

  for (const [mode, secret] of [
    ['without a mapping', { symbols: 'K7Q2' }],
    ['with a mapping', { symbols: 'ZEBRA9', mapping: MAPPING }],
  ] as const) {
    it(`accepts the solved answer and refuses any single wrong bearing (${mode})`, async () => {
      const c = await challenge(SEED_A);
      const answer = solveSixzone(c, secret);
      assert.equal(answer.length, 12);
      assert.equal(await validate(SEED_A, answer, secret), true);
      for (let r = 0; r < answer.length; r++) {
        const wrong = [...answer];
        wrong[r] = SIXZONE_BEARINGS[(SIXZONE_BEARINGS.indexOf(answer[r]!) + 1 + (r % 5)) % 6]!;
        assert.equal(await validate(SEED_A, wrong, secret), false, `round ${r} changed`);
      }
      // The right answer for one seed is wrong for another grid.
      assert.equal(await validate(SEED_B, answer, secret), false);
    });
  }

  it('distinguishes mapping and no-mapping modes', async () => {
    const c = await challenge(SEED_A);
    const plain = { symbols: 'ZEBRA9' };
    const mapped = { symbols: 'ZEBRA9', mapping: MAPPING };
    const plainAnswer = solveSixzone(c, plain);
    const mappedAnswer = solveSixzone(c, mapped);
    assert.notDeepEqual(plainAnswer, mappedAnswer);
    assert.equal(await validate(SEED_A, plainAnswer, mapped), false);
    assert.equal(await validate(SEED_A, mappedAnswer, plain), false);
  });

  it('refuses a wrong number of bearings as invalid', async () => {
    const secret = { symbols: 'K7Q2' };
    const answer = solveSixzone(await challenge(SEED_A), secret);
    assert.equal(await validate(SEED_A, answer.slice(0, 11), secret), false);
    assert.equal(await validate(SEED_A, [...answer, 'N' as Bearing], secret), false);
    assert.equal(await validate(SEED_A, [], secret), false);
  });

  it('answers bad input with exit 2 and a JSON error', async () => {
    const base = { nonce_uuid: 'n', tau: 1, seed: SEED_A, payload: { bearings: [] }, secret: { symbols: 'ABCD' } };
    const cases: Array<[string, unknown]> = [
      ['challenge', { nonce_uuid: 'n', tau: 1, seed: 'zz' }],
      ['challenge', { tau: 1, seed: SEED_A }],
      ['validate-response', { ...base, secret: { symbols: 'abc!' } }],
      ['validate-response', { ...base, secret: { symbols: 'ABC' } }],
      ['validate-response', { ...base, secret: { symbols: 'ABCD', mapping: { ...MAPPING, red: 'SW' } } }],
      ['validate-response', { ...base, payload: { bearings: ['UP'] } }],
      ['validate-response', { ...base, secret: undefined }],
      ['frobnicate', {}],
    ];
    for (const [command, input] of cases) {
      const r = await call(command, input);
      assert.equal(r.code, 2, `${command} ${JSON.stringify(input)}`);
      assert.equal(typeof (r.json.error as { message: string }).message, 'string');
    }
    const seed = JSON.stringify(SEED_A);
    for (const text of [
      '{"seed": ',
      `{"nonce_uuid":"n","tau":1-2,"seed":${seed}}`,
      `{"nonce_uuid":"n","tau":01,"seed":${seed}}`,
      `{"nonce_uuid":"\\uZZZZ","tau":1,"seed":${seed}}`,
      `{"nonce_uuid":"n","nonce_uuid":"m","tau":1,"seed":${seed}}`,
    ]) {
      const raw = await directRunner.run(artifact, 'challenge', [], new TextEncoder().encode(text));
      assert.equal(raw.exit_code, 2, text);
      assert.match(JSON.parse(raw.stdout).error.message, /not valid JSON/, text);
    }
  });

  it('echoes nonce and tau as valid JSON, whatever characters they hold', async () => {
    const nonce_uuid = 'a"b\\c\n\u0001é✓';
    // biome-ignore lint/correctness/noPrecisionLoss: a numeric tau beyond 2^53, echoed as JSON prints it
    for (const tau of ['t"\\', -0.5e3, 12345678901234567890]) {
      const r = await directRunner.run(artifact, 'challenge', [], enc({ nonce_uuid, tau, seed: SEED_A }));
      assert.equal(r.exit_code, 0);
      const c = JSON.parse(r.stdout) as SixzoneChallenge;
      assert.equal(c.nonce_uuid, nonce_uuid);
      assert.equal(c.tau, tau);
    }
  });

  it('takes its round count from the patched parameter byte', async () => {
    const five = wasmArtifact(setSixzoneRounds(artifact.bytes, 5));
    assert.equal((await call('info', {}, five)).json.rounds, 5);
    const c = await challenge(SEED_A, five);
    assert.equal(c.rounds.length, 5);
    // Same seed, same deal for the rounds both have.
    assert.deepEqual(c.rounds, (await challenge(SEED_A)).rounds.slice(0, 5));
    assert.throws(() => setSixzoneRounds(artifact.bytes, 0), /rounds/);
  });

  it('builds reproducibly: the sources copied to another path build to the same SHA-256', async () => {
    // A second tree (own path, shared node_modules) also shows that no absolute path reaches the bytes.
    const tree = mkdtempSync(join(tmpdir(), 'sixzone-tree-'));
    try {
      cpSync(join(repoRoot, 'circuits'), join(tree, 'circuits'), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules'), join(tree, 'node_modules'));
      await execFileAsync(process.execPath, [join(tree, 'circuits', 'build.mjs')]);
      const fresh = createHash('sha256')
        .update(readFileSync(join(tree, 'build', 'circuits', 'sixzone.wasm')))
        .digest('hex');
      assert.equal(fresh, artifact.sha256);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
