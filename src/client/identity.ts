// Node directory identities in the SDK: creating a self-signed one for a username and checking its signature.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import type { PublicIdentity } from './wire-identity.js';
import { bytesToHex, utf8ToBytes } from './encoding.js';
import { handleOf } from './envelope.js';

export type { PublicIdentity };

export interface GeneratedIdentity {
  identity: PublicIdentity;
  /** Keep these private: the Ed25519 signing seed and the X25519 encryption key, hex. */
  secret: { signing_private_key_hex: string; encryption_private_key_hex: string };
}

/** The bytes an identity's signature covers: its JSON without `signature`, fields in wire order. */
export const identitySigningBytes = (i: Omit<PublicIdentity, 'signature'>): Uint8Array =>
  utf8ToBytes(
    JSON.stringify({
      user_id: i.user_id.toLowerCase(),
      username_hint: i.username_hint,
      signing_public_key: i.signing_public_key,
      encryption_public_key: i.encryption_public_key,
      created_at_ms: i.created_at_ms,
    }),
  );

/**
 * A new identity for `username` with fresh Ed25519 (signing) and X25519 (encryption) keys, self-signed over
 * identitySigningBytes. The registry checks only the shape; the signature lets peers check the binding.
 */
export function createIdentity(username: string, now = Date.now()): GeneratedIdentity {
  const signing = ed25519.utils.randomSecretKey();
  const encryption = x25519.utils.randomSecretKey();
  const unsigned = {
    user_id: handleOf(username),
    username_hint: username,
    signing_public_key: [...ed25519.getPublicKey(signing)],
    encryption_public_key: [...x25519.getPublicKey(encryption)],
    created_at_ms: now,
  };
  const signature = [...ed25519.sign(identitySigningBytes(unsigned), signing)];
  return {
    identity: { ...unsigned, signature },
    secret: { signing_private_key_hex: bytesToHex(signing), encryption_private_key_hex: bytesToHex(encryption) },
  };
}

/** Whether an identity's signature verifies under its own signing key (identitySigningBytes convention). */
export function identitySignatureValid(i: PublicIdentity): boolean {
  try {
    return ed25519.verify(Uint8Array.from(i.signature), identitySigningBytes(i), Uint8Array.from(i.signing_public_key));
  } catch {
    return false;
  }
}
