// createContext: a start-up that fails after the store is open leaves nothing open behind it.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { createContext } from '../../src/app/context.js';
import { tempDir } from '../helpers/registry.js';

test('a start-up failure after the store opened closes the store (SQLite: the WAL is checkpointed away)', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'registry.sqlite3');
    const config = resolveConfig({ address: '127.0.0.1:0', state_dir: dir.path, storage: { kind: 'sqlite', path } });
    // The audit salt is read after the store is open: a corrupt salt file fails the start there.
    writeFileSync(join(dir.path, 'audit.json'), '{ not json');
    await assert.rejects(createContext(config, pino({ level: 'silent' })), /audit\.json/);
    assert.ok(existsSync(path), 'the store was opened (and migrated) before the failure');
    // Only the last connection's close removes the WAL: it is gone, so no connection was left open.
    assert.equal(existsSync(`${path}-wal`), false);

    // And the same directory starts cleanly once the problem is fixed.
    writeFileSync(join(dir.path, 'audit.json'), JSON.stringify({ salt_hex: 'ab'.repeat(32) }));
    const ctx = await createContext(config, pino({ level: 'silent' }));
    assert.ok(existsSync(`${path}-wal`), 'an open store keeps its WAL');
    await ctx.close();
  } finally {
    dir.remove();
  }
});
