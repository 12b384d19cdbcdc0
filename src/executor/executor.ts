// The executor: runs circuit artifacts sandboxed (WASI in worker threads, ELF under bubblewrap), a few at a time.
import { createHash } from 'node:crypto';
import type { Static } from 'typebox';
import type { ExecutorSection } from '../config/sections/runtime.js';
import { ApiError, invalidInput } from '../errors.js';
import { NativeRunner } from './native.js';
import type { Artifact, ResolvedLimits, RunLimits, RunResult } from './types.js';
import { failedRun } from './run-result.js';
import { WasmPool } from './wasm-pool.js';
import type { CompiledModule } from './wasm-protocol.js';
import { checkWasmModule } from './wasm-module.js';

export type ExecutorConfig = Static<typeof ExecutorSection>;

/** The part of a pino logger the executor uses. */
export interface ExecutorLogger {
  warn(msg: string): void;
}

export interface ExecutorStats {
  running: number;
  queued: number;
  /** Warm wasm worker threads. */
  workers: number;
  /** WebAssembly compilations so far: a cached module is compiled once, however often it runs. */
  compiles: number;
  cached_modules: number;
  /** Wasm runs that were given a pooled (wiped) memory instead of a new one. */
  reused_memories: number;
}

/** Argv[0] a WASI circuit sees. */
const WASM_ARGV0 = 'circuit';
/** Compiled modules kept (by sha256); beyond this the least recently used is dropped. */
const MODULE_CACHE = 64;
const encoder = new TextEncoder();

/**
 * Runs circuit artifacts in a sandbox: WASI modules in warm worker threads, native ELF binaries under
 * bubblewrap. At most `concurrency` runs execute at once, at most `queue` wait; beyond that a run is
 * refused as busy (503 + Retry-After) rather than piling up.
 */
export class Executor {
  private readonly pool: WasmPool;
  private readonly native: NativeRunner;
  private readonly modules = new Map<string, Promise<CompiledModule>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private compiles = 0;
  private closed = false;

  constructor(
    private readonly config: ExecutorConfig,
    logger?: ExecutorLogger,
  ) {
    // The worker's JS heap holds the WASI shim and captured output, never the wasm memory itself.
    this.pool = new WasmPool(config.concurrency, Math.max(16, Math.ceil((config.output_bytes * 4) / 1048576) + 16));
    this.native = new NativeRunner(config, (msg) => (logger ? logger.warn(msg) : process.emitWarning(msg)));
  }

  /**
   * Runs `command args...` of a circuit with `stdin`. Resolves with what happened (including timeouts,
   * traps and refusals of the artifact as `error`); rejects only when the executor is busy or closed
   * (ApiError UNAVAILABLE) or the artifact is malformed (ApiError INVALID_INPUT).
   */
  async run(
    artifact: Artifact,
    command: string,
    args: string[],
    stdin: string | Uint8Array,
    limits?: RunLimits,
  ): Promise<RunResult> {
    if (this.closed) throw new ApiError('UNAVAILABLE', 'executor is shut down');
    if (artifact.kind !== 'wasm' && artifact.kind !== 'elf')
      throw invalidInput(`unknown circuit kind: ${String(artifact.kind)}`);
    if (!/^[0-9a-f]{64}$/.test(artifact.sha256)) throw invalidInput('artifact sha256 must be 64 lowercase hex digits');
    const resolved: ResolvedLimits = {
      wall_ms: Math.min(limits?.wall_ms ?? Infinity, this.config.wall_ms),
      output_bytes: Math.min(limits?.output_bytes ?? Infinity, this.config.output_bytes),
    };
    // A private copy: the wasm path transfers it to a worker, the native path writes it to a pipe later.
    const input = typeof stdin === 'string' ? encoder.encode(stdin) : new Uint8Array(stdin); // (Buffer#slice would share memory)
    await this.acquire();
    try {
      if (artifact.kind === 'elf')
        return await this.native.run(artifact.sha256, artifact.bytes, [command, ...args], input, resolved);
      let compiled: CompiledModule;
      try {
        compiled = await this.compile(artifact);
      } catch (e) {
        return failedRun(`module refused: ${(e as Error).message}`, 0);
      }
      return await this.pool.run(
        artifact.sha256,
        compiled,
        [WASM_ARGV0, command, ...args],
        input,
        resolved,
        this.config.memory_mb * 1048576,
      );
    } finally {
      this.release();
    }
  }

  get stats(): ExecutorStats {
    return {
      running: this.running,
      queued: this.waiting.length,
      workers: this.pool.workers,
      compiles: this.compiles,
      cached_modules: this.modules.size,
      reused_memories: this.pool.reusedMemories,
    };
  }

  /** Refuses new runs, terminates the workers and waits for them; runs still queued are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await this.pool.close();
    this.native.close();
  }

  private async compile(artifact: Artifact): Promise<CompiledModule> {
    const key = artifact.sha256;
    let p = this.modules.get(key);
    if (p) {
      this.modules.delete(key); // refresh recency
      this.modules.set(key, p);
      return p;
    }
    p = (async () => {
      if (createHash('sha256').update(artifact.bytes).digest('hex') !== key)
        throw new Error('artifact bytes do not match their sha256');
      this.compiles++;
      const { module, memory } = await checkWasmModule(artifact.bytes, this.config.memory_mb);
      return { module, memory }; // not the rewritten bytes: the cache holds only what runs need
    })();
    this.modules.set(key, p);
    if (this.modules.size > MODULE_CACHE) this.modules.delete(this.modules.keys().next().value!);
    p.catch(() => this.modules.delete(key));
    return p;
  }

  private async acquire(): Promise<void> {
    if (this.running < this.config.concurrency) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.config.queue) {
      throw new ApiError(
        'UNAVAILABLE',
        `executor busy: ${this.running} runs in progress and ${this.waiting.length} queued; retry shortly`,
        { running: this.running, queued: this.waiting.length },
        { 'retry-after': '1' },
      );
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw new ApiError('UNAVAILABLE', 'executor is shut down');
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
