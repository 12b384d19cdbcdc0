import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, hexToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../../src/crypto/x25519.js';
import { openEnvelope, parseEnvelope, userIdOf } from '../../src/directory/envelope.js';
import { VECTOR, vectorEnvelope } from './vector.js';

test('user id of alice (known answer)', () => {
  assert.equal(bytesToHex(userIdOf('alice')), VECTOR.handleHex);
});

test('server public key from the vector private key (known answer)', () => {
  assert.equal(bytesToHex(x25519PrivateFromRaw(VECTOR.serverPrivate).publicKey), VECTOR.serverPublicHex);
  assert.equal(bytesToHex(x25519PrivateFromRaw(VECTOR.senderPrivate).publicKey), VECTOR.senderPublicHex);
});

test('envelope seal matches the known-answer ciphertext and opens with the server key', () => {
  const handle = hexToBytes(VECTOR.handleHex);
  const server = x25519PrivateFromRaw(VECTOR.serverPrivate);
  const env = vectorEnvelope();
  assert.ok(env.ciphertext.startsWith(VECTOR.ciphertextPrefix), env.ciphertext);
  assert.equal(Buffer.from(env.ciphertext, 'base64').length, VECTOR.ciphertextLength);
  assert.equal(env.sender_pubkey, VECTOR.senderPublicHex);
  const parsed = parseEnvelope(env);
  assert.ok(!('bad' in parsed));
  const opened = openEnvelope(VECTOR.pepper, handle, server, parsed);
  assert.equal(new TextDecoder().decode(opened), VECTOR.plaintext);
  // The handle is the AAD: the same envelope under another handle must not open.
  const other = new Uint8Array(handle);
  other[0]! ^= 1;
  assert.equal(openEnvelope(VECTOR.pepper, other, server, parsed), undefined);
});

test('a low-order sender key derives from an all-zero shared secret instead of throwing', () => {
  const server = x25519PrivateFromRaw(VECTOR.serverPrivate);
  const env = parseEnvelope({
    kid: VECTOR.kidHex,
    sender_pubkey: '00'.repeat(32),
    nonce: '00'.repeat(24),
    ciphertext: 'A'.repeat(24),
  });
  assert.ok(!('bad' in env));
  assert.equal(openEnvelope(VECTOR.pepper, hexToBytes(VECTOR.handleHex), server, env), undefined);
});

test('parseEnvelope names the malformed field', () => {
  const good = {
    kid: VECTOR.kidHex,
    sender_pubkey: VECTOR.senderPublicHex,
    nonce: '00'.repeat(24),
    ciphertext: 'A'.repeat(24),
  };
  assert.deepEqual(parseEnvelope({ ...good, kid: 'zz' }), { bad: 'kid' });
  assert.deepEqual(parseEnvelope({ ...good, sender_pubkey: 'ab' }), { bad: 'sender_pubkey' });
  assert.deepEqual(parseEnvelope({ ...good, nonce: '00' }), { bad: 'nonce' });
  assert.deepEqual(parseEnvelope({ ...good, ciphertext: 'not base64!' }), { bad: 'ciphertext' });
});
