// Node directory test helpers: test identities, envelopes sealed as the messenger daemon does, resolve opening.
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/crypto/encoding.js';
import { x25519Generate, x25519PrivateFromRaw } from '../../src/crypto/x25519.js';
import {
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  userIdOf,
  type EnvelopeWire,
} from '../../src/directory/envelope.js';
import type { PublicIdentity } from '../../src/client/wire-identity.js';

export function identityFor(username: string, extra: Partial<PublicIdentity> = {}): PublicIdentity {
  return {
    user_id: bytesToHex(userIdOf(username)),
    username_hint: username,
    signing_public_key: [1, 2, 3],
    encryption_public_key: [4, 5, 6],
    signature: [7, 8, 9],
    created_at_ms: 1_700_000_000_000,
    ...extra,
  };
}

/** Seals any plaintext to the server key exactly as the messenger daemon does. */
export function sealTo(
  server: { kid_hex: string; x25519_public_key_hex: string },
  pepperHex: string,
  handleHex: string,
  plaintext: string | object,
): EnvelopeWire {
  return sealEnvelope({
    pepper: hexToBytes(pepperHex),
    handle: hexToBytes(handleHex),
    kid: hexToBytes(server.kid_hex),
    sender: x25519PrivateFromRaw(x25519Generate().privateKey),
    recipientPublic: hexToBytes(server.x25519_public_key_hex),
    plaintext: utf8ToBytes(typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext)),
  });
}

/** A requester key pair and a function that opens what /resolve sealed to it. */
export function requester(pepperHex: string) {
  const raw = x25519Generate().privateKey;
  const priv = x25519PrivateFromRaw(raw);
  return {
    publicHex: bytesToHex(priv.publicKey),
    open(handleHex: string, env: EnvelopeWire): unknown {
      const parsed = parseEnvelope(env);
      if ('bad' in parsed) throw new Error(`bad envelope field ${parsed.bad}`);
      const pt = openEnvelope(hexToBytes(pepperHex), hexToBytes(handleHex.toLowerCase()), priv, parsed);
      if (!pt) throw new Error('resolve envelope did not open');
      return JSON.parse(new TextDecoder().decode(pt));
    },
  };
}
