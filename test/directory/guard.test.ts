import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { solvePow, leadingZeroBits, powSolves, MemoryPowStore, PowGate } from '../../src/guard/pow.js';
import { MemoryRateLimiter } from '../../src/guard/memory-limiter.js';
import { BoundedMap } from '../../src/guard/bounded-map.js';
import { ManualClock } from '../helpers/clock.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { identityFor } from '../helpers/directory-client.js';

const handle = identityFor('limit-target').user_id;

describe('rate limits and bans', () => {
  test('burst is served, the overrun is 429 with Retry-After, and the ban holds for ban_seconds', async (t) => {
    const clock = new ManualClock();
    const reg = await startTestRegistry(
      { rate_limit: { per_ip_rps: 1, burst: 3, ban_seconds: 2, endpoints: { check_user_rps: 100 } } },
      { t, clock },
    );
    for (let i = 0; i < 3; i++) assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 200);
    const limited = await call(reg.url, 'GET', `/check_user/${handle}`);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    assert.equal(limited.headers.get('retry-after'), '2');
    // Banned: even after a token has refilled (1 rps), the client stays out until the ban lapses.
    clock.advance(1000);
    const still = await call(reg.url, 'GET', `/check_user/${handle}`);
    assert.equal(still.status, 429);
    assert.equal(still.headers.get('retry-after'), '1');
    // Unlimited endpoints stay reachable during a ban.
    assert.equal((await call(reg.url, 'GET', '/envelope_pubkey')).status, 200);
    assert.equal((await call(reg.url, 'GET', '/nodes')).status, 200);
    clock.advance(999);
    assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 429, 'banned to the last millisecond');
    clock.advance(1);
    assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 200);
  });

  test('per-endpoint budgets are separate from the global one', async (t) => {
    // The global bucket refills a token per millisecond, so only the register bucket can run dry here.
    const reg = await startTestRegistry(
      {
        rate_limit: { per_ip_rps: 1000, burst: 2, ban_seconds: 0, endpoints: { register_rps: 0.01 } },
      },
      { t },
    );
    const register = () =>
      call(reg.url, 'POST', '/register', {
        handle: 'bad',
        envelope: { kid: '', sender_pubkey: '', nonce: '', ciphertext: '' },
      });
    assert.equal((await register()).status, 400);
    assert.equal((await register()).status, 400);
    const third = await register();
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) >= 1, 'without a ban, Retry-After is the refill time');
    // ban_seconds = 0: other endpoints are unaffected.
    assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 200);
  });

  test('X-Forwarded-For from an untrusted peer is ignored: a client can neither dodge its limit nor get someone banned', async (t) => {
    const reg = await startTestRegistry({ rate_limit: { per_ip_rps: 0.01, burst: 2, ban_seconds: 60 } }, { t });
    const spoof = (ip: string) => call(reg.url, 'GET', `/check_user/${handle}`, undefined, { 'x-forwarded-for': ip });
    assert.equal((await spoof('198.51.100.1')).status, 200);
    assert.equal((await spoof('198.51.100.2')).status, 200);
    assert.equal((await spoof('198.51.100.3')).status, 429, 'rotating the header does not reset the budget');
  });

  test('X-Forwarded-For from a trusted proxy is walked from the right', async (t) => {
    const reg = await startTestRegistry(
      {
        trusted_proxies: ['127.0.0.1', '10.0.0.0/8'],
        rate_limit: { per_ip_rps: 0.01, burst: 1, ban_seconds: 60 },
      },
      { t },
    );
    const via = (xff: string) => call(reg.url, 'GET', `/check_user/${handle}`, undefined, { 'x-forwarded-for': xff });
    // The client is the right-most untrusted address; anything left of it is attacker-controlled.
    assert.equal((await via('203.0.113.9, 198.51.100.7, 10.1.2.3')).status, 200);
    assert.equal((await via('1.1.1.1, 198.51.100.7')).status, 429, 'same client behind a forged left part');
    assert.equal((await via('198.51.100.8')).status, 200, 'a different client has its own budget');
    assert.equal((await via('198.51.100.7')).status, 429, 'the first client is banned');
  });

  test('limiter and bounded map never exceed their bounds', async () => {
    const m = new BoundedMap<number, number>(3);
    for (let i = 0; i < 10; i++) m.set(i, i);
    assert.equal(m.size, 3);
    assert.equal(m.get(0), undefined);
    assert.equal(m.get(9), 9);
    let now = 0;
    const l = new MemoryRateLimiter(100, { now: () => now });
    for (let i = 0; i < 10_000; i++)
      await l.consume({ banKey: `b${i}`, buckets: [{ key: `k${i}`, rps: 1, burst: 1 }], banSeconds: 10 });
    for (let i = 0; i < 1000; i++)
      await l.consume({ banKey: `b${i}`, buckets: [{ key: `k${i}`, rps: 1, burst: 1 }], banSeconds: 10 });
    const internals = l as unknown as { buckets: BoundedMap<string, unknown>; bans: BoundedMap<string, unknown> };
    assert.ok(internals.buckets.size <= 100 && internals.bans.size <= 100);
    now += 1;
    await l.close();
  });
});

describe('proof of work', () => {
  test('leading zero bits and the solver agree', () => {
    assert.equal(leadingZeroBits(Uint8Array.of(0, 0, 0x10)), 19);
    assert.equal(leadingZeroBits(Uint8Array.of(0x80)), 0);
    const s = solvePow('00'.repeat(16), 8);
    assert.ok(powSolves('00'.repeat(16), s, 8));
  });

  test('missing, malformed, wrong, replayed, expired and valid solutions', async (t) => {
    // The registry's clock is the test's: the challenge lapses when the test says so, not after a sleep.
    const clock = new ManualClock();
    const reg = await startTestRegistry(
      { pow: { enabled: true, difficulty: 8, ttl_seconds: 1 }, rate_limit: { enabled: false } },
      { t, clock },
    );
    const target = `/check_user/${handle}`;
    const refused = async (header?: string) => {
      const r = await call(reg.url, 'GET', target, undefined, header === undefined ? {} : { 'x-enigma-pow': header });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'POW_REQUIRED');
      return r.body.error.message as string;
    };
    await refused();
    await refused('garbage');
    const c1 = (await call(reg.url, 'GET', '/pow/challenge')).body as {
      challenge: string;
      difficulty: number;
      expires_ms: number;
    };
    assert.match(c1.challenge, /^[0-9a-f]{32}$/);
    assert.equal(c1.difficulty, 8);
    assert.equal(c1.expires_ms, clock.now() + 1000);
    // A wrong solution burns the challenge (single attempt).
    let wrong = 0;
    while (powSolves(c1.challenge, String(wrong), 8)) wrong++;
    assert.match(await refused(`${c1.challenge}:${wrong}`), /difficulty/);
    assert.match(await refused(`${c1.challenge}:${solvePow(c1.challenge, 8)}`), /already used|unknown/);

    const c2 = (await call(reg.url, 'GET', '/pow/challenge')).body as { challenge: string };
    const good = `${c2.challenge}:${solvePow(c2.challenge, 8)}`;
    assert.equal((await call(reg.url, 'GET', target, undefined, { 'x-enigma-pow': good })).status, 200);
    assert.match(await refused(good), /already used|unknown/, 'replay');

    const c3 = (await call(reg.url, 'GET', '/pow/challenge')).body as { challenge: string };
    const late = `${c3.challenge}:${solvePow(c3.challenge, 8)}`;
    clock.advance(1000);
    assert.equal(
      (await call(reg.url, 'GET', target, undefined, { 'x-enigma-pow': late })).status,
      200,
      'valid at its expiry',
    );
    const later = (await call(reg.url, 'GET', '/pow/challenge')).body as { challenge: string };
    clock.advance(1001);
    assert.match(await refused(`${later.challenge}:${solvePow(later.challenge, 8)}`), /expired/);

    // /resolve needs it too; /register does not.
    const r = await call(reg.url, 'POST', '/resolve', { handle, requester_ephemeral_pubkey_hex: '11'.repeat(32) });
    assert.equal(r.body.error.code, 'POW_REQUIRED');
  });

  test('/pow/challenge is rate limited like any other call', async (t) => {
    const reg = await startTestRegistry(
      {
        pow: { enabled: true },
        rate_limit: { per_ip_rps: 0.01, burst: 2, ban_seconds: 5 },
      },
      { t },
    );
    assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 200);
    assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 200);
    assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 429);
  });

  test('x-enigma-pow as the Rust registry reads it: a solution over 128 characters is accepted, and of two headers the first wins', async (t) => {
    const reg = await startTestRegistry(
      { pow: { enabled: true, difficulty: 8 }, rate_limit: { enabled: false } },
      { t },
    );
    const target = `/check_user/${handle}`;
    const fresh = async () => ((await call(reg.url, 'GET', '/pow/challenge')).body as { challenge: string }).challenge;
    const long = async () => {
      const c = await fresh();
      const prefix = 'x'.repeat(300);
      let n = 0;
      while (!powSolves(c, prefix + n, 8)) n++;
      return `${c}:${prefix}${n}`;
    };
    const r = await call(reg.url, 'GET', target, undefined, { 'x-enigma-pow': await long() });
    assert.equal(r.status, 200, JSON.stringify(r.body));

    // fetch would join repeated headers itself: send two header lines over a raw request.
    const twoHeaders = (values: string[]) =>
      new Promise<{ status: number; body: { error?: { code: string } } }>((resolve, reject) => {
        const req = request(reg.url + target, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (d: string) => (text += d))
            .on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.setHeader('x-enigma-pow', values);
        req.on('error', reject).end();
      });
    const c = await fresh();
    const good = `${c}:${solvePow(c, 8)}`;
    assert.equal((await twoHeaders([good, `${await fresh()}:1`])).status, 200, 'the first, valid header wins');
    const c2 = await fresh();
    const second = await twoHeaders([`${await fresh()}:garbage`, `${c2}:${solvePow(c2, 8)}`]);
    assert.equal(second.status, 400, 'a valid second header does not rescue an invalid first one');
    assert.equal(second.body.error?.code, 'POW_REQUIRED');
  });

  test('issuing and taking stay O(1) with 50,000 challenges outstanding (Map operations counted, not timed)', async () => {
    const gate = new PowGate(new MemoryPowStore(100_000), 4, 120);
    const issueAndSpend = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const c = await gate.issue();
        await gate.verify(`${c.challenge}:0`).catch(() => undefined); // single use: taken whether or not it solves
      }
    };
    const outstanding = await countMapWork(async () => {
      for (let i = 0; i < 50_000; i++) await gate.issue();
    });
    assert.ok(outstanding < 50_000 * 10, `filling: ${outstanding} Map operations`);
    const work = await countMapWork(() => issueAndSpend(1000));
    // The old store pruned the whole map on every issue: ~50,000 entries visited each time.
    assert.ok(work / 1000 < 20, `${work / 1000} Map operations per issue + verify with 50,000 outstanding`);
  });

  test('the memory store forgets expired and excess challenges from the oldest end', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryPowStore(1000, clock);
    const gate = new PowGate(store, 4, 60, clock);
    const first = await gate.issue();
    for (let i = 0; i < 4999; i++) await gate.issue();
    const map = (store as unknown as { map: Map<string, unknown> }).map;
    assert.equal(map.size, 1000, 'bounded by max_outstanding');
    await assert.rejects(gate.verify(`${first.challenge}:${solvePow(first.challenge, 4)}`), /unknown/);
    const last = await gate.issue();
    clock.advance(61_000);
    await assert.rejects(
      gate.verify(`${last.challenge}:${solvePow(last.challenge, 4)}`),
      /expired/,
      'told expired within the grace period',
    );
    clock.advance(60_000);
    const work = await countMapWork(() => gate.issue().then(() => undefined));
    assert.equal(map.size, 1, 'every expired challenge was dropped');
    assert.ok(work <= 3 * 1000, `one sweep over the expired ones: ${work} operations`);
  });
});

/**
 * Counts Map operations (get, set, has, delete, and each step of any Map iteration) made while `fn` runs:
 * the work a data structure does, independent of how busy the machine is.
 */
async function countMapWork(fn: () => Promise<void>): Promise<number> {
  const iterProto = Object.getPrototypeOf(new Map().entries()) as { next: (...a: unknown[]) => unknown };
  const mapProto = Map.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = {
    next: iterProto.next,
    get: mapProto.get!,
    set: mapProto.set!,
    has: mapProto.has!,
    delete: mapProto.delete!,
  };
  let n = 0;
  const counting = (f: (...a: unknown[]) => unknown) =>
    function (this: unknown, ...a: unknown[]) {
      n++;
      return f.apply(this, a);
    };
  iterProto.next = counting(saved.next);
  for (const m of ['get', 'set', 'has', 'delete'] as const) mapProto[m] = counting(saved[m]);
  try {
    await fn();
  } finally {
    iterProto.next = saved.next;
    for (const m of ['get', 'set', 'has', 'delete'] as const) mapProto[m] = saved[m];
  }
  return n;
}
