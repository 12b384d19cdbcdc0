/**
 * The nonce ledger (DESIGN §5). A nonce is reserved with a TTL, then burnt RESERVED → SPENT exactly
 * once. Implemented embedded (on the registry's store) and as an HTTP client of a standalone ledger;
 * both answer the same outcomes, so the proof flow cannot tell them apart.
 */
import type { BurnOutcome, LedgerEvent, NonceStatus, Reservation } from '../storage/ledger.js';

/** A page of the ledger's event log: events after the cursor `after`, at most `limit` of them. */
export interface EventsQuery {
  after?: number;
  limit: number;
}
/** `next` is the cursor of the following page, or null on the last. */
export interface EventsPage {
  events: LedgerEvent[];
  next: number | null;
}

export interface Ledger {
  reserve(opts?: { ttlSeconds?: number }): Promise<Reservation>;
  /** The one conditional transition RESERVED → SPENT; never a read-then-write. */
  burn(uuid: string, tau: string): Promise<BurnOutcome>;
  status(uuid: string): Promise<NonceStatus | undefined>;
  events(opts: EventsQuery): Promise<EventsPage>;
  /** Throws when the ledger cannot answer (health checks). */
  ping(): Promise<void>;
}
