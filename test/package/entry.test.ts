// The package as an integrator sees it: the names package.json exports, imported by package name.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, startRegistry } from 'enigma-registry';
import { ProofClient } from 'enigma-registry/client';
import { packageRoot } from '../../src/paths.js';
import { tempDir } from '../helpers/registry.js';

describe('package entry points', () => {
  test('every file package.json exports or installs as a bin exists in the build', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
      bin: Record<string, string>;
    };
    for (const target of [...Object.values(pkg.exports), ...Object.values(pkg.bin)]) {
      assert.ok(existsSync(join(packageRoot, target)), `${target} does not exist`);
      if (target.endsWith('.js'))
        assert.ok(
          existsSync(join(packageRoot, target.replace(/\.js$/, '.d.ts'))) || target.includes('/cli/'),
          `${target} has no type declarations`,
        );
    }
  });

  test('startRegistry(partial config) serves on a free loopback port, and close() stops it', async (t) => {
    const dir = tempDir(t);
    const reg = await startRegistry({ state_dir: dir.path, storage: { kind: 'memory' }, log: { level: 'silent' } });
    assert.match(reg.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(reg.url).port, '8443');
    assert.equal(reg.config.storage.kind, 'memory');
    assert.equal(reg.config.proof.lockout_after, 5, 'defaults are filled in');
    const health = await fetch(`${reg.url}/api/health`);
    assert.equal(health.status, 200);
    // The SDK talks to it like to any registry.
    const missing = await new ProofClient({ baseUrl: reg.url, retries: 0 })
      .challenge('nobody')
      .catch((e: unknown) => e);
    assert.equal((missing as { code?: string }).code, 'NOT_FOUND');
    await reg.close();
    await reg.close();
    await assert.rejects(fetch(`${reg.url}/api/health`));
  });

  test('an invalid config rejects with a ConfigError naming the key, and nothing is left listening', async () => {
    await assert.rejects(
      startRegistry({ proof: { lockout_after: 0 }, log: { level: 'silent' } }),
      (e: unknown) => e instanceof ConfigError && /proof\.lockout_after/.test(e.message),
    );
  });
});
