// The pin holds what it is meant to: one of process.nextTick's queue entries (whose hidden classes it keeps alive).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinnedTickObject } from '../../src/http/tick-object-pin.js';

test('the pinned object is a nextTick queue entry: its callback, its arguments and its async ids', () => {
  // If a Node release stops handing out the entry as the async resource, the pin would silently keep nothing.
  assert.equal(typeof (pinnedTickObject as { callback?: unknown }).callback, 'function');
  assert.ok('args' in pinnedTickObject);
  const ids = Object.getOwnPropertySymbols(pinnedTickObject).map((s) => s.description);
  assert.deepEqual(ids, ['async_id_symbol', 'trigger_async_id_symbol']);
});
