// The WASI functions the worker serves itself (argv, environment): a module pointing them outside its
// memory gets EFAULT, the host is unharmed, and nothing is written out of bounds.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Executor } from '../../src/executor/index.js';
import { artifact, config } from './helpers.js';
import { c, echoModule, op, wasmModule } from './wasm-builder.js';

const W = 'wasi_snapshot_preview1';
const ex = new Executor(config({ wall_ms: 5000 }));
after(() => ex.close());

/** Calls `name(a, b)` (one 64 KiB page of memory) and exits with the errno it returned. */
const callAndExit = (name: string, a: number, b: number) =>
  wasmModule({
    imports: [
      [W, name, 2, true],
      [W, 'proc_exit', 1, false],
    ],
    start: [...c(a), ...c(b), op.call, 0, op.call, 1],
  });

for (const [name, a, b] of [
  ['args_get', 65532, 0], // the pointer table (3 entries) runs past the end of memory
  ['args_get', 0, 65530], // the strings do not fit
  ['args_get', -8, 0], // 0xfffffff8: a signed-looking pointer is still an address far out of bounds
  ['args_sizes_get', 65534, 0],
  ['environ_sizes_get', 0, -4],
] as const) {
  test(`${name}(${a}, ${b}) outside memory is EFAULT`, async () => {
    const r = await ex.run(artifact(callAndExit(name, a, b)), 'validate-response', [], '');
    assert.equal(r.error, undefined);
    assert.equal(r.exit_code, 21);
    const ok = await ex.run(artifact(echoModule(0)), 'x', [], 'still here');
    assert.equal(ok.stdout, 'still here');
  });
}

test('args_get inside memory still works (the EFAULT cases are not refusing everything)', async () => {
  const r = await ex.run(artifact(callAndExit('args_get', 0, 64)), 'validate-response', [], '');
  assert.equal(r.exit_code, 0);
});
