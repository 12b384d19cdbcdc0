// [storage] as the Rust registry's config files write it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'smol-toml';
import { ConfigError, resolveConfig } from '../../src/config/load.js';
import { call, startTestRegistry } from '../helpers/registry.js';

describe('[storage] path', () => {
  test('kind = "memory" with path = "" (the Rust repository\'s own test configs) loads, and the registry serves from memory', async (t) => {
    const config = resolveConfig(parse('[storage]\nkind = "memory"\npath = ""\n'));
    assert.equal(config.storage.kind, 'memory');
    const reg = await startTestRegistry({ storage: { kind: 'memory', path: '' } }, { t });
    assert.equal(reg.ctx.store.kind, 'memory');
    assert.equal((await call(reg.url, 'GET', '/api/health/db')).status, 200);
  });

  test('the SQLite file defaults to <state_dir>/registry.sqlite3; a given path is kept', () => {
    assert.equal(resolveConfig({}).storage.path, 'data/registry.sqlite3');
    assert.equal(resolveConfig({ state_dir: '/srv/registry' }).storage.path, '/srv/registry/registry.sqlite3');
    assert.equal(
      resolveConfig({ state_dir: '/srv/registry', storage: { kind: 'sled' } }).storage.path,
      '/srv/registry/registry.sqlite3',
    );
    assert.equal(
      resolveConfig({ state_dir: '/srv/registry', storage: { path: '/db/r.sqlite3' } }).storage.path,
      '/db/r.sqlite3',
    );
  });

  for (const kind of ['sqlite', 'sled']) {
    test(`kind = "${kind}" with path = "" is refused, naming the key`, () => {
      assert.throws(
        () => resolveConfig({ storage: { kind, path: '' } }),
        (e: unknown) => e instanceof ConfigError && /storage\.path must name a file/.test(e.message),
      );
    });
  }
});
