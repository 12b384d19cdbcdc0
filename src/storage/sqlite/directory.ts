import type { DirectoryStore } from '../directory.js';
import { migrate, write, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE identities (blind BLOB PRIMARY KEY, sealed BLOB NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE presence (blind BLOB PRIMARY KEY, sealed BLOB NOT NULL, seen_ms INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX presence_seen ON presence (seen_ms);
   CREATE TABLE nodes (seq INTEGER PRIMARY KEY AUTOINCREMENT, base_url TEXT NOT NULL UNIQUE);`,
];

export function sqliteDirectoryStore(db: SqliteDb): DirectoryStore {
  migrate(db, 'directory', MIGRATIONS);
  const insert = db.prepare('INSERT OR IGNORE INTO identities (blind, sealed, created_ms) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT sealed FROM identities WHERE blind = ?').pluck();
  const has = db.prepare('SELECT 1 FROM identities WHERE blind = ?').pluck();
  const upsertPresence = db.prepare(
    'INSERT INTO presence (blind, sealed, seen_ms) VALUES (?, ?, ?) ON CONFLICT (blind) DO UPDATE SET sealed = excluded.sealed, seen_ms = excluded.seen_ms',
  );
  const purgeOld = db.prepare('DELETE FROM presence WHERE seen_ms < ?');
  const purgeExcess = db.prepare('DELETE FROM presence WHERE blind IN (SELECT blind FROM presence ORDER BY seen_ms ASC LIMIT max(0, (SELECT count(*) FROM presence) - ?))');
  const countPresence = db.prepare('SELECT count(*) FROM presence').pluck();
  const listNodes = db.prepare('SELECT base_url FROM nodes ORDER BY seq').pluck();
  const countNodes = db.prepare('SELECT count(*) FROM nodes').pluck();
  const insertNode = db.prepare('INSERT OR IGNORE INTO nodes (base_url) VALUES (?)');

  const insertMany = db.transaction((rows: Array<{ index: Uint8Array; sealed: Uint8Array }>, now: number) =>
    rows.reduce((n, r) => n + insert.run(r.index, r.sealed, now).changes, 0),
  );
  const addNodes = db.transaction((urls: string[], max: number) => {
    let room = max - (countNodes.get() as number);
    let added = 0;
    for (const url of urls) {
      if (room <= 0) break;
      const changes = insertNode.run(url).changes;
      added += changes;
      room -= changes;
    }
    return added;
  });
  const purge = db.transaction((before: number, maxEntries: number) => purgeOld.run(before).changes + purgeExcess.run(maxEntries).changes);

  return {
    insertIdentity: (index, sealed) => write(db, () => insert.run(index, sealed, Date.now()).changes === 1),
    insertIdentities: (rows) => write(db, () => insertMany(rows, Date.now())),
    getIdentity: async (index) => get.get(index) as Buffer | undefined,
    hasIdentity: async (index) => has.get(index) !== undefined,
    upsertPresence: (index, sealed, seenMs) =>
      write(db, () => {
        upsertPresence.run(index, sealed, seenMs);
      }),
    purgePresence: (before, maxEntries) => write(db, () => purge(before, maxEntries)),
    countPresence: async () => countPresence.get() as number,
    listNodes: async () => listNodes.all() as string[],
    addNodes: (urls, max) => write(db, () => addNodes(urls, max)),
  };
}
