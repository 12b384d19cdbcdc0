// The nonce ledger's storage on PostgreSQL: reserve and burn as single statements, with their event feed.
import { classifyRefusal, statusFromRow, type LedgerEvent, type LedgerStore, type NonceRow } from '../ledger.js';
import { appendTogether, feedAppendLock, feedPages, transaction, type PgPool } from './db.js';

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

/**
 * The burn: one conditional update and its event. Prepared once per connection, so PostgreSQL plans it once,
 * while the ledger may still be empty and unanalysed. With the conditions as separate clauses, the plan
 * made then reached the row through the (state, expires_at) index, which later scanned every live
 * reservation on each burn (validate @ 1000/s [postgres]: 1000 → 450 burns/s once a few thousand were
 * reserved). As one `IS TRUE` clause they cannot match an index: only the primary key finds the row.
 */
export const BURN = `WITH s AS (UPDATE ledger_nonces SET state = 'SPENT', spent_at = $3, tau = NULL
              WHERE uuid = $1 AND (tau = $2 AND state = 'RESERVED' AND expires_at > $3) IS TRUE RETURNING uuid),
        l AS (SELECT ${feedAppendLock('ledger_events')} FROM s)
   INSERT INTO ledger_events (at, uuid, type) SELECT $3::bigint, s.uuid, 'spent' FROM s, l`;

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
  // Reservations made together go in as one statement and one commit (appendTogether): the nonces and their
  // events, the feed's shared lock taken before any event's seq is drawn (see feedPages in db.ts). A uuid
  // already stored is refused alone.
  const reserve = appendTogether<{ uuid: string; tau: string; expiresAt: number; now: number }>(async (batch) => {
    // A uuid twice in one batch would be stored once but answered twice: only its first call is sent.
    const first = new Map<string, (typeof batch)[number]>();
    for (const r of batch) if (!first.has(r.uuid)) first.set(r.uuid, r);
    const fresh = [...first.values()];
    const { rows } = await pool.query<{ uuid: string }>({
      // Prepared once per connection: the statement is planned once, not at every batch.
      name: 'ledger-reserve',
      text: `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
           WITH ORDINALITY AS r(uuid, tau, expires_at, at, n)),
       l AS (SELECT ${feedAppendLock('ledger_events')}),
       stored AS (
         INSERT INTO ledger_nonces (uuid, tau, state, expires_at)
         SELECT uuid, tau, 'RESERVED', expires_at FROM input ORDER BY n
         ON CONFLICT (uuid) DO NOTHING RETURNING uuid)
       INSERT INTO ledger_events (at, uuid, type)
       SELECT input.at, input.uuid, 'reserved' FROM input JOIN stored USING (uuid), l ORDER BY input.n
       RETURNING uuid`,
      values: [
        fresh.map((r) => r.uuid),
        fresh.map((r) => r.tau),
        fresh.map((r) => r.expiresAt),
        fresh.map((r) => r.now),
      ],
    });
    const stored = new Set(rows.map((r) => r.uuid));
    return batch.map((r) =>
      first.get(r.uuid) === r && stored.has(r.uuid) ? undefined : new Error(`nonce ${r.uuid} is already in the ledger`),
    );
  });
  return {
    reserve: (uuid, tau, expiresAt, now) => reserve({ uuid, tau, expiresAt, now }),
    async spend(uuid, tau, now) {
      // The burn and its event in one statement; the lock is taken only when the burn happened. Not grouped as
      // reservations are: burns made together as one UPDATE ... FROM unnest(...) (a batch holding each nonce once)
      // cost PostgreSQL more CPU per proof pair (445-478 against 324-414 µs) and lost pairs/s, with one replica
      // and more so with two, in alternating bench runs. The batches stayed small and each statement grew heavier.
      const spent = await pool.query({ name: 'ledger-burn', text: BURN, values: [uuid, tau, now] });
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
