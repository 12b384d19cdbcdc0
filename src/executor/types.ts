/** A circuit artifact as the executor receives it: its SHA-256 (hex) is its identity. */
export interface Artifact {
  sha256: string;
  kind: 'wasm' | 'elf';
  bytes: Uint8Array;
}

export interface RunResult {
  /** null when the run did not exit on its own (killed, trapped, refused). */
  exit_code: number | null;
  stdout: string;
  stderr: string;
  duration_ms: number;
  timed_out: boolean;
  /** stdout+stderr hit the output cap; the run was stopped there. */
  truncated: boolean;
  error?: string;
}

/**
 * Per-run limits; each may only lower the configured value. Memory is not per run: a module is compiled
 * once with the configured cap as its memory maximum.
 */
export interface RunLimits {
  wall_ms?: number;
  output_bytes?: number;
}

/** Limits with every value resolved. */
export type ResolvedLimits = Required<RunLimits>;
