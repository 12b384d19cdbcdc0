// Checking a circuit's wasm module before it runs: WASI-only imports, memory cap, memory moved to an import.
import { invalidInput } from '../errors.js';
import {
  uleb,
  WasmBinaryError,
  WasmReader,
  wasmSections,
  type WasmBinaryFault,
  type WasmSection,
} from './wasm-binary.js';
import { MEMORY_IMPORT, WASM_PAGE, type CompiledModule, type MemoryLimits } from './wasm-protocol.js';

/** WASI preview 1 functions (the `wasi_snapshot_preview1` module); a circuit may import these and nothing else. */
const PREVIEW1 = new Set([
  'args_get',
  'args_sizes_get',
  'environ_get',
  'environ_sizes_get',
  'clock_res_get',
  'clock_time_get',
  'fd_advise',
  'fd_allocate',
  'fd_close',
  'fd_datasync',
  'fd_fdstat_get',
  'fd_fdstat_set_flags',
  'fd_fdstat_set_rights',
  'fd_filestat_get',
  'fd_filestat_set_size',
  'fd_filestat_set_times',
  'fd_pread',
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'fd_pwrite',
  'fd_read',
  'fd_readdir',
  'fd_renumber',
  'fd_seek',
  'fd_sync',
  'fd_tell',
  'fd_write',
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_open',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
  'poll_oneoff',
  'proc_exit',
  'proc_raise',
  'sched_yield',
  'random_get',
  'sock_accept',
  'sock_recv',
  'sock_send',
  'sock_shutdown',
]);

export interface WasmCheck extends CompiledModule {
  /** The bytes that were compiled: the input with its memory moved to the `sandbox.memory` import (see importMemory). */
  bytes: Uint8Array;
}

/**
 * Compiles a circuit module and refuses what the sandbox cannot contain: imports beyond WASI preview 1
 * functions, shared or 64-bit memory, and memory whose declared minimum or maximum exceeds `memory_mb`.
 * The module that is returned imports its memory (see importMemory) with a maximum of at most
 * `memory_mb`, so `memory.grow` fails past the cap inside the module instead of taking host memory (wasm
 * memory lives outside the worker's heap limits), and the worker can hand it a reused memory. Throws
 * ApiError INVALID_INPUT with a message naming the problem.
 */
export async function checkWasmModule(bytes: Uint8Array, memory_mb = 64): Promise<WasmCheck> {
  const run = importMemory(bytes, Math.floor((memory_mb * 1024 * 1024) / WASM_PAGE));
  // The checks see the module as written, so a memory (or anything else) it imports itself is refused by
  // name; and the rewritten bytes are compiled only for a module V8 accepts as written.
  const original = await compile(bytes);
  const bad = WebAssembly.Module.imports(original).filter(
    (i) => i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function' || !PREVIEW1.has(i.name),
  );
  if (bad.length > 0) {
    const names = bad.map((i) => `${i.module}.${i.name} (${i.kind})`);
    throw invalidInput(`module imports beyond WASI preview 1 functions: ${names.join(', ')}`, { imports: names });
  }
  if (!WebAssembly.Module.exports(original).some((e) => e.name === '_start' && e.kind === 'function')) {
    throw invalidInput('module has no _start export (a WASI command module is required)');
  }
  return { module: run.memory ? await compile(run.bytes) : original, ...run };
}

async function compile(bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw invalidInput(`not a valid WebAssembly module: ${(e as Error).message}`);
  }
}

const FAULTS: Record<WasmBinaryFault, string> = {
  'bad-magic': 'bad magic',
  'truncated-section': 'truncated section',
  'unexpected-end': 'unexpected end',
  'bad-leb128': 'bad LEB128',
};

/**
 * Moves the memory a module defines to the import `sandbox.memory`, with the declared minimum and a
 * maximum of at most `capPages`: the memory section goes, and the import section gains the entry at its
 * end (or is created where it belongs: after the type section, else first). Imported memories come first
 * in the index space and there is only this one, so memory index 0 still names it. A module without
 * memory is returned as it is. Only bytes whose original compiles are used, so this surgery need not
 * re-check section order or duplicate sections.
 */
export function importMemory(bytes: Uint8Array, capPages: number): Pick<WasmCheck, 'bytes' | 'memory'> {
  try {
    let typesEnd = 8; // no type section: the import section goes right after the header
    let imports: WasmSection | undefined;
    let memory: WasmSection | undefined;
    let limits: MemoryLimits | null = null;
    for (const s of wasmSections(bytes)) {
      if (s.id === 1) typesEnd = s.end;
      else if (s.id === 2) imports = s;
      else if (s.id === 5) {
        memory = s;
        limits = memoryLimits(bytes, s, capPages);
      }
    }
    if (!memory || !limits) return { bytes, memory: null };
    const entry = [
      ...name(MEMORY_IMPORT.module),
      ...name(MEMORY_IMPORT.name),
      0x02,
      0x01,
      ...uleb(limits.min_pages),
      ...uleb(limits.max_pages),
    ];
    let importEdit: Edit = [typesEnd, typesEnd, section(2, [...uleb(1), ...entry])];
    if (imports) {
      const r = new WasmReader(bytes, imports.body);
      const count = r.leb();
      importEdit = [
        imports.start,
        imports.end,
        section(2, [...uleb(count + 1), ...bytes.subarray(r.pos, imports.end), ...entry]),
      ];
    }
    return { bytes: splice(bytes, [importEdit, [memory.start, memory.end, []]]), memory: limits };
  } catch (e) {
    if (e instanceof WasmBinaryError) throw invalidInput(`not a valid WebAssembly module: ${FAULTS[e.fault]}`);
    throw e;
  }
}

/** The memory section's one memory, checked against the cap; null for a section declaring none. */
function memoryLimits(bytes: Uint8Array, { body, end }: WasmSection, capPages: number): MemoryLimits | null {
  const r = new WasmReader(bytes, body);
  const count = r.leb();
  if (count > 1) throw invalidInput('module defines more than one memory');
  if (count === 0) return null;
  const flags = r.byte();
  if (flags > 1) throw invalidInput('module memory is shared or 64-bit; only a plain 32-bit memory is allowed');
  const min = r.leb();
  const max = flags === 1 ? r.leb() : null;
  const mib = (pages: number) => `${(pages * WASM_PAGE) / 1048576} MiB`;
  if (min > capPages)
    throw invalidInput(`module memory needs ${mib(min)} at start; the memory cap is ${mib(capPages)}`);
  if (max !== null && max > capPages) {
    throw invalidInput(`module memory maximum ${mib(max)} exceeds the memory cap of ${mib(capPages)}`);
  }
  if (r.pos !== end) throw invalidInput('not a valid WebAssembly module: memory section size');
  return { min_pages: min, max_pages: max ?? capPages };
}

/** Replace bytes [start, end) with the given ones. */
type Edit = [start: number, end: number, replacement: number[]];

/** Applies edits of non-overlapping ranges (an insertion at a range's start goes before that range). */
function splice(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [start, end, replacement] of edits.sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    parts.push(bytes.subarray(at, start), Uint8Array.from(replacement));
    at = end;
  }
  parts.push(bytes.subarray(at));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => {
  const b = encoder.encode(s);
  return [...uleb(b.length), ...b];
};
const encoder = new TextEncoder();
