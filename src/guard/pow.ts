import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import { BoundedMap } from './bounded-map.js';

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

export class MemoryPowStore implements PowStore {
  private readonly map: BoundedMap<string, { difficulty: number; expiresMs: number }>;
  constructor(maxOutstanding: number) {
    this.map = new BoundedMap(maxOutstanding);
  }
  async put(challenge: string, difficulty: number, expiresMs: number) {
    this.map.prune((c) => c.expiresMs < Date.now());
    this.map.set(challenge, { difficulty, expiresMs });
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

export class PowGate {
  constructor(
    private readonly store: PowStore,
    readonly difficulty: number,
    private readonly ttlSeconds: number,
  ) {}

  async issue(): Promise<PowChallenge> {
    const challenge = randomBytes(16).toString('hex');
    const expires_ms = Date.now() + this.ttlSeconds * 1000;
    await this.store.put(challenge, this.difficulty, expires_ms);
    return { challenge, difficulty: this.difficulty, expires_ms };
  }

  /** Checks an `x-enigma-pow: <challenge>:<solution>` header; throws POW_REQUIRED with the reason. */
  async verify(header: string | undefined): Promise<void> {
    if (!header) throw powRequired('proof of work required: GET /pow/challenge, then send x-enigma-pow: <challenge>:<solution>');
    const sep = header.indexOf(':');
    const challenge = sep > 0 ? header.slice(0, sep) : '';
    const solution = sep > 0 ? header.slice(sep + 1) : '';
    if (!/^[0-9a-f]{32}$/.test(challenge) || solution.length === 0 || solution.length > 128)
      throw powRequired('malformed x-enigma-pow header; expected <challenge>:<solution>');
    const stored = await this.store.take(challenge);
    if (!stored) throw powRequired('unknown or already used proof-of-work challenge');
    if (Date.now() > stored.expiresMs) throw powRequired('proof-of-work challenge expired');
    if (!powSolves(challenge, solution, stored.difficulty)) throw powRequired('proof-of-work solution does not meet the difficulty');
  }
}

/** Brute-force solver (clients and tests). Counts decimal solutions upward from `start`. */
export function solvePow(challenge: string, difficulty: number, start = 0): string {
  for (let n = start; ; n++) if (powSolves(challenge, String(n), difficulty)) return String(n);
}
