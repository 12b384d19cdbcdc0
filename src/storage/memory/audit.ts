// The audit trail in memory (tests, storage.kind = "memory"), keeping the newest events.
import type { AuditEvent, AuditStore } from '../audit.js';
import { nextCursor } from '../page.js';

/** For tests and `storage.kind = "memory"`: the newest `maxEntries` events. */
export function memoryAuditStore(maxEntries: number): AuditStore {
  const log: AuditEvent[] = [];
  let seq = 0;
  return {
    append: async (e) => {
      log.push({ ...e, seq: ++seq });
      if (log.length > maxEntries) log.splice(0, log.length - maxEntries);
    },
    list: async ({ after = 0, limit }) => {
      // seq is dense and increasing, so the first wanted event is found by offset.
      const first = log.length > 0 ? Math.max(0, after + 1 - log[0]!.seq) : 0;
      const events = log.slice(first, first + limit);
      return { events, next: nextCursor(events, limit) };
    },
    prune: async (before) => {
      // Only from the front, so seq stays dense (list() finds events by offset).
      let n = 0;
      while (n < log.length && log[n]!.at < before) n++;
      log.splice(0, n);
      return n;
    },
  };
}
