// The guess budget's accounting of answers in flight: they hold the client's lock, not the handle's budget.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/config/load.js';
import { MemoryFailureMeter } from '../../src/guard/failure-meter.js';
import { GuessBudget } from '../../src/proof/guess-budget.js';
import type { ApiError } from '../../src/errors.js';
import { ManualClock } from '../helpers/clock.js';

describe('guess budget: answers in flight', () => {
  // The defaults: one wrong answer at a handle makes its next challenge cost proof of work.
  const config = resolveConfig({});
  const budget = () => new GuessBudget(new MemoryFailureMeter(1000), config, new ManualClock());

  test("the owner's right answers in flight never make the next challenge cost proof of work", async () => {
    const b = budget();
    const inFlight = await Promise.all(Array.from({ length: 3 }, () => b.begin('alice', 'owner')));
    assert.deepEqual(
      inFlight.map((s) => s.client).sort(),
      [1, 2, 3],
      'concurrent answers from one client see each other',
    );
    assert.equal(b.difficulty(await b.read('alice', 'someone-else')), 0, 'while in flight');
    await Promise.all(inFlight.map(() => b.settle('alice', 'owner', false)));
    assert.deepEqual(await b.read('alice', 'owner'), { client: 0, handle: 0 }, 'right answers are refunded');
  });

  test('a wrong answer is charged to the handle once settled, and to the client that sent it', async () => {
    const b = budget();
    await b.begin('alice', 'guesser');
    await b.settle('alice', 'guesser', true);
    const s = await b.read('alice', 'owner');
    assert.equal(s.handle, 1);
    assert.ok(b.difficulty(s) >= config.proof.pow_min_difficulty, 'the next challenge costs proof of work');
    assert.equal((await b.read('alice', 'guesser')).client, 1);
    assert.equal(s.client, 0, "the owner's own counter is untouched");
  });

  test('more concurrent answers than lockout_after from one client: the excess is refused and not counted', async () => {
    const b = budget();
    const n = config.proof.lockout_after;
    const results = await Promise.allSettled(Array.from({ length: n + 2 }, () => b.begin('alice', 'flood')));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 2);
    for (const r of refused) assert.equal(((r as PromiseRejectedResult).reason as ApiError).status, 429);
    assert.equal((await b.read('alice', 'flood')).client, n, 'a refused guess is refunded at once');
    assert.equal((await b.read('alice', 'flood')).handle, 0, 'nothing reaches the handle before a verdict');
  });
});
