// Circuits run on an imported memory that each worker reuses across runs (wasm-module.ts moves the module's
// memory to the `sandbox.memory` import; wasm-worker.ts pools and wipes it). A reused memory must be
// indistinguishable from a new one, hold nothing of an earlier run, and stay within the memory cap.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ApiError } from '../../src/errors.js';
import { Executor, checkWasmModule } from '../../src/executor/index.js';
import { wasmSections } from '../../src/executor/wasm-binary.js';
import { importMemory } from '../../src/executor/wasm-module.js';
import { defer } from '../helpers/cleanup.js';
import { artifact, config } from './helpers.js';
import {
  FD_READ,
  FD_WRITE,
  HEADER,
  PROC_EXIT,
  W,
  c,
  call,
  callDrop,
  echoModule,
  growFails,
  op,
  peek,
  poke,
  store,
  wasmModule,
} from './wasm-builder.js';

const PAGE = 65536;
const SANDBOX_MEMORY = { module: 'sandbox', name: 'memory', kind: 'memory' };

/** One worker, so every run sees the memories the previous runs left in its pool. */
const ex = new Executor(config({ concurrency: 1, wall_ms: 5000 }));
after(() => ex.close());

/** Runs and returns the result together with whether the run got a pooled memory. */
async function runCounted(bytes: Uint8Array, stdin: string) {
  const before = ex.stats.reused_memories;
  const r = await ex.run(artifact(bytes), 'x', [], stdin);
  assert.equal(r.error, undefined);
  return { ...r, reused: ex.stats.reused_memories - before === 1 };
}

/**
 * Two pages of memory. Reads up to 64 bytes of stdin into the last 64 bytes of its memory, then prints
 * those 64 bytes: with a secret on stdin it stores it there, with empty stdin it shows what is there.
 */
const VAULT = 2 * PAGE - 64;
const vaultModule = () =>
  wasmModule({
    imports: [FD_READ, FD_WRITE],
    memory: { min: 2 },
    start: [
      ...poke(0, VAULT),
      ...poke(4, 64),
      ...callDrop(0, 0, 0, 1, 8), // fd_read(0, iov, 1, &nread)
      ...callDrop(1, 1, 0, 1, 12), // fd_write(1, iov, 1, &nwritten)
    ],
  });

/** Three pages. Exits with memory.size() as it was at start; grows memory by a page when stdin is not empty. */
const sizeModule = () =>
  wasmModule({
    imports: [FD_READ, PROC_EXIT],
    memory: { min: 3 },
    start: [
      ...c(0),
      op.memorySize,
      0,
      ...store,
      ...poke(8, 16),
      ...poke(12, 1),
      ...callDrop(0, 0, 8, 1, 20), // fd_read(0, iov, 1, &nread)
      ...peek(20),
      op.if,
      op.void,
      ...c(1),
      op.memoryGrow,
      0,
      op.drop,
      op.end,
      ...peek(0),
      op.call,
      1,
    ],
  });

/** Exits with 1 if memory.grow(pages) fails, plus 2 if a further memory.grow(1) fails. */
const growProbe = (pages: number, memory: { min: number; max?: number }) =>
  wasmModule({
    imports: [PROC_EXIT],
    memory,
    start: [...growFails(pages), ...growFails(1), ...c(2), op.i32Mul, op.i32Add, op.call, 0],
  });

/** One function type, `_start` exported, no memory and no imports. */
const noMemoryModule = () => wasmModule({ start: [], memory: null });

/** A custom section (id 0) after the header and after every section. */
function withCustomSections(bytes: Uint8Array): Uint8Array {
  const custom = [0, 4, 3, 0x61, 0x62, 0x63]; // name "abc", empty payload
  const out = [...bytes.subarray(0, 8), ...custom];
  for (const s of wasmSections(bytes)) out.push(...bytes.subarray(s.start, s.end), ...custom);
  return new Uint8Array(out);
}

test('a secret left in memory by one run is not visible to the next run, which got the same memory', async () => {
  const vault = vaultModule();
  const zeros = '\0'.repeat(64);
  assert.equal((await runCounted(vault, '')).stdout, zeros); // warms the pool with a memory of these limits
  for (const secret of ['correct horse battery staple', 'S3CR3T-'.repeat(9)]) {
    const write = await runCounted(vault, secret);
    assert.equal(write.stdout, (secret + zeros).slice(0, 64)); // the secret really was in memory
    assert.equal(write.reused, true);
    const read = await runCounted(vault, '');
    assert.equal(read.reused, true); // the memory the secret was written to: the only idle one of its limits
    assert.equal(read.stdout, zeros);
  }
});

test('a memory a run grew is dropped, not reused: every run starts at the declared minimum', async () => {
  const probe = sizeModule();
  const first = await runCounted(probe, 'grow');
  assert.deepEqual([first.exit_code, first.reused], [3, false]);
  const afterGrow = await runCounted(probe, '');
  assert.deepEqual([afterGrow.exit_code, afterGrow.reused], [3, false]); // the grown one was not kept
  const again = await runCounted(probe, '');
  assert.deepEqual([again.exit_code, again.reused], [3, true]); // an unchanged memory is kept and reused
});

test('the memory cap holds inside the module, also on a reused memory', async (t) => {
  const capped = new Executor(config({ concurrency: 1, memory_mb: 8 })); // 128 pages
  defer(t, () => capped.close());
  for (const [memory, headroom] of [
    [{ min: 1 }, 127],
    [{ min: 1, max: 4 }, 3],
  ] as const) {
    assert.equal((await capped.run(artifact(wasmModule({ start: [], memory })), 'x', [], '')).exit_code, 0); // leaves its memory idle
    const before = capped.stats.reused_memories;
    const probe = growProbe(headroom, memory);
    assert.equal((await capped.run(artifact(probe), 'x', [], '')).exit_code, 2, JSON.stringify(memory)); // up to the limit, not a page more
    assert.equal(capped.stats.reused_memories, before + 1); // ... on the memory the previous run left
    assert.equal((await capped.run(artifact(probe), 'x', [], '')).exit_code, 2, JSON.stringify(memory)); // and on a new one
  }
});

test('modules with and without an import section run; one that does not export its memory runs too', async () => {
  assert.equal((await runCounted(wasmModule({ start: [] }), '')).exit_code, 0); // no imports at all
  assert.equal((await runCounted(echoModule(5), 'hi')).stdout, 'hi');
  assert.equal((await runCounted(wasmModule({ start: [], memory: { min: 1, exported: false } }), '')).exit_code, 0);
  // random_get is served by node:wasi, which must bind to the imported memory although it is not exported
  const random = wasmModule({
    imports: [[W, 'random_get', 2, true], PROC_EXIT],
    memory: { min: 1, exported: false },
    start: [...call(0, 16, 8), op.call, 1],
  });
  assert.equal((await runCounted(random, '')).exit_code, 0);
});

test('a module without memory gets no memory import and is refused at run time, as before', async () => {
  const bytes = noMemoryModule();
  const check = await checkWasmModule(bytes);
  assert.equal(check.memory, null);
  assert.equal(check.bytes, bytes);
  assert.deepEqual(WebAssembly.Module.imports(check.module), []);
  const r = await ex.run(artifact(bytes), 'x', [], '');
  assert.equal(r.exit_code, null);
  assert.match(r.error ?? '', /module has no memory/);
});

test('a module that imports a memory itself is refused by name, whatever it calls it', async () => {
  for (const from of [
    ['env', 'memory'],
    ['sandbox', 'memory'],
  ] as const) {
    const bytes = wasmModule({ imports: [PROC_EXIT], start: [], memory: { min: 1, import: [...from] } });
    const message = `module imports beyond WASI preview 1 functions: ${from.join('.')} (memory)`;
    await assert.rejects(checkWasmModule(bytes), (e: ApiError) => e.code === 'INVALID_INPUT' && e.message === message);
    assert.equal((await ex.run(artifact(bytes), 'x', [], '')).error, `module refused: ${message}`);
  }
});

test('importMemory: the memory becomes the last import, sandbox.memory; exports are unchanged', async () => {
  for (const bytes of [
    echoModule(0),
    wasmModule({ start: [] }),
    withCustomSections(echoModule(0)),
    withCustomSections(wasmModule({ start: [] })),
  ]) {
    const original = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const run = importMemory(bytes, 128);
    assert.deepEqual(run.memory, { min_pages: 1, max_pages: 128 });
    const rewritten = new WebAssembly.Module(run.bytes as Uint8Array<ArrayBuffer>);
    assert.deepEqual(WebAssembly.Module.imports(rewritten), [...WebAssembly.Module.imports(original), SANDBOX_MEMORY]);
    assert.deepEqual(WebAssembly.Module.exports(rewritten), WebAssembly.Module.exports(original));
    assert.ok(![...wasmSections(run.bytes)].some((s) => s.id === 5), 'no memory section left');
  }
});

test('importMemory: re-encodes a growing import count and section size; a module without type section gets the import first', () => {
  const many = wasmModule({ imports: Array.from({ length: 127 }, () => FD_WRITE), start: [] }); // 127 -> 128: a 2-byte LEB
  const imports = WebAssembly.Module.imports(
    new WebAssembly.Module(importMemory(many, 128).bytes as Uint8Array<ArrayBuffer>),
  );
  assert.equal(imports.length, 128);
  assert.deepEqual(imports.at(-1), SANDBOX_MEMORY);
  const memoryOnly = new Uint8Array([...HEADER, 5, 3, 1, 0, 2]);
  const run = importMemory(memoryOnly, 128);
  assert.deepEqual(run.memory, { min_pages: 2, max_pages: 128 });
  assert.deepEqual(WebAssembly.Module.imports(new WebAssembly.Module(run.bytes as Uint8Array<ArrayBuffer>)), [
    SANDBOX_MEMORY,
  ]);
});

test('importMemory: the limits are the declared minimum and the declared maximum or the cap, whichever is lower', () => {
  assert.deepEqual(importMemory(wasmModule({ start: [], memory: { min: 2, max: 4 } }), 128).memory, {
    min_pages: 2,
    max_pages: 4,
  });
  assert.deepEqual(importMemory(wasmModule({ start: [], memory: { min: 2, max: 128 } }), 128).memory, {
    min_pages: 2,
    max_pages: 128,
  });
  assert.deepEqual(importMemory(wasmModule({ start: [], memory: { min: 300 } }), 300).memory, {
    min_pages: 300,
    max_pages: 300,
  }); // 2-byte LEBs
  const bytes = noMemoryModule();
  assert.deepEqual(importMemory(bytes, 128), { bytes, memory: null });
});

test('the rewritten module links only to a memory within its limits, and index 0 is that memory', () => {
  const run = importMemory(echoModule(0), 128);
  const module = new WebAssembly.Module(run.bytes as Uint8Array<ArrayBuffer>);
  const wasi = { fd_read: () => 0, fd_write: () => 0, proc_exit: () => undefined };
  const instantiate = (memory: WebAssembly.Memory) =>
    new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi, sandbox: { memory } });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 128 });
  assert.equal(instantiate(memory).exports.memory, memory); // the exported memory 0 is the imported one
  assert.throws(() => instantiate(new WebAssembly.Memory({ initial: 1, maximum: 129 })), WebAssembly.LinkError);
  assert.throws(() => instantiate(new WebAssembly.Memory({ initial: 1 })), WebAssembly.LinkError);
});
