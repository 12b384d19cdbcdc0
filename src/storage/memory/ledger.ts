// The nonce ledger's storage in memory (tests, storage.kind = "memory"): bounded nonces and events, atomic burn.
import { classifyRefusal, statusFromRow, type LedgerEvent, type LedgerStore, type NonceState } from '../ledger.js';

interface Nonce {
  tau: string | null;
  state: NonceState;
  expires_at: number;
  spent_at?: number;
}

/**
 * For tests and `storage.kind = "memory"`. Bounded: beyond `maxEntries` the oldest nonces and events are
 * forgotten. A forgotten nonce answers `unknown`, so eviction can refuse a burn but never allow a second one.
 */
export function memoryLedgerStore(maxEntries: number): LedgerStore {
  // Map keeps insertion order, so the first key is the oldest reservation.
  const nonces = new Map<string, Nonce>();
  const log: LedgerEvent[] = [];
  let seq = 0;

  const record = (at: number, uuid: string, type: LedgerEvent['type']) => {
    log.push({ seq: ++seq, at, uuid, type });
    if (log.length > maxEntries) log.splice(0, log.length - maxEntries);
  };

  return {
    reserve: async (uuid, tau, expiresAt, now) => {
      if (nonces.has(uuid)) throw new Error('duplicate nonce uuid');
      nonces.set(uuid, { tau, state: 'RESERVED', expires_at: expiresAt });
      for (const key of nonces.keys()) {
        if (nonces.size <= maxEntries) break;
        nonces.delete(key);
      }
      record(now, uuid, 'reserved');
    },
    // No await between the check and the write: the event loop makes this one atomic transition.
    spend: async (uuid, tau, now) => {
      const n = nonces.get(uuid);
      if (n && n.state === 'RESERVED' && n.tau === tau && n.expires_at > now) {
        Object.assign(n, { state: 'SPENT', spent_at: now, tau: null });
        record(now, uuid, 'spent');
        return { ok: true };
      }
      const reason = classifyRefusal(n, tau, now);
      if (reason !== 'unknown') record(now, uuid, reason);
      return { ok: false, reason };
    },
    status: async (uuid, now) => statusFromRow(uuid, nonces.get(uuid), now),
    events: async (after, limit) => {
      // seq is dense and increasing, so the first wanted event can be found by offset.
      const first = log.length > 0 ? Math.max(0, after + 1 - log[0]!.seq) : 0;
      return log.slice(first, first + limit);
    },
    prune: async (now, retainMs) => {
      const cutoff = now - retainMs;
      let changed = 0;
      for (const [uuid, n] of nonces) {
        if (n.state === 'RESERVED' && n.expires_at <= now) {
          Object.assign(n, { state: 'EXPIRED', tau: null });
          changed++;
        }
        if (n.state !== 'RESERVED' && (n.spent_at ?? n.expires_at) < cutoff) {
          nonces.delete(uuid);
          changed++;
        }
      }
      const old = log.findIndex((e) => e.at >= cutoff);
      const drop = old === -1 ? log.length : old;
      log.splice(0, drop);
      return changed + drop;
    },
  };
}
