import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDb = Database.Database;

/**
 * Opens (creating) a SQLite file in WAL mode. `synchronous = FULL` makes a transaction durable before
 * its answer is sent: the registry promises that an answered write survives a crash.
 */
export function openSqlite(path: string): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  // The file holds sealed identities and ledger state: readable by the service account only.
  if (path !== ':memory:') chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (domain, version))');
  return db;
}

/**
 * Applies a domain's migrations in order, each in its own transaction. `migrations[i]` is version i+1;
 * released versions are never edited, only appended to.
 */
export function migrate(db: SqliteDb, domain: string, migrations: readonly string[]): void {
  const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE domain = ?').get(domain) as { v: number };
  if (row.v > migrations.length)
    throw new Error(`database schema for ${domain} is version ${row.v}, newer than this build knows (${migrations.length}); upgrade enigma-registry`);
  for (let v = row.v + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1]!);
      db.prepare('INSERT INTO schema_migrations (domain, version, applied_at) VALUES (?, ?, ?)').run(domain, v, Date.now());
    })();
  }
}

interface PendingWrite {
  op: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const batches = new WeakMap<SqliteDb, PendingWrite[]>();

/**
 * Group commit. With `synchronous = FULL` every commit waits for the disk; writes issued in the same
 * event-loop turn are therefore run in one transaction (each in its own savepoint, so one failing write
 * rolls back alone) and each promise settles only after that commit — an answered write is still durable,
 * but concurrent requests share one fsync instead of queueing behind one each.
 */
export function write<T>(db: SqliteDb, op: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let queue = batches.get(db);
    if (!queue) {
      queue = [];
      batches.set(db, queue);
      setImmediate(() => flush(db));
    }
    queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
  });
}

function flush(db: SqliteDb): void {
  const queue = batches.get(db) ?? [];
  batches.delete(db);
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  try {
    if (!db.open) throw new Error('the database is closed');
    db.transaction(() => {
      for (const w of queue) {
        try {
          outcomes.push({ ok: true, value: db.transaction(w.op)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    })();
  } catch (error) {
    for (const w of queue) w.reject(error); // the commit itself failed: nothing of the batch is stored
    return;
  }
  queue.forEach((w, i) => {
    const o = outcomes[i]!;
    if (o.ok) w.resolve(o.value);
    else w.reject(o.error);
  });
}
