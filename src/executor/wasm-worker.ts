// Worker thread body: runs one WASI preview 1 command at a time. The main thread owns wall time (it
// terminates this worker) and compiles modules; this side instantiates and captures stdio in memory.
import { openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';
import { MEMORY_IMPORT, WASM_PAGE, WORKER_MODULE_CACHE, type MemoryLimits, type WorkerRequest, type WorkerResponse } from './wasm-protocol.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_FAULT = 21;

type WasiFn = (...a: number[]) => number;

/**
 * The imports served here in JS rather than by node:wasi: stdio from memory, and argv, the (empty)
 * environment and exit, which are pure data. Importing node:wasi's native args functions costs about
 * 0.15 ms per function per instantiation, more than a whole small command takes; a module that imports
 * nothing else runs without a node:wasi instance at all.
 */
const LOCAL = new Set(['fd_write', 'fd_read', 'fd_close', 'fd_renumber', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'proc_exit']);

interface Cached {
  module: WebAssembly.Module;
  memory: MemoryLimits | null;
  /** Imported preview 1 functions, and whether any of them needs node:wasi. */
  imports: string[];
  needsHost: boolean;
}

const modules = new Map<string, Cached>();
// node:wasi wants host fds for stdio. All three point at /dev/null and are never used for I/O: fd_read and
// fd_write on 0–2 are served from memory below, and close/renumber on them are refused so a circuit cannot
// close or replace a descriptor of this process.
const devNull = openSync('/dev/null', 'r+');
const encoder = new TextEncoder();

class OutputLimit extends Error {}
/** Thrown by proc_exit to unwind the module; carries the exit code. */
class Exit {
  constructor(readonly code: number) {}
}

function cached(req: WorkerRequest): Cached {
  if (req.compiled) {
    const { module, memory } = req.compiled;
    const imports = WebAssembly.Module.imports(module).filter((i) => i.module === 'wasi_snapshot_preview1').map((i) => i.name);
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
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  let stdinPos = 0;
  let memory: WebAssembly.Memory | undefined;
  const view = () => new DataView(memory!.buffer);
  const args = req.argv.map((a) => encoder.encode(`${a}\0`));

  // Only for the functions served natively (clock, random, fdstat, …); never given stdio or a directory.
  const wasi = needsHost
    ? new WASI({ version: 'preview1', args: req.argv, env: {}, preopens: {}, returnOnExit: true, stdin: devNull, stdout: devNull, stderr: devNull })
    : undefined;
  // With no preopens there are no descriptors beyond 0–2, so every other fd is EBADF, as node:wasi answers.
  const local: Record<string, WasiFn> = {
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const dv = view();
      const mem = new Uint8Array(memory!.buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const room = req.output_bytes - outLen - errLen;
        const take = Math.min(len, room);
        const chunk = mem.slice(ptr, ptr + take);
        if (fd === 1) (out.push(chunk), (outLen += take));
        else (err.push(chunk), (errLen += take));
        total += take;
        if (take < len) {
          truncated = true;
          throw new OutputLimit();
        }
      }
      dv.setUint32(nwritten, total, true);
      return ERRNO_SUCCESS;
    },
    fd_read(fd, iovs, iovsLen, nread) {
      if (fd !== 0) return ERRNO_BADF;
      const dv = view();
      const mem = new Uint8Array(memory!.buffer);
      let total = 0;
      for (let i = 0; i < iovsLen && stdinPos < req.stdin.length; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const chunk = req.stdin.subarray(stdinPos, stdinPos + len);
        mem.set(chunk, ptr);
        stdinPos += chunk.length;
        total += chunk.length;
      }
      dv.setUint32(nread, total, true);
      return ERRNO_SUCCESS;
    },
    fd_close(fd) {
      return fd <= 2 ? ERRNO_SUCCESS : ERRNO_BADF;
    },
    fd_renumber() {
      return ERRNO_BADF;
    },
    args_sizes_get(argc, bufSize) {
      return sizes(argc, bufSize, args);
    },
    args_get(argv, buf) {
      return strings(argv, buf, args);
    },
    environ_sizes_get(count, bufSize) {
      return sizes(count, bufSize, []);
    },
    environ_get(environ, buf) {
      return strings(environ, buf, []);
    },
    proc_exit(code) {
      throw new Exit(code);
    },
  };
  const sizes = (countPtr: number, sizePtr: number, list: Uint8Array[]) => {
    if (!inBounds(countPtr, 4) || !inBounds(sizePtr, 4)) return ERRNO_FAULT;
    const dv = view();
    dv.setUint32(countPtr >>> 0, list.length, true);
    dv.setUint32(sizePtr >>> 0, list.reduce((n, a) => n + a.length, 0), true);
    return ERRNO_SUCCESS;
  };
  const strings = (ptrs: number, buf: number, list: Uint8Array[]) => {
    if (!inBounds(ptrs, 4 * list.length) || !inBounds(buf, list.reduce((n, a) => n + a.length, 0))) return ERRNO_FAULT;
    const dv = view();
    const mem = new Uint8Array(memory!.buffer);
    let at = buf >>> 0;
    list.forEach((a, i) => {
      dv.setUint32((ptrs >>> 0) + 4 * i, at, true);
      mem.set(a, at);
      at += a.length;
    });
    return ERRNO_SUCCESS;
  };
  // Pointers arrive as signed i32: read them as the unsigned addresses they are.
  const inBounds = (ptr: number, len: number) => (ptr >>> 0) + len <= memory!.buffer.byteLength;
  const host = wasi?.wasiImport as Record<string, WasiFn> | undefined;
  const imports: Record<string, WasiFn> = {};
  for (const n of names) imports[n] = local[n] ?? host![n]!;

  let exit_code: number | null = null;
  let error: string | undefined;
  const pooled = limits ? takeMemory(limits) : undefined;
  try {
    const importObject: WebAssembly.Imports = { wasi_snapshot_preview1: imports };
    if (pooled) importObject[MEMORY_IMPORT.module] = { [MEMORY_IMPORT.name]: pooled.memory };
    const instance = new WebAssembly.Instance(module, importObject);
    memory = pooled?.memory ?? (instance.exports.memory as WebAssembly.Memory | undefined);
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('module has no memory');
    // node:wasi binds to `exports.memory`; the module need not export the memory it imports.
    if (wasi) wasi.start({ exports: { ...instance.exports, memory } }); // then calls _start
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
    req.stdin.fill(0); // it may hold a circuit secret: gone from this thread as soon as the run ends
    if (pooled) releaseMemory(pooled);
  }
  const memory_reused = pooled?.reused ?? false;
  return { id: req.id, exit_code, stdout: concat(out, outLen), stderr: concat(err, errLen), truncated, memory_reused, ...(error ? { error } : {}) };
}

/**
 * Idle memories, least recently released first. Instantiating with a reused memory skips reserving and
 * releasing a fresh one (the address space reservation, page faults and TLB flushes), about half the
 * cost of an instantiation.
 */
const idleMemories: Array<{ key: string; memory: WebAssembly.Memory }> = [];
const IDLE_MEMORIES = 4;
/** Larger memories are not kept: it bounds the idle footprint and the cost of the wipe. */
const KEEP_BYTES = 2 << 20; // room for a Rust wasm32-wasi module, which starts at 17 pages

interface Pooled {
  limits: MemoryLimits;
  memory: WebAssembly.Memory;
  reused: boolean;
}

/** Memories are interchangeable only between modules declaring the same limits. */
const keyOf = (limits: MemoryLimits) => `${limits.min_pages}:${limits.max_pages}`;

function takeMemory(limits: MemoryLimits): Pooled {
  const i = idleMemories.findLastIndex((m) => m.key === keyOf(limits));
  if (i >= 0) return { limits, memory: idleMemories.splice(i, 1)[0]!.memory, reused: true };
  return { limits, memory: new WebAssembly.Memory({ initial: limits.min_pages, maximum: limits.max_pages }), reused: false };
}

/**
 * Wipes a memory after its run, whatever happened: it may hold the circuit secret (validate-response reads
 * it from stdin). It is kept for another run only at its initial size: wiped, it is then exactly what a
 * new memory is (min pages, all zero; instantiation re-applies the data segments), so no run can tell it
 * was reused. A memory the run grew would show that in memory.size() (even across modules with the same
 * limits: a channel out of a run that saw a secret), move where `memory.grow` hits the maximum and admit
 * data segments past the declared minimum, so it is dropped.
 */
function releaseMemory({ limits, memory }: Pooled): void {
  new Uint8Array(memory.buffer).fill(0);
  const bytes = memory.buffer.byteLength;
  if (bytes !== limits.min_pages * WASM_PAGE || bytes > KEEP_BYTES) return;
  idleMemories.push({ key: keyOf(limits), memory });
  if (idleMemories.length > IDLE_MEMORIES) idleMemories.shift();
}

function concat(chunks: Uint8Array[], len: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(len);
  let o = 0;
  for (const c of chunks) (all.set(c, o), (o += c.length));
  return all;
}

parentPort!.on('message', (req: WorkerRequest) => {
  let res: WorkerResponse;
  try {
    res = run(req);
  } catch (e) {
    res = { id: req.id, exit_code: null, stdout: new Uint8Array(), stderr: new Uint8Array(), truncated: false, memory_reused: false, error: String(e) };
  }
  parentPort!.postMessage(res, [res.stdout.buffer, res.stderr.buffer] as ArrayBuffer[]);
});
