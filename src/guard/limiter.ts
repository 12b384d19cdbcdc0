/** One budget: `rps` tokens per second, at most `burst` saved up. */
export interface Bucket {
  key: string;
  rps: number;
  burst: number;
}

export type LimitResult = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * Token buckets with bans, shared by both APIs. One `consume` takes a token from every bucket it names;
 * if any is empty the request is refused and, with `banSeconds > 0`, `banKey` is banned for that long.
 * Implemented in process (memory-limiter.ts) and on Redis for replicas (issue 6).
 */
export interface RateLimiter {
  consume(req: { banKey: string; buckets: Bucket[]; banSeconds: number }): Promise<LimitResult>;
  /** Seconds left on a ban, 0 when not banned. */
  banned(banKey: string): Promise<number>;
  close(): Promise<void>;
}
