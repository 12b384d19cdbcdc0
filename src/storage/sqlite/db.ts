// The SQLite database: opening in WAL mode, migrations, and group-committed writes that settle once durable.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, fdatasync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Checkpointer } from './checkpointer.js';

export type SqliteDb = Database.Database;

export interface SqliteOptions {
  /** Past this WAL size, writes pause while a checkpoint copies it back, then it starts over (`wal_limit_mib`). */
  walLimitBytes?: number;
  /** How long writes gather for the next commit once a sync ends (`storage.commit_window_ms`; 0: none). */
  commitWindowMs?: number;
}

/**
 * Opens (creating) a SQLite file in WAL mode. The registry promises that an answered write survives a crash
 * or power loss; `write()` keeps that promise without blocking the event loop on the disk: SQLite itself does
 * not sync (`synchronous = OFF`), and every write settles only after an fdatasync of the WAL that began after
 * its commit, run on libuv's thread pool (see WalSync). Checkpoints, which must sync the database file before
 * the WAL is reused, run on a thread and connection of their own (Checkpointer). Where WAL is unavailable
 * (`:memory:`, a filesystem without shared memory) SQLite syncs every commit itself (`synchronous = FULL`).
 * The WAL is kept near `walLimitBytes` (see WalSync.limitWal); writes gather for `commitWindowMs` after each
 * sync (see WalSync).
 */
export function openSqlite(path: string, opts: SqliteOptions = {}): SqliteDb {
  const { walLimitBytes = 64 * 1024 * 1024, commitWindowMs = 0 } = opts;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  // The file holds sealed identities and ledger state: readable by the service account only.
  if (path !== ':memory:') chmodSync(path, 0o600);
  const wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (domain, version))',
  );
  if (!wal) {
    db.pragma('synchronous = FULL');
    return db;
  }
  db.pragma('synchronous = OFF');
  db.pragma('wal_autocheckpoint = 0'); // an automatic checkpoint would run under OFF and skip its syncs
  // When the writer starts the WAL over after a complete checkpoint, the file is cut back to this size (and
  // kept at it: later commits overwrite it, see limitWal).
  db.pragma(`journal_size_limit = ${walLimitBytes}`);
  const sync = new WalSync(
    `${path}-wal`,
    new Checkpointer(path, CHECKPOINT_INTERVAL_MS),
    walLimitBytes,
    commitWindowMs,
    () => {
      if (batches.has(db)) flush(db);
    },
  );
  walSyncs.set(db, sync);
  return db;
}

/**
 * Closes a database opened by openSqlite once its pending syncs are done. The last connection's close
 * checkpoints and deletes the WAL, so it runs with `synchronous = FULL`: the database file is synced first.
 */
export async function closeSqlite(db: SqliteDb): Promise<void> {
  const sync = walSyncs.get(db);
  if (sync) {
    const synced = new Promise<void>((resolve) => sync.after(() => resolve()));
    sync.endWindow(); // closing does not wait out the window
    await synced;
    await sync.checkpointer.close();
    sync.close();
    walSyncs.delete(db);
  }
  if (!db.open) return;
  db.pragma('synchronous = FULL');
  db.close();
}

/** Throws the reason writes are refused (a failed sync of the WAL, see WalSync); health checks call it. */
export function checkWritable(db: SqliteDb): void {
  const failure = walSyncs.get(db)?.failure;
  if (failure) throw failure;
}

/**
 * Applies a domain's migrations in order, each in its own transaction. `migrations[i]` is version i+1;
 * released versions are never edited, only appended to.
 */
export function migrate(db: SqliteDb, domain: string, migrations: readonly string[]): void {
  const row = db
    .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE domain = ?')
    .get(domain) as { v: number };
  if (row.v > migrations.length)
    throw new Error(
      `database schema for ${domain} is version ${row.v}, newer than this build knows (${migrations.length}); upgrade enigma-registry`,
    );
  for (let v = row.v + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1]!);
      db.prepare('INSERT INTO schema_migrations (domain, version, applied_at) VALUES (?, ?, ?)').run(
        domain,
        v,
        Date.now(),
      );
    })();
  }
}

interface PendingWrite {
  op: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** How often committed WAL frames are copied back into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Syncs a database's WAL file on libuv's thread pool, one fdatasync at a time: callers that arrive while one
 * runs share the next. Linux syncs a file's data whichever descriptor asks, so a descriptor of our own serves.
 * After a failed sync nothing is known about what reached the disk, so every later write is refused too
 * (as PostgreSQL panics rather than retry an fsync).
 *
 * With `commitWindowMs`, once a sync ends the next commit waits that long for writes to gather (PostgreSQL's
 * commit_delay; off by default, as there). A sync here takes ~0.2 ms, so a steady stream of writes otherwise
 * gets nearly a commit and a sync per write, and every commit rewrites the pages it touches (each table's and
 * index's last page): with 1 ms, proof pairs wrote 17-20 KB and 13-16 write calls per pair instead of 27-29 KB
 * and 18-19. But a client that writes one write after another waits out the window on each: the bench's
 * in-process ledger loop (one reserve+burn at a time) went from 1269 to 348 a second at 1 ms. A write that
 * arrives while no sync or window is open commits at once.
 */
class WalSync {
  private fd: number | undefined;
  private running = false;
  /** The commit window after a sync (see above). */
  private window: NodeJS.Timeout | undefined;
  private queued: Array<(error?: Error) => void> = [];
  failure: Error | undefined;
  lastCheckpoint = Date.now();
  /** Set while writes are held back for the checkpointer to copy the whole WAL back (see limitWal). */
  holding: Promise<void> | undefined;
  private retryAt = 0;

  constructor(
    private readonly path: string,
    readonly checkpointer: Checkpointer,
    readonly limit: number,
    private readonly commitWindowMs: number,
    /** Commits the writes held back while a sync or the window after it ran (see flush). */
    private readonly idle: () => void,
  ) {}

  /** The WAL's size on disk (0 before the first commit). */
  walBytes(): number {
    return this.fd === undefined ? 0 : fstatSync(this.fd).size;
  }

  /**
   * Called after a commit. Under a steady stream of writes a PASSIVE checkpoint never catches up with the
   * writer, so SQLite never starts the WAL over and it grows without end (1.6 GiB for a 61 MiB database).
   * Past the limit, writes are held back (queued, not blocking the event loop) while the checkpointer copies
   * everything and syncs the database file; then `resume` commits what queued meanwhile, and that commit
   * starts the WAL over (SQLite cuts the file back to the limit, journal_size_limit). The file grows past the
   * limit only when the WAL does. A checkpoint that could not complete is retried a checkpoint interval later.
   */
  limitWal(resume: () => void): void {
    if (this.holding || Date.now() < this.retryAt || this.walBytes() <= this.limit) return;
    this.holding = this.checkpointer.restart().then((done) => {
      this.holding = undefined;
      this.retryAt = done ? 0 : Date.now() + CHECKPOINT_INTERVAL_MS;
      resume();
    });
  }

  /** A sync or the window after it is under way: writes gather for the next commit. */
  get gathering(): boolean {
    return this.running || this.window !== undefined;
  }

  /** Ends the window after a sync now: commits what gathered in it, and starts the next sync for it. */
  endWindow(): void {
    clearTimeout(this.window);
    this.window = undefined;
    this.idle();
    if (this.queued.length > 0 && !this.gathering) this.start();
  }

  /** Calls `done` once everything written to the WAL before this call is on disk (or with the error). */
  after(done: (error?: Error) => void): void {
    if (this.failure) {
      done(this.failure);
      return;
    }
    this.queued.push(done);
    if (!this.gathering) this.start();
  }

  close(): void {
    clearTimeout(this.window);
    this.window = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): void {
    const batch = this.queued;
    this.queued = [];
    this.running = true;
    const finish = (err: Error | null) => {
      this.running = false;
      if (err)
        this.failure ??= new Error(`syncing ${this.path} failed (${err.message}); writes are refused until restart`);
      for (const done of batch) done(this.failure);
      if (this.commitWindowMs > 0 && !this.failure)
        this.window = setTimeout(() => this.endWindow(), this.commitWindowMs);
      else this.endWindow();
    };
    try {
      // Opened on first use: SQLite creates the WAL with the first commit.
      this.fd ??= openSync(this.path, 'r+');
    } catch (e) {
      finish(e as Error);
      return;
    }
    fdatasync(this.fd, finish);
  }
}

const walSyncs = new WeakMap<SqliteDb, WalSync>();
const batches = new WeakMap<SqliteDb, PendingWrite[]>();

/**
 * Group commit. Writes issued in the same event-loop turn, or while the previous sync runs, run in one
 * transaction (each in its own savepoint, so one failing write rolls back alone); each promise settles only
 * once that transaction is on disk.
 * Concurrent requests thus share one commit and one sync, and the event loop does not wait for the sync (only
 * for the commit's own writes to the WAL). A committed write is visible to other requests a moment before it
 * is durable, never answered before.
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

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * A batch's transaction, each write in a savepoint of its own. The wrappers are made once per database:
 * better-sqlite3 takes ~6 µs to build one, and two per write cost 5x the directory insert they wrap.
 */
const batchTransactions = new WeakMap<SqliteDb, (queue: PendingWrite[], outcomes: Outcome[]) => void>();
function batchTransaction(db: SqliteDb): (queue: PendingWrite[], outcomes: Outcome[]) => void {
  let run = batchTransactions.get(db);
  if (!run) {
    const savepoint = db.transaction((op: () => unknown) => op());
    run = db.transaction((queue: PendingWrite[], outcomes: Outcome[]) => {
      for (const w of queue) {
        try {
          outcomes.push({ ok: true, value: savepoint(w.op) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    batchTransactions.set(db, run);
  }
  return run;
}

function flush(db: SqliteDb): void {
  const sync = walSyncs.get(db);
  if (sync?.holding) return; // the batch stays queued; limitWal's resume commits it
  // While a sync runs, writes wait for its end and then commit together: committed now, they would settle only
  // after the next sync all the same, and one commit for all of them saves the per-commit WAL writes and
  // locks (register: ~2.5 writes per commit → all that arrived during the sync). The window after a sync
  // gathers more the same way.
  if (sync?.gathering && !sync.failure) return; // the batch stays queued; the window's end commits it
  const queue = batches.get(db);
  if (!queue) return; // an earlier flush (the end of a sync or window) took the batch
  batches.delete(db);
  const outcomes: Outcome[] = [];
  try {
    if (!db.open) throw new Error('the database is closed');
    batchTransaction(db)(queue, outcomes);
  } catch (error) {
    for (const w of queue) w.reject(error); // the commit itself failed: nothing of the batch is stored
    return;
  }
  const settle = (syncError?: Error) =>
    queue.forEach((w, i) => {
      const o = outcomes[i]!;
      if (syncError) w.reject(syncError);
      else if (o.ok) w.resolve(o.value);
      else w.reject(o.error);
    });
  if (!sync) {
    settle(); // SQLite synced the commit itself
    return;
  }
  sync.after(settle);
  if (sync.checkpointer.alive)
    sync.limitWal(() => {
      if (batches.has(db)) flush(db);
    });
  else if (Date.now() - sync.lastCheckpoint >= CHECKPOINT_INTERVAL_MS) checkpoint(db, sync);
}

/**
 * The fallback when the checkpointer thread has died: the same checkpoint on the event loop. Under
 * `synchronous = NORMAL` it syncs the WAL before and the database file after copying, so the WAL may be
 * reused (overwritten) afterwards without losing data. Here no write runs meanwhile, so past the limit a
 * RESTART checkpoint completes and the next commit starts the WAL over.
 */
function checkpoint(db: SqliteDb, sync: WalSync): void {
  sync.lastCheckpoint = Date.now();
  db.pragma('synchronous = NORMAL');
  try {
    db.pragma(`wal_checkpoint(${sync.walBytes() > sync.limit ? 'RESTART' : 'PASSIVE'})`);
  } finally {
    db.pragma('synchronous = OFF');
  }
}
