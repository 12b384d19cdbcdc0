// The SDK's directory envelope on @noble: sealing and opening identities, and the user id of a username.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake3 } from '@noble/hashes/blake3.js';
import type { Static } from 'typebox';
import type { EnvelopeSchema } from './wire-directory.js';
import { bytesToHex, concatBytes, fromBase64, parseHex, randomBytes, toBase64, utf8ToBytes } from './encoding.js';
import { RegistryError } from './errors.js';

// The directory envelope of enigma-node-registry 0.0.2 on @noble/* (the server's src/directory/envelope.ts
// uses libsodium; test/crypto/cross-check.test.ts checks both on the published vector and random inputs).

export type EnvelopeWire = Static<typeof EnvelopeSchema>;

const ENVELOPE_DOMAIN = utf8ToBytes('enigma:registry:envelope:v1');
const USER_ID_DOMAIN = utf8ToBytes('enigma:user_id:v1');

/** user_id = BLAKE3("enigma:user_id:v1" || username) */
export const userIdOf = (username: string): Uint8Array => blake3(concatBytes(USER_ID_DOMAIN, utf8ToBytes(username)));

/** The directory handle (hex user id) of a username. */
export const handleOf = (username: string): string => bytesToHex(userIdOf(username));

const envelopeKey = (pepper: Uint8Array, handle: Uint8Array, shared: Uint8Array) =>
  blake3(concatBytes(ENVELOPE_DOMAIN, pepper, handle, shared));

export interface SealOptions {
  pepper: Uint8Array;
  handle: Uint8Array;
  kid: Uint8Array;
  recipientPublic: Uint8Array;
  plaintext: Uint8Array;
  /** Our X25519 private key; a fresh one when omitted. */
  senderPrivate?: Uint8Array;
  /** 24 bytes; random when omitted (fixed only for known-answer tests). */
  nonce?: Uint8Array;
}

export function sealEnvelope(o: SealOptions): EnvelopeWire {
  const senderPrivate = o.senderPrivate ?? x25519.utils.randomSecretKey();
  const nonce = o.nonce ?? randomBytes(24);
  const key = envelopeKey(o.pepper, o.handle, x25519.getSharedSecret(senderPrivate, o.recipientPublic));
  return {
    kid: bytesToHex(o.kid),
    sender_pubkey: bytesToHex(x25519.getPublicKey(senderPrivate)),
    nonce: bytesToHex(nonce),
    ciphertext: toBase64(xchacha20poly1305(key, nonce, o.handle).encrypt(o.plaintext)),
  };
}

/** Opens an envelope addressed to `recipientPrivate`; RegistryError BAD_ENVELOPE when malformed or not authentic. */
export function openEnvelope(
  pepper: Uint8Array,
  handle: Uint8Array,
  recipientPrivate: Uint8Array,
  e: EnvelopeWire,
): Uint8Array {
  const senderPublic = parseHex(e.sender_pubkey, 32);
  const nonce = parseHex(e.nonce, 24);
  const ciphertext = fromBase64(e.ciphertext);
  if (!senderPublic || !nonce || !ciphertext || ciphertext.length < 16)
    throw new RegistryError('BAD_ENVELOPE', 'malformed envelope');
  try {
    const key = envelopeKey(pepper, handle, x25519.getSharedSecret(recipientPrivate, senderPublic));
    return xchacha20poly1305(key, nonce, handle).decrypt(ciphertext);
  } catch (cause) {
    throw new RegistryError(
      'BAD_ENVELOPE',
      'envelope does not open (wrong pepper or key, or altered)',
      0,
      undefined,
      undefined,
      { cause },
    );
  }
}
