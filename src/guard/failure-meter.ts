// Leaky counters of recent failures, behind the guess budget's per-client lock and per-handle limit; in process.
import { BoundedMap } from './bounded-map.js';

/** One counter to read or bump: it drains toward 0 at `drainPerSec` units a second; `add` is added to it. */
export interface MeterKey {
  key: string;
  drainPerSec: number;
  /** 0 only reads; negative refunds, never below 0. */
  add: number;
}

/**
 * Counters of recent failures that leak away at a steady rate (a leaky bucket's level): the proof
 * gateway's per-(handle, client) lock and per-handle guessing budget. `now` comes from the caller, so
 * every replica and every test measures on one clock it controls. Implemented in process and on Redis.
 */
export interface FailureMeter {
  /** The level of each key at `now`, after adding its `add`; all keys in one atomic step. */
  levels(keys: MeterKey[], now: number): Promise<number[]>;
}

/** The level of a counter last set to `level` at `at`, seen at `now`. */
export const drained = (level: number, at: number, now: number, drainPerSec: number): number =>
  Math.max(0, level - (Math.max(0, now - at) / 1000) * drainPerSec);

/** In-process counters, bounded to `maxEntries` keys (the least recently bumped are forgotten first). */
export class MemoryFailureMeter implements FailureMeter {
  private readonly map: BoundedMap<string, { level: number; at: number }>;
  constructor(maxEntries: number) {
    this.map = new BoundedMap(maxEntries);
  }

  async levels(keys: MeterKey[], now: number): Promise<number[]> {
    return keys.map(({ key, drainPerSec, add }) => {
      const s = this.map.get(key);
      const level = Math.max(0, (s ? drained(s.level, s.at, now, drainPerSec) : 0) + add);
      if (add !== 0) this.map.set(key, { level, at: now });
      else if (s && level === 0) this.map.delete(key); // drained: carries no information
      return level;
    });
  }
}
