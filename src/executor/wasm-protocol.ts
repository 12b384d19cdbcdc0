/** Messages between the wasm pool (main thread) and wasm-worker.ts. */

export interface WorkerRequest {
  id: number;
  sha256: string;
  /** Sent the first time a worker sees a module; afterwards it is taken from the worker's cache. */
  module?: WebAssembly.Module;
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
  error?: string;
}

/** Modules a worker keeps; the main thread mirrors which ones each worker holds. */
export const WORKER_MODULE_CACHE = 32;
