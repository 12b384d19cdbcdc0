/** The time source every time-dependent service reads, so tests can drive time instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number;
}

/** Wall-clock time; reads `Date.now` at each call so `t.mock.timers` (Date) also drives it. */
export const systemClock: Clock = { now: () => Date.now() };
