import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { solvePow, leadingZeroBits, powSolves } from '../../src/guard/pow.js';
import { MemoryRateLimiter } from '../../src/guard/memory-limiter.js';
import { BoundedMap } from '../../src/guard/bounded-map.js';
import { ManualClock } from '../helpers/clock.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { identityFor } from '../helpers/directory-client.js';

const handle = identityFor('limit-target').user_id;

describe('rate limits and bans', () => {
  test('burst is served, the overrun is 429 with Retry-After, and the ban holds for ban_seconds', async () => {
    const clock = new ManualClock();
    const reg = await startTestRegistry({ rate_limit: { per_ip_rps: 1, burst: 3, ban_seconds: 2, endpoints: { check_user_rps: 100 } } }, { clock });
    try {
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
    } finally {
      await reg.close();
    }
  });

  test('per-endpoint budgets are separate from the global one', async () => {
    // The global bucket refills a token per millisecond, so only the register bucket can run dry here.
    const reg = await startTestRegistry({ rate_limit: { per_ip_rps: 1000, burst: 2, ban_seconds: 0, endpoints: { register_rps: 0.01 } } });
    try {
      const register = () => call(reg.url, 'POST', '/register', { handle: 'bad', envelope: { kid: '', sender_pubkey: '', nonce: '', ciphertext: '' } });
      assert.equal((await register()).status, 400);
      assert.equal((await register()).status, 400);
      const third = await register();
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('retry-after')) >= 1, 'without a ban, Retry-After is the refill time');
      // ban_seconds = 0: other endpoints are unaffected.
      assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 200);
    } finally {
      await reg.close();
    }
  });

  test('X-Forwarded-For from an untrusted peer is ignored: a client can neither dodge its limit nor get someone banned', async () => {
    const reg = await startTestRegistry({ rate_limit: { per_ip_rps: 0.01, burst: 2, ban_seconds: 60 } });
    try {
      const spoof = (ip: string) => call(reg.url, 'GET', `/check_user/${handle}`, undefined, { 'x-forwarded-for': ip });
      assert.equal((await spoof('198.51.100.1')).status, 200);
      assert.equal((await spoof('198.51.100.2')).status, 200);
      assert.equal((await spoof('198.51.100.3')).status, 429, 'rotating the header does not reset the budget');
    } finally {
      await reg.close();
    }
  });

  test('X-Forwarded-For from a trusted proxy is walked from the right', async () => {
    const reg = await startTestRegistry({ trusted_proxies: ['127.0.0.1', '10.0.0.0/8'], rate_limit: { per_ip_rps: 0.01, burst: 1, ban_seconds: 60 } });
    try {
      const via = (xff: string) => call(reg.url, 'GET', `/check_user/${handle}`, undefined, { 'x-forwarded-for': xff });
      // The client is the right-most untrusted address; anything left of it is attacker-controlled.
      assert.equal((await via('203.0.113.9, 198.51.100.7, 10.1.2.3')).status, 200);
      assert.equal((await via('1.1.1.1, 198.51.100.7')).status, 429, 'same client behind a forged left part');
      assert.equal((await via('198.51.100.8')).status, 200, 'a different client has its own budget');
      assert.equal((await via('198.51.100.7')).status, 429, 'the first client is banned');
    } finally {
      await reg.close();
    }
  });

  test('limiter and bounded map never exceed their bounds', async () => {
    const m = new BoundedMap<number, number>(3);
    for (let i = 0; i < 10; i++) m.set(i, i);
    assert.equal(m.size, 3);
    assert.equal(m.get(0), undefined);
    assert.equal(m.get(9), 9);
    let now = 0;
    const l = new MemoryRateLimiter(100, { now: () => now });
    for (let i = 0; i < 10_000; i++) await l.consume({ banKey: `b${i}`, buckets: [{ key: `k${i}`, rps: 1, burst: 1 }], banSeconds: 10 });
    for (let i = 0; i < 1000; i++) await l.consume({ banKey: `b${i}`, buckets: [{ key: `k${i}`, rps: 1, burst: 1 }], banSeconds: 10 });
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
    // PoW expiry reads Date: mocked, so the challenge lapses on a tick rather than after a sleep.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const reg = await startTestRegistry({ pow: { enabled: true, difficulty: 8, ttl_seconds: 1 }, rate_limit: { enabled: false } });
    try {
      const target = `/check_user/${handle}`;
      const refused = async (header?: string) => {
        const r = await call(reg.url, 'GET', target, undefined, header === undefined ? {} : { 'x-enigma-pow': header });
        assert.equal(r.status, 400);
        assert.equal(r.body.error.code, 'POW_REQUIRED');
        return r.body.error.message as string;
      };
      await refused();
      await refused('garbage');
      const c1 = (await call(reg.url, 'GET', '/pow/challenge')).body as { challenge: string; difficulty: number; expires_ms: number };
      assert.match(c1.challenge, /^[0-9a-f]{32}$/);
      assert.equal(c1.difficulty, 8);
      assert.ok(c1.expires_ms > Date.now());
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
      t.mock.timers.tick(1001);
      assert.match(await refused(late), /expired/);

      // /resolve needs it too; /register does not.
      const r = await call(reg.url, 'POST', '/resolve', { handle, requester_ephemeral_pubkey_hex: '11'.repeat(32) });
      assert.equal(r.body.error.code, 'POW_REQUIRED');
    } finally {
      await reg.close();
    }
  });

  test('/pow/challenge is rate limited like any other call', async () => {
    const reg = await startTestRegistry({ pow: { enabled: true }, rate_limit: { per_ip_rps: 0.01, burst: 2, ban_seconds: 5 } });
    try {
      assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 200);
      assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 200);
      assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 429);
    } finally {
      await reg.close();
    }
  });
});
