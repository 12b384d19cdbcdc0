import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '../../src/crypto/encoding.js';
import {
  canonicalManifestBytes,
  HANDLE_RE,
  signManifest,
  verifyManifest,
  type Manifest,
  type ManifestFields,
} from '../../src/circuits/manifest.js';

const seed = new Uint8Array(32).fill(7);
const publisher = bytesToHex(ed25519.getPublicKey(seed));
const fields: ManifestFields = {
  handle: 'alice.sixzone',
  version: '1.0.0',
  build_id: '0b9a3f52-3c52-4a8e-9e0f-7f2d7b1e0a11',
  kind: 'wasm',
  sha256: 'ab'.repeat(32),
  size: 22919,
  commands: ['info', 'challenge', 'validate-response'],
  created_at: '2026-11-24T05:00:00.000Z',
};

describe('circuit manifest', () => {
  it('signs and verifies against the allowed publisher keys', () => {
    const m = signManifest(fields, seed);
    assert.equal(m.publisher_public_key_hex, publisher);
    assert.equal(verifyManifest(m, [publisher]), true);
    assert.equal(verifyManifest(m, [publisher.toUpperCase()]), true);
    assert.equal(verifyManifest(m, []), false);
    assert.equal(verifyManifest(m, ['cd'.repeat(32)]), false);
  });

  it('fails verification when any signed field is changed', () => {
    const m = signManifest(fields, seed);
    const tampered: Array<Partial<Manifest>> = [
      { handle: 'mallory' },
      { version: '1.0.1' },
      { build_id: 'other' },
      { kind: 'elf' },
      { sha256: 'ac'.repeat(32) },
      { size: 22920 },
      { commands: ['info', 'challenge'] },
      { created_at: '2026-11-24T05:00:01.000Z' },
      { signature_hex: m.signature_hex.slice(0, -2) + (m.signature_hex.endsWith('00') ? '01' : '00') },
    ];
    for (const change of tampered)
      assert.equal(verifyManifest({ ...m, ...change }, [publisher]), false, JSON.stringify(change));
    // Another key re-signing is refused unless that key is allowed.
    const other = signManifest(fields, new Uint8Array(32).fill(9));
    assert.equal(verifyManifest({ ...other }, [publisher]), false);
    assert.equal(
      verifyManifest({ ...m, publisher_public_key_hex: other.publisher_public_key_hex }, [
        publisher,
        other.publisher_public_key_hex,
      ]),
      false,
    );
  });

  it('has canonical bytes independent of key order and excluding the signature', () => {
    const m = signManifest(fields, seed);
    const reordered = Object.fromEntries(Object.entries(m).reverse()) as Manifest;
    assert.deepEqual(canonicalManifestBytes(reordered), canonicalManifestBytes(m));
    const text = new TextDecoder().decode(canonicalManifestBytes(m));
    assert.ok(!text.includes('signature_hex'));
    assert.ok(text.startsWith('{"build_id":'));
  });

  it('refuses out-of-schema fields at signing and at verification', () => {
    assert.throws(() => signManifest({ ...fields, handle: 'Alice' }, seed), /handle/);
    assert.throws(() => signManifest({ ...fields, created_at: 'yesterday' }, seed), /created_at/);
    const m = signManifest(fields, seed);
    assert.equal(verifyManifest({ ...m, extra: 1 } as Manifest, [publisher]), false);
  });

  it('exports the handle syntax', () => {
    for (const ok of ['a', 'alice', 'a.b-c_d', '0x', 'a'.repeat(63)]) assert.ok(HANDLE_RE.test(ok), ok);
    for (const bad of ['', '-a', '.a', 'A', 'a b', 'a/b', 'a'.repeat(64)]) assert.ok(!HANDLE_RE.test(bad), bad);
  });
});
