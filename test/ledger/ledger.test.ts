import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EmbeddedLedger } from '../../src/ledger/embedded.js';
import { memoryLedgerStore } from '../../src/storage/memory/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { call, startTestRegistry } from '../helpers/registry.js';

for (const kind of ['sqlite', 'memory'] as const) {
  describe(`ledger over HTTP at /api/ledger (${kind} store)`, () => {
    let reg: Awaited<ReturnType<typeof startTestRegistry>>;
    let base: string;
    // The ledger's time: expiry and retention are checked to the millisecond, with no waiting.
    const clock = new ManualClock();
    before(async () => {
      // The race test opens 100 connections from one address.
      reg = await startTestRegistry(
        {
          rate_limit: { enabled: false },
          http: { max_connections_per_ip: 128 },
          ...(kind === 'memory' && { storage: { kind: 'memory' } }),
        },
        { clock },
      );
      base = `${reg.url}/api/ledger`;
    });
    after(() => reg.close());

    const reserve = async (ttl?: number) => {
      const r = await call(base, 'POST', '/reserve', ttl === undefined ? {} : { ttl });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { uuid: string; tau: string; ttl: number; expires_at: number };
    };

    test('reserve answers a v7 uuid of the reservation time, a 32-hex tau and the default TTL', async () => {
      const r = await reserve();
      assert.match(r.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(Number.parseInt(r.uuid.replace('-', '').slice(0, 12), 16), clock.now());
      assert.match(r.tau, /^[0-9a-f]{32}$/);
      assert.equal(r.ttl, 300);
      assert.equal(r.expires_at, clock.now() + 300_000);
      const s = await call(base, 'GET', `/status/${r.uuid}`);
      assert.deepEqual(s.body, { uuid: r.uuid, state: 'RESERVED', expires_at: r.expires_at });
      const again = await reserve();
      assert.notEqual(again.uuid, r.uuid);
      assert.notEqual(again.tau, r.tau);
    });

    test('burn: 200 SPENT once, then 409 REPLAY', async () => {
      const r = await reserve();
      const ok = await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau, payload: { bearings: [1, 2, 3] } });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { uuid: r.uuid, state: 'SPENT' });
      const replay = await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau, payload: {} });
      assert.equal(replay.status, 409);
      assert.equal(replay.body.error.code, 'REPLAY');
      const s = await call(base, 'GET', `/status/${r.uuid}`);
      assert.equal(s.body.state, 'SPENT');
      assert.equal(typeof s.body.spent_at, 'number');
    });

    test('a wrong tau is 400 TAU_MISMATCH and does not burn: the right tau still succeeds once', async () => {
      const r = await reserve();
      const wrong = r.tau.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      const bad = await call(base, 'POST', '/response', { uuid: r.uuid, tau: wrong, payload: {} });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'TAU_MISMATCH');
      assert.equal((await call(base, 'GET', `/status/${r.uuid}`)).body.state, 'RESERVED');
      assert.equal((await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau })).status, 200);
      assert.equal(
        (await call(base, 'POST', '/response', { uuid: r.uuid, tau: wrong })).status,
        409,
        'spent beats tau checks',
      );
    });

    test('unknown nonce: 404 on burn and status', async () => {
      const uuid = '2b1f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
      const r = await call(base, 'POST', '/response', { uuid, tau: '0'.repeat(32), payload: {} });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'NOT_FOUND');
      assert.equal((await call(base, 'GET', `/status/${uuid}`)).status, 404);
    });

    test('malformed requests are 400 INVALID_INPUT; TTL beyond max_ttl_seconds is refused', async () => {
      assert.equal(
        (await call(base, 'POST', '/response', { uuid: 'nope', tau: '0'.repeat(32) })).body.error.code,
        'INVALID_INPUT',
      );
      assert.equal((await call(base, 'POST', '/reserve', { ttl: 3601 })).status, 400);
      assert.equal((await call(base, 'POST', '/reserve', { ttl: 0 })).status, 400);
      assert.equal((await call(base, 'POST', '/reserve', { ttl: 5, extra: 1 })).status, 400);
    });

    test('expiry: a 1-second nonce answers 410 EXPIRED once its second is over, also with the right tau', async () => {
      const r = await reserve(1);
      assert.equal(r.ttl, 1);
      clock.advance(999);
      assert.equal(
        (await call(base, 'GET', `/status/${r.uuid}`)).body.state,
        'RESERVED',
        'live until the last millisecond',
      );
      clock.advance(1);
      const late = await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau, payload: {} });
      assert.equal(late.status, 410);
      assert.equal(late.body.error.code, 'EXPIRED');
      assert.equal((await call(base, 'GET', `/status/${r.uuid}`)).body.state, 'EXPIRED');
    });

    test('pruned nonces are remembered as tombstones (410) until retain_seconds, then forgotten (404)', async () => {
      const ledger = reg.ctx.ledger as EmbeddedLedger;
      const expired = await reserve(1);
      const spent = await reserve();
      assert.equal((await call(base, 'POST', '/response', { uuid: spent.uuid, tau: spent.tau })).status, 200);
      const live = await reserve();
      clock.advance(1000);
      assert.ok((await ledger.prune()) >= 1);
      assert.equal((await call(base, 'GET', `/status/${expired.uuid}`)).body.state, 'EXPIRED');
      assert.equal((await call(base, 'POST', '/response', { uuid: expired.uuid, tau: expired.tau })).status, 410);
      assert.equal((await call(base, 'POST', '/response', { uuid: spent.uuid, tau: spent.tau })).status, 409);
      // retain_seconds (a day) after its expiry the tombstone is still there; a millisecond later it is forgotten.
      clock.advance(86_400_000);
      await ledger.prune();
      assert.equal((await call(base, 'GET', `/status/${expired.uuid}`)).body.state, 'EXPIRED');
      clock.advance(1);
      await ledger.prune();
      // Both are forgotten; the live nonce (300 s) has become a tombstone itself.
      assert.equal((await call(base, 'GET', `/status/${expired.uuid}`)).status, 404);
      assert.equal((await call(base, 'GET', `/status/${spent.uuid}`)).status, 404);
      assert.equal((await call(base, 'GET', `/status/${live.uuid}`)).body.state, 'EXPIRED');
    });

    test('events: every outcome, increasing seq, paginated, no tau or payload', async () => {
      const start = (await call(base, 'GET', '/events?limit=1000')).body as { events: Array<{ seq: number }> };
      const from = start.events.at(-1)?.seq ?? 0;
      const r = await reserve();
      await call(base, 'POST', '/response', { uuid: r.uuid, tau: 'f'.repeat(32), payload: { secret: 'do-not-log' } });
      await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau, payload: { secret: 'do-not-log' } });
      await call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau });
      const page1 = await call(base, 'GET', `/events?after=${from}&limit=2`);
      assert.equal(page1.status, 200);
      assert.equal(page1.body.events.length, 2);
      assert.equal(typeof page1.body.next, 'number');
      const page2 = await call(base, 'GET', `/events?after=${page1.body.next}&limit=2`);
      const page3 = await call(base, 'GET', `/events?after=${page2.body.next}&limit=2`);
      assert.equal(page3.body.next, null);
      const events = [...page1.body.events, ...page2.body.events, ...page3.body.events];
      assert.deepEqual(
        events.map((e: { uuid: string; type: string }) => [e.uuid, e.type]),
        [
          [r.uuid, 'reserved'],
          [r.uuid, 'tau_mismatch'],
          [r.uuid, 'spent'],
          [r.uuid, 'replay'],
        ],
      );
      const seqs = events.map((e: { seq: number }) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.equal(new Set(seqs).size, seqs.length);
      const text = JSON.stringify(events);
      assert.ok(!text.includes(r.tau) && !text.includes('do-not-log'));
      assert.equal((await call(base, 'GET', '/events?limit=0')).status, 400);
    });

    test('100 concurrent burns of one nonce through HTTP: exactly one 200, the rest 409', async () => {
      const r = await reserve();
      const results = await Promise.all(
        Array.from({ length: 100 }, () => call(base, 'POST', '/response', { uuid: r.uuid, tau: r.tau, payload: {} })),
      );
      const statuses = results.map((x) => x.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1);
      assert.equal(statuses.filter((s) => s === 409).length, 99);
    });
  });
}

test('the memory ledger is bounded: the oldest nonce is forgotten, and a forgotten nonce can never be burnt', async () => {
  const store = memoryLedgerStore(100);
  const now = Date.now();
  for (let i = 0; i < 101; i++) await store.reserve(`u${i}`, 't', now + 60_000, now);
  assert.deepEqual(await store.spend('u0', 't', now), { ok: false, reason: 'unknown' });
  assert.deepEqual(await store.spend('u100', 't', now), { ok: true });
  assert.ok((await store.events(0, 1000)).length <= 100);
});
