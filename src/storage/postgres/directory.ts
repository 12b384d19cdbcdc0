// The node directory's storage on PostgreSQL, safe with many replicas: identities, bounded presence, node list.
import type { DirectoryStore } from '../directory.js';
import { lockKey, transaction, type PgPool } from './db.js';

export const DIRECTORY_MIGRATIONS = [
  `CREATE TABLE identities (blind BYTEA PRIMARY KEY, sealed BYTEA NOT NULL, created_ms BIGINT NOT NULL);
   CREATE TABLE presence (blind BYTEA PRIMARY KEY, sealed BYTEA NOT NULL, seen_ms BIGINT NOT NULL);
   CREATE INDEX presence_seen ON presence (seen_ms);
   CREATE TABLE nodes (seq BIGSERIAL PRIMARY KEY, base_url TEXT NOT NULL UNIQUE);`,
  // Who added each node url, for the per-client share of the list; NULL for authenticated peers and older rows.
  `ALTER TABLE nodes ADD COLUMN contributor BYTEA;
   CREATE INDEX nodes_contributor ON nodes (contributor);`,
  // The presence row count, kept by statement triggers, so an insert can enforce max_entries without a
  // count(*). Only statements that really added (removed) rows touch the counter row.
  `CREATE TABLE presence_count (id INT PRIMARY KEY CHECK (id = 0), n BIGINT NOT NULL);
   INSERT INTO presence_count (id, n) SELECT 0, count(*) FROM presence;
   CREATE FUNCTION presence_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN UPDATE presence_count SET n = n + (SELECT count(*) FROM added) WHERE EXISTS (SELECT 1 FROM added); RETURN NULL; END $$;
   CREATE FUNCTION presence_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN UPDATE presence_count SET n = n - (SELECT count(*) FROM removed) WHERE EXISTS (SELECT 1 FROM removed); RETURN NULL; END $$;
   CREATE TRIGGER presence_added AFTER INSERT ON presence REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION presence_count_added();
   CREATE TRIGGER presence_removed AFTER DELETE ON presence REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION presence_count_removed();`,
];

/** Deletes the least recently seen presences beyond `$1` rows. */
const TRIM_PRESENCE =
  'DELETE FROM presence WHERE blind IN (SELECT blind FROM presence ORDER BY seen_ms ASC LIMIT GREATEST(0, (SELECT n FROM presence_count) - $1))';

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * The directory on PostgreSQL, safe with many replicas on one database: a register is one
 * `INSERT ... ON CONFLICT DO NOTHING` (exactly one of N concurrent inserts of a handle wins), presence
 * is an upsert that never moves `seen_ms` backwards, and GC is an idempotent delete by age. Presence is
 * bounded on insert: an upsert that finds the table full drops the least recently seen rows.
 */
export function postgresDirectoryStore(pool: PgPool, maxPresence: number): DirectoryStore {
  return {
    async insertIdentity(index, sealed) {
      const r = await pool.query(
        'INSERT INTO identities (blind, sealed, created_ms) VALUES ($1, $2, $3) ON CONFLICT (blind) DO NOTHING',
        [index, sealed, Date.now()],
      );
      return r.rowCount === 1;
    },
    async insertIdentities(rows) {
      if (rows.length === 0) return 0;
      // One statement: all rows or none; duplicates within the batch count once.
      const r = await pool.query(
        'INSERT INTO identities (blind, sealed, created_ms) SELECT b, s, $3 FROM unnest($1::bytea[], $2::bytea[]) AS t(b, s) ON CONFLICT (blind) DO NOTHING',
        [rows.map((x) => x.index), rows.map((x) => x.sealed), Date.now()],
      );
      return r.rowCount ?? 0;
    },
    async getIdentity(index) {
      const r = await pool.query<{ sealed: Buffer }>('SELECT sealed FROM identities WHERE blind = $1', [index]);
      const row = r.rows[0];
      return row && bytes(row.sealed);
    },
    async hasIdentity(index) {
      return ((await pool.query('SELECT 1 FROM identities WHERE blind = $1', [index])).rowCount ?? 0) > 0;
    },
    async upsertPresence(index, sealed, seenMs) {
      // Replicas' clocks differ a little: the latest announce wins, and seen_ms only moves forward.
      // RETURNING sees the count before this statement's own insert: at the bound, this insert may be one too many.
      const r = await pool.query<{ n: number }>(
        `INSERT INTO presence (blind, sealed, seen_ms) VALUES ($1, $2, $3)
         ON CONFLICT (blind) DO UPDATE SET sealed = excluded.sealed, seen_ms = GREATEST(presence.seen_ms, excluded.seen_ms)
         RETURNING (SELECT n FROM presence_count) AS n`,
        [index, sealed, seenMs],
      );
      if (r.rows[0]!.n < maxPresence) return;
      // Trims take the GC's lock, so concurrent trims do not each drop the same excess.
      await transaction(pool, async (c) => {
        await c.query(`SELECT pg_advisory_xact_lock(${lockKey('presence_gc')})`);
        await c.query(TRIM_PRESENCE, [maxPresence]);
      });
    },
    async purgePresence(before, maxEntries) {
      // Every replica runs the GC timer; one collects at a time and the others skip this round. Were two
      // to run, each delete is by age and idempotent; a concurrent announce either lands after the delete
      // (a fresh row) or before it (the delete re-checks seen_ms on the updated row and keeps it).
      return transaction(pool, async (c) => {
        const got = (
          await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${lockKey('presence_gc')}) AS ok`)
        ).rows[0]!.ok;
        if (!got) return 0;
        const old = await c.query('DELETE FROM presence WHERE seen_ms < $1', [before]);
        // Re-counted here, so that a counter that drifted (a replica of an older version inserting while
        // the counter was created) is exact again after one GC.
        await c.query('UPDATE presence_count SET n = (SELECT count(*) FROM presence)');
        const excess = await c.query(TRIM_PRESENCE, [maxEntries]);
        return (old.rowCount ?? 0) + (excess.rowCount ?? 0);
      });
    },
    async countPresence() {
      return (await pool.query<{ n: number }>('SELECT n FROM presence_count')).rows[0]!.n;
    },
    async listNodes() {
      return (await pool.query<{ base_url: string }>('SELECT base_url FROM nodes ORDER BY seq')).rows.map(
        (r) => r.base_url,
      );
    },
    async addNodes(urls, max, share) {
      // The bounds hold across replicas: counts and inserts happen under one lock.
      return transaction(pool, async (c) => {
        await c.query(`SELECT pg_advisory_xact_lock(${lockKey('nodes')})`);
        const count = async (where: string, params: unknown[]) =>
          Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM nodes ${where}`, params)).rows[0]!.n);
        let room = max - (await count('', []));
        if (share) room = Math.min(room, share.max - (await count('WHERE contributor = $1', [share.contributor])));
        let added = 0;
        for (const url of urls) {
          if (room <= 0) break;
          const n =
            (
              await c.query(
                'INSERT INTO nodes (base_url, contributor) VALUES ($1, $2) ON CONFLICT (base_url) DO NOTHING',
                [url, share?.contributor ?? null],
              )
            ).rowCount ?? 0;
          added += n;
          room -= n;
        }
        return added;
      });
    },
  };
}
