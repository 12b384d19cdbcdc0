import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { Executor } from '../../src/executor/index.js';
import { defer } from '../helpers/cleanup.js';
import { until } from '../helpers/clock.js';
import { artifact, config } from './helpers.js';
import { echoModule, loopModule } from './wasm-builder.js';

test('a full queue refuses with a structured 503 busy error and Retry-After; queued runs still finish', async (t) => {
  const ex = new Executor(config({ concurrency: 1, queue: 1, wall_ms: 400 }));
  defer(t, () => ex.close());
  const running = ex.run(artifact(loopModule()), 'x', [], '');
  const queued = ex.run(artifact(echoModule(0)), 'x', [], 'q');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual({ running: ex.stats.running, queued: ex.stats.queued }, { running: 1, queued: 1 });
  await assert.rejects(ex.run(artifact(echoModule(0)), 'x', [], ''), (e: ApiError) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 503);
    assert.equal(e.code, 'UNAVAILABLE');
    assert.match(e.message, /busy/);
    assert.deepEqual(e.headers, { 'retry-after': '1' });
    return true;
  });
  assert.equal((await running).timed_out, true);
  assert.equal((await queued).stdout, 'q');
  assert.deepEqual({ running: ex.stats.running, queued: ex.stats.queued }, { running: 0, queued: 0 });
});

test('runs use at most `concurrency` workers, and close() refuses later runs', async () => {
  const ex = new Executor(config({ concurrency: 2, queue: 16 }));
  const a = artifact(echoModule(0));
  const results = await Promise.all(Array.from({ length: 18 }, (_, i) => ex.run(a, 'x', [], String(i))));
  assert.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 18 }, (_, i) => String(i)),
  );
  assert.ok(ex.stats.workers <= 2);
  await ex.close();
  await assert.rejects(ex.run(a, 'x', [], ''), (e: ApiError) => e.code === 'UNAVAILABLE');
});

test('per-run limits can lower the configured ones, never raise them', async (t) => {
  const ex = new Executor(config({ wall_ms: 200 }));
  defer(t, () => ex.close());
  const r = await ex.run(artifact(loopModule()), 'x', [], '', { wall_ms: 60_000 });
  assert.equal(r.timed_out, true);
  assert.ok(r.duration_ms < 3000, String(r.duration_ms)); // the configured 200 ms, not 60 s
});

test('close() ends wasm runs in flight and refuses queued ones', async () => {
  const ex = new Executor(config({ concurrency: 1, queue: 4, wall_ms: 10_000 }));
  const running = ex.run(artifact(loopModule()), 'x', [], '');
  const queued = ex.run(artifact(echoModule(0)), 'x', [], '');
  queued.catch(() => undefined); // asserted below; close() settles it first
  await until(() => ex.stats.running === 1 && ex.stats.queued === 1, 'one run in flight, one queued');
  await ex.close();
  const r = await running;
  assert.equal(r.exit_code, null);
  assert.ok(r.duration_ms < 5000);
  await assert.rejects(queued, (e: ApiError) => e.code === 'UNAVAILABLE');
});

test('a malformed sha256 is refused as invalid input', async (t) => {
  const ex = new Executor(config());
  defer(t, () => ex.close());
  await assert.rejects(
    ex.run({ ...artifact(echoModule(0)), sha256: 'ABC' }, 'x', [], ''),
    (e: ApiError) => e.code === 'INVALID_INPUT',
  );
});
