// The circuit catalog on SQLite: builds, revocations, listings, and change notices from other processes.
import { BUILD_COLUMNS, buildFromRow, type BuildRow, type CatalogChanges, type CircuitStore } from '../circuits.js';
import { migrate, write, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE circuit_builds (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     handle TEXT NOT NULL,
     build_id TEXT NOT NULL,
     version TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     kind TEXT NOT NULL,
     size INTEGER NOT NULL,
     manifest TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     UNIQUE (handle, build_id)
   );
   CREATE INDEX circuit_builds_sha256 ON circuit_builds (sha256);
   CREATE TABLE circuit_revocations (sha256 TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL) WITHOUT ROWID;`,
];

/** The catalog on SQLite; the current build of a handle is its highest `seq`. */
export function sqliteCircuitStore(db: SqliteDb): CircuitStore {
  migrate(db, 'circuits', MIGRATIONS);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO circuit_builds (handle, build_id, version, sha256, kind, size, manifest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const getBuild = db.prepare(`SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = ? AND b.build_id = ?`);
  const current = db.prepare(
    `SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = ? ORDER BY b.seq DESC LIMIT 1`,
  );
  const builds = db.prepare(`SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = ? ORDER BY b.seq DESC`);
  const page = db.prepare(
    `SELECT ${BUILD_COLUMNS}, c.n AS builds FROM circuit_builds b
       JOIN (SELECT handle, MAX(seq) AS seq, count(*) AS n FROM circuit_builds WHERE handle > ? GROUP BY handle ORDER BY handle LIMIT ?) c
         ON b.seq = c.seq
     ORDER BY b.handle`,
  );
  const revoke = db.prepare('INSERT OR IGNORE INTO circuit_revocations (sha256, revoked_at) VALUES (?, ?)');
  const countSha = db.prepare('SELECT count(*) FROM circuit_builds WHERE sha256 = ?').pluck();
  const isRevoked = db.prepare('SELECT 1 FROM circuit_revocations WHERE sha256 = ?').pluck();
  const revokeTx = db.transaction((sha256: string) =>
    revoke.run(sha256, Date.now()).changes === 1 ? (countSha.get(sha256) as number) : 0,
  );

  return {
    insertBuild: (b) =>
      write(
        db,
        () =>
          insert.run(
            b.handle,
            b.build_id,
            b.version,
            b.sha256,
            b.kind,
            b.size,
            JSON.stringify(b.manifest),
            b.created_at,
          ).changes === 1,
      ),
    async getBuild(handle, buildId) {
      const r = getBuild.get(handle, buildId) as BuildRow | undefined;
      return r && buildFromRow(r);
    },
    async currentBuild(handle) {
      const r = current.get(handle) as BuildRow | undefined;
      return r && buildFromRow(r);
    },
    listBuilds: async (handle) => (builds.all(handle) as BuildRow[]).map(buildFromRow),
    async listCircuits({ after, limit }) {
      // One extra row tells whether another page follows.
      const rows = page.all(after ?? '', limit + 1) as BuildRow[];
      const circuits = rows
        .slice(0, limit)
        .map((r) => ({ handle: r.handle, current: buildFromRow(r), builds: r.builds! }));
      return { circuits, next: rows.length > limit ? circuits.at(-1)!.handle : null };
    },
    revokeSha256: (sha256) => write(db, () => revokeTx(sha256)),
    isRevoked: async (sha256) => isRevoked.get(sha256) !== undefined,
  };
}

/**
 * A second process on the same file (another `serve`, an operator's tool) commits unseen by this one's
 * catalog: `PRAGMA data_version` changes when another connection has committed, and costs no I/O, so it is
 * read at each look and any change tells the subscribers.
 */
export function sqliteCatalogChanges(db: SqliteDb): CatalogChanges {
  const version = db.prepare('PRAGMA data_version').pluck();
  let seen = version.get();
  const subscribers: Array<() => void> = [];
  return {
    get live() {
      const now = version.get();
      if (now !== seen) {
        seen = now;
        for (const fn of subscribers) fn();
      }
      return true;
    },
    subscribe: (fn) => void subscribers.push(fn),
  };
}
