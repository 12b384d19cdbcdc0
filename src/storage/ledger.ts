import type { BurnOutcome, LedgerEvent, NonceStatus } from '../ledger/ledger.js';

/**
 * Nonce ledger storage. The store owns the atomic part: `spend` is one conditional transition
 * RESERVED → SPENT, and its refusal is classified from the row as it stood at that moment.
 */
export interface LedgerStore {
  /** Stores a new RESERVED nonce and its `reserved` event. */
  reserve(uuid: string, tau: string, expiresAt: number, now: number): Promise<void>;
  /** Exactly one caller ever gets `{ok:true}` for a uuid; every attempt is recorded as an event. */
  spend(uuid: string, tau: string, now: number): Promise<BurnOutcome>;
  /** Reports RESERVED nonces past their expiry as EXPIRED. */
  status(uuid: string, now: number): Promise<NonceStatus | undefined>;
  /** `reserved` at reserve; `spent`, `replay`, `expired` or `tau_mismatch` at each burn of a known nonce. Pruning adds none. */
  events(after: number, limit: number): Promise<LedgerEvent[]>;
  /**
   * Turns expired RESERVED nonces into tombstones (tau dropped; a late burn still gets `expired`), and
   * forgets tombstones, spent nonces and events older than `retainMs`. Returns how many rows changed.
   */
  prune(now: number, retainMs: number): Promise<number>;
}

/** How a refused transition is classified, from the row as it stood (shared by every backend). */
export function classifyRefusal(row: { tau: string | null; state: string; expires_at: number } | undefined, tau: string, now: number): Exclude<BurnOutcome, { ok: true }>['reason'] {
  if (!row) return 'unknown';
  if (row.state === 'SPENT') return 'replay';
  if (row.state === 'EXPIRED' || row.expires_at <= now) return 'expired';
  if (row.tau !== tau) return 'tau_mismatch';
  // RESERVED, unexpired and the right tau would have been spent by the conditional update.
  throw new Error('ledger invariant broken: a spendable nonce was not spent');
}
