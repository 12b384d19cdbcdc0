// The pool of warm wasm worker threads, one run each at a time, replaced on wall-time overrun or death.
import { Worker } from 'node:worker_threads';
import { WORKER_MODULE_CACHE, type CompiledModule, type WorkerRequest, type WorkerResponse } from './wasm-protocol.js';
import type { ResolvedLimits, RunResult } from './types.js';
import { failedRun } from './run-result.js';

const WORKER_URL = new URL('./wasm-worker.js', import.meta.url);
const decoder = new TextDecoder();

interface Slot {
  worker: Worker;
  /** Which modules this worker holds (mirrors its own bounded cache, oldest first). */
  modules: Set<string>;
  busy: boolean;
  ready: Promise<void>;
  /** The last 'error' event of the current worker (e.g. ERR_WORKER_OUT_OF_MEMORY), for the run's error. */
  lastError: string | undefined;
}

/**
 * A fixed set of warm worker threads, one run per worker at a time. The executor's queue guarantees
 * that no more than `size` runs are handed in at once. A worker that overruns its wall time is
 * terminated and replaced.
 */
export class WasmPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Runs whose worker handed them a pooled memory (see wasm-worker.ts). */
  reusedMemories = 0;

  constructor(
    private readonly size: number,
    private readonly heapMb: number,
  ) {}

  /** Runs a module; `stdin` must own its whole buffer, which is transferred to the worker (detached here). */
  async run(
    sha256: string,
    compiled: CompiledModule,
    argv: string[],
    stdin: Uint8Array,
    limits: ResolvedLimits,
    memoryBytes: number,
  ): Promise<RunResult> {
    // A run admitted before close() but still compiling gets here after it: no new worker may outlive close().
    if (this.closed) return failedRun('executor is shut down', 0);
    const slot = this.idleSlot();
    slot.busy = true;
    // Idle workers are unref'd so they never hold the process open; a run in flight must.
    slot.worker.ref();
    const started = performance.now();
    try {
      await slot.ready;
    } catch (e) {
      this.replace(slot);
      return failedRun(`wasm worker failed to start: ${(e as Error).message}`, performance.now() - started);
    }
    const req: WorkerRequest = {
      id: this.nextId++,
      sha256,
      argv,
      stdin,
      output_bytes: limits.output_bytes,
      memory_bytes: memoryBytes,
    };
    if (!slot.modules.has(sha256)) {
      req.compiled = compiled;
      slot.modules.add(sha256);
      if (slot.modules.size > WORKER_MODULE_CACHE) slot.modules.delete(slot.modules.values().next().value!);
    } else {
      // keep the mirror in the same recency order as the worker's cache
      slot.modules.delete(sha256);
      slot.modules.add(sha256);
    }
    return new Promise<RunResult>((resolve) => {
      const w = slot.worker;
      // The duration is taken last, once the slot is settled, as it always was: a timer may fire a fraction of
      // a millisecond early by performance.now(), and a run stopped at its wall time reports at least that.
      const finish = (r: RunResult, replace: boolean) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (replace) this.replace(slot);
        else w.unref();
        slot.busy = false;
        resolve({ ...r, duration_ms: performance.now() - started });
      };
      const onMessage = (res: WorkerResponse) => {
        if (res.id !== req.id) return;
        if (res.memory_reused) this.reusedMemories++;
        finish(
          {
            exit_code: res.exit_code,
            stdout: decoder.decode(res.stdout),
            stderr: decoder.decode(res.stderr),
            timed_out: false,
            truncated: res.truncated,
            duration_ms: 0,
            ...(res.error !== undefined ? { error: res.error } : {}),
          },
          false,
        );
      };
      const onExit = (code: number) => {
        // Only a worker killed under it (heap limit, internal failure) gets here; timeouts detach first.
        const error = slot.lastError?.includes('memory')
          ? `worker out of memory: ${slot.lastError}`
          : `worker exited (${code})${slot.lastError ? `: ${slot.lastError}` : ''}`;
        finish(failedRun(error, 0), true);
      };
      const timer = setTimeout(() => {
        finish(failedRun(`wall time of ${limits.wall_ms} ms exceeded; run killed`, 0, true), true);
      }, limits.wall_ms);
      w.on('message', onMessage);
      w.on('exit', onExit);
      // stdin moves to the worker (no copy): it may hold a secret, which the worker wipes after the run.
      w.postMessage(req, [stdin.buffer as ArrayBuffer]);
    });
  }

  get workers(): number {
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private idleSlot(): Slot {
    const idle = this.slots.find((s) => !s.busy);
    if (idle) return idle;
    if (this.slots.length >= this.size)
      throw new Error('wasm pool: no idle worker (the executor queue must bound runs)');
    const slot = {} as Slot;
    this.spawnInto(slot);
    this.slots.push(slot);
    return slot;
  }

  private spawnInto(slot: Slot): void {
    const worker = new Worker(WORKER_URL, {
      // node:wasi is flagged experimental; that warning would otherwise print once per worker.
      execArgv: ['--disable-warning=ExperimentalWarning'],
      // wasm memory is outside these limits (it is capped by the module's memory maximum); they bound
      // the JS side: the WASI shim and the captured output.
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    worker.unref();
    worker.on('error', (e) => {
      slot.lastError = e.message;
    });
    slot.worker = worker;
    slot.modules = new Set();
    slot.busy = false;
    slot.lastError = undefined;
    slot.ready = new Promise((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('exit', (code) => reject(new Error(slot.lastError ?? `exited (${code})`)));
    });
    slot.ready.catch(() => {
      // reported by the run that awaits it
    });
    // A worker that dies while idle is replaced at once, so the next run does not wait out its wall time.
    worker.once('exit', () => {
      if (!slot.busy && slot.worker === worker && !this.closed) this.spawnInto(slot);
    });
  }

  /** Terminates a worker that overran or died and puts a fresh, warm one in its place. */
  private replace(slot: Slot): void {
    slot.busy = false;
    void slot.worker.terminate();
    if (!this.closed) this.spawnInto(slot);
  }
}
