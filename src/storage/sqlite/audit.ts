// The audit trail on SQLite: its table, appends, pages and pruning.
import { auditEventFromRow, type AuditRow, type AuditStore } from '../audit.js';
import { nextCursor } from '../page.js';
import { migrate, write, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE audit_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
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

export function sqliteAuditStore(db: SqliteDb): AuditStore {
  migrate(db, 'audit', MIGRATIONS);
  const insert = db.prepare(
    'INSERT INTO audit_events (at, actor, handle, sha256, nonce, step, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const prune = db.prepare('DELETE FROM audit_events WHERE at < ?');
  const list = db.prepare(
    'SELECT seq, at, actor, handle, sha256, nonce, step, outcome, detail FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  return {
    append: (e) =>
      write(db, () => {
        insert.run(
          e.at,
          e.actor,
          e.handle ?? null,
          e.sha256 ?? null,
          e.nonce ?? null,
          e.step,
          e.outcome,
          e.detail ?? null,
        );
      }),
    list: async ({ after = 0, limit }) => {
      const events = (list.all(after, limit) as AuditRow[]).map(auditEventFromRow);
      return { events, next: nextCursor(events, limit) };
    },
    prune: (before) => write(db, () => prune.run(before).changes),
  };
}
