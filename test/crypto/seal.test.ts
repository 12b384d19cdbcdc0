import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, utf8ToBytes } from '../../src/crypto/encoding.js';
import {
  decodeSealedSecret,
  encodeSealedSecret,
  SealError,
  sealSecret,
  unsealSecret,
  type SealedSecret,
} from '../../src/crypto/seal.js';
import { x25519Generate } from '../../src/crypto/x25519.js';

function keyPair(kid_hex: string, not_after_epoch_ms?: number) {
  const { privateKey, publicKey } = x25519Generate();
  return {
    recipient: { kid_hex, x25519_public_key_hex: bytesToHex(publicKey) },
    key: {
      kid_hex,
      x25519_private_key_hex: bytesToHex(privateKey),
      ...(not_after_epoch_ms === undefined ? {} : { not_after_epoch_ms }),
    },
  };
}

const binding = { handle: 'alice', build_id: 'b-1' };
const plain = utf8ToBytes('{"symbols":"K7Q2"}');
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function refused(fn: () => unknown, reason: SealError['reason']) {
  assert.throws(fn, (e: unknown) => e instanceof SealError && e.reason === reason);
}

/** Flips one hex digit of a field. */
function flip(sealed: SealedSecret, field: 'epk_hex' | 'nonce_hex' | 'ct_hex', at = 0): SealedSecret {
  const s = sealed[field];
  const c = s[at] === '0' ? '1' : '0';
  return { ...sealed, [field]: s.slice(0, at) + c + s.slice(at + 1) };
}

describe('seal', () => {
  it('round-trips, and each seal is fresh', () => {
    const { recipient, key } = keyPair('0102030405060708');
    const a = sealSecret(plain, recipient, binding);
    const b = sealSecret(plain, recipient, binding);
    assert.notEqual(a.ct_hex, b.ct_hex);
    assert.notEqual(a.epk_hex, b.epk_hex);
    assert.equal(a.kid_hex, '0102030405060708');
    assert.ok(!a.ct_hex.includes(bytesToHex(plain).slice(0, 16)));
    assert.equal(text(unsealSecret(a, [key], binding)), text(plain));
    assert.deepEqual(decodeSealedSecret(encodeSealedSecret(a)), a);
  });

  it('refuses tampering with the ciphertext, tag, nonce or ephemeral key', () => {
    const { recipient, key } = keyPair('0102030405060708');
    const s = sealSecret(plain, recipient, binding);
    refused(() => unsealSecret(flip(s, 'ct_hex'), [key], binding), 'refused');
    refused(() => unsealSecret(flip(s, 'ct_hex', s.ct_hex.length - 1), [key], binding), 'refused');
    refused(() => unsealSecret(flip(s, 'nonce_hex'), [key], binding), 'refused');
    refused(() => unsealSecret(flip(s, 'epk_hex', 2), [key], binding), 'refused');
    refused(() => unsealSecret({ ...s, ct_hex: s.ct_hex.slice(0, -2) }, [key], binding), 'refused');
  });

  it('refuses a secret sealed for another handle or build', () => {
    const { recipient, key } = keyPair('0102030405060708');
    const s = sealSecret(plain, recipient, binding);
    refused(() => unsealSecret(s, [key], { handle: 'mallory', build_id: 'b-1' }), 'refused');
    refused(() => unsealSecret(s, [key], { handle: 'alice', build_id: 'b-2' }), 'refused');
  });

  it('refuses the wrong key, an unknown kid and an expired key; picks the key by kid among rotated ones', () => {
    const one = keyPair('0101010101010101');
    const two = keyPair('0202020202020202');
    const s = sealSecret(plain, two.recipient, binding);
    assert.equal(text(unsealSecret(s, [one.key, two.key], binding)), text(plain));
    refused(() => unsealSecret(s, [one.key], binding), 'unknown_kid');
    // Another key under the right kid: the box does not open.
    refused(() => unsealSecret(s, [{ ...one.key, kid_hex: '0202020202020202' }], binding), 'refused');
    // A rewritten kid does not help either: the kid is bound into the associated data.
    refused(
      () => unsealSecret({ ...s, kid_hex: '0101010101010101' }, [{ ...two.key, kid_hex: '0101010101010101' }], binding),
      'refused',
    );
    refused(() => unsealSecret(s, [{ ...two.key, not_after_epoch_ms: 1000 }], binding, 2000), 'expired_key');
  });

  it('a box key kept from an earlier unseal opens nothing more: tampering, another binding, expiry still refused', () => {
    const { recipient, key } = keyPair('0102030405060708');
    const expiring = { ...key, not_after_epoch_ms: 5000 };
    const s = sealSecret(plain, recipient, binding);
    assert.equal(text(unsealSecret(s, [expiring], binding, 1000)), text(plain));
    assert.equal(text(unsealSecret(s, [expiring], binding, 1000)), text(plain)); // the kept key serves again
    refused(() => unsealSecret(flip(s, 'ct_hex'), [expiring], binding, 1000), 'refused');
    refused(() => unsealSecret(flip(s, 'nonce_hex'), [expiring], binding, 1000), 'refused');
    refused(() => unsealSecret(s, [expiring], { handle: 'mallory', build_id: 'b-1' }, 1000), 'refused');
    refused(() => unsealSecret(s, [expiring], binding, 6000), 'expired_key');
    // Another secret sealed to the same key has a box key of its own.
    const other = sealSecret(utf8ToBytes('{"symbols":"ZZZZ"}'), recipient, binding);
    assert.equal(text(unsealSecret(other, [expiring], binding, 1000)), '{"symbols":"ZZZZ"}');
    refused(() => unsealSecret({ ...other, epk_hex: s.epk_hex }, [expiring], binding, 1000), 'refused');
  });

  it('refuses to seal to a low-order key and rejects malformed boxes', () => {
    assert.throws(
      () => sealSecret(plain, { kid_hex: '0102030405060708', x25519_public_key_hex: '00'.repeat(32) }, binding),
      /low-order/,
    );
    refused(() => decodeSealedSecret(utf8ToBytes('not json')), 'malformed');
    refused(() => decodeSealedSecret(utf8ToBytes('{"v":2}')), 'malformed');
    const { recipient, key } = keyPair('0102030405060708');
    const s = sealSecret(plain, recipient, binding);
    refused(() => unsealSecret({ ...s, epk_hex: 'zz' }, [key], binding), 'malformed');
    // An all-zero ephemeral key would make the shared secret public.
    refused(() => unsealSecret({ ...s, epk_hex: '00'.repeat(32) }, [key], binding), 'refused');
  });
});
