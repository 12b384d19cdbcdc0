// Worker thread body: runs one WASI preview 1 command at a time. The main thread owns wall time (it
// terminates this worker) and compiles modules; this side instantiates and captures stdio in memory.
import { openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';
import { WORKER_MODULE_CACHE, type WorkerRequest, type WorkerResponse } from './wasm-protocol.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;

const modules = new Map<string, WebAssembly.Module>();
// node:wasi wants host fds for stdio. All three point at /dev/null and are never used for I/O: fd_read and
// fd_write on 0–2 are served from memory below, and close/renumber on them are refused so a circuit cannot
// close or replace a descriptor of this process.
const devNull = openSync('/dev/null', 'r+');

class OutputLimit extends Error {}

function run(req: WorkerRequest): WorkerResponse {
  let module = req.module;
  if (module) {
    modules.delete(req.sha256);
    modules.set(req.sha256, module);
    if (modules.size > WORKER_MODULE_CACHE) modules.delete(modules.keys().next().value!);
  } else {
    module = modules.get(req.sha256);
    if (!module) throw new Error(`worker has no module ${req.sha256}`);
  }

  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  let stdinPos = 0;
  let memory: WebAssembly.Memory | undefined;
  const view = () => new DataView(memory!.buffer);

  const wasi = new WASI({
    version: 'preview1',
    args: req.argv,
    env: {},
    preopens: {},
    returnOnExit: true,
    stdin: devNull,
    stdout: devNull,
    stderr: devNull,
  });
  const host = wasi.wasiImport as Record<string, (...a: number[]) => number>;
  const imports: Record<string, (...a: number[]) => number> = {
    ...host,
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd !== 1 && fd !== 2) return host.fd_write!(fd, iovs, iovsLen, nwritten);
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
      if (fd !== 0) return host.fd_read!(fd, iovs, iovsLen, nread);
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
      return fd <= 2 ? ERRNO_SUCCESS : host.fd_close!(fd);
    },
    fd_renumber(from, to) {
      return from <= 2 || to <= 2 ? ERRNO_BADF : host.fd_renumber!(from, to);
    },
  };

  let exit_code: number | null = null;
  let error: string | undefined;
  try {
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
    memory = instance.exports.memory as WebAssembly.Memory | undefined;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('module exports no memory');
    exit_code = wasi.start(instance) ?? 0;
  } catch (e) {
    if (e instanceof OutputLimit) error = `output exceeded ${req.output_bytes} bytes; run stopped`;
    else {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // memory.grow failing at the cap shows up as whatever trap the module falls into next; name the cause
      // when the memory is within a few growth steps of the cap.
      const atCap = memory !== undefined && memory.buffer.byteLength >= req.memory_bytes * 0.9;
      error = atCap ? `memory limit reached (${req.memory_bytes / 1048576} MiB): ${msg}` : msg;
    }
  }
  return { id: req.id, exit_code, stdout: concat(out, outLen), stderr: concat(err, errLen), truncated, ...(error ? { error } : {}) };
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
    res = { id: req.id, exit_code: null, stdout: new Uint8Array(), stderr: new Uint8Array(), truncated: false, error: String(e) };
  }
  parentPort!.postMessage(res, [res.stdout.buffer, res.stderr.buffer] as ArrayBuffer[]);
});
