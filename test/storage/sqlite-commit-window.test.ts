import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { closeSqlite, openSqlite, write, type SqliteDb } from '../../src/storage/sqlite/db.js';
import { tempDir } from '../helpers/registry.js';

/**
 * Write A settles (its sync has ended, so a window opens); then B is written, and C one event-loop turn
 * later, once B's commit would already have happened without a window. Returns whether B and C settled
 * in the same turn, which only a shared commit and sync can give, and C's row is there either way.
 */
async function shareACommit(windowMs: number): Promise<boolean> {
  const dir = tempDir('enigma-window-');
  const db: SqliteDb = openSqlite(join(dir.path, 'w.sqlite3'), { commitWindowMs: windowMs });
  try {
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    await write(db, () => insert.run('a'));
    const settled: string[] = [];
    const b = write(db, () => insert.run('b')).then(() => {
      settled.push('b');
      // Runs after everything this turn settles: C is already in if it shared B's sync.
      setImmediate(() => settled.push('next turn'));
    });
    await new Promise((resolve) => setImmediate(resolve));
    const c = write(db, () => insert.run('c')).then(() => settled.push('c'));
    await Promise.all([b, c]);
    assert.deepEqual(db.prepare('SELECT k FROM t ORDER BY k').pluck().all(), ['a', 'b', 'c']);
    await new Promise((resolve) => setImmediate(resolve));
    return settled.indexOf('c') < settled.indexOf('next turn');
  } finally {
    await closeSqlite(db);
    dir.remove();
  }
}

test('writes that arrive in the window after a sync share the next commit; without a window they do not', async () => {
  // A window far longer than a loop turn, so a busy machine cannot make C miss it.
  assert.equal(await shareACommit(500), true);
  assert.equal(await shareACommit(0), false);
});

test('a write that finds no sync and no window open commits at once; closing does not wait out a window', {
  timeout: 30_000,
}, async () => {
  const dir = tempDir('enigma-window-');
  // A window longer than the test's timeout: a write or a close that waited for it would fail the test.
  const db = openSqlite(join(dir.path, 'w.sqlite3'), { commitWindowMs: 60_000 });
  try {
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    await write(db, () => insert.run('first')); // a fresh database: nothing has synced, nothing holds it
    const held = write(db, () => insert.run('second')); // arrives in the window the first sync opened
    await closeSqlite(db);
    await held;
  } finally {
    dir.remove();
  }
});
