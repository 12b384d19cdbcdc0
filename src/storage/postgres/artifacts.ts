// Circuit artifacts as PostgreSQL rows, shared by replicas without a shared disk; hash-checked on read.
import { createHash } from 'node:crypto';
import { ArtifactCorruptError, assertSha256, type ArtifactStore } from '../artifacts.js';
import type { PgPool } from './db.js';

export const ARTIFACTS_MIGRATIONS = [
  `CREATE TABLE artifacts (sha256 TEXT PRIMARY KEY, bytes BYTEA NOT NULL, stored_at BIGINT NOT NULL);`,
];

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Artifacts as rows (bytea), so replicas share them without a shared disk; verified like the file store. */
export function postgresArtifactStore(pool: PgPool): ArtifactStore {
  return {
    async put(sha256, bytes) {
      assertSha256(sha256);
      if (digest(bytes) !== sha256) throw new Error(`artifact content does not match sha256 ${sha256}`);
      await pool.query(
        'INSERT INTO artifacts (sha256, bytes, stored_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING',
        [sha256, bytes, Date.now()],
      );
    },
    async get(sha256) {
      assertSha256(sha256);
      const row = (await pool.query<{ bytes: Buffer }>('SELECT bytes FROM artifacts WHERE sha256 = $1', [sha256]))
        .rows[0];
      if (!row) return undefined;
      if (digest(row.bytes) !== sha256) throw new ArtifactCorruptError(sha256);
      return new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    },
    async has(sha256) {
      assertSha256(sha256);
      return ((await pool.query('SELECT 1 FROM artifacts WHERE sha256 = $1', [sha256])).rowCount ?? 0) > 0;
    },
  };
}
