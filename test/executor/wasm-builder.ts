// A tiny WebAssembly binary builder for test modules (there is no wat2wasm here). It writes the binary
// format directly: https://webassembly.github.io/spec/core/binary/ — sections are `id, size, payload`;
// integers are LEB128 (unsigned for sizes/indices, signed for i32.const).

import { uleb } from '../../src/executor/wasm-binary.js';

export const I32 = 0x7f;
/** The opcodes the test modules use. */
export const op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  drop: 0x1a,
  localGet: 0x20,
  i32Load: 0x28,
  i32Store: 0x36,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  void: 0x40,
} as const;

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** `i32.const n` */
export const c = (n: number) => [op.i32Const, ...sleb(n)];
/** `i32.store` / `i32.load` with 4-byte alignment, offset 0. */
export const store = [op.i32Store, 2, 0];
export const load = [op.i32Load, 2, 0];
/** `*(addr) = value` */
export const poke = (addr: number, value: number[] | number) => [
  ...c(addr),
  ...(typeof value === 'number' ? c(value) : value),
  ...store,
];
export const peek = (addr: number) => [...c(addr), ...load];
/** `call fn` with i32 constants as its arguments; `callDrop` drops the result. */
export const call = (fn: number, ...args: number[]) => [...args.flatMap(c), op.call, fn];
export const callDrop = (fn: number, ...args: number[]) => [...call(fn, ...args), op.drop];
/** `memory.grow(pages) == -1`: 1 when the memory could not grow by `pages`. */
export const growFails = (pages: number) => [...c(pages), op.memoryGrow, 0, ...c(-1), op.i32Eq];
/** The magic number and version that start every module. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const str = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => (body.length === 0 ? [] : [id, ...uleb(body.length), ...body]);

export interface ModuleSpec {
  /** Imported functions: [module, name, params count (all i32), returns an i32]. */
  imports?: Array<[string, string, number, boolean]>;
  /** Body of `_start` (no params, no results), without the final `end`. */
  start: number[];
  /**
   * The one memory: defined unless `import` names where it is imported from; exported unless `exported` is
   * false; `null` for a module without memory.
   */
  memory?: { min: number; max?: number; import?: [string, string]; exported?: boolean } | null;
}

/** Builds a WASI command module: the imports, one memory (exported), and `_start`. */
export function wasmModule(spec: ModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const types = imports.map(([, , params, ret]) => [
    0x60,
    ...vec(Array.from({ length: params }, () => [I32])),
    ...vec(ret ? [[I32]] : []),
  ]);
  types.push([0x60, 0, 0]);
  const startType = types.length - 1;
  const mem = spec.memory === undefined ? { min: 1 } : spec.memory;
  const limits = !mem ? [] : mem.max === undefined ? [0, ...uleb(mem.min)] : [1, ...uleb(mem.min), ...uleb(mem.max)];
  const importEntries = imports.map(([m, n], i) => [...str(m), ...str(n), 0x00, ...uleb(i)]);
  if (mem?.import) importEntries.push([...str(mem.import[0]), ...str(mem.import[1]), 0x02, ...limits]);
  const exports = [[...str('_start'), 0x00, ...uleb(imports.length)]];
  if (mem && mem.exported !== false) exports.unshift([...str('memory'), 0x02, 0]);
  const body = [0, ...spec.start, op.end]; // no locals
  const bytes = [
    ...HEADER,
    ...section(1, vec(types)),
    ...section(2, importEntries.length ? vec(importEntries) : []),
    ...section(3, vec([uleb(startType)])),
    ...section(5, !mem || mem.import ? [] : vec([limits])),
    ...section(7, vec(exports)),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

export const W = 'wasi_snapshot_preview1';
export const FD_READ: [string, string, number, boolean] = [W, 'fd_read', 4, true];
export const FD_WRITE: [string, string, number, boolean] = [W, 'fd_write', 4, true];
export const PROC_EXIT: [string, string, number, boolean] = [W, 'proc_exit', 1, false];

/** Copies stdin to stdout (4 KiB at a time), then exits with `exitCode`. Memory: iovec at 0, buffer at 16. */
export function echoModule(exitCode: number): Uint8Array {
  return wasmModule({
    imports: [FD_READ, FD_WRITE, PROC_EXIT],
    start: [
      ...poke(0, 16),
      ...poke(4, 4096),
      op.block,
      op.void,
      op.loop,
      op.void,
      ...callDrop(0, 0, 0, 1, 8), // fd_read(0, iov, 1, &nread)
      ...peek(8),
      op.i32Eqz,
      op.brIf,
      1, // EOF: leave the block
      ...poke(8192, 16),
      ...poke(8196, peek(8)),
      ...callDrop(1, 1, 8192, 1, 8200), // fd_write(1, out iov, 1, &nwritten)
      op.br,
      0,
      op.end,
      op.end,
      ...call(2, exitCode),
    ],
  });
}

/** Prints its argv to stdout, NUL-separated (args_sizes_get, args_get, fd_write). */
export function argvModule(): Uint8Array {
  return wasmModule({
    imports: [[W, 'args_sizes_get', 2, true], [W, 'args_get', 2, true], FD_WRITE],
    start: [
      ...callDrop(0, 0, 4), // args_sizes_get(&argc, &size)
      ...callDrop(1, 64, 1024), // args_get(argv at 64, buffer at 1024)
      ...poke(8192, 1024),
      ...poke(8196, peek(4)),
      ...callDrop(2, 1, 8192, 1, 8200), // fd_write(1, iov, 1, &nwritten)
    ],
  });
}

/** Spins forever. */
export const loopModule = () => wasmModule({ start: [op.loop, op.void, op.br, 0, op.end] });

/** Writes 64 KiB to stdout forever. */
export const floodModule = () =>
  wasmModule({
    imports: [FD_WRITE],
    memory: { min: 2 },
    start: [
      ...poke(0, 16),
      ...poke(4, 65536),
      op.loop,
      op.void,
      ...callDrop(0, 1, 0, 1, 8), // fd_write(1, iov, 1, &nwritten)
      op.br,
      0,
      op.end,
    ],
  });

/** Grows memory 1 MiB at a time until memory.grow fails, then traps. No declared maximum. */
export const growBombModule = () =>
  wasmModule({
    start: [
      op.block,
      op.void,
      op.loop,
      op.void,
      ...growFails(16),
      op.i32Eqz,
      op.brIf,
      0,
      op.end,
      op.end,
      op.unreachable,
    ],
  });

/** Declares a 4 GiB maximum memory (65536 pages). */
export const hugeMaxModule = () => wasmModule({ start: [], memory: { min: 1, max: 65536 } });

/** Imports a function from outside WASI. */
export const foreignImportModule = () => wasmModule({ imports: [['env', 'host_secret', 0, true]], start: [] });

/**
 * Probes what the host exposes: exits with fd_prestat_get(3)'s errno (8 = EBADF: no preopened directory)
 * plus 100 × the number of environment variables.
 */
export const probeModule = () =>
  wasmModule({
    imports: [[W, 'fd_prestat_get', 2, true], [W, 'environ_sizes_get', 2, true], PROC_EXIT],
    start: [
      ...callDrop(1, 16, 8), // environ_sizes_get(&count at 16, &size at 8)
      ...call(0, 3, 32), // fd_prestat_get(3, &prestat at 32) -> errno on the stack
      ...peek(16),
      ...c(100),
      op.i32Mul,
      op.i32Add,
      op.call,
      2,
    ],
  });
