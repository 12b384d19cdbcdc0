// The audit trail on PostgreSQL: its table, appends under the feed lock, pages and pruning.
import { auditEventFromRow, type AuditEntry, type AuditRow, type AuditStore } from '../audit.js';
import { nextCursor } from '../page.js';
import { appendTogether, feedAppendLock, feedPages, type PgPool } from './db.js';

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
  // One statement, one implicit transaction per batch: the feed's shared lock is taken before any seq is drawn
  // (see feedPages in db.ts); the rows go in as one array per column.
  const append = appendTogether<AuditEntry>(async (batch) => {
    await pool.query({
      name: 'audit-append', // prepared once per connection
      text: `WITH l AS (SELECT ${feedAppendLock('audit_events')})
       INSERT INTO audit_events (at, actor, handle, sha256, nonce, step, outcome, detail)
       SELECT e.at, e.actor, e.handle, e.sha256, e.nonce, e.step, e.outcome, e.detail
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
         WITH ORDINALITY AS e(at, actor, handle, sha256, nonce, step, outcome, detail, n), l
       ORDER BY e.n`,
      values: [
        batch.map((e) => e.at),
        batch.map((e) => e.actor),
        batch.map((e) => e.handle ?? null),
        batch.map((e) => e.sha256 ?? null),
        batch.map((e) => e.nonce ?? null),
        batch.map((e) => e.step),
        batch.map((e) => e.outcome),
        batch.map((e) => e.detail ?? null),
      ],
    });
    return undefined;
  });
  return {
    append,
    async list({ after = 0, limit }) {
      const events = (await page(after, limit)).map(auditEventFromRow);
      return { events, next: nextCursor(events, limit) };
    },
    async prune(before) {
      return (await pool.query('DELETE FROM audit_events WHERE at < $1', [before])).rowCount ?? 0;
    },
  };
}
