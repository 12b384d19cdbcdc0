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

/** A nonce row as every SQL backend selects it (`tau, state, expires_at, spent_at`). */
export interface NonceRow {
  tau: string | null;
  state: NonceState;
  expires_at: number;
  spent_at: number | null;
}

/** The status a row reports: a RESERVED nonce past its expiry is EXPIRED (shared by every backend). */
export function statusFromRow(
  uuid: string,
  row: (Pick<NonceRow, 'state' | 'expires_at'> & { spent_at?: number | null }) | undefined,
  now: number,
): NonceStatus | undefined {
  if (!row) return undefined;
  const state = row.state === 'RESERVED' && row.expires_at <= now ? 'EXPIRED' : row.state;
  return { uuid, state, expires_at: row.expires_at, ...(row.spent_at != null && { spent_at: row.spent_at }) };
}

/** How a refused transition is classified, from the row as it stood (shared by every backend). */
export function classifyRefusal(
  row: Pick<NonceRow, 'tau' | 'state' | 'expires_at'> | undefined,
  tau: string,
  now: number,
): Exclude<BurnOutcome, { ok: true }>['reason'] {
  if (!row) return 'unknown';
  if (row.state === 'SPENT') return 'replay';
  if (row.state === 'EXPIRED' || row.expires_at <= now) return 'expired';
  if (row.tau !== tau) return 'tau_mismatch';
  // RESERVED, unexpired and the right tau would have been spent by the conditional update.
  throw new Error('ledger invariant broken: a spendable nonce was not spent');
}

// The ledger's records and outcomes, shared by every backend and by the ledger domain above them.
export type NonceState = 'RESERVED' | 'SPENT' | 'EXPIRED';

export interface Reservation {
  uuid: string;
  /** Random per-reservation token the caller must echo at burn time. */
  tau: string;
  /** Seconds until expiry, as granted. */
  ttl: number;
  /** Epoch ms. */
  expires_at: number;
}

export type BurnOutcome = { ok: true } | { ok: false; reason: 'replay' | 'expired' | 'tau_mismatch' | 'unknown' };

export interface NonceStatus {
  uuid: string;
  state: NonceState;
  expires_at: number;
  spent_at?: number;
}

/** Audit feed entry: no PII (client addresses are hashed; payloads are never recorded). */
export interface LedgerEvent {
  seq: number;
  at: number;
  uuid: string;
  type: 'reserved' | 'spent' | 'replay' | 'expired' | 'tau_mismatch';
}
