// Builds the reference circuit: circuits/sixzone (AssemblyScript) → build/circuits/sixzone.wasm, a WASI
// preview 1 module. Offline and deterministic (pinned compiler, no timestamps), so the same source always
// gives the same bytes: the SHA-256 is the circuit's identity. `--out DIR` writes elsewhere (tests).
//
// @chainsafe/as-sha256 ships only its compiled module, so it is linked in with binaryen's wasm-merge: the
// circuit imports `sha256.memory` (shared, one linear memory) and `sha256.digest64`; the library imports
// `env.abort`, which the circuit exports. The circuit's data starts at 16 KiB, above the library's own
// static data and its buffers, and the circuit uses the stub (bump) allocator, so the two never overlap.
import asc from 'assemblyscript/asc';
import binaryen from 'assemblyscript/binaryen';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = values.out ?? join(root, 'build', 'circuits');
const shaWasm = join(root, 'node_modules', '@chainsafe', 'as-sha256', 'build', 'optimized.wasm');
const wasmMerge = join(root, 'node_modules', 'binaryen', 'bin', 'wasm-merge');

mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(outDir, '.tmp-'));
try {
  const compiled = join(tmp, 'circuit.wasm');
  const { error, stderr } = await asc.main([
    join(root, 'circuits', 'sixzone', 'assembly', 'index.ts'),
    '--outFile',
    compiled,
    '--runtime',
    'stub',
    '--importMemory',
    '--memoryBase',
    '16384',
    '--exportStart',
    '_start',
    '--use',
    'abort=circuits/sixzone/assembly/index/abort',
    '--optimizeLevel',
    '3',
    '--shrinkLevel',
    '1',
    '--noAssert',
    '--baseDir',
    root,
  ]);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }

  // asc always imports memory from `env`; point it at the SHA-256 module instead.
  const mod = binaryen.readBinary(readFileSync(compiled));
  const text = mod.emitText().replace('(import "env" "memory"', '(import "sha256" "memory"');
  mod.dispose();
  const renamed = binaryen.parseText(text);
  renamed.setFeatures(binaryen.Features.All);
  writeFileSync(compiled, renamed.emitBinary());
  renamed.dispose();

  const merged = join(tmp, 'sixzone.wasm');
  const r = spawnSync(
    process.execPath,
    [wasmMerge, shaWasm, 'sha256', compiled, 'env', '-o', merged, '--skip-export-conflicts', '-all'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`wasm-merge failed: ${r.stderr || r.stdout}`);

  const bytes = readFileSync(merged);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  const foreign = imports.filter((i) => i.module !== 'wasi_snapshot_preview1');
  if (foreign.length > 0) throw new Error(`sixzone.wasm has non-WASI imports: ${JSON.stringify(foreign)}`);
  // Renamed into place, so a concurrent reader sees the old module or the new one, never half of one.
  renameSync(merged, join(outDir, 'sixzone.wasm'));
  console.log(
    `circuits: sixzone.wasm ${bytes.length} bytes sha256 ${createHash('sha256').update(bytes).digest('hex')}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
