import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { parse } from 'smol-toml';
import { main, generateOperatorKeys, operatorKeysToml } from '../../src/cli/keys.js';
import { resolveConfig } from '../../src/config/load.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../../src/crypto/x25519.js';

const dir = mkdtempSync(join(tmpdir(), 'keys-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('keys gen', () => {
  it('writes every key file with mode 0600 and refuses to overwrite them', async () => {
    const out = join(dir, 'keys');
    assert.equal(await main(['--out', out]), 0);
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['envelope.key.json', 'publisher.key.json', 'receipt.key.json', 'registry-keys.toml', 'sealing.key.json', 'sealing.pub.json']);
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
    assert.deepEqual(read('sealing.pub.json'), { kid_hex: sealing.kid_hex, x25519_public_key_hex: sealing.x25519_public_key_hex });
    assert.equal(bytesToHex(x25519PrivateFromRaw(hexToBytes(sealing.x25519_private_key_hex!)).publicKey), sealing.x25519_public_key_hex);
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
  });

  it('refuses to run without --out or --toml', async () => {
    assert.equal(await main([]), 2);
  });
});
