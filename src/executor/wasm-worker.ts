// Worker thread body: runs one WASI preview 1 command at a time. The main thread owns wall time (it
// terminates this worker) and compiles modules; this side instantiates and captures stdio in memory.
import { openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';
import { Exit, LOCAL, LocalWasi, OutputLimit, type WasiFn } from './wasi-local.js';
import { releaseMemory, takeMemory } from './wasm-memories.js';
import {
  MEMORY_IMPORT,
  WORKER_MODULE_CACHE,
  type MemoryLimits,
  type WorkerRequest,
  type WorkerResponse,
} from './wasm-protocol.js';

interface Cached {
  module: WebAssembly.Module;
  memory: MemoryLimits | null;
  /** Imported preview 1 functions, and whether any of them needs node:wasi. */
  imports: string[];
  needsHost: boolean;
}

const modules = new Map<string, Cached>();
// node:wasi wants host fds for stdio. All three point at /dev/null and are never used for I/O: fd_read and
// fd_write on 0–2 are served from memory (wasi-local.ts), and close/renumber on them are refused so a circuit cannot
// close or replace a descriptor of this process.
const devNull = openSync('/dev/null', 'r+');
const stdio = new LocalWasi();

function cached(req: WorkerRequest): Cached {
  if (req.compiled) {
    const { module, memory } = req.compiled;
    const imports = WebAssembly.Module.imports(module)
      .filter((i) => i.module === 'wasi_snapshot_preview1')
      .map((i) => i.name);
    const c = { module, memory, imports, needsHost: imports.some((n) => !LOCAL.has(n)) };
    modules.delete(req.sha256);
    modules.set(req.sha256, c);
    if (modules.size > WORKER_MODULE_CACHE) modules.delete(modules.keys().next().value!);
    return c;
  }
  const c = modules.get(req.sha256);
  if (!c) throw new Error(`worker has no module ${req.sha256}`);
  return c;
}

function run(req: WorkerRequest): WorkerResponse {
  const { module, memory: limits, imports: names, needsHost } = cached(req);
  let memory: WebAssembly.Memory | undefined;
  stdio.begin({ argv: req.argv, stdin: req.stdin, outputBytes: req.output_bytes });

  // Only for the functions served natively (clock, random, fdstat, …); never given stdio or a directory.
  const wasi = needsHost
    ? new WASI({
        version: 'preview1',
        args: req.argv,
        env: {},
        preopens: {},
        returnOnExit: true,
        stdin: devNull,
        stdout: devNull,
        stderr: devNull,
      })
    : undefined;
  const host = wasi?.wasiImport as Record<string, WasiFn> | undefined;
  const imports: Record<string, WasiFn> = {};
  for (const n of names) imports[n] = stdio.functions[n] ?? host![n]!;

  let exit_code: number | null = null;
  let error: string | undefined;
  const pooled = limits ? takeMemory(limits) : undefined;
  try {
    const importObject: WebAssembly.Imports = { wasi_snapshot_preview1: imports };
    if (pooled) importObject[MEMORY_IMPORT.module] = { [MEMORY_IMPORT.name]: pooled.memory };
    const instance = new WebAssembly.Instance(module, importObject);
    memory = pooled?.memory ?? (instance.exports.memory as WebAssembly.Memory | undefined);
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('module has no memory');
    stdio.memory = memory;
    // node:wasi binds to `exports.memory`; the module need not export the memory it imports.
    if (wasi)
      wasi.start({ exports: { ...instance.exports, memory } }); // then calls _start
    else (instance.exports._start as () => void)();
    exit_code = 0;
  } catch (e) {
    if (e instanceof Exit) exit_code = e.code;
    else if (e instanceof OutputLimit) error = `output exceeded ${req.output_bytes} bytes; run stopped`;
    else {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // memory.grow failing at the cap shows up as whatever trap the module falls into next; name the cause
      // when the memory is within a few growth steps of the cap.
      const atCap = memory !== undefined && memory.buffer.byteLength >= req.memory_bytes * 0.9;
      error = atCap ? `memory limit reached (${req.memory_bytes / 1048576} MiB): ${msg}` : msg;
    }
  } finally {
    if (pooled) releaseMemory(pooled);
  }
  const memory_reused = pooled?.reused ?? false;
  return {
    id: req.id,
    exit_code,
    ...stdio.end(),
    memory_reused,
    ...(error ? { error } : {}),
  };
}

parentPort!.on('message', (req: WorkerRequest) => {
  let res: WorkerResponse;
  try {
    res = run(req);
  } catch (e) {
    stdio.end(); // a run that failed before it started (no module, a failed node:wasi setup) keeps nothing either
    res = {
      id: req.id,
      exit_code: null,
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      truncated: false,
      memory_reused: false,
      error: String(e),
    };
  } finally {
    req.stdin.fill(0); // it may hold a circuit secret: gone from this thread once the run ends, however it ended
  }
  parentPort!.postMessage(res, [res.stdout.buffer, res.stderr.buffer] as ArrayBuffer[]);
});
