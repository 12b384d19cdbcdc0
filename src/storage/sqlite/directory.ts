// The node directory's storage on SQLite: identities, bounded presence and the node list with per-client shares.
import type { DirectoryStore, NodeShare } from '../directory.js';
import { migrate, write, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE identities (blind BLOB PRIMARY KEY, sealed BLOB NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE presence (blind BLOB PRIMARY KEY, sealed BLOB NOT NULL, seen_ms INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX presence_seen ON presence (seen_ms);
   CREATE TABLE nodes (seq INTEGER PRIMARY KEY AUTOINCREMENT, base_url TEXT NOT NULL UNIQUE);`,
  // Who added each node url, for the per-client share of the list; NULL for authenticated peers and older rows.
  `ALTER TABLE nodes ADD COLUMN contributor BLOB;
   CREATE INDEX nodes_contributor ON nodes (contributor);`,
  // The presence row count, kept by triggers, so an insert can enforce max_entries without counting rows.
  `CREATE TABLE presence_count (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
   INSERT INTO presence_count (id, n) SELECT 0, count(*) FROM presence;
   CREATE TRIGGER presence_added AFTER INSERT ON presence BEGIN UPDATE presence_count SET n = n + 1; END;
   CREATE TRIGGER presence_removed AFTER DELETE ON presence BEGIN UPDATE presence_count SET n = n - 1; END;`,
];

/** The directory in SQLite. Presence never holds more than `maxPresence` rows: an insert beyond drops the oldest. */
export function sqliteDirectoryStore(db: SqliteDb, maxPresence: number): DirectoryStore {
  migrate(db, 'directory', MIGRATIONS);
  const insert = db.prepare('INSERT OR IGNORE INTO identities (blind, sealed, created_ms) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT sealed FROM identities WHERE blind = ?').pluck();
  const has = db.prepare('SELECT 1 FROM identities WHERE blind = ?').pluck();
  const upsertPresence = db.prepare(
    'INSERT INTO presence (blind, sealed, seen_ms) VALUES (?, ?, ?) ON CONFLICT (blind) DO UPDATE SET sealed = excluded.sealed, seen_ms = excluded.seen_ms',
  );
  const purgeOld = db.prepare('DELETE FROM presence WHERE seen_ms < ?');
  const dropOldest = db.prepare(
    'DELETE FROM presence WHERE blind IN (SELECT blind FROM presence ORDER BY seen_ms ASC LIMIT ?)',
  );
  const countPresence = db.prepare('SELECT n FROM presence_count').pluck();
  const listNodes = db.prepare('SELECT base_url FROM nodes ORDER BY seq').pluck();
  const countNodes = db.prepare('SELECT count(*) FROM nodes').pluck();
  const countContributed = db.prepare('SELECT count(*) FROM nodes WHERE contributor = ?').pluck();
  const insertNode = db.prepare('INSERT OR IGNORE INTO nodes (base_url, contributor) VALUES (?, ?)');

  const insertMany = db.transaction((rows: Array<{ index: Uint8Array; sealed: Uint8Array }>, now: number) =>
    rows.reduce((n, r) => n + insert.run(r.index, r.sealed, now).changes, 0),
  );
  const addNodes = db.transaction((urls: string[], max: number, share: NodeShare | undefined) => {
    let room = max - (countNodes.get() as number);
    if (share) room = Math.min(room, share.max - (countContributed.get(share.contributor) as number));
    let added = 0;
    for (const url of urls) {
      if (room <= 0) break;
      const changes = insertNode.run(url, share?.contributor ?? null).changes;
      added += changes;
      room -= changes;
    }
    return added;
  });
  const trim = (maxEntries: number) => {
    const excess = (countPresence.get() as number) - maxEntries;
    return excess > 0 ? dropOldest.run(excess).changes : 0;
  };
  const purge = db.transaction((before: number, maxEntries: number) => purgeOld.run(before).changes + trim(maxEntries));

  return {
    insertIdentity: (index, sealed) => write(db, () => insert.run(index, sealed, Date.now()).changes === 1),
    insertIdentities: (rows) => write(db, () => insertMany(rows, Date.now())),
    getIdentity: async (index) => get.get(index) as Buffer | undefined,
    hasIdentity: async (index) => has.get(index) !== undefined,
    upsertPresence: (index, sealed, seenMs) =>
      write(db, () => {
        upsertPresence.run(index, sealed, seenMs);
        trim(maxPresence);
      }),
    purgePresence: (before, maxEntries) => write(db, () => purge(before, maxEntries)),
    countPresence: async () => countPresence.get() as number,
    listNodes: async () => listNodes.all() as string[],
    addNodes: (urls, max, share) => write(db, () => addNodes(urls, max, share)),
  };
}
