import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';

// Node's X25519 (OpenSSL) is several times faster than a JS implementation; DER wrappers turn raw keys
// into KeyObjects. The prefixes are the fixed ASN.1 headers of PKCS#8 / SPKI for OID 1.3.101.110.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519Private {
  key: KeyObject;
  publicKey: Uint8Array;
}

export function x25519PrivateFromRaw(raw: Uint8Array): X25519Private {
  if (raw.length !== 32) throw new Error('x25519 private key must be 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return { key, publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)) };
}

export function x25519Generate(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey: new Uint8Array(pkcs8.subarray(PKCS8_PREFIX.length)),
    publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)),
  };
}

/**
 * X25519(private, peer). A low-order peer key makes OpenSSL refuse the all-zero result; the Rust
 * registry (x25519-dalek) returns the zeros instead, and so do we, so that both derive the same key.
 */
export function x25519Shared(priv: X25519Private, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.length !== 32) throw new Error('x25519 public key must be 32 bytes');
  // JWK import is ~13x cheaper than parsing DER (measured 8 vs 100 µs); this runs on every register and resolve.
  const x = Buffer.from(peerPublic.buffer, peerPublic.byteOffset, peerPublic.byteLength).toString('base64url');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  try {
    return new Uint8Array(diffieHellman({ privateKey: priv.key, publicKey }));
  } catch {
    return new Uint8Array(32);
  }
}
