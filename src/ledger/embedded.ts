// The nonce ledger on the registry's own store: reserve, burn, status, events and pruning.
import { randomBytes } from 'node:crypto';
import { v7 as uuidV7 } from 'uuid';
import { systemClock, type Clock } from '../config/clock.js';
import { invalidInput } from '../errors.js';
import type { LedgerStore } from '../storage/ledger.js';
import { nextCursor } from '../storage/page.js';
import type { EventsPage, EventsQuery, Ledger } from './ledger.js';
import type { BurnOutcome, NonceStatus, Reservation } from '../storage/ledger.js';

export interface EmbeddedLedgerOptions {
  ttlSeconds: number;
  maxTtlSeconds: number;
  retainSeconds: number;
  /** The backing store's liveness check. */
  ping(): Promise<void>;
  /** Reservation, burn and prune times; the system clock unless a test drives time. */
  clock?: Clock;
}

/** The ledger on the registry's own store (or the standalone service's). */
export class EmbeddedLedger implements Ledger {
  private readonly clock: Clock;
  constructor(
    private readonly store: LedgerStore,
    private readonly options: EmbeddedLedgerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async reserve(opts: { ttlSeconds?: number } = {}): Promise<Reservation> {
    const ttl = opts.ttlSeconds ?? this.options.ttlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > this.options.maxTtlSeconds)
      throw invalidInput(`ttl must be an integer from 1 to ${this.options.maxTtlSeconds} seconds`);
    const now = this.clock.now();
    const r: Reservation = {
      // Time-ordered (UUIDv7, 74 random bits): stores key nonces by uuid, and a v4's random place in that
      // index made every reserve and burn dirty a page of its own, so each commit wrote several pages to
      // the WAL for a handful of nonces. In time order they share the index's last pages.
      uuid: uuidV7({ msecs: now }),
      tau: randomBytes(16).toString('hex'),
      ttl,
      expires_at: now + ttl * 1000,
    };
    await this.store.reserve(r.uuid, r.tau, r.expires_at, now);
    return r;
  }

  burn(uuid: string, tau: string): Promise<BurnOutcome> {
    // Hex is case-insensitive on the wire; the stored tau is lower case.
    return this.store.spend(uuid.toLowerCase(), tau.toLowerCase(), this.clock.now());
  }

  status(uuid: string): Promise<NonceStatus | undefined> {
    return this.store.status(uuid.toLowerCase(), this.clock.now());
  }

  async events({ after = 0, limit }: EventsQuery): Promise<EventsPage> {
    const events = await this.store.events(after, limit);
    return { events, next: nextCursor(events, limit) };
  }

  ping(): Promise<void> {
    return this.options.ping();
  }

  /** Tombstones expired nonces and forgets what is older than retain_seconds; run periodically. */
  prune(now = this.clock.now()): Promise<number> {
    return this.store.prune(now, this.options.retainSeconds * 1000);
  }
}
