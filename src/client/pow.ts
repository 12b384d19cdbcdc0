// The SDK's proof-of-work solver for the directory and gateway challenges, in a Web Worker or in time slices.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from './encoding.js';

// Proof of work for the directory: find a decimal solution such that SHA-256(challenge ‖ solution) has
// `difficulty` leading zero bits. In a Web Worker when the platform has one (the page stays responsive),
// otherwise on the calling thread in time slices with `await` breaks between them.

/** A `/pow/challenge` answer, or the `details.pow` of a POW_REQUIRED from the proof gateway. */
export interface PowChallenge {
  challenge: string;
  difficulty: number;
  expires_ms: number;
}

export interface PowProgress {
  /** Solutions tried so far. */
  attempts: number;
  /** Mean number of attempts the difficulty needs (2^difficulty). */
  expected: number;
}

export interface PowSolveOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: PowProgress) => void) | undefined;
  /** Use a Web Worker when `Worker` exists (default true). Falls back to the calling thread if it cannot start. */
  worker?: boolean | undefined;
}

function leadingZeroBits(d: Uint8Array): number {
  let bits = 0;
  for (const byte of d) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

export const powSolves = (challenge: string, solution: string, difficulty: number): boolean =>
  leadingZeroBits(sha256(utf8ToBytes(challenge + solution))) >= difficulty;

const SLICE_MS = 12;
const PROGRESS_EVERY = 1 << 14;

/** Solves on this thread, yielding to the event loop every ~12 ms so timers, input and aborts get through. */
async function solveHere(ch: PowChallenge, o: PowSolveOptions): Promise<string> {
  const expected = 2 ** ch.difficulty;
  for (let n = 0; ; ) {
    o.signal?.throwIfAborted();
    const sliceEnd = Date.now() + SLICE_MS;
    do {
      for (const stop = n + 256; n < stop; n++) {
        if (powSolves(ch.challenge, String(n), ch.difficulty)) return String(n);
        if (n % PROGRESS_EVERY === 0 && n > 0) o.onProgress?.({ attempts: n, expected });
      }
    } while (Date.now() < sliceEnd);
    await new Promise((r) => setTimeout(r, 0));
  }
}

// The worker is self-contained (a Blob URL, so bundlers and CSPs with `worker-src blob:` need no extra file)
// and hashes with Web Crypto, batched to amortise its promise per digest.
const WORKER_SOURCE = `
const zeros = (d) => { let b = 0; for (const x of d) { if (x !== 0) return b + Math.clz32(x) - 24; b += 8; } return b; };
onmessage = async ({ data: { challenge, difficulty } }) => {
  const enc = new TextEncoder();
  for (let n = 0; ; n += 512) {
    const batch = [];
    for (let i = 0; i < 512; i++) batch.push(crypto.subtle.digest('SHA-256', enc.encode(challenge + (n + i))));
    const digests = await Promise.all(batch);
    const hit = digests.findIndex((d) => zeros(new Uint8Array(d)) >= difficulty);
    if (hit >= 0) return postMessage({ solution: String(n + hit) });
    if ((n + 512) % ${PROGRESS_EVERY} === 0) postMessage({ attempts: n + 512 });
  }
};`;

function solveInWorker(ch: PowChallenge, o: PowSolveOptions): Promise<string> | undefined {
  let worker: Worker;
  let url: string;
  try {
    url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    worker = new Worker(url);
  } catch {
    return undefined; // e.g. a CSP without worker-src blob:
  }
  const expected = 2 ** ch.difficulty;
  return new Promise<string>((resolve, reject) => {
    const done = () => {
      worker.terminate();
      URL.revokeObjectURL(url);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(o.signal!.reason);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (e: MessageEvent<{ solution?: string; attempts?: number }>) => {
      if (e.data.solution !== undefined) {
        done();
        resolve(e.data.solution);
      } else if (e.data.attempts !== undefined) o.onProgress?.({ attempts: e.data.attempts, expected });
    };
    // A worker that cannot run (blocked script, no Web Crypto) is replaced by the calling thread.
    worker.onerror = (e) => {
      e.preventDefault();
      done();
      solveHere(ch, o).then(resolve, reject);
    };
    worker.postMessage({ challenge: ch.challenge, difficulty: ch.difficulty });
  });
}

/** Finds a solution for a `/pow/challenge` answer; rejects with the signal's reason when aborted. */
export async function solvePow(ch: PowChallenge, o: PowSolveOptions = {}): Promise<string> {
  o.signal?.throwIfAborted();
  const viaWorker = (o.worker ?? true) && typeof Worker === 'function' ? solveInWorker(ch, o) : undefined;
  return viaWorker ?? solveHere(ch, o);
}
