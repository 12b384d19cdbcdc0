// The nonce ledger's storage on PostgreSQL: reserve and burn as single statements, with their event feed.
import { classifyRefusal, statusFromRow, type LedgerEvent, type LedgerStore, type NonceRow } from '../ledger.js';
import { feedAppendLock, feedPages, transaction, type PgPool } from './db.js';

export const LEDGER_MIGRATIONS = [
  `CREATE TABLE ledger_nonces (
     uuid TEXT PRIMARY KEY,
     tau TEXT,
     state TEXT NOT NULL CHECK (state IN ('RESERVED', 'SPENT', 'EXPIRED')),
     expires_at BIGINT NOT NULL,
     spent_at BIGINT
   );
   CREATE INDEX ledger_nonces_state_expiry ON ledger_nonces (state, expires_at);
   CREATE TABLE ledger_events (seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, uuid TEXT NOT NULL, type TEXT NOT NULL);
   CREATE INDEX ledger_events_at ON ledger_events (at);`,
];

/** Appends an event: one statement, the feed's shared lock taken before seq is drawn (see feedPages in db.ts). */
async function record(pool: PgPool, at: number, uuid: string, type: LedgerEvent['type']): Promise<void> {
  await pool.query(
    `WITH l AS (SELECT ${feedAppendLock('ledger_events')})
     INSERT INTO ledger_events (at, uuid, type) SELECT $1::bigint, $2, $3 FROM l`,
    [at, uuid, type],
  );
}

async function nonceRow(pool: PgPool, uuid: string): Promise<NonceRow | undefined> {
  return (
    await pool.query<NonceRow>('SELECT tau, state, expires_at, spent_at FROM ledger_nonces WHERE uuid = $1', [uuid])
  ).rows[0];
}

/**
 * The nonce ledger on PostgreSQL. A burn is one conditional `UPDATE ... RETURNING`: PostgreSQL's row lock
 * makes concurrent burns of one nonce from any number of replicas queue on the row, and each later one
 * re-checks the condition on the SPENT row and changes nothing. Only a refused burn reads the row, after
 * the update, to say why.
 */
export function postgresLedgerStore(pool: PgPool): LedgerStore {
  const page = feedPages<LedgerEvent>(pool, 'ledger_events', 'seq, at, uuid, type');
  return {
    async reserve(uuid, tau, expiresAt, now) {
      // One statement, one implicit transaction, one round trip: the feed's shared lock (taken before the
      // event's seq is drawn, see feedPages in db.ts) is held only to the commit, not across round trips.
      await pool.query(
        `WITH l AS (SELECT ${feedAppendLock('ledger_events')}),
              n AS (INSERT INTO ledger_nonces (uuid, tau, state, expires_at) VALUES ($1, $2, 'RESERVED', $3) RETURNING uuid)
         INSERT INTO ledger_events (at, uuid, type) SELECT $4::bigint, n.uuid, 'reserved' FROM n, l`,
        [uuid, tau, expiresAt, now],
      );
    },
    async spend(uuid, tau, now) {
      // The burn and its event in one statement (as reserve); the lock is taken only when the burn happened.
      const spent = await pool.query(
        `WITH s AS (UPDATE ledger_nonces SET state = 'SPENT', spent_at = $3, tau = NULL
                    WHERE uuid = $1 AND tau = $2 AND state = 'RESERVED' AND expires_at > $3 RETURNING uuid),
              l AS (SELECT ${feedAppendLock('ledger_events')} FROM s)
         INSERT INTO ledger_events (at, uuid, type) SELECT $3::bigint, s.uuid, 'spent' FROM s, l`,
        [uuid, tau, now],
      );
      if (spent.rowCount === 1) return { ok: true } as const;
      // Refused: say why, and record it. This read sees the row as committed by whichever burn won.
      const reason = classifyRefusal(await nonceRow(pool, uuid), tau, now);
      if (reason !== 'unknown') await record(pool, now, uuid, reason);
      return { ok: false, reason } as const;
    },
    status: async (uuid, now) => statusFromRow(uuid, await nonceRow(pool, uuid), now),
    events: page,
    prune: (now, retainMs) =>
      transaction(pool, async (c) => {
        const cutoff = now - retainMs;
        const tombstoned = await c.query(
          "UPDATE ledger_nonces SET state = 'EXPIRED', tau = NULL WHERE state = 'RESERVED' AND expires_at <= $1",
          [now],
        );
        const forgotten = await c.query(
          "DELETE FROM ledger_nonces WHERE state <> 'RESERVED' AND COALESCE(spent_at, expires_at) < $1",
          [cutoff],
        );
        const events = await c.query('DELETE FROM ledger_events WHERE at < $1', [cutoff]);
        return (tombstoned.rowCount ?? 0) + (forgotten.rowCount ?? 0) + (events.rowCount ?? 0);
      }),
  };
}
