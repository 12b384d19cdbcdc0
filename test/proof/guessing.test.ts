import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ProofClient, type Challenge } from '../../src/client/index.js';
import { SIXZONE_ALPHABET, solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { powSolves, solvePow } from '../../src/guard/pow.js';
import { sixzoneBytes, wasmArtifact } from '../circuits/sixzone-artifact.js';
import { directRunner } from '../circuits/wasi-direct.js';
import { ManualClock } from '../helpers/clock.js';
import { call } from '../helpers/registry.js';
import { answerBody, startPublishingRegistry, wrongBearings, type TestRegistry } from './mint.js';

// Issue 12 §5: online guessing is bounded per handle, and a stranger's wrong answers never lock the owner out.

const TOKEN = 'admin-token-for-tests';
const SECRET: SixzoneSecret = { symbols: 'K7Q2ZX' };
const HOUR = 3_600_000;
const LIMITS = {
  lockout_after: 3,
  lockout_seconds: 900,
  guesses_per_hour: 20,
  pow_free_failures: 2,
  pow_min_difficulty: 4,
  pow_max_difficulty: 8,
};

describe('guessing budget and lockout (clients told apart by X-Forwarded-For from a trusted proxy)', () => {
  let reg: TestRegistry;
  let base: string;
  /** The registry's time: it stands still unless a test moves it (the flood test walks it through hours). */
  const clock = new ManualClock();

  before(async () => {
    ({ reg } = await startPublishingRegistry({
      token: TOKEN,
      config: { trusted_proxies: ['127.0.0.1'], rate_limit: { enabled: false }, proof: LIMITS },
      clock,
      circuits: { flood: SECRET, single: SECRET, burst: SECRET },
    }));
    base = reg.url;
  });
  after(() => reg.close());

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  /** One guess by `ip`: a challenge (solving the PoW it asks for), then a wrong answer. */
  async function guess(handle: string, ip: string, seen: { maxDifficulty: number }): Promise<'rejected' | 'refused'> {
    let headers = from(ip);
    let r = await call(base, 'POST', `/api/circuits/${handle}/challenge`, {}, headers);
    if (r.status === 400 && r.body.error.code === 'POW_REQUIRED') {
      const pow = r.body.error.details.pow as { challenge: string; difficulty: number; expires_ms: number };
      seen.maxDifficulty = Math.max(seen.maxDifficulty, pow.difficulty);
      headers = {
        ...headers,
        'x-enigma-pow': `${pow.challenge}:${solvePow(pow.challenge, pow.difficulty)}`,
      } as typeof headers;
      r = await call(base, 'POST', `/api/circuits/${handle}/challenge`, {}, headers);
    }
    if (r.status === 429) return 'refused';
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const v = await call(
      base,
      'POST',
      `/api/circuits/${handle}/validate`,
      answerBody(r.body, wrongBearings(r.body.challenge, SECRET)),
      from(ip),
    );
    if (v.status === 429) return 'refused';
    assert.equal(v.status, 403, JSON.stringify(v.body));
    assert.equal(v.body.error.code, 'PROOF_REJECTED');
    return 'rejected';
  }

  test('a flood of wrong answers from many addresses gets at most the documented number of guesses; the owner still proves meanwhile', async (t) => {
    const attackers = Array.from({ length: 10 }, (_, i) => `203.0.113.${i + 1}`);
    const hours = 3;
    const stepMs = 5 * 60_000;
    const seen = { maxDifficulty: 0 };
    let rejected = 0;
    let ownerProved = 0;
    const owner = new ProofClient({ baseUrl: base, headers: from('198.51.100.77'), powWorker: false });
    for (let at = 0; at < hours * HOUR; at += stepMs) {
      for (const ip of attackers) if ((await guess('flood', ip, seen)) === 'rejected') rejected++;
      if (at % HOUR === HOUR / 2) {
        // Mid-hour, with the budget spent by the flood: the owner, from its own address, still gets a
        // challenge (paying the PoW the SDK is asked for) and proves.
        let asked = 0;
        const ch = await owner.challenge('flood', { onPowProgress: (p) => (asked = Math.max(asked, p.difficulty)) });
        assert.ok(asked > 0 && asked <= LIMITS.pow_max_difficulty, `owner asked for ${asked} bits`);
        const ok = await owner.validate('flood', ch, solveSixzone(ch.challenge, SECRET));
        assert.equal(ok.validated, true);
        ownerProved++;
      }
      clock.advance(stepMs);
    }
    assert.equal(ownerProved, hours);
    // README "Guessing budget": in any T hours at most guesses_per_hour·(T+1) + A·(3600·T/lockout_seconds + 1).
    const bound =
      LIMITS.guesses_per_hour * (hours + 1) + attackers.length * ((3600 * hours) / LIMITS.lockout_seconds + 1);
    t.diagnostic(`${rejected} guesses in ${hours} h from ${attackers.length} addresses; documented bound ${bound}`);
    assert.ok(rejected <= bound, `${rejected} guesses in ${hours} h, documented bound ${bound}`);
    // Without the limits the flood would have made 10 addresses × 36 steps = 360 guesses.
    assert.ok(rejected < attackers.length * ((hours * HOUR) / stepMs), `${rejected} guesses: the flood was not slowed`);
    assert.ok(rejected >= LIMITS.guesses_per_hour * hours, `${rejected}: the flood should have used the whole budget`);
    assert.equal(seen.maxDifficulty, LIMITS.pow_max_difficulty, 'the PoW grew with the failures up to its maximum');
  });

  test('wrong answers lock out only the client that sent them; the difficulty grows with failures at the handle', async () => {
    const seen = { maxDifficulty: 0 };
    const difficulties: number[] = [];
    for (let i = 0; i < LIMITS.lockout_after; i++) {
      assert.equal(await guess('single', '203.0.113.200', seen), 'rejected');
      difficulties.push(seen.maxDifficulty);
    }
    assert.deepEqual(difficulties, [0, 0, LIMITS.pow_min_difficulty], 'free below pow_free_failures, then paid');
    const locked = await call(base, 'POST', '/api/circuits/single/challenge', {}, from('203.0.113.200'));
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.details.reason, 'locked_out');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);

    // The owner, elsewhere, is not locked out: the SDK solves the PoW the registry asks for.
    const owner = new ProofClient({ baseUrl: base, headers: from('198.51.100.78'), powWorker: false });
    const ch = await owner.challenge('single');
    assert.equal((await owner.validate('single', ch, solveSixzone(ch.challenge, SECRET))).validated, true);
    // A stale or missing PoW header is refused with a fresh challenge in the details.
    const bare = await call(base, 'POST', '/api/circuits/single/challenge', {}, from('198.51.100.79'));
    assert.equal(bare.status, 400);
    assert.equal(bare.body.error.code, 'POW_REQUIRED');
    assert.match(bare.body.error.details.pow.challenge, /^[0-9a-f]{32}$/);
    const pow = bare.body.error.details.pow as { challenge: string; difficulty: number };
    let miss = 0;
    while (powSolves(pow.challenge, String(miss), pow.difficulty)) miss++;
    const reused = await call(
      base,
      'POST',
      '/api/circuits/single/challenge',
      {},
      { ...from('198.51.100.79'), 'x-enigma-pow': `${pow.challenge}:${miss}` },
    );
    assert.equal(reused.status, 400);
    assert.match(reused.body.error.message, /difficulty/);
    assert.notEqual(reused.body.error.details.pow.challenge, pow.challenge, 'a fresh challenge each time');
  });

  test('concurrent wrong answers from one client cannot outrun its lockout', async () => {
    const ip = '203.0.113.201';
    const challenges: Challenge[] = [];
    // Fetched before any failure: free of PoW, and all answerable at once.
    for (let i = 0; i < 10; i++)
      challenges.push((await call<Challenge>(base, 'POST', '/api/circuits/burst/challenge', {}, from(ip))).body);
    const results = await Promise.all(
      challenges.map((ch) =>
        call(
          base,
          'POST',
          '/api/circuits/burst/validate',
          answerBody(ch, wrongBearings(ch.challenge, SECRET)),
          from(ip),
        ),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 403).length, LIMITS.lockout_after, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 10 - LIMITS.lockout_after);
    assert.ok(results.filter((r) => r.status === 429).every((r) => r.body.error.details.reason === 'locked_out'));
  });
});

describe('the guessing arithmetic in the README, checked against the sixzone circuit', () => {
  test('with 12 rounds, a wrong symbol at one position of a 6-symbol secret passes both of its rounds with probability ≈ 1/49', async (t) => {
    const artifact = wasmArtifact(sixzoneBytes());
    const n = 200;
    let passing = 0;
    for (let i = 0; i < n; i++) {
      const seed = createHash('sha256').update(`guessing-${i}`).digest('hex');
      const r = await directRunner.run(
        artifact,
        'challenge',
        [],
        new TextEncoder().encode(JSON.stringify({ nonce_uuid: 'n', tau: 't', seed })),
      );
      assert.equal(r.exit_code, 0, r.stderr);
      const ch = JSON.parse(r.stdout) as SixzoneChallenge;
      const right = solveSixzone(ch, SECRET).join(',');
      // Every other symbol at position 0: it passes when it shares the secret symbol's zone in rounds 0 and 6.
      for (const s of SIXZONE_ALPHABET) {
        if (s !== SECRET.symbols[0] && solveSixzone(ch, { symbols: s + SECRET.symbols.slice(1) }).join(',') === right)
          passing++;
      }
    }
    const sameZoneTwice = passing / (n * 35);
    t.diagnostic(
      `same zone in both rounds: ${sameZoneTwice.toFixed(4)} (1/49 = ${(1 / 49).toFixed(4)}); per position 1/36 + 35/36·that = ${(1 / 36 + (35 / 36) * sameZoneTwice).toFixed(4)} (1/21 = ${(1 / 21).toFixed(4)})`,
    );
    // 200 challenges × 35 alternatives: the mean of 0.714 passing alternatives a challenge has a standard error of ~0.05.
    assert.ok(sameZoneTwice > 0.0143 && sameZoneTwice < 0.0266, `${sameZoneTwice}`);
  });
});
