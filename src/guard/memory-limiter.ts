// The in-process rate limiter: token buckets and bans per client, bounded in memory.
import { systemClock, type Clock } from '../config/clock.js';
import { BoundedMap } from './bounded-map.js';
import type { Bucket, LimitResult, RateLimiter } from './limiter.js';

interface BucketState {
  tokens: number;
  at: number;
}

/** In-process token buckets and bans, bounded to `maxEntries` clients each. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets: BoundedMap<string, BucketState>;
  private readonly bans: BoundedMap<string, number>;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    maxEntries: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.buckets = new BoundedMap(maxEntries);
    this.bans = new BoundedMap(maxEntries);
    // Full buckets and lapsed bans carry no information: drop them so idle clients cost nothing.
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  async consume(req: { banKey: string; buckets: Bucket[]; banSeconds: number }): Promise<LimitResult> {
    const now = this.clock.now();
    const ban = this.banLeft(req.banKey, now);
    if (ban > 0) return { ok: false, retryAfterSec: ban };
    const states = req.buckets.map((b) => this.refill(b, now));
    const empty = states.findIndex((s) => s.tokens < 1);
    if (empty >= 0) {
      if (req.banSeconds > 0) {
        this.bans.set(req.banKey, now + req.banSeconds * 1000);
        return { ok: false, retryAfterSec: req.banSeconds };
      }
      const b = req.buckets[empty]!;
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - states[empty]!.tokens) / b.rps)) };
    }
    req.buckets.forEach((b, i) => {
      this.buckets.set(b.key, { tokens: states[i]!.tokens - 1, at: now });
    });
    return { ok: true };
  }

  async banned(banKey: string): Promise<number> {
    return this.banLeft(banKey, this.clock.now());
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private refill(b: Bucket, now: number): BucketState {
    const s = this.buckets.get(b.key);
    if (!s) return { tokens: b.burst, at: now };
    return { tokens: Math.min(b.burst, s.tokens + ((now - s.at) / 1000) * b.rps), at: now };
  }

  private banLeft(key: string, now: number): number {
    const until = this.bans.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.bans.delete(key);
      return 0;
    }
    return Math.ceil((until - now) / 1000);
  }

  private sweep(): void {
    const now = this.clock.now();
    this.bans.prune((until) => until <= now);
    // A bucket idle for a minute has refilled for any rate >= burst/60; forget it.
    this.buckets.prune((s) => now - s.at > 60_000);
  }
}
