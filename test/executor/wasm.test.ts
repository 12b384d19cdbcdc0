import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ApiError } from '../../src/errors.js';
import { Executor, checkWasmModule } from '../../src/executor/index.js';
import { artifact, config } from './helpers.js';
import {
  argvModule,
  echoModule,
  probeModule,
  floodModule,
  foreignImportModule,
  growBombModule,
  hugeMaxModule,
  loopModule,
} from './wasm-builder.js';

const ex = new Executor(config({ wall_ms: 5000 }));
after(() => ex.close());

/** The host is fine after an attack: a normal run still works, on a live worker. */
async function hostSurvives() {
  const r = await ex.run(artifact(echoModule(0)), 'x', [], 'still here');
  assert.equal(r.exit_code, 0);
  assert.equal(r.stdout, 'still here');
}

test('stdin reaches the module and its stdout comes back; exit code is reported', async () => {
  const input = JSON.stringify({ nonce_uuid: 'n', tau: 't', seed: 'ü'.repeat(5000) }); // > one 4 KiB read
  const r = await ex.run(artifact(echoModule(3)), 'challenge', [], input);
  assert.equal(r.error, undefined);
  assert.equal(r.exit_code, 3);
  assert.equal(r.stdout, input);
  assert.equal(r.timed_out, false);
  assert.equal(r.truncated, false);
});

test('argv is [circuit, command, ...args]', async () => {
  const r = await ex.run(artifact(argvModule()), 'validate-response', ['--x', 'y'], '');
  assert.equal(r.exit_code, 0);
  assert.deepEqual(r.stdout.split('\0'), ['circuit', 'validate-response', '--x', 'y', '']);
});

test('no preopened directory and no environment reach the module', async () => {
  const r = await ex.run(artifact(probeModule()), 'x', [], '');
  assert.equal(r.error, undefined);
  assert.equal(r.exit_code, 8); // EBADF from fd_prestat_get(3), 0 environment variables
});

test('infinite loop: killed at the wall time, reported as timed out', async () => {
  const r = await ex.run(artifact(loopModule()), 'x', [], '', { wall_ms: 300 });
  assert.equal(r.timed_out, true);
  assert.equal(r.exit_code, null);
  assert.match(r.error ?? '', /wall time/);
  assert.ok(r.duration_ms >= 300 && r.duration_ms < 2500, String(r.duration_ms)); // the per-run 300 ms, not the configured 5 s
  await hostSurvives();
});

test('memory bomb: growth stops at the cap and the error says memory', async () => {
  const r = await ex.run(artifact(growBombModule()), 'x', [], '');
  assert.equal(r.exit_code, null);
  assert.equal(r.timed_out, false);
  assert.match(r.error ?? '', /memory limit reached \(64 MiB\)/);
  await hostSurvives();
});

test('memory bomb: a declared maximum above the cap is refused before running', async () => {
  await assert.rejects(
    checkWasmModule(hugeMaxModule(), 64),
    (e: ApiError) =>
      e.code === 'INVALID_INPUT' && /memory maximum 4096 MiB exceeds the memory cap of 64 MiB/.test(e.message),
  );
  const r = await ex.run(artifact(hugeMaxModule()), 'x', [], '');
  assert.match(r.error ?? '', /module refused: .*memory/);
});

test('output flood: capped at output_bytes, stopped, reported as truncated', async () => {
  const r = await ex.run(artifact(floodModule()), 'x', [], '', { output_bytes: 10_000 });
  assert.equal(r.truncated, true);
  assert.equal(r.stdout.length, 10_000);
  assert.equal(r.timed_out, false);
  assert.match(r.error ?? '', /output exceeded 10000 bytes/);
  await hostSurvives();
});

test('one worker, run after run: no output, stdin, argv or truncation of a run reaches the next', async () => {
  const one = new Executor(config({ concurrency: 1, wall_ms: 5000 }));
  try {
    const flood = await one.run(artifact(floodModule()), 'x', ['--first'], 'stdin of the first run', {
      output_bytes: 1000,
    });
    assert.equal(flood.truncated, true);
    const echo = await one.run(artifact(echoModule(0)), 'x', [], '');
    assert.deepEqual([echo.exit_code, echo.stdout, echo.stderr, echo.truncated], [0, '', '', false]);
    const argv = await one.run(artifact(argvModule()), 'validate-response', [], '');
    assert.deepEqual(argv.stdout.split('\0'), ['circuit', 'validate-response', '']);
  } finally {
    await one.close();
  }
});

test('a module importing beyond WASI preview 1 is refused', async () => {
  await assert.rejects(
    checkWasmModule(foreignImportModule()),
    (e: ApiError) => e.code === 'INVALID_INPUT' && e.message.includes('env.host_secret'),
  );
  const r = await ex.run(artifact(foreignImportModule()), 'x', [], '');
  assert.equal(r.exit_code, null);
  assert.match(r.error ?? '', /module refused: .*env\.host_secret/);
  await assert.rejects(checkWasmModule(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a valid WebAssembly module/);
});

test('checkWasmModule caps a memory without a maximum at the configured cap', async () => {
  const c = await checkWasmModule(echoModule(0), 8);
  assert.deepEqual(c.memory, { min_pages: 1, max_pages: 128 }); // 128 pages = 8 MiB
  const wasi = { fd_read: () => 0, fd_write: () => 0, proc_exit: () => undefined };
  const instantiate = (maximum?: number) =>
    new WebAssembly.Instance(c.module, {
      wasi_snapshot_preview1: wasi,
      sandbox: { memory: new WebAssembly.Memory({ initial: 1, ...(maximum ? { maximum } : {}) }) },
    });
  const memory = instantiate(128).exports.memory as WebAssembly.Memory;
  assert.equal(memory.grow(127), 1);
  assert.throws(() => memory.grow(1), RangeError);
  // the module itself refuses a memory that could grow further
  assert.throws(() => instantiate(129), WebAssembly.LinkError);
  assert.throws(() => instantiate(), WebAssembly.LinkError);
});

test('modules are compiled once per sha256; later runs only instantiate', async () => {
  const a = artifact(echoModule(7));
  const before = ex.stats.compiles;
  for (let i = 0; i < 5; i++) assert.equal((await ex.run(a, 'x', [], 'a')).exit_code, 7);
  assert.equal(ex.stats.compiles, before + 1);
});

test('bytes that do not match the sha256 are refused', async () => {
  const a = { ...artifact(echoModule(41)), bytes: echoModule(42) };
  const r = await ex.run(a, 'x', [], '');
  assert.match(r.error ?? '', /do not match their sha256/);
});
