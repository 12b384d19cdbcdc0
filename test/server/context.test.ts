// createRegistry: a start-up that fails after the store is open leaves nothing open behind it.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { createRegistry } from '../../src/app/context.js';
import { tempDir } from '../helpers/registry.js';

/**
 * With `file` in the state dir corrupt, the start fails naming it after the store opened (and migrated), and
 * the store is closed again: only the last SQLite connection's close removes the WAL. Returns the config.
 */
async function failsClosed(dir: string, file: string) {
  const path = join(dir, 'registry.sqlite3');
  const config = resolveConfig({ address: '127.0.0.1:0', state_dir: dir, storage: { kind: 'sqlite', path } });
  writeFileSync(join(dir, file), '{ not json');
  await assert.rejects(createRegistry(config, pino({ level: 'silent' })), new RegExp(file.replace('.', '\\.')));
  assert.ok(existsSync(path), 'the store was opened (and migrated) before the failure');
  assert.equal(existsSync(`${path}-wal`), false, 'no connection was left open');
  return { config, path };
}

test('a start-up failure after the store opened closes the store (SQLite: the WAL is checkpointed away)', async (t) => {
  const dir = tempDir(t);
  // The audit salt is read after the store is open: a corrupt salt file fails the start there.
  const { config, path } = await failsClosed(dir.path, 'audit.json');

  // And the same directory starts cleanly once the problem is fixed.
  writeFileSync(join(dir.path, 'audit.json'), JSON.stringify({ salt_hex: 'ab'.repeat(32) }));
  const ctx = await createRegistry(config, pino({ level: 'silent' }));
  assert.ok(existsSync(`${path}-wal`), 'an open store keeps its WAL');
  await ctx.close();
});

test('a start-up failure among the circuit services (after the executor is up) closes what opened before it', async (t) => {
  const dir = tempDir(t);
  // The proof seed secret is read while the gateway is built: the ledger, the rate limits and the executor are up.
  await failsClosed(dir.path, 'proof-seed.json');
});
