// Proof of work: single-use challenges, their in-process store, header checks and a brute-force solver.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { systemClock, type Clock } from '../config/clock.js';
import { ApiError } from '../errors.js';

export interface PowChallenge {
  challenge: string;
  difficulty: number;
  expires_ms: number;
}

/** Where outstanding challenges live: this process, or Redis so a solution is single-use across replicas. */
export interface PowStore {
  put(challenge: string, difficulty: number, expiresMs: number): Promise<void>;
  /** Removes and returns the challenge (single use, even when the solution turns out wrong). */
  take(challenge: string): Promise<{ difficulty: number; expiresMs: number } | undefined>;
}

/** Kept past their expiry for a while, so a late solution is told "expired" rather than "unknown". */
export const POW_GRACE_MS = 60_000;

/**
 * Outstanding challenges in this process: a Map for lookup and a queue in issue order. Every challenge of
 * one store lives equally long, so the oldest are the first to expire: `put` drops entries from the head
 * of the queue (taken, expired, or beyond the bound) and stops at the first live one. Issue and take are
 * O(1) amortised however many challenges are outstanding (pruning the whole map on every issue made
 * issuance O(n), issue 12).
 */
export class MemoryPowStore implements PowStore {
  private readonly map = new Map<string, { difficulty: number; expiresMs: number }>();
  private queue: string[] = [];
  private head = 0;
  constructor(
    private readonly maxOutstanding: number,
    private readonly clock: Clock = systemClock,
  ) {}

  async put(challenge: string, difficulty: number, expiresMs: number) {
    const now = this.clock.now();
    while (this.head < this.queue.length) {
      const oldest = this.queue[this.head]!;
      const c = this.map.get(oldest);
      // Taken challenges stay queued until they reach the head; the queue is bounded too.
      const full = this.map.size >= this.maxOutstanding || this.queue.length - this.head >= 2 * this.maxOutstanding;
      if (c && c.expiresMs + POW_GRACE_MS >= now && !full) break;
      if (c) this.map.delete(oldest);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head); // amortised: at most once per head-length of puts
      this.head = 0;
    }
    this.map.set(challenge, { difficulty, expiresMs });
    this.queue.push(challenge);
  }

  async take(challenge: string) {
    const c = this.map.get(challenge);
    this.map.delete(challenge);
    return c;
  }
}

/** SHA-256(challenge ‖ solution), both as ASCII, has at least `difficulty` leading zero bits. */
export function powSolves(challenge: string, solution: string, difficulty: number): boolean {
  const digest = createHash('sha256').update(challenge, 'latin1').update(solution, 'latin1').digest();
  return leadingZeroBits(digest) >= difficulty;
}

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

const powRequired = (message: string) => new ApiError('POW_REQUIRED', message);

/**
 * The first `x-enigma-pow` header of a request. Node joins repeated unknown headers with ", ", which
 * would glue the second solution onto the first; the Rust registry reads the first one, and so do we.
 */
export const firstPowHeader = (raw: IncomingMessage): string | undefined => raw.headersDistinct['x-enigma-pow']?.[0];

export class PowGate {
  constructor(
    private readonly store: PowStore,
    readonly difficulty: number,
    private readonly ttlSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A fresh single-use challenge, at the gate's difficulty unless told otherwise. */
  async issue(difficulty = this.difficulty): Promise<PowChallenge> {
    const challenge = randomBytes(16).toString('hex');
    const expires_ms = this.clock.now() + this.ttlSeconds * 1000;
    await this.store.put(challenge, difficulty, expires_ms);
    return { challenge, difficulty, expires_ms };
  }

  /**
   * Checks an `x-enigma-pow: <challenge>:<solution>` header; throws POW_REQUIRED with the reason. The
   * solution may be any length the request's header limit lets through, as in the Rust registry.
   * `minDifficulty`: a challenge issued at a lower difficulty than is now required is refused (spent).
   */
  async verify(header: string | undefined, minDifficulty = 0): Promise<void> {
    if (!header)
      throw powRequired('proof of work required: GET /pow/challenge, then send x-enigma-pow: <challenge>:<solution>');
    const sep = header.indexOf(':');
    const challenge = sep > 0 ? header.slice(0, sep) : '';
    const solution = sep > 0 ? header.slice(sep + 1) : '';
    if (!/^[0-9a-f]{32}$/.test(challenge) || solution.length === 0)
      throw powRequired('malformed x-enigma-pow header; expected <challenge>:<solution>');
    const stored = await this.store.take(challenge);
    if (!stored) throw powRequired('unknown or already used proof-of-work challenge');
    if (this.clock.now() > stored.expiresMs) throw powRequired('proof-of-work challenge expired');
    if (stored.difficulty < minDifficulty)
      throw powRequired(`proof-of-work challenge is easier than the ${minDifficulty} bits now required`);
    if (!powSolves(challenge, solution, stored.difficulty))
      throw powRequired('proof-of-work solution does not meet the difficulty');
  }
}

/** Brute-force solver (clients and tests). Counts decimal solutions upward from `start`. */
export function solvePow(challenge: string, difficulty: number, start = 0): string {
  for (let n = start; ; n++) if (powSolves(challenge, String(n), difficulty)) return String(n);
}
