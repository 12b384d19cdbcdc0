import { createHash } from 'node:crypto';
import type { Artifact, ExecutorConfig } from '../../src/executor/index.js';

export function config(over: Partial<ExecutorConfig> = {}): ExecutorConfig {
  return {
    wall_ms: 2000,
    memory_mb: 64,
    output_bytes: 65536,
    concurrency: 2,
    queue: 16,
    native_max_processes: 16,
    native_max_open_files: 64,
    native_tmpfs_mb: 8,
    allow_unsandboxed_native: false,
    ...over,
  };
}

export function artifact(bytes: Uint8Array, kind: Artifact['kind'] = 'wasm'): Artifact {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), kind, bytes };
}
