// The built reference circuit as an executor artifact. Rebuilt when missing or older than its sources (a tree
// compiled with tsc only), so tests always exercise the current circuit.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Artifact } from '../../src/executor/types.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const sixzonePath = join(repoRoot, 'build', 'circuits', 'sixzone.wasm');
const sixzoneSources = join(repoRoot, 'circuits', 'sixzone', 'assembly');

export function wasmArtifact(bytes: Uint8Array): Artifact {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'wasm', bytes };
}

export function sixzoneBytes(): Uint8Array {
  const sources = [
    join(repoRoot, 'circuits', 'build.mjs'),
    ...readdirSync(sixzoneSources).map((f) => join(sixzoneSources, f)),
  ];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(sixzonePath) || statSync(sixzonePath).mtimeMs < newest) {
    const r = spawnSync(process.execPath, [join(repoRoot, 'circuits', 'build.mjs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`circuit build failed: ${r.stderr}`);
  }
  return new Uint8Array(readFileSync(sixzonePath));
}
