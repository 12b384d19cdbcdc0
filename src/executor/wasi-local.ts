// The WASI preview 1 functions served in JS: stdio from memory, argv, the (empty) environment and exit.
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_FAULT = 21;

export type WasiFn = (...a: number[]) => number;

/**
 * The imports served here in JS rather than by node:wasi: stdio from memory, and argv, the (empty)
 * environment and exit, which are pure data. Importing node:wasi's native args functions costs about
 * 0.15 ms per function per instantiation, more than a whole small command takes; a module that imports
 * nothing else runs without a node:wasi instance at all.
 */
export const LOCAL = new Set([
  'fd_write',
  'fd_read',
  'fd_close',
  'fd_renumber',
  'args_sizes_get',
  'args_get',
  'environ_sizes_get',
  'environ_get',
  'proc_exit',
]);

export class OutputLimit extends Error {}
/** Thrown by proc_exit to unwind the module; carries the exit code. */
export class Exit {
  constructor(readonly code: number) {}
}

const encoder = new TextEncoder();

export interface LocalWasiOptions {
  argv: string[];
  stdin: Uint8Array;
  /** stdout and stderr together; the write that crosses it throws OutputLimit. */
  outputBytes: number;
  /** The instance's memory, known only once it is instantiated. */
  memory: () => WebAssembly.Memory;
}

export interface LocalWasi {
  functions: Record<string, WasiFn>;
  stdout(): Uint8Array;
  stderr(): Uint8Array;
  truncated(): boolean;
}

export function localWasi({ argv, stdin, outputBytes, memory }: LocalWasiOptions): LocalWasi {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  let stdinPos = 0;
  const view = () => new DataView(memory().buffer);
  const args = argv.map((a) => encoder.encode(`${a}\0`));
  // With no preopens there are no descriptors beyond 0–2, so every other fd is EBADF, as node:wasi answers.
  const functions: Record<string, WasiFn> = {
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const dv = view();
      const mem = new Uint8Array(memory().buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const room = outputBytes - outLen - errLen;
        const take = Math.min(len, room);
        const chunk = mem.slice(ptr, ptr + take);
        if (fd === 1) {
          out.push(chunk);
          outLen += take;
        } else {
          err.push(chunk);
          errLen += take;
        }
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
      const mem = new Uint8Array(memory().buffer);
      let total = 0;
      for (let i = 0; i < iovsLen && stdinPos < stdin.length; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const chunk = stdin.subarray(stdinPos, stdinPos + len);
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
    dv.setUint32(
      sizePtr >>> 0,
      list.reduce((n, a) => n + a.length, 0),
      true,
    );
    return ERRNO_SUCCESS;
  };
  const strings = (ptrs: number, buf: number, list: Uint8Array[]) => {
    if (
      !inBounds(ptrs, 4 * list.length) ||
      !inBounds(
        buf,
        list.reduce((n, a) => n + a.length, 0),
      )
    )
      return ERRNO_FAULT;
    const dv = view();
    const mem = new Uint8Array(memory().buffer);
    let at = buf >>> 0;
    list.forEach((a, i) => {
      dv.setUint32((ptrs >>> 0) + 4 * i, at, true);
      mem.set(a, at);
      at += a.length;
    });
    return ERRNO_SUCCESS;
  };
  // Pointers arrive as signed i32: read them as the unsigned addresses they are.
  const inBounds = (ptr: number, len: number) => (ptr >>> 0) + len <= memory().buffer.byteLength;
  return {
    functions,
    stdout: () => concat(out, outLen),
    stderr: () => concat(err, errLen),
    truncated: () => truncated,
  };
}

function concat(chunks: Uint8Array[], len: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(len);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}
