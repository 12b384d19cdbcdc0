/**
 * The nonce ledger (DESIGN §5). A nonce is reserved with a TTL, then burnt RESERVED → SPENT exactly
 * once. Implemented embedded (on the registry's store) and as an HTTP client of a standalone ledger;
 * both answer the same outcomes, so the proof flow cannot tell them apart.
 */
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

export type BurnOutcome =
  | { ok: true }
  | { ok: false; reason: 'replay' | 'expired' | 'tau_mismatch' | 'unknown' };

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

export interface Ledger {
  reserve(opts?: { ttlSeconds?: number }): Promise<Reservation>;
  /** The one conditional transition RESERVED → SPENT; never a read-then-write. */
  burn(uuid: string, tau: string): Promise<BurnOutcome>;
  status(uuid: string): Promise<NonceStatus | undefined>;
  events(opts: { after?: number; limit: number }): Promise<{ events: LedgerEvent[]; next: number | null }>;
  /** Throws when the ledger cannot answer (health checks). */
  ping(): Promise<void>;
}
