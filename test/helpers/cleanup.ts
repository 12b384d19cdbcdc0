// Test cleanup that runs last in, first out when a test ends (node:test runs t.after hooks first in, first out).
import type { TestContext } from 'node:test';

const stacks = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Runs `fn` once test `t` has ended, passed or failed, and before whatever was deferred on `t` earlier (last in,
 * first out): a registry started in a temp dir is closed before the dir is removed. Node 20 runs `t.after` hooks in
 * the order they were registered, so one hook per test runs the whole stack. Every step runs; the first that throws
 * fails the test.
 */
export function defer(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (stack === undefined) {
    const steps: Array<() => unknown> = [];
    stacks.set(t, steps);
    t.after(async () => {
      const failures: unknown[] = [];
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        try {
          await step();
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length > 0) throw failures[0];
    });
    stack = steps;
  }
  stack.push(fn);
}
