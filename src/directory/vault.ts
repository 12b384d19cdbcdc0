// Encryption at rest for the node directory: peppered blind indexes, identity and presence blobs bound to their row.
import { hkdfSync } from 'node:crypto';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadOpen, aeadSeal } from '../crypto/aead.js';
import { randomInto } from '../crypto/sodium.js';
import { blake3 } from '../crypto/blake3.js';
import { utf8ToBytes } from '../crypto/encoding.js';

const BLIND_DOMAIN = utf8ToBytes('enigma:registry:blind:v1');
const FORMAT_V1 = 1;
const HEADER = 1 + AEAD_NONCE_BYTES;

/** What a sealed blob holds; bound into the blob's AAD. */
const PURPOSES = { identity: utf8ToBytes('identity'), presence: utf8ToBytes('presence') };
export type VaultPurpose = keyof typeof PURPOSES;

/**
 * Encryption at rest for the directory. Rows are keyed by a peppered blind index
 * (BLAKE3("enigma:registry:blind:v1" || pepper || user_id), as the Rust registry computes it) and
 * sealed with a key derived from the pepper, so a copy of the database alone tells neither which
 * user ids exist nor their keys. The AAD binds each blob to its row and purpose: blobs cannot be swapped.
 * Blob: format byte || 24-byte nonce || ciphertext and tag, written in place without intermediate copies.
 */
export class Vault {
  private readonly key: Uint8Array;
  constructor(private readonly pepper: Uint8Array) {
    // An empty salt is HKDF's default (HashLen zero bytes), as @noble/hashes' hkdf derived it before.
    this.key = new Uint8Array(hkdfSync('sha256', pepper, new Uint8Array(0), 'enigma-registry:at-rest:v1', 32));
  }

  blindIndex(handle: Uint8Array): Uint8Array {
    return blake3(BLIND_DOMAIN, this.pepper, handle);
  }

  seal(purpose: VaultPurpose, index: Uint8Array, plaintext: Uint8Array): Uint8Array {
    // Memory of its own: a store may keep the blob (the memory store does), and a slice of Buffer's shared
    // pool would pin a whole 8 KiB slab for it.
    const blob = Buffer.allocUnsafeSlow(HEADER + plaintext.length + AEAD_TAG_BYTES);
    blob[0] = FORMAT_V1;
    const nonce = randomInto(blob.subarray(1, HEADER));
    aeadSeal(this.key, nonce, this.aad(purpose, index), plaintext, blob.subarray(HEADER));
    return blob;
  }

  /** Throws when the blob was not sealed by this pepper for this row and purpose. */
  open(purpose: VaultPurpose, index: Uint8Array, blob: Uint8Array): Uint8Array {
    if (blob[0] !== FORMAT_V1 || blob.length < HEADER + AEAD_TAG_BYTES)
      throw new Error('stored blob has an unknown format');
    const plaintext = aeadOpen(this.key, blob.subarray(1, HEADER), this.aad(purpose, index), blob.subarray(HEADER));
    if (!plaintext) throw new Error('stored blob does not authenticate for this row');
    return plaintext;
  }

  /** purpose || index */
  private aad(purpose: VaultPurpose, index: Uint8Array): Uint8Array {
    const prefix = PURPOSES[purpose];
    const aad = Buffer.allocUnsafe(prefix.length + index.length);
    aad.set(prefix, 0);
    aad.set(index, prefix.length);
    return aad;
  }
}
