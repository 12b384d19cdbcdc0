// The catalog cache across processes sharing a store: it must never answer with a build another process has
// revoked or replaced, and never while it cannot hear of changes (the PostgreSQL listener down).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { CircuitCatalog } from '../../src/circuits/catalog.js';
import { resolveConfig } from '../../src/config/load.js';
import type { CatalogChanges, CircuitStore, NewBuild } from '../../src/storage/circuits.js';
import type { Store } from '../../src/storage/store.js';
import { memoryArtifactStore } from '../../src/storage/memory/artifacts.js';
import { listenerName } from '../../src/storage/postgres/catalog-changes.js';
import { openPostgresStore } from '../../src/storage/postgres/index.js';
import { closeSqlite, openSqlite } from '../../src/storage/sqlite/db.js';
import { sqliteCatalogChanges, sqliteCircuitStore } from '../../src/storage/sqlite/circuits.js';
import { until } from '../helpers/clock.js';
import { tempDir } from '../helpers/registry.js';
import { freshSchema, postgresSkip, type TestSchema } from '../helpers/services.js';

const config = resolveConfig({});
const build = (handle: string): NewBuild => {
  const id = randomBytes(8).toString('hex');
  return {
    handle,
    build_id: id,
    version: '1',
    sha256: randomBytes(32).toString('hex'),
    kind: 'wasm',
    size: 1,
    manifest: { id },
    created_at: Date.now(),
  };
};

/** A catalog over `circuits` that counts the store's lookups (a hit reads nothing). */
function countingCatalog(circuits: CircuitStore, changes: CatalogChanges) {
  const reads = { n: 0 };
  const counted: CircuitStore = {
    ...circuits,
    currentBuild: (h) => {
      reads.n++;
      return circuits.currentBuild(h);
    },
    getBuild: (h, id) => {
      reads.n++;
      return circuits.getBuild(h, id);
    },
  };
  return { catalog: new CircuitCatalog(counted, memoryArtifactStore(), config, changes), reads };
}

describe('catalog cache on one SQLite file shared by two connections', () => {
  const dir = tempDir();
  const path = join(dir.path, 'c.sqlite3');
  const writerDb = openSqlite(path);
  const readerDb = openSqlite(path);
  after(async () => {
    await Promise.all([closeSqlite(writerDb), closeSqlite(readerDb)]);
    dir.remove();
  });

  test('a revoke or a new build by the other connection is seen at the next lookup; until then lookups hit the cache', async () => {
    const writer = sqliteCircuitStore(writerDb);
    const { catalog, reads } = countingCatalog(sqliteCircuitStore(readerDb), sqliteCatalogChanges(readerDb));
    const x = build('h');
    assert.equal(await writer.insertBuild(x), true);
    assert.equal((await catalog.build('h')).build_id, x.build_id);
    assert.equal((await catalog.build('h')).build_id, x.build_id);
    assert.equal(reads.n, 1, 'the second lookup came from the cache');
    assert.equal(await writer.revokeSha256(x.sha256), 1);
    assert.equal((await catalog.build('h')).revoked, true, 'the revoke by the other connection was seen');
    const y = build('h');
    assert.equal(await writer.insertBuild(y), true);
    assert.equal((await catalog.build('h')).build_id, y.build_id, 'the new build by the other connection was seen');
  });

  test('currentBuild: undefined for an unknown handle, else the build() lookup answers, from the same cache', async () => {
    const writer = sqliteCircuitStore(writerDb);
    const { catalog, reads } = countingCatalog(sqliteCircuitStore(readerDb), sqliteCatalogChanges(readerDb));
    assert.equal(await catalog.currentBuild('c'), undefined);
    const x = build('c');
    assert.equal(await writer.insertBuild(x), true);
    assert.equal((await catalog.build('c')).build_id, x.build_id);
    const n = reads.n;
    assert.equal((await catalog.currentBuild('c'))?.build_id, x.build_id);
    assert.equal(reads.n, n, 'answered from the cache');
  });
});

describe('catalog cache on PostgreSQL, two replicas', { skip: await postgresSkip() }, () => {
  let schema: TestSchema;
  let a: Store;
  let b: Store;
  before(async () => {
    schema = await freshSchema();
    [a, b] = await Promise.all([
      openPostgresStore({ url: schema.url, poolSize: 4, onIdleError: () => undefined, presenceMaxEntries: 1000 }),
      openPostgresStore({ url: schema.url, poolSize: 4, onIdleError: () => undefined, presenceMaxEntries: 1000 }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await schema?.drop();
  });

  test('while the listener is down nothing is answered from the cache; after it reconnects, changes are heard again', async () => {
    const changes = b.catalogChanges();
    const { catalog, reads } = countingCatalog(b.circuits, changes);
    let heard = 0;
    changes.subscribe(() => heard++);
    await until(() => changes.live, 'the listener listens');
    const x = build('p');
    const heardBefore = heard;
    assert.equal(await a.circuits.insertBuild(x), true);
    await until(() => heard > heardBefore, 'the insert is heard');
    await catalog.build('p');
    await catalog.build('p');
    assert.equal(reads.n, 1, 'live: the second lookup came from the cache');

    // The listener's connection dies (as in a PostgreSQL restart or a network cut).
    const admin = new pg.Client({ connectionString: schema.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [listenerName(schema.schema)],
      );
      assert.equal(killed.rowCount, 1);
    } finally {
      await admin.end();
    }
    await until(() => !changes.live, 'the listener is seen down');
    // A change nobody at b hears of: b must read the store, not answer X from its cache.
    const y = build('p');
    assert.equal(await a.circuits.insertBuild(y), true);
    assert.equal((await catalog.build('p')).build_id, y.build_id, 'a lookup while the listener is down read the store');
    const before = reads.n;
    await catalog.build('p');
    assert.equal(reads.n, before + 1, 'and so does the next: nothing is kept while down');

    await until(() => changes.live, 'the listener listens again');
    assert.equal(await a.circuits.revokeSha256(y.sha256), 1);
    await until(async () => (await catalog.build('p')).revoked, 'the revoke is heard');
  });
});
