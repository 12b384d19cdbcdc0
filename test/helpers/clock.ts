// Time in tests: a manual clock the test moves, and a bounded wait for what another process makes true.
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../src/config/clock.js';

/** A clock that stands still until the test moves it: inject it where a test would otherwise sleep. */
export class ManualClock implements Clock {
  constructor(private ms = Date.now()) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Waits for a condition that only an outside process or thread can make true (a child started, a key
 * expired on the Redis server): checks it every `everyMs` and fails after a generous `timeoutMs`. The
 * duration is a bound, never the thing waited for.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, everyMs = 5 } = {},
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`${what}: still not true after ${timeoutMs} ms`);
    await delay(everyMs);
  }
}
