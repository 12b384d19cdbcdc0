import { invalidInput } from '../errors.js';
import { uleb, WasmBinaryError, WasmReader, wasmSections, type WasmBinaryFault } from './wasm-binary.js';

/** WASI preview 1 functions (the `wasi_snapshot_preview1` module); a circuit may import these and nothing else. */
const PREVIEW1 = new Set([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek',
  'fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get', 'sock_accept',
  'sock_recv', 'sock_send', 'sock_shutdown',
]);

export const WASM_PAGE = 65536;

export interface WasmCheck {
  module: WebAssembly.Module;
  /** The bytes that were compiled: the input with its memory maximum capped (see capMemory). */
  bytes: Uint8Array;
  memory: { min_pages: number; max_pages: number | null };
}

/**
 * Compiles a circuit module and refuses what the sandbox cannot contain: imports beyond WASI preview 1
 * functions, shared or 64-bit memory, and memory whose declared minimum or maximum exceeds `memory_mb`.
 * A memory without a declared maximum is given `memory_mb` as its maximum, so `memory.grow` fails past
 * the cap inside the module instead of taking host memory (wasm memory lives outside the worker's heap
 * limits). Throws ApiError INVALID_INPUT with a message naming the problem.
 */
export async function checkWasmModule(bytes: Uint8Array, memory_mb = 64): Promise<WasmCheck> {
  const capped = capMemory(bytes, Math.floor((memory_mb * 1024 * 1024) / WASM_PAGE));
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped.bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw invalidInput(`not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const bad = WebAssembly.Module.imports(module).filter(
    (i) => i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function' || !PREVIEW1.has(i.name),
  );
  if (bad.length > 0) {
    const names = bad.map((i) => `${i.module}.${i.name} (${i.kind})`);
    throw invalidInput(`module imports beyond WASI preview 1 functions: ${names.join(', ')}`, { imports: names });
  }
  if (!WebAssembly.Module.exports(module).some((e) => e.name === '_start' && e.kind === 'function')) {
    throw invalidInput('module has no _start export (a WASI command module is required)');
  }
  return { module, bytes: capped.bytes, memory: capped.memory };
}

const FAULTS: Record<WasmBinaryFault, string> = {
  'bad-magic': 'bad magic',
  'truncated-section': 'truncated section',
  'unexpected-end': 'unexpected end',
  'bad-leb128': 'bad LEB128',
};

/** Rewrites the memory section so the memory has a maximum of at most `capPages`. */
function capMemory(bytes: Uint8Array, capPages: number): Pick<WasmCheck, 'bytes' | 'memory'> {
  try {
    for (const { id, start, body, end } of wasmSections(bytes)) {
      if (id !== 5) continue;
      const r = new WasmReader(bytes, body);
      const count = r.leb();
      if (count > 1) throw invalidInput('module defines more than one memory');
      if (count === 0) break;
      const flags = r.byte();
      if (flags > 1) throw invalidInput('module memory is shared or 64-bit; only a plain 32-bit memory is allowed');
      const min = r.leb();
      const max = flags === 1 ? r.leb() : null;
      const mib = (pages: number) => `${(pages * WASM_PAGE) / 1048576} MiB`;
      if (min > capPages) throw invalidInput(`module memory needs ${mib(min)} at start; the memory cap is ${mib(capPages)}`);
      if (max !== null && max > capPages) {
        throw invalidInput(`module memory maximum ${mib(max)} exceeds the memory cap of ${mib(capPages)}`);
      }
      if (r.pos !== end) throw invalidInput('not a valid WebAssembly module: memory section size');
      if (max !== null) return { bytes, memory: { min_pages: min, max_pages: max } };
      const payload = [...uleb(1), 1, ...uleb(min), ...uleb(capPages)];
      const out = new Uint8Array(bytes.length - (end - start) + 1 + uleb(payload.length).length + payload.length);
      out.set(bytes.subarray(0, start), 0);
      let o = start;
      out[o++] = 5;
      for (const b of [...uleb(payload.length), ...payload]) out[o++] = b;
      out.set(bytes.subarray(end), o);
      return { bytes: out, memory: { min_pages: min, max_pages: null } };
    }
  } catch (e) {
    if (e instanceof WasmBinaryError) throw invalidInput(`not a valid WebAssembly module: ${FAULTS[e.fault]}`);
    throw e;
  }
  return { bytes, memory: { min_pages: 0, max_pages: 0 } };
}
