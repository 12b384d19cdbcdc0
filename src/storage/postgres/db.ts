// PostgreSQL plumbing shared by the stores: pool, transactions, advisory locks, gap-free feed pages, migrations.
import pg from 'pg';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

const INT8_OID = 20;

// Counts, sequence numbers and epoch-ms columns are int8, which pg returns as strings by default. Every
// such value this store keeps is far below 2^53, so numbers are exact.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A pool of `size` connections to `url` (a libpq-style URL; `?options=-c search_path=...` selects a
 * schema). Errors of idle connections (server restart, network) go to `onIdleError` instead of crashing
 * the process; the pool replaces the connection on the next query.
 */
export function openPool(url: string, size: number, onIdleError: (err: Error) => void): PgPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    types,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', onIdleError);
  return pool;
}

/** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
export async function transaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  // A connection that cannot even roll back is discarded, never handed to the next caller mid-transaction.
  let broken: Error | undefined;
  try {
    await c.query('BEGIN');
    const result = await fn(c);
    await c.query('COMMIT');
    return result;
  } catch (e) {
    await c.query('ROLLBACK').catch((err: Error) => (broken = err));
    throw e;
  } finally {
    c.release(broken);
  }
}

/** At most this many appends go into one statement of `appendTogether`. */
const MAX_BATCH = 256;

/**
 * Group commit for appends: one write at a time, which takes what is queued when it starts (an append that
 * finds no write running goes out at once, alone); appends that arrive while it runs are written together by
 * the next, in one statement and one commit. Each caller still waits for its own row's commit, so an answered
 * append is as durable as before, and a quiet registry adds no latency (no timer, and a lone caller never
 * waits for another's write). One write, not several: with up to 4 at once appends seldom queued, and proof
 * pairs cost PostgreSQL 1000-1130 µs of CPU each (481-548 pairs/s); with one, 685-742 µs (615-648 pairs/s).
 * `write` may refuse single items: it returns, for each, an error or undefined; when it throws, every item
 * of its batch is refused.
 */
export function appendTogether<T>(
  write: (items: T[]) => Promise<readonly unknown[] | undefined>,
): (item: T) => Promise<void> {
  const queued: { item: T; settle: (err?: unknown) => void }[] = [];
  let writing = false;
  const writer = async () => {
    writing = true;
    while (queued.length > 0) {
      const batch = queued.splice(0, MAX_BATCH);
      const refused = await write(batch.map((b) => b.item)).then(
        (r) => r ?? [],
        (err: unknown) => batch.map(() => err ?? new Error('append failed')),
      );
      for (const [i, b] of batch.entries()) b.settle(refused[i]);
    }
    writing = false;
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      queued.push({ item, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!writing) void writer();
    });
}

/**
 * What advisory locks guard. `migrate`: one replica at a time applies migrations. `*_events`: a seq-ordered
 * feed (see feedPages). `nodes`: the max_nodes bound is checked and filled atomically. `presence_gc`: one
 * replica collects, and trims beyond presence.max_entries run one at a time.
 */
export type LockName = 'migrate' | 'ledger_events' | 'audit_events' | 'nodes' | 'presence_gc';

/** SQL for the lock's key, scoped to the current schema so that registries in separate schemas never contend. */
/** The seq-ordered feeds: each is a table of that name with a bigserial `seq`, and has a lock of that name. */
export type Feed = Extract<LockName, 'ledger_events' | 'audit_events'>;

export const lockKey = (name: LockName) => `hashtext('enigma-registry:${name}:' || current_schema())`;

/**
 * SQL that an append to a feed evaluates before its seq is drawn (see feedPages): the feed's lock, shared,
 * held to the commit. Appenders never wait for each other, so their commits are flushed together.
 */
export const feedAppendLock = (feed: Feed) => `pg_advisory_xact_lock_shared(${lockKey(feed)})`;

/**
 * Pages of a feed with a bigserial `seq`, read so that a cursor never moves past an event that commits
 * later. A seq is drawn at insert but becomes visible at commit, so appends may commit out of seq order; a
 * reader paging with `seq > after` could see seq 11 committed while seq 10 is still in flight, and skip 10
 * for good. So: appends hold the feed's lock shared from before they draw a seq to their commit
 * (feedAppendLock), and a reader takes it exclusive for an instant, a barrier that waits for the appends
 * in flight. Under the barrier it reads the last seq drawn; every seq up to it is then committed or rolled
 * back, and every later one is larger. The page stops there. Appenders wait only while a barrier is queued
 * (their commits in flight), never for each other. Pages read at once on one replica share a barrier (one
 * begun after each of them was asked for), so however many readers come, appends are held back by at most
 * one barrier per replica at a time.
 */
export function feedPages<T extends pg.QueryResultRow>(
  pool: PgPool,
  feed: Feed,
  columns: string,
): (after: number, limit: number) => Promise<T[]> {
  const barrier = async () => {
    const { rows } = await pool.query<{ last: number | null }>(
      `WITH barrier AS MATERIALIZED (SELECT pg_advisory_xact_lock(${lockKey(feed)}))
       SELECT pg_sequence_last_value(pg_get_serial_sequence('${feed}', 'seq')::regclass) AS last FROM barrier`,
    );
    return rows[0]?.last ?? 0;
  };
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  const start = (): Promise<number> => {
    const b = barrier();
    running = b;
    const done = () => {
      if (running === b) running = undefined;
    };
    b.then(done, done);
    return b;
  };
  // A reader that comes while a barrier runs cannot use it (it may have begun before this reader's own
  // append was answered): it joins the one queued to begin when the running one ends.
  const startQueued = () => {
    queued = undefined;
    return start();
  };
  const next = (): Promise<number> => {
    if (!running) return start();
    queued ??= running.then(startQueued, startQueued);
    return queued;
  };
  return async (after, limit) => {
    const last = await next();
    if (last <= after) return [];
    return (
      await pool.query<T>(`SELECT ${columns} FROM ${feed} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`, [
        after,
        last,
        limit,
      ])
    ).rows;
  };
}

/**
 * Applies each domain's migrations in order. `migrations[domain][i]` is version i+1; released versions are
 * never edited, only appended to. Everything runs under one session advisory lock, so replicas starting
 * together apply each version exactly once (the others wait, then find nothing to do).
 */
export async function migrate(pool: PgPool, domains: Record<string, readonly string[]>): Promise<void> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    const schema = (await c.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!schema) throw new Error('PostgreSQL has no current schema: the search_path names no existing schema');
    await c.query(`SELECT pg_advisory_lock(${lockKey('migrate')})`);
    try {
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (domain, version))',
      );
      for (const [domain, migrations] of Object.entries(domains)) {
        const { rows } = await c.query<{ v: number }>(
          'SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE domain = $1',
          [domain],
        );
        const current = rows[0]!.v;
        if (current > migrations.length)
          throw new Error(
            `database schema for ${domain} is version ${current}, newer than this build knows (${migrations.length}); upgrade enigma-registry`,
          );
        for (let v = current + 1; v <= migrations.length; v++) {
          await c.query('BEGIN');
          try {
            await c.query(migrations[v - 1]!);
            await c.query('INSERT INTO schema_migrations (domain, version, applied_at) VALUES ($1, $2, $3)', [
              domain,
              v,
              Date.now(),
            ]);
            await c.query('COMMIT');
          } catch (e) {
            await c.query('ROLLBACK').catch((err: Error) => (broken = err));
            throw e;
          }
        }
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock(${lockKey('migrate')})`).catch((err: Error) => (broken = err));
    }
  } finally {
    // Discarding the connection also ends its session, and with it any advisory lock still held.
    c.release(broken);
  }
}
