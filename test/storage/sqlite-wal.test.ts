import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { closeSqlite, openSqlite, write } from '../../src/storage/sqlite/db.js';
import { defer } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/registry.js';

const MiB = 1024 * 1024;

/**
 * Writes `rounds` group commits of 25 rows of 2 KiB with 8 commits always in flight, so the writer never
 * pauses for a checkpoint to catch up; returns the largest WAL size seen after any commit.
 */
async function sustainedWrites(path: string, walLimit: number, rounds: number): Promise<number> {
  const db = openSqlite(path, { walLimitBytes: walLimit });
  db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO t (i, v) VALUES (?, ?)');
  const value = randomBytes(2048);
  const inFlight = new Set<Promise<unknown>>();
  let largest = 0;
  let i = 0;
  for (let round = 0; round < rounds; round++) {
    const batch = Promise.all(Array.from({ length: 25 }, () => ++i).map((k) => write(db, () => insert.run(k, value))));
    inFlight.add(batch);
    void batch.then(() => {
      inFlight.delete(batch);
      largest = Math.max(largest, statSync(`${path}-wal`).size);
    });
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await closeSqlite(db);
  return largest;
}

test('sustained writes keep the WAL near storage.wal_limit_mib, and every answered write is in the database after close', async (t) => {
  const dir = tempDir(t);
  const path = join(dir.path, 'w.sqlite3');
  const rounds = 800; // 800 × 25 × 2 KiB ≈ 40 MiB through the WAL
  const largest = await sustainedWrites(path, 1 * MiB, rounds);
  // Over the limit by what commits while a truncation is asked for; without the bound it grows with the load.
  assert.ok(largest <= 4 * MiB, `the WAL reached ${(largest / MiB).toFixed(1)} MiB with a 1 MiB limit`);
  const db = new Database(path, { readonly: true });
  defer(t, () => db.close());
  assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), rounds * 25);
});
