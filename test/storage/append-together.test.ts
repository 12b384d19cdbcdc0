// appendTogether, the group commit of the PostgreSQL feeds: who is written with whom, and who hears of a failure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appendTogether } from '../../src/storage/postgres/db.js';

/** A write whose every call the test settles by hand (failing it, or refusing some items), and its batches. */
function manualWrite() {
  const calls: { items: number[]; settle: (err?: Error, refused?: unknown[]) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<readonly unknown[] | undefined>((resolve, reject) => {
      calls.push({ items, settle: (err, refused) => (err ? reject(err) : resolve(refused)) });
    });
  return { calls, write };
}

/** One write at a time: 1 goes out alone and `rest` queue behind it; returns once 1 is written. */
async function queuedBehindFirst(rest: number[]) {
  const { calls, write } = manualWrite();
  const append = appendTogether(write);
  const first = append(1);
  const pending = rest.map((i) => append(i));
  calls[0]!.settle();
  await first;
  return { calls, append, pending };
}

describe('appendTogether', () => {
  test('one write at a time: the first append goes out alone at once; those made meanwhile go out together next', async () => {
    const { calls, write } = manualWrite();
    const append = appendTogether(write);
    const first = append(1);
    assert.deepEqual(
      calls.map((c) => c.items),
      [[1]],
    );
    const rest = [2, 3, 4].map((i) => append(i));
    assert.equal(calls.length, 1, 'nothing more is written while the first write runs');
    calls[0]!.settle();
    await first;
    assert.deepEqual(
      calls.map((c) => c.items),
      [[1], [2, 3, 4]],
    );
    let settled = false;
    const waiting = Promise.all(rest).then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false, 'a caller waits for the write of its own item');
    calls[1]!.settle();
    await waiting;
  });

  test('a failed write rejects every caller of its batch, and the next batch is still written', async () => {
    const { calls, append, pending: batch } = await queuedBehindFirst([2, 3]);
    const later = append(4);
    calls[1]!.settle(new Error('disk full'));
    for (const r of await Promise.allSettled(batch)) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /disk full/);
    }
    await Promise.resolve();
    assert.deepEqual(calls[2]?.items, [4]);
    calls[2]!.settle();
    await later;
  });

  test('a write may refuse single items of its batch: only their callers hear of it', async () => {
    const { calls, pending: batch } = await queuedBehindFirst([2, 3, 4]);
    calls[1]!.settle(undefined, [undefined, new Error('3 is taken'), undefined]);
    const outcomes = await Promise.allSettled(batch);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /3 is taken/);
  });

  test('a long queue is written in batches of at most 256', async () => {
    const { calls, write } = manualWrite();
    const append = appendTogether(write);
    const all = Array.from({ length: 600 }, (_, i) => append(i));
    for (let i = 0; i < 4; i++) {
      await Promise.resolve();
      calls[i]!.settle();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    assert.deepEqual(
      calls.map((c) => c.items.length),
      [1, 256, 256, 87],
    );
    assert.deepEqual(
      calls.flatMap((c) => c.items),
      Array.from({ length: 600 }, (_, i) => i),
      'in call order',
    );
  });
});
