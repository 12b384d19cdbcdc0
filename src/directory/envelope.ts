// The server's envelope of enigma-node-registry 0.0.2: user ids, envelope keys, sealing, parsing and opening.
import { aeadOpen, aeadSeal } from '../crypto/aead.js';
import { randomInto } from '../crypto/sodium.js';
import { blake3 } from '../crypto/blake3.js';
import { bytesToHex, parseBase64, parseHex, toBase64, utf8ToBytes } from '../crypto/encoding.js';
import { x25519Shared, type X25519Private } from '../crypto/x25519.js';

// Wire format of enigma-node-registry 0.0.2. Pure functions: the server, the SDK tests and the
// known-answer vector all go through these. The SDK's own copy (src/client/envelope.ts) runs on @noble/*
// in browsers; test/crypto/cross-check.test.ts keeps the two byte-identical.

const ENVELOPE_DOMAIN = utf8ToBytes('enigma:registry:envelope:v1');
const USER_ID_DOMAIN = utf8ToBytes('enigma:user_id:v1');

export interface EnvelopeWire {
  kid: string;
  sender_pubkey: string;
  nonce: string;
  ciphertext: string;
}

/** user_id = BLAKE3("enigma:user_id:v1" || username) */
export const userIdOf = (username: string): Uint8Array => blake3(USER_ID_DOMAIN, utf8ToBytes(username));

/** key = BLAKE3("enigma:registry:envelope:v1" || pepper || handle || X25519 shared) */
export function envelopeKey(pepper: Uint8Array, handle: Uint8Array, shared: Uint8Array): Uint8Array {
  return blake3(ENVELOPE_DOMAIN, pepper, handle, shared);
}

export interface SealInput {
  pepper: Uint8Array;
  handle: Uint8Array;
  kid: Uint8Array;
  /** Our X25519 key; the envelope's sender_pubkey is its public half. */
  sender: X25519Private;
  recipientPublic: Uint8Array;
  plaintext: Uint8Array;
  nonce?: Uint8Array;
}

export function sealEnvelope(i: SealInput): EnvelopeWire {
  const nonce = i.nonce ?? randomInto(Buffer.allocUnsafe(24));
  const key = envelopeKey(i.pepper, i.handle, x25519Shared(i.sender, i.recipientPublic));
  const ciphertext = aeadSeal(key, nonce, i.handle, i.plaintext);
  return {
    kid: bytesToHex(i.kid),
    sender_pubkey: bytesToHex(i.sender.publicKey),
    nonce: bytesToHex(nonce),
    ciphertext: toBase64(ciphertext),
  };
}

export interface ParsedEnvelope {
  senderPublic: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/** Checks field encodings; returns the field name at fault on failure. */
export function parseEnvelope(e: EnvelopeWire): ParsedEnvelope | { bad: keyof EnvelopeWire } {
  if (!parseHex(e.kid, 8)) return { bad: 'kid' };
  const senderPublic = parseHex(e.sender_pubkey, 32);
  if (!senderPublic) return { bad: 'sender_pubkey' };
  const nonce = parseHex(e.nonce, 24);
  if (!nonce) return { bad: 'nonce' };
  const ciphertext = parseBase64(e.ciphertext);
  if (!ciphertext || ciphertext.length < 16) return { bad: 'ciphertext' };
  return { senderPublic, nonce, ciphertext };
}

/** Opens an envelope addressed to `recipient`; undefined when authentication fails. */
export function openEnvelope(
  pepper: Uint8Array,
  handle: Uint8Array,
  recipient: X25519Private,
  env: ParsedEnvelope,
): Uint8Array | undefined {
  const key = envelopeKey(pepper, handle, x25519Shared(recipient, env.senderPublic));
  return aeadOpen(key, env.nonce, handle, env.ciphertext);
}
