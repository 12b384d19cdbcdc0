// Keeps one process.nextTick queue entry alive for the life of the process, so that nextTick stays fast.
import { executionAsyncResource } from 'node:async_hooks';

// V8 holds the hidden classes that nextTick's queue entries (`{ [async_id]: …, callback, args }`) go through
// only weakly. When a full GC finds no entry alive it frees them, the next entry builds new ones, and after a
// few such GCs the store in nextTick has seen so many classes that it goes megamorphic for good: 73 → 310 ns
// per nextTick here, several per request (check_user 28 → 22 µs of server CPU). One live entry keeps its
// classes, so import this before anything heavy loads. Inside a nextTick callback the current async resource
// is that callback's queue entry.
export const pinnedTickObject: object = await new Promise((resolve) =>
  process.nextTick(() => resolve(executionAsyncResource())),
);
