// The nonce ledger's storage on SQLite: reserve, the one-transaction burn, status, events and pruning.
import { classifyRefusal, statusFromRow, type LedgerEvent, type LedgerStore, type NonceRow } from '../ledger.js';
import { migrate, write, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE ledger_nonces (
     uuid TEXT PRIMARY KEY,
     tau TEXT,
     state TEXT NOT NULL CHECK (state IN ('RESERVED', 'SPENT', 'EXPIRED')),
     expires_at INTEGER NOT NULL,
     spent_at INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX ledger_nonces_state_expiry ON ledger_nonces (state, expires_at);
   CREATE TABLE ledger_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, uuid TEXT NOT NULL, type TEXT NOT NULL);
   CREATE INDEX ledger_events_at ON ledger_events (at);`,
];

export function sqliteLedgerStore(db: SqliteDb): LedgerStore {
  migrate(db, 'ledger', MIGRATIONS);
  const insert = db.prepare("INSERT INTO ledger_nonces (uuid, tau, state, expires_at) VALUES (?, ?, 'RESERVED', ?)");
  // The single conditional transition: only a RESERVED, unexpired row with the right tau changes.
  const spend = db.prepare(
    "UPDATE ledger_nonces SET state = 'SPENT', spent_at = ?, tau = NULL WHERE uuid = ? AND tau = ? AND state = 'RESERVED' AND expires_at > ?",
  );
  const get = db.prepare('SELECT tau, state, expires_at, spent_at FROM ledger_nonces WHERE uuid = ?');
  const event = db.prepare('INSERT INTO ledger_events (at, uuid, type) VALUES (?, ?, ?)');
  const events = db.prepare('SELECT seq, at, uuid, type FROM ledger_events WHERE seq > ? ORDER BY seq LIMIT ?');
  const tombstone = db.prepare(
    "UPDATE ledger_nonces SET state = 'EXPIRED', tau = NULL WHERE state = 'RESERVED' AND expires_at <= ?",
  );
  const forget = db.prepare(
    "DELETE FROM ledger_nonces WHERE state <> 'RESERVED' AND COALESCE(spent_at, expires_at) < ?",
  );
  const forgetEvents = db.prepare('DELETE FROM ledger_events WHERE at < ?');

  const reserve = db.transaction((uuid: string, tau: string, expiresAt: number, now: number) => {
    insert.run(uuid, tau, expiresAt);
    event.run(now, uuid, 'reserved');
  });
  // One transaction: the update and, when it changed nothing, the read that explains why see one state.
  const burn = db.transaction((uuid: string, tau: string, now: number) => {
    if (spend.run(now, uuid, tau, now).changes === 1) {
      event.run(now, uuid, 'spent');
      return { ok: true } as const;
    }
    const reason = classifyRefusal(get.get(uuid) as NonceRow | undefined, tau, now);
    if (reason !== 'unknown') event.run(now, uuid, reason);
    return { ok: false, reason } as const;
  });
  const prune = db.transaction((now: number, retainMs: number) => {
    const cutoff = now - retainMs;
    return tombstone.run(now).changes + forget.run(cutoff).changes + forgetEvents.run(cutoff).changes;
  });

  return {
    reserve: (uuid, tau, expiresAt, now) => write(db, () => reserve(uuid, tau, expiresAt, now)),
    spend: (uuid, tau, now) => write(db, () => burn(uuid, tau, now)),
    status: async (uuid, now) => {
      const row = get.get(uuid) as NonceRow | undefined;
      return statusFromRow(uuid, row, now);
    },
    events: async (after, limit) => events.all(after, limit) as LedgerEvent[],
    prune: (now, retainMs) => write(db, () => prune(now, retainMs)),
  };
}
