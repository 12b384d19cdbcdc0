/** Messages between the wasm pool (main thread) and wasm-worker.ts. */

/** Where a circuit's memory comes from: wasm-module.ts turns the memory a module defines into this import. */
export const MEMORY_IMPORT = { module: 'sandbox', name: 'memory' } as const;

export const WASM_PAGE = 65536;

/** Limits of a `sandbox.memory` import, in pages; max_pages is never above the memory cap. */
export interface MemoryLimits {
  min_pages: number;
  max_pages: number;
}

/** A compiled circuit as the worker runs it. */
export interface CompiledModule {
  module: WebAssembly.Module;
  /** The limits of its `sandbox.memory` import; null when the module has no memory (nothing is imported). */
  memory: MemoryLimits | null;
}

export interface WorkerRequest {
  id: number;
  sha256: string;
  /** Sent the first time a worker sees a module; afterwards it is taken from the worker's cache. */
  compiled?: CompiledModule;
  argv: string[];
  stdin: Uint8Array;
  output_bytes: number;
  memory_bytes: number;
}

export interface WorkerResponse {
  id: number;
  exit_code: number | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  truncated: boolean;
  /** The run got a pooled (wiped) memory rather than a new one. */
  memory_reused: boolean;
  error?: string;
}

/** Modules a worker keeps; the main thread mirrors which ones each worker holds. */
export const WORKER_MODULE_CACHE = 32;
