import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { handleOf, identitySignatureValid, type GeneratedIdentity } from '../../src/client/index.js';
import { runCli, startTestRegistry, tempDir } from '../helpers/registry.js';
import { powOn, VECTOR, VECTOR_ENVELOPE_CONFIG as envelope } from '../directory/vector.js';

/** Runs `f` with ENIGMA_REGISTRY_PEPPER_HEX set (or unset) in the environment the CLI inherits. */
async function withPepperEnv<T>(value: string | undefined, f: () => Promise<T>): Promise<T> {
  const saved = process.env.ENIGMA_REGISTRY_PEPPER_HEX;
  if (value === undefined) delete process.env.ENIGMA_REGISTRY_PEPPER_HEX;
  else process.env.ENIGMA_REGISTRY_PEPPER_HEX = value;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.ENIGMA_REGISTRY_PEPPER_HEX;
    else process.env.ENIGMA_REGISTRY_PEPPER_HEX = saved;
  }
}

describe('register / resolve / check-user commands (PoW on)', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  const dir = tempDir();
  const pepperFile = join(dir.path, 'envelope.json');
  before(async () => {
    reg = await startTestRegistry(powOn(8));
    writeFileSync(pepperFile, JSON.stringify(envelope)); // the registry's own envelope.json form
  });
  after(async () => {
    await reg.close();
    dir.remove();
  });
  const cli = (...args: string[]) => runCli([...args, '--registry', reg.url], { cwd: dir.path });

  test('register writes the keys (0600) and registers; check-user and resolve find it', async () => {
    const r = await cli('register', '--username', 'cli-ivy', '--pepper-file', pepperFile);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { handle: string; keys_file: string };
    assert.equal(out.handle, handleOf('cli-ivy'));
    const keysFile = join(dir.path, 'cli-ivy.identity.json');
    assert.equal(statSync(keysFile).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(keysFile, 'utf8')) as GeneratedIdentity;
    assert.ok(identitySignatureValid(saved.identity));
    assert.match(saved.secret.encryption_private_key_hex, /^[0-9a-f]{64}$/);

    const c = await cli('check-user', '--username', 'cli-ivy');
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(JSON.parse(c.stdout), { handle: handleOf('cli-ivy'), exists: true });
    const none = await cli('check-user', handleOf('cli-nobody'));
    assert.equal(none.code, 1);
    assert.equal(JSON.parse(none.stdout).exists, false);

    const res = await cli('resolve', out.handle.toUpperCase(), '--pepper-file', pepperFile);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), saved.identity);
    // The pepper from the environment, as plain hex.
    const viaEnv = await withPepperEnv(VECTOR.pepperHex, () => cli('resolve', '--username', 'cli-ivy'));
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const missing = await cli('resolve', '--username', 'cli-nobody', '--pepper-file', pepperFile);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no identity registered/);
  });

  test('refusals: existing keys file, CONFLICT (keys file removed again), wrong pepper, no pepper, bad arguments', async () => {
    assert.equal((await cli('register', '--username', 'cli-jo', '--pepper-file', pepperFile)).code, 0);
    const again = await cli('register', '--username', 'cli-jo', '--pepper-file', pepperFile);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists/);
    const conflict = await cli(
      'register',
      '--username',
      'cli-jo',
      '--pepper-file',
      pepperFile,
      '--keys-out',
      'other.json',
    );
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /CONFLICT/);
    assert.equal(
      existsSync(join(dir.path, 'other.json')),
      false,
      'no keys kept for an identity that was not registered',
    );

    const wrongPepper = join(dir.path, 'wrong.hex');
    writeFileSync(wrongPepper, `${'ab'.repeat(32)}\n`);
    const w = await cli('resolve', '--username', 'cli-jo', '--pepper-file', wrongPepper);
    assert.equal(w.code, 1);
    assert.match(w.stderr, /BAD_ENVELOPE/);
    const noPepper = await withPepperEnv(undefined, () => cli('resolve', '--username', 'cli-jo'));
    assert.equal(noPepper.code, 2);
    assert.match(noPepper.stderr, /pepper/);
    assert.equal((await cli('check-user', handleOf('a'), '--username', 'a')).code, 2);
    assert.equal((await cli('check-user')).code, 2);
    assert.equal((await runCli(['register', '--username', 'x'])).code, 2);
  });
});
