// The `[executor]` config section: wall time, memory, output and queue limits of sandboxed circuit runs.
import { Type } from 'typebox';

/** Sandboxed execution of circuits (src/executor). */
export const ExecutorSection = Type.Object(
  {
    wall_ms: Type.Integer({ minimum: 10, default: 2000, description: 'wall-clock limit per run' }),
    memory_mb: Type.Integer({
      minimum: 1,
      default: 64,
      description: 'memory cap per run: wasm memory maximum, and the address-space limit of native circuits',
    }),
    output_bytes: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'stdout+stderr cap per run' }),
    concurrency: Type.Integer({ minimum: 1, default: 2, description: 'runs at once' }),
    queue: Type.Integer({ minimum: 0, default: 64, description: 'runs waiting; beyond this a run is refused as busy' }),
    native_max_processes: Type.Integer({
      minimum: 1,
      default: 16,
      description: 'native circuits: processes (RLIMIT_NPROC)',
    }),
    native_max_open_files: Type.Integer({
      minimum: 8,
      default: 64,
      description: 'native circuits: open files (RLIMIT_NOFILE)',
    }),
    native_tmpfs_mb: Type.Integer({
      minimum: 1,
      default: 8,
      description: 'native circuits: size of /tmp and largest file (RLIMIT_FSIZE)',
    }),
    allow_unsandboxed_native: Type.Boolean({
      default: false,
      description: 'development only: run native circuits without bubblewrap (every run logs a warning)',
    }),
  },
  { additionalProperties: false, default: {} },
);
