// The audit trail on PostgreSQL: its table, appends under the feed lock, pages and pruning.
import { auditEventFromRow, type AuditRow, type AuditStore } from '../audit.js';
import { nextCursor } from '../page.js';
import { feedAppendLock, feedPages, type PgPool } from './db.js';

export const AUDIT_MIGRATIONS = [
  `CREATE TABLE audit_events (
     seq BIGSERIAL PRIMARY KEY,
     at BIGINT NOT NULL,
     actor TEXT NOT NULL,
     handle TEXT,
     sha256 TEXT,
     nonce TEXT,
     step TEXT NOT NULL,
     outcome TEXT NOT NULL,
     detail TEXT
   );`,
  'CREATE INDEX audit_events_at ON audit_events (at);',
];

export function postgresAuditStore(pool: PgPool): AuditStore {
  const page = feedPages<AuditRow>(
    pool,
    'audit_events',
    'seq, at, actor, handle, sha256, nonce, step, outcome, detail',
  );
  return {
    async append(e) {
      // One statement, one implicit transaction: the feed's shared lock is taken before seq is drawn (see feedPages in db.ts).
      await pool.query(
        `WITH l AS (SELECT ${feedAppendLock('audit_events')})
         INSERT INTO audit_events (at, actor, handle, sha256, nonce, step, outcome, detail) SELECT $1::bigint, $2, $3, $4, $5, $6, $7, $8 FROM l`,
        [e.at, e.actor, e.handle ?? null, e.sha256 ?? null, e.nonce ?? null, e.step, e.outcome, e.detail ?? null],
      );
    },
    async list({ after = 0, limit }) {
      const events = (await page(after, limit)).map(auditEventFromRow);
      return { events, next: nextCursor(events, limit) };
    },
    async prune(before) {
      return (await pool.query('DELETE FROM audit_events WHERE at < $1', [before])).rowCount ?? 0;
    },
  };
}
