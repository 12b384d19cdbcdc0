import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { ApiError } from '../../src/errors.js';
import { PowGate, solvePow } from '../../src/guard/pow.js';
import { RedisConnection } from '../../src/guard/redis-connection.js';
import { RedisFailureMeter } from '../../src/guard/redis-failure-meter.js';
import { RedisRateLimiter } from '../../src/guard/redis-limiter.js';
import { RedisPowStore } from '../../src/guard/redis-pow.js';
import { until } from '../helpers/clock.js';
import { identityFor } from '../helpers/directory-client.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { dropRedisPrefix, REDIS_URL, redisPrefix, redisSkip } from '../helpers/services.js';

const skip = await redisSkip();
const log = pino({ level: 'silent' });

describe('Redis rate limiter and PoW store (two instances = two replicas)', { skip }, () => {
  let c1: RedisConnection;
  let c2: RedisConnection;
  let l1: RedisRateLimiter;
  let l2: RedisRateLimiter;
  const prefix = redisPrefix();
  before(async () => {
    [c1, c2] = await Promise.all([
      RedisConnection.open({ url: REDIS_URL, prefix, log }),
      RedisConnection.open({ url: REDIS_URL, prefix, log }),
    ]);
    [l1, l2] = [new RedisRateLimiter(c1), new RedisRateLimiter(c2)];
  });
  after(async () => {
    await Promise.all([c1?.close(), c2?.close()]);
    await dropRedisPrefix(prefix);
  });

  test('one budget across replicas: of 50 concurrent requests with burst 10, exactly 10 pass', async () => {
    const bucket = { key: 'k:shared', rps: 0.01, burst: 10 };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? l1 : l2).consume({ banKey: 'b:shared', buckets: [bucket], banSeconds: 0 }),
      ),
    );
    assert.equal(results.filter((r) => r.ok).length, 10);
    const refused = results.find((r) => !r.ok) as { retryAfterSec: number };
    assert.ok(
      refused.retryAfterSec >= 99 && refused.retryAfterSec <= 100,
      `refill time of one token at 0.01 rps, got ${refused.retryAfterSec}`,
    );
    // The bucket key goes away once it would have refilled: burst/rps + 1 s.
    const ttl = await c1.client.pttl(`${c1.prefix}k:shared`);
    assert.ok(ttl > 0 && ttl <= 1_001_000, `ttl ${ttl}`);
  });

  test('tokens refill at rps; an overrun with ban_seconds bans on every replica', async () => {
    // The buckets run on the Redis server's clock (TIME in the script), which no test can drive: the test
    // waits, with a generous bound, for what that clock makes true. A refusal spends nothing, so polling
    // with consume() does not change the bucket.
    const req = { banKey: 'b:refill', buckets: [{ key: 'k:refill', rps: 1, burst: 2 }], banSeconds: 0 };
    assert.equal((await l1.consume(req)).ok, true);
    assert.equal((await l2.consume(req)).ok, true);
    assert.deepEqual(await l1.consume(req), { ok: false, retryAfterSec: 1 });
    await until(async () => (await l2.consume(req)).ok, 'a token refilled');
    assert.equal((await l1.consume(req)).ok, false, 'one token, not the burst');

    const banning = { banKey: 'b:ban', buckets: [{ key: 'k:ban', rps: 1, burst: 1 }], banSeconds: 3 };
    assert.equal((await l1.consume(banning)).ok, true);
    assert.deepEqual(await l2.consume(banning), { ok: false, retryAfterSec: 3 });
    assert.equal(await l1.banned('b:ban'), 3);
    // Once at most 2 s of the ban are left, a second has passed and the bucket has refilled: the ban holds.
    await until(async () => (await l2.banned('b:ban')) <= 2, 'a second of the ban passed');
    assert.equal((await l1.consume(banning)).ok, false);
    assert.ok((await l2.banned('b:ban')) >= 1, 'still banned');
    assert.equal(await l2.banned('b:nobody'), 0);
  });

  test('several buckets are all-or-nothing: a refusal by one spends nothing from the others', async () => {
    const wide = { key: 'k:wide', rps: 0.01, burst: 3 };
    const narrow = { key: 'k:narrow', rps: 0.01, burst: 1 };
    assert.equal((await l1.consume({ banKey: 'b:multi', buckets: [wide, narrow], banSeconds: 0 })).ok, true);
    for (let i = 0; i < 5; i++)
      assert.equal((await l2.consume({ banKey: 'b:multi', buckets: [wide, narrow], banSeconds: 0 })).ok, false);
    // wide still holds 2 tokens: the five refusals took none.
    assert.equal((await l1.consume({ banKey: 'b:multi', buckets: [wide], banSeconds: 0 })).ok, true);
    assert.equal((await l1.consume({ banKey: 'b:multi', buckets: [wide], banSeconds: 0 })).ok, true);
    assert.equal((await l1.consume({ banKey: 'b:multi', buckets: [wide], banSeconds: 0 })).ok, false);
  });

  test('a PoW challenge is single use across replicas: 20 concurrent presentations, one accepted', async (t) => {
    const gates = [new PowGate(new RedisPowStore(c1), 4, 60), new PowGate(new RedisPowStore(c2), 4, 60)];
    const ch = await gates[0]!.issue();
    const header = `${ch.challenge}:${solvePow(ch.challenge, 4)}`;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => gates[i % 2]!.verify(header)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results)
      if (r.status === 'rejected') assert.match((r.reason as ApiError).message, /unknown or already used/);
    // An expired challenge is still told apart from an unknown one. The gate reads Date (mocked here); the
    // Redis key outlives the expiry by a grace period of real time, which a tick does not spend.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const short = new PowGate(new RedisPowStore(c2), 4, 1);
    const late = await short.issue();
    t.mock.timers.tick(1001);
    await assert.rejects(gates[0]!.verify(`${late.challenge}:${solvePow(late.challenge, 4)}`), /expired/);
  });

  test("failure counters are shared and atomic across replicas, drain on the caller's clock and never go below 0", async () => {
    const meters = [new RedisFailureMeter(c1), new RedisFailureMeter(c2)];
    const keys = (client: number, handle: number) => [
      { key: 'fail:client', drainPerSec: 1 / 900, add: client },
      { key: 'fail:handle', drainPerSec: 90 / 3600, add: handle },
    ];
    const t0 = 1_700_000_000_000;
    // 40 concurrent wrong answers through two replicas: every one counted on both counters.
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => meters[i % 2]!.levels(keys(1, 1), t0)));
    assert.deepEqual(
      after.map((l) => l[0]).sort((a, b) => a! - b!),
      Array.from({ length: 40 }, (_, i) => i + 1),
      'each saw the ones before it',
    );
    assert.deepEqual(await meters[1]!.levels(keys(0, 0), t0), [40, 40]);
    // An hour later: the handle counter has drained 90, the client one 4 (one per 900 s).
    assert.deepEqual(await meters[0]!.levels(keys(0, 0), t0 + 3_600_000), [36, 0]);
    // A refund never takes a counter below 0; reading does not write; each key takes its own amount.
    assert.deepEqual(await meters[0]!.levels(keys(-1, -1), t0 + 3_600_000), [35, 0]);
    assert.deepEqual(await meters[1]!.levels(keys(0, 2), t0 + 3_600_000), [35, 2]);
    const ttl = await c1.client.pttl(`${c1.prefix}fail:client`);
    assert.ok(ttl > 30_000_000 && ttl <= 35 * 900_000 + 2000, `expires once drained: ${ttl}`);
  });
});

/** A private redis-server on a free port, so the test can take it away and bring it back. */
async function privateRedis(port?: number): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  const p =
    port ??
    (await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address() as { port: number };
        s.close(() => resolve(a.port));
      });
    }));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const url = `redis://127.0.0.1:${p}`;
  // Started when it says so on stdout.
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`private redis-server exited (${code}) before it was ready: ${out}`)),
    );
  });
  return {
    url,
    port: p,
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

// This suite takes a private redis-server away and brings it back; it needs the binary, not the shared Redis.
const noServer = spawnSync('redis-server', ['--version']).error ? 'skipped: redis-server is not installed' : undefined;

describe('when Redis is unreachable the registry fails closed', { skip: noServer }, () => {
  test('limited routes answer 503 UNAVAILABLE, health says redis unavailable, and service resumes when Redis is back', async () => {
    let redis = await privateRedis();
    const reg = await startTestRegistry({
      pow: { enabled: true, difficulty: 4 },
      rate_limit: {
        store: 'redis',
        redis_url: redis.url,
        redis_key_prefix: redisPrefix(),
        per_ip_rps: 100,
        burst: 100,
      },
    });
    const handle = identityFor('fail-closed').user_id;
    try {
      assert.equal(
        (await call(reg.url, 'GET', `/check_user/${handle}`)).status,
        400,
        'PoW required: the limiter let it through',
      );
      assert.deepEqual((await call(reg.url, 'GET', '/api/health/db')).body, { store: 'ok', ledger: 'ok', redis: 'ok' });

      await redis.kill();
      for (const [method, path] of [
        ['GET', `/check_user/${handle}`],
        ['GET', '/pow/challenge'],
        ['POST', '/api/ledger/reserve'],
      ] as const) {
        const r = await call(reg.url, method, path, method === 'POST' ? {} : undefined);
        assert.equal(r.status, 503, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body.error, { code: 'UNAVAILABLE', message: 'rate-limit store unreachable' });
      }
      assert.equal((await call(reg.url, 'GET', '/envelope_pubkey')).status, 200, 'unlimited routes still answer');
      const health = await call(reg.url, 'GET', '/api/health/db');
      assert.equal(health.status, 503);
      assert.deepEqual(health.body, { store: 'ok', ledger: 'ok', redis: 'unavailable' });

      redis = await privateRedis(redis.port);
      // ioredis reconnects on its own back-off schedule: wait for the health check to say so.
      await until(async () => (await call(reg.url, 'GET', '/api/health/db')).status === 200, 'reconnected');
      assert.equal((await call(reg.url, 'GET', '/pow/challenge')).status, 200);
    } finally {
      await reg.close();
      await redis.kill();
    }
  });

  test('a registry started while Redis is down starts, and refuses limited routes with 503; no redis_url is a start error', async (t) => {
    await assert.rejects(startTestRegistry({ rate_limit: { store: 'redis' } }), /rate_limit\.redis_url is required/);
    const gone = await privateRedis();
    await gone.kill();
    const reg = await startTestRegistry({ rate_limit: { store: 'redis', redis_url: gone.url } }, { t });
    const r = await call(reg.url, 'GET', `/check_user/${identityFor('x').user_id}`);
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'UNAVAILABLE');
    assert.equal(r.headers.get('retry-after'), '1');
  });
});
