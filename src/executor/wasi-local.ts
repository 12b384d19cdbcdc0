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

export interface RunOptions {
  argv: string[];
  stdin: Uint8Array;
  /** stdout and stderr together; the write that crosses it throws OutputLimit. */
  outputBytes: number;
}

export interface RunOutput {
  stdout: Uint8Array;
  stderr: Uint8Array;
  truncated: boolean;
}

/**
 * The local functions of one worker, reused run after run: `begin` sets a run's argv, stdin and output cap,
 * `memory` is set once the instance exists, `end` hands the output over and drops the run's state. The
 * functions are made once per worker: made afresh for every run, V8 optimized them again and again (each
 * new closure started cold), which cost more CPU than the runs themselves while a worker warmed up.
 */
export class LocalWasi {
  /** The instance's memory, known only once it is instantiated. */
  memory: WebAssembly.Memory | undefined;
  private args: Uint8Array[] = [];
  private stdin: Uint8Array = new Uint8Array();
  private stdinPos = 0;
  private outputBytes = 0;
  private out: Uint8Array[] = [];
  private err: Uint8Array[] = [];
  private outLen = 0;
  private errLen = 0;
  private truncated = false;
  // With no preopens there are no descriptors beyond 0–2, so every other fd is EBADF, as node:wasi answers.
  readonly functions: Record<string, WasiFn> = {
    fd_write: (fd, iovs, iovsLen, nwritten) => {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const dv = this.view();
      const mem = new Uint8Array(this.memory!.buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const room = this.outputBytes - this.outLen - this.errLen;
        const take = Math.min(len, room);
        const chunk = mem.slice(ptr, ptr + take);
        if (fd === 1) {
          this.out.push(chunk);
          this.outLen += take;
        } else {
          this.err.push(chunk);
          this.errLen += take;
        }
        total += take;
        if (take < len) {
          this.truncated = true;
          throw new OutputLimit();
        }
      }
      dv.setUint32(nwritten, total, true);
      return ERRNO_SUCCESS;
    },
    fd_read: (fd, iovs, iovsLen, nread) => {
      if (fd !== 0) return ERRNO_BADF;
      const dv = this.view();
      const mem = new Uint8Array(this.memory!.buffer);
      let total = 0;
      for (let i = 0; i < iovsLen && this.stdinPos < this.stdin.length; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        const chunk = this.stdin.subarray(this.stdinPos, this.stdinPos + len);
        mem.set(chunk, ptr);
        this.stdinPos += chunk.length;
        total += chunk.length;
      }
      dv.setUint32(nread, total, true);
      return ERRNO_SUCCESS;
    },
    fd_close: (fd) => (fd <= 2 ? ERRNO_SUCCESS : ERRNO_BADF),
    fd_renumber: () => ERRNO_BADF,
    args_sizes_get: (argc, bufSize) => this.sizes(argc, bufSize, this.args),
    args_get: (argv, buf) => this.strings(argv, buf, this.args),
    environ_sizes_get: (count, bufSize) => this.sizes(count, bufSize, []),
    environ_get: (environ, buf) => this.strings(environ, buf, []),
    proc_exit: (code) => {
      throw new Exit(code);
    },
  };

  begin({ argv, stdin, outputBytes }: RunOptions): void {
    this.memory = undefined;
    this.args = argv.map((a) => encoder.encode(`${a}\0`));
    this.stdin = stdin;
    this.stdinPos = 0;
    this.outputBytes = outputBytes;
    this.out = [];
    this.err = [];
    this.outLen = 0;
    this.errLen = 0;
    this.truncated = false;
  }

  /** The run's output; the worker keeps no reference to its memory, stdin or output afterwards. */
  end(): RunOutput {
    const r = {
      stdout: concat(this.out, this.outLen),
      stderr: concat(this.err, this.errLen),
      truncated: this.truncated,
    };
    this.begin({ argv: [], stdin: new Uint8Array(), outputBytes: 0 });
    return r;
  }

  private view(): DataView {
    return new DataView(this.memory!.buffer);
  }

  private sizes(countPtr: number, sizePtr: number, list: Uint8Array[]): number {
    if (!this.inBounds(countPtr, 4) || !this.inBounds(sizePtr, 4)) return ERRNO_FAULT;
    const dv = this.view();
    dv.setUint32(countPtr >>> 0, list.length, true);
    dv.setUint32(
      sizePtr >>> 0,
      list.reduce((n, a) => n + a.length, 0),
      true,
    );
    return ERRNO_SUCCESS;
  }

  private strings(ptrs: number, buf: number, list: Uint8Array[]): number {
    if (
      !this.inBounds(ptrs, 4 * list.length) ||
      !this.inBounds(
        buf,
        list.reduce((n, a) => n + a.length, 0),
      )
    )
      return ERRNO_FAULT;
    const dv = this.view();
    const mem = new Uint8Array(this.memory!.buffer);
    let at = buf >>> 0;
    list.forEach((a, i) => {
      dv.setUint32((ptrs >>> 0) + 4 * i, at, true);
      mem.set(a, at);
      at += a.length;
    });
    return ERRNO_SUCCESS;
  }

  /** Pointers arrive as signed i32: read them as the unsigned addresses they are. */
  private inBounds(ptr: number, len: number): boolean {
    return (ptr >>> 0) + len <= this.memory!.buffer.byteLength;
  }
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
