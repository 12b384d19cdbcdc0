import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { resolveConfig } from '../../src/config/load.js';
import { openStore } from '../../src/storage/index.js';
import type { Store } from '../../src/storage/store.js';
import { defer } from '../helpers/cleanup.js';
import { freshSchema, postgresSkip } from '../helpers/services.js';
import { tempDir } from '../helpers/registry.js';

const MAX = 50;
const index = (i: number) => {
  const b = new Uint8Array(32);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const storage = (s: Record<string, unknown>) => resolveConfig({ storage: s }).storage;
const options = (dir: string) => ({
  presenceMaxEntries: MAX,
  artifactDir: join(dir, 'artifacts'),
  ledgerMaxEntries: 1000,
  auditMaxEntries: 1000,
});

/** Announces 4×MAX distinct nodes, with no GC, and checks the table never held more than MAX rows. */
async function floodPresence(store: Store, rows: () => Promise<number>): Promise<void> {
  for (let i = 0; i < 4 * MAX; i++) {
    await store.directory.upsertPresence(index(i), new Uint8Array([1, 2, 3]), 1_000 + i);
    assert.ok(
      (await rows()) <= MAX,
      `presence holds ${await rows()} rows after insert ${i + 1}, max_entries is ${MAX}`,
    );
  }
  assert.equal(await rows(), MAX);
  assert.equal(await store.directory.countPresence(), MAX);
  // Refreshing a known node does not evict anyone; the survivors are the most recently seen.
  await store.directory.upsertPresence(index(4 * MAX - 1), new Uint8Array([4]), 10_000);
  assert.equal(await rows(), MAX);
  // A GC that drops old rows keeps the counter exact for the next inserts.
  assert.equal(await store.directory.purgePresence(1_000 + 4 * MAX - 10, MAX), MAX - 10);
  assert.equal(await store.directory.countPresence(), 10);
  assert.equal(await rows(), 10);
}

describe('presence.max_entries holds on insert, not only at GC', () => {
  test('memory', async (t) => {
    const dir = tempDir(t);
    const store = await openStore(storage({ kind: 'memory' }), options(dir.path));
    defer(t, () => store.close());
    await floodPresence(store, () => store.directory.countPresence());
  });

  test('sqlite', async (t) => {
    const dir = tempDir(t);
    const path = join(dir.path, 'r.sqlite3');
    const store = await openStore(storage({ kind: 'sqlite', path }), options(dir.path));
    defer(t, () => store.close());
    const Database = (await import('better-sqlite3')).default;
    const reader = new Database(path, { readonly: true });
    defer(t, () => reader.close());
    await floodPresence(store, async () => reader.prepare('SELECT count(*) FROM presence').pluck().get() as number);
  });

  test('postgres (two replicas inserting at once)', async (t) => {
    const skip = await postgresSkip();
    if (skip) return t.skip(skip);
    const schema = await freshSchema();
    defer(t, () => schema.drop());
    const dir = tempDir(t);
    const config = storage({ kind: 'postgres', url: schema.url, pool_size: 4 });
    const a = await openStore(config, options(dir.path));
    defer(t, () => a.close());
    const b = await openStore(config, options(dir.path));
    defer(t, () => b.close());
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    defer(t, () => client.end());
    const rows = async () => Number((await client.query('SELECT count(*) AS n FROM presence')).rows[0].n);
    await floodPresence(a, rows);
    // Two replicas, each inserting concurrently: the bound still holds once they are done.
    await Promise.all(
      Array.from({ length: 4 * MAX }, (_, i) =>
        (i % 2 ? a : b).directory.upsertPresence(index(10_000 + i), new Uint8Array([5]), 20_000 + i),
      ),
    );
    assert.equal(await rows(), MAX);
    assert.equal(await a.directory.countPresence(), MAX);
  });
});
