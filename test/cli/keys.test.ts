import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash } from 'node:crypto';
import { parse } from 'smol-toml';
import { main, generateOperatorKeys, operatorKeysToml } from '../../src/cli/keys.js';
import { resolveConfig } from '../../src/config/load.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../../src/crypto/x25519.js';
import { call, runCli, startTestRegistry } from '../helpers/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'keys-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('keys gen', () => {
  it('writes every key file with mode 0600 and refuses to overwrite them', async () => {
    const out = join(dir, 'keys');
    assert.equal(await main(['--out', out]), 0);
    const files = readdirSync(out).sort();
    assert.deepEqual(files, [
      'admin.token',
      'envelope.key.json',
      'publisher.key.json',
      'receipt.key.json',
      'registry-keys.toml',
      'sealing.key.json',
      'sealing.pub.json',
    ]);
    for (const f of files) assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, f);
    const before = readFileSync(join(out, 'sealing.key.json'), 'utf8');
    assert.equal(await main(['gen', '--out', out]), 1);
    assert.equal(readFileSync(join(out, 'sealing.key.json'), 'utf8'), before);
  });

  it('writes keys whose public halves match their private halves', async () => {
    const out = join(dir, 'pairs');
    assert.equal(await main(['--out', out]), 0);
    const read = (f: string) => JSON.parse(readFileSync(join(out, f), 'utf8')) as Record<string, string>;
    const sealing = read('sealing.key.json');
    assert.deepEqual(read('sealing.pub.json'), {
      kid_hex: sealing.kid_hex,
      x25519_public_key_hex: sealing.x25519_public_key_hex,
    });
    assert.equal(
      bytesToHex(x25519PrivateFromRaw(hexToBytes(sealing.x25519_private_key_hex!)).publicKey),
      sealing.x25519_public_key_hex,
    );
    for (const f of ['publisher.key.json', 'receipt.key.json']) {
      const k = read(f);
      assert.equal(bytesToHex(ed25519.getPublicKey(hexToBytes(k.ed25519_private_key_hex!))), k.ed25519_public_key_hex);
    }
    assert.notEqual(read('envelope.key.json').kid_hex, sealing.kid_hex);
  });

  it('prints TOML that the registry config accepts', () => {
    const keys = generateOperatorKeys();
    const toml = operatorKeysToml(keys);
    const config = resolveConfig(parse(toml));
    assert.equal(config.envelope?.pepper_hex, keys.envelope.pepper_hex);
    assert.equal(config.envelope?.keys[0]?.x25519_private_key_hex, keys.envelope.x25519_private_key_hex);
    assert.deepEqual(config.circuits.publisher_public_keys_hex, [keys.publisher.ed25519_public_key_hex]);
    assert.equal(config.circuits.sealing_keys?.[0]?.kid_hex, keys.sealing.kid_hex);
    assert.equal(config.proof.receipt_keys?.[0]?.ed25519_private_key_hex, keys.receipt.ed25519_private_key_hex);
    assert.ok(!toml.includes(keys.publisher.ed25519_private_key_hex));
    assert.ok(!toml.includes(keys.admin.token));
  });

  it('writes an admin token whose SHA-256 the TOML lists, and the registry accepts it for publishing', async (t) => {
    const out = join(dir, 'admin');
    assert.equal(await main(['--out', out]), 0);
    const token = readFileSync(join(out, 'admin.token'), 'utf8').trim();
    // The keys file's sections as they are, in a test registry (temp state dir and store).
    const reg = await startTestRegistry(parse(readFileSync(join(out, 'registry-keys.toml'), 'utf8')), { t });
    const revokeAs = async (bearer: string) =>
      (
        await call(
          reg.url,
          'POST',
          '/api/admin/revocations',
          { sha256: 'a'.repeat(64) },
          { authorization: `Bearer ${bearer}` },
        )
      ).status;
    assert.equal(await revokeAs(token), 200);
    assert.equal(await revokeAs('wrong'), 401);
  });

  it('`keys --help` and `circuit --help` list their subcommands; a group without one says so (exit 2)', async () => {
    const keys = await runCli(['keys', '--help']);
    assert.equal(keys.code, 0, keys.stderr);
    assert.match(keys.stdout, /keys gen\s+create operator keys/);
    const circuit = await runCli(['circuit', '-h']);
    assert.equal(circuit.code, 0);
    for (const sub of ['mint', 'publish', 'list', 'revoke'])
      assert.match(circuit.stdout, new RegExp(`circuit ${sub} `));
    const bare = await runCli(['circuit']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /"circuit" needs a subcommand[\s\S]*circuit mint/);
    const wrong = await runCli(['keys', 'rotate']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /unknown subcommand "keys rotate"/);
  });

  it('--toml alone prints the sections on stdout and the admin token, once, on stderr', async () => {
    const r = await runCli(['keys', 'gen', '--toml']);
    assert.equal(r.code, 0, r.stderr);
    const token = /admin token \(shown once; the config holds only its SHA-256\): ([0-9a-f]{64})/.exec(r.stderr)?.[1];
    assert.ok(token, r.stderr);
    assert.deepEqual(resolveConfig(parse(r.stdout)).admin.token_sha256_hex, [
      createHash('sha256').update(token).digest('hex'),
    ]);
    assert.ok(!r.stdout.includes(token));
  });

  it('refuses to run without --out or --toml', async () => {
    assert.equal(await main([]), 2);
  });
});
