// The circuit catalog on PostgreSQL: builds, revocations and listings, each write notifying the replicas.
import { BUILD_COLUMNS, buildFromRow, type BuildRow, type CircuitStore } from '../circuits.js';
import { notifyCatalogChange } from './catalog-changes.js';
import { transaction, type PgPool } from './db.js';

export const CIRCUITS_MIGRATIONS = [
  // The manifest is kept as the exact text published (TEXT, not JSONB, which would reorder its keys).
  `CREATE TABLE circuit_builds (
     seq BIGSERIAL PRIMARY KEY,
     handle TEXT NOT NULL,
     build_id TEXT NOT NULL,
     version TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     kind TEXT NOT NULL,
     size BIGINT NOT NULL,
     manifest TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     UNIQUE (handle, build_id)
   );
   CREATE INDEX circuit_builds_sha256 ON circuit_builds (sha256);
   CREATE TABLE circuit_revocations (sha256 TEXT PRIMARY KEY, revoked_at BIGINT NOT NULL);`,
];

/** The catalog on PostgreSQL; the current build of a handle is its highest `seq`. */
export function postgresCircuitStore(pool: PgPool): CircuitStore {
  const one = async (sql: string, params: unknown[]) => {
    const r = (await pool.query<BuildRow>(sql, params)).rows[0];
    return r && buildFromRow(r);
  };
  return {
    // Each write notifies the replicas' catalog caches in its own transaction (see catalog-changes.ts).
    insertBuild: (b) =>
      transaction(pool, async (c) => {
        const r = await c.query(
          'INSERT INTO circuit_builds (handle, build_id, version, sha256, kind, size, manifest, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (handle, build_id) DO NOTHING',
          [b.handle, b.build_id, b.version, b.sha256, b.kind, b.size, JSON.stringify(b.manifest), b.created_at],
        );
        if (r.rowCount !== 1) return false;
        await c.query(notifyCatalogChange);
        return true;
      }),
    getBuild: (handle, buildId) =>
      one(`SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = $1 AND b.build_id = $2`, [handle, buildId]),
    currentBuild: (handle) =>
      one(`SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = $1 ORDER BY b.seq DESC LIMIT 1`, [handle]),
    async listBuilds(handle) {
      return (
        await pool.query<BuildRow>(
          `SELECT ${BUILD_COLUMNS} FROM circuit_builds b WHERE b.handle = $1 ORDER BY b.seq DESC`,
          [handle],
        )
      ).rows.map(buildFromRow);
    },
    async listCircuits({ after, limit }) {
      // One extra row tells whether another page follows. COLLATE "C": byte order, as the other backends sort.
      const { rows } = await pool.query<BuildRow>(
        `SELECT ${BUILD_COLUMNS}, c.n AS builds FROM circuit_builds b
           JOIN (SELECT handle, MAX(seq) AS seq, count(*) AS n FROM circuit_builds WHERE handle COLLATE "C" > $1 GROUP BY handle ORDER BY handle COLLATE "C" LIMIT $2) c
             ON b.seq = c.seq
         ORDER BY b.handle COLLATE "C"`,
        [after ?? '', limit + 1],
      );
      const circuits = rows
        .slice(0, limit)
        .map((r) => ({ handle: r.handle, current: buildFromRow(r), builds: r.builds! }));
      return { circuits, next: rows.length > limit ? circuits.at(-1)!.handle : null };
    },
    revokeSha256: (sha256) =>
      transaction(pool, async (c) => {
        const r = await c.query(
          'INSERT INTO circuit_revocations (sha256, revoked_at) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING',
          [sha256, Date.now()],
        );
        if (r.rowCount !== 1) return 0;
        await c.query(notifyCatalogChange);
        return (await c.query<{ n: number }>('SELECT count(*) AS n FROM circuit_builds WHERE sha256 = $1', [sha256]))
          .rows[0]!.n;
      }),
    async isRevoked(sha256) {
      return ((await pool.query('SELECT 1 FROM circuit_revocations WHERE sha256 = $1', [sha256])).rowCount ?? 0) > 0;
    },
  };
}
