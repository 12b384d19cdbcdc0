import assert from 'node:assert/strict';
import { createHash, hkdfSync } from 'node:crypto';
import { test } from 'node:test';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { openEnvelope as sdkOpen, sealEnvelope as sdkSeal } from '../../src/client/envelope.js';
import { parseHex as sdkParseHex } from '../../src/client/encoding.js';
import { proofHash, proofInput } from '../../src/client/wire-proof.js';
import { aeadOpen, aeadSeal } from '../../src/crypto/aead.js';
import { blake3 } from '../../src/crypto/blake3.js';
import { hexToBytes, parseHex, utf8ToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw, x25519Shared } from '../../src/crypto/x25519.js';
import { openEnvelope, parseEnvelope, sealEnvelope } from '../../src/directory/envelope.js';
import { VECTOR } from '../directory/vector.js';

// The server runs on libsodium and hash-wasm, the browser SDK on @noble/*: the same inputs must give the same
// bytes on both sides, on the published vector and on random inputs (a fixed seed, so a failure replays).
const runs = { seed: 0x5eed, numRuns: 200 };
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('known-answer vector: libsodium and noble seal the same envelope, and each opens the other’s', () => {
  const handle = hexToBytes(VECTOR.handleHex);
  const plaintext = utf8ToBytes(VECTOR.plaintext);
  const common = {
    pepper: VECTOR.pepper,
    handle,
    kid: hexToBytes(VECTOR.kidHex),
    recipientPublic: hexToBytes(VECTOR.serverPublicHex),
    plaintext,
    nonce: VECTOR.nonce,
  };
  const server = sealEnvelope({ ...common, sender: x25519PrivateFromRaw(VECTOR.senderPrivate) });
  const sdk = sdkSeal({ ...common, senderPrivate: VECTOR.senderPrivate });
  assert.deepEqual(server, sdk);
  assert.ok(server.ciphertext.startsWith(VECTOR.ciphertextPrefix));
  const parsed = parseEnvelope(sdk);
  assert.ok(!('bad' in parsed));
  assert.equal(
    Buffer.from(openEnvelope(VECTOR.pepper, handle, x25519PrivateFromRaw(VECTOR.serverPrivate), parsed)!).toString(),
    VECTOR.plaintext,
  );
  assert.equal(Buffer.from(sdkOpen(VECTOR.pepper, handle, VECTOR.serverPrivate, server)).toString(), VECTOR.plaintext);
});

test('X25519: libsodium and noble agree on public keys and shared secrets (random keys, low-order peers)', () => {
  fc.assert(
    fc.property(bytes(32), bytes(32), (a, b) => {
      const priv = x25519PrivateFromRaw(a);
      assert.equal(hex(priv.publicKey), hex(x25519.getPublicKey(a)));
      assert.equal(
        hex(x25519Shared(priv, x25519.getPublicKey(b))),
        hex(x25519.getSharedSecret(a, x25519.getPublicKey(b))),
      );
    }),
    runs,
  );
  // noble refuses a low-order peer; the Rust registry and we derive from the all-zero secret instead.
  const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))];
  for (const peer of lowOrder)
    assert.equal(hex(x25519Shared(x25519PrivateFromRaw(VECTOR.serverPrivate), peer)), '00'.repeat(32));
});

test('XChaCha20-Poly1305: libsodium and noble give the same ciphertext and open each other’s; a flipped bit is refused', () => {
  fc.assert(
    fc.property(
      bytes(32),
      bytes(24),
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 600 }),
      fc.nat(),
      (key, nonce, ad, plaintext, at) => {
        const sealed = aeadSeal(key, nonce, ad, plaintext);
        assert.equal(hex(sealed), hex(xchacha20poly1305(key, nonce, ad).encrypt(plaintext)));
        assert.equal(hex(xchacha20poly1305(key, nonce, ad).decrypt(sealed)), hex(plaintext));
        assert.equal(hex(aeadOpen(key, nonce, ad, sealed)!), hex(plaintext));
        const tampered = new Uint8Array(sealed);
        tampered[at % tampered.length]! ^= 1 << (at % 8);
        assert.equal(aeadOpen(key, nonce, ad, tampered), undefined);
      },
    ),
    runs,
  );
});

test('BLAKE3: hash-wasm over parts equals noble over their concatenation (parts smaller and larger than the scratch buffer)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 1200 }), { maxLength: 5 }), (parts) => {
      assert.equal(hex(blake3(...parts)), hex(nobleBlake3(concatBytes(...parts))));
    }),
    runs,
  );
});

test('HKDF-SHA256: node:crypto equals noble, including the empty salt the vault derives with', () => {
  fc.assert(
    fc.property(bytes(32), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 32 }), (ikm, salt, info) => {
      assert.equal(
        hex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32))),
        hex(hkdf(sha256, ikm, salt, info, 32)),
      );
    }),
    runs,
  );
  const ikm = new Uint8Array(32).fill(7);
  assert.equal(
    hex(new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), 'enigma-registry:at-rest:v1', 32))),
    hex(hkdf(sha256, ikm, undefined, utf8ToBytes('enigma-registry:at-rest:v1'), 32)),
  );
});

test('strict hex: the Buffer-based parser accepts and refuses exactly what the SDK’s regex-based one does', () => {
  const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgxz -+\u00e9'), maxLength: 12 });
  fc.assert(
    fc.property(hexish, fc.integer({ min: 0, max: 6 }), (s, n) => {
      const ours = parseHex(s, n);
      const sdk = sdkParseHex(s, n);
      assert.equal(ours && hex(ours), sdk && hex(sdk));
    }),
    { ...runs, numRuns: 2000 },
  );
});

test('proof hash: node:crypto SHA-256 of proofInput (the gateway) equals the SDK’s proofHash, on any Unicode', () => {
  fc.assert(
    fc.property(
      fc.uuid(),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 12 }),
      (nonce, tau, bearings) => {
        const server = createHash('sha256')
          .update(proofInput(nonce, tau, bearings))
          .digest('hex');
        assert.equal(server, proofHash(nonce, tau, bearings));
      },
    ),
    runs,
  );
});
