// The one way a run that produced no output of its own is reported: refused, failed to start, killed.
import type { RunResult } from './types.js';

/** A run that ended without an exit status of its own; `timed_out` when the wall clock stopped it. */
export function failedRun(error: string, durationMs: number, timedOut = false): RunResult {
  return {
    exit_code: null,
    stdout: '',
    stderr: '',
    duration_ms: durationMs,
    timed_out: timedOut,
    truncated: false,
    error,
  };
}
