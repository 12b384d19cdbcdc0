// The built reference circuit as an executor artifact; builds it when the tree was compiled with tsc only.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Artifact } from '../../src/executor/types.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const sixzonePath = join(repoRoot, 'build', 'circuits', 'sixzone.wasm');

export function wasmArtifact(bytes: Uint8Array): Artifact {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'wasm', bytes };
}

export function sixzoneBytes(): Uint8Array {
  if (!existsSync(sixzonePath)) {
    const r = spawnSync(process.execPath, [join(repoRoot, 'circuits', 'build.mjs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`circuit build failed: ${r.stderr}`);
  }
  return new Uint8Array(readFileSync(sixzonePath));
}
