// Idle WebAssembly memories of a worker, wiped and reused between runs of modules with the same limits.
import { WASM_PAGE, type MemoryLimits } from './wasm-protocol.js';

/**
 * Idle memories, least recently released first. Instantiating with a reused memory skips reserving and
 * releasing a fresh one (the address space reservation, page faults and TLB flushes), about half the
 * cost of an instantiation.
 */
const idleMemories: Array<{ key: string; memory: WebAssembly.Memory }> = [];
const IDLE_MEMORIES = 4;
/** Larger memories are not kept: it bounds the idle footprint and the cost of the wipe. */
const KEEP_BYTES = 2 << 20; // room for a Rust wasm32-wasi module, which starts at 17 pages

export interface Pooled {
  limits: MemoryLimits;
  memory: WebAssembly.Memory;
  reused: boolean;
}

/** Memories are interchangeable only between modules declaring the same limits. */
const keyOf = (limits: MemoryLimits) => `${limits.min_pages}:${limits.max_pages}`;

export function takeMemory(limits: MemoryLimits): Pooled {
  const i = idleMemories.findLastIndex((m) => m.key === keyOf(limits));
  if (i >= 0) return { limits, memory: idleMemories.splice(i, 1)[0]!.memory, reused: true };
  return {
    limits,
    memory: new WebAssembly.Memory({ initial: limits.min_pages, maximum: limits.max_pages }),
    reused: false,
  };
}

/**
 * Wipes a memory after its run, whatever happened: it may hold the circuit secret (validate-response reads
 * it from stdin). It is kept for another run only at its initial size: wiped, it is then exactly what a
 * new memory is (min pages, all zero; instantiation re-applies the data segments), so no run can tell it
 * was reused. A memory the run grew would show that in memory.size() (even across modules with the same
 * limits: a channel out of a run that saw a secret), move where `memory.grow` hits the maximum and admit
 * data segments past the declared minimum, so it is dropped.
 */
export function releaseMemory({ limits, memory }: Pooled): void {
  new Uint8Array(memory.buffer).fill(0);
  const bytes = memory.buffer.byteLength;
  if (bytes !== limits.min_pages * WASM_PAGE || bytes > KEEP_BYTES) return;
  idleMemories.push({ key: keyOf(limits), memory });
  if (idleMemories.length > IDLE_MEMORIES) idleMemories.shift();
}
