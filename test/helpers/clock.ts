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
 * Waits for `check` to hold, yielding to the event loop between tries (no fixed sleep): for effects that
 * finish asynchronously after a timer fired, e.g. a GC's store query.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, tries = 10_000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`${what}: not after ${tries} turns of the event loop`);
}
