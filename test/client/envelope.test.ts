import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handleOf, openEnvelope, RegistryError, sealEnvelope } from '../../src/client/index.js';
import { hexToBytes, utf8ToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../../src/crypto/x25519.js';
import * as server from '../../src/directory/envelope.js';
import { VECTOR, vectorEnvelope } from '../directory/vector.js';

const handle = hexToBytes(VECTOR.handleHex);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('the SDK seals the published known-answer vector byte for byte, as the server implementation does', () => {
  const sdk = sealEnvelope({
    pepper: VECTOR.pepper,
    handle,
    kid: hexToBytes(VECTOR.kidHex),
    senderPrivate: VECTOR.senderPrivate,
    recipientPublic: hexToBytes(VECTOR.serverPublicHex),
    plaintext: utf8ToBytes(VECTOR.plaintext),
    nonce: VECTOR.nonce,
  });
  assert.deepEqual(sdk, vectorEnvelope());
  assert.equal(sdk.sender_pubkey, VECTOR.senderPublicHex);
  assert.ok(sdk.ciphertext.startsWith(VECTOR.ciphertextPrefix));
  assert.equal(Buffer.from(sdk.ciphertext, 'base64').length, VECTOR.ciphertextLength);
  assert.equal(handleOf('alice'), VECTOR.handleHex);
  assert.deepEqual(server.userIdOf('alice'), hexToBytes(handleOf('alice')));
});

test('each side opens what the other sealed; altered or mis-keyed envelopes are BAD_ENVELOPE', () => {
  // Server → SDK (what /resolve sends): the SDK opens it with the recipient's private key.
  const requester = new Uint8Array(32).fill(0x42);
  const toSdk = server.sealEnvelope({
    pepper: VECTOR.pepper,
    handle,
    kid: hexToBytes(VECTOR.kidHex),
    sender: x25519PrivateFromRaw(VECTOR.serverPrivate),
    recipientPublic: x25519PrivateFromRaw(requester).publicKey,
    plaintext: utf8ToBytes('from the server'),
  });
  assert.equal(text(openEnvelope(VECTOR.pepper, handle, requester, toSdk)), 'from the server');

  // SDK → server (what /register sends), with a random sender key and nonce.
  const toServer = sealEnvelope({
    pepper: VECTOR.pepper,
    handle,
    kid: hexToBytes(VECTOR.kidHex),
    recipientPublic: hexToBytes(VECTOR.serverPublicHex),
    plaintext: utf8ToBytes('to the server'),
  });
  const parsed = server.parseEnvelope(toServer);
  assert.ok(!('bad' in parsed));
  assert.equal(
    text(server.openEnvelope(VECTOR.pepper, handle, x25519PrivateFromRaw(VECTOR.serverPrivate), parsed)!),
    'to the server',
  );

  const bad = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof RegistryError && e.code === 'BAD_ENVELOPE');
  const flipped = { ...toSdk, ciphertext: (toSdk.ciphertext[0] === 'A' ? 'B' : 'A') + toSdk.ciphertext.slice(1) };
  bad(() => openEnvelope(VECTOR.pepper, handle, requester, flipped));
  bad(() => openEnvelope(new Uint8Array(32), handle, requester, toSdk)); // wrong pepper
  bad(() => openEnvelope(VECTOR.pepper, hexToBytes(handleOf('bob')), requester, toSdk)); // other handle (AAD)
  bad(() => openEnvelope(VECTOR.pepper, handle, new Uint8Array(32).fill(1), toSdk)); // other recipient
  bad(() => openEnvelope(VECTOR.pepper, handle, requester, { ...toSdk, nonce: 'zz' }));
  bad(() => openEnvelope(VECTOR.pepper, handle, requester, { ...toSdk, ciphertext: 'not base64!' }));
});
