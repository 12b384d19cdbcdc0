import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { concatBytes, utf8ToBytes } from '../crypto/encoding.js';

const BLIND_DOMAIN = utf8ToBytes('enigma:registry:blind:v1');
const FORMAT_V1 = 1;

/**
 * Encryption at rest for the directory. Rows are keyed by a peppered blind index
 * (BLAKE3("enigma:registry:blind:v1" || pepper || user_id), as the Rust registry computes it) and
 * sealed with a key derived from the pepper, so a copy of the database alone tells neither which
 * user ids exist nor their keys. The AAD binds each blob to its row and purpose: blobs cannot be swapped.
 */
export class Vault {
  private readonly key: Uint8Array;
  constructor(private readonly pepper: Uint8Array) {
    this.key = hkdf(sha256, pepper, undefined, utf8ToBytes('enigma-registry:at-rest:v1'), 32);
  }

  blindIndex(handle: Uint8Array): Uint8Array {
    return blake3(concatBytes(BLIND_DOMAIN, this.pepper, handle));
  }

  seal(purpose: string, index: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const nonce = new Uint8Array(randomBytes(24));
    const ct = xchacha20poly1305(this.key, nonce, concatBytes(utf8ToBytes(purpose), index)).encrypt(plaintext);
    return concatBytes(Uint8Array.of(FORMAT_V1), nonce, ct);
  }

  /** Throws when the blob was not sealed by this pepper for this row and purpose. */
  open(purpose: string, index: Uint8Array, blob: Uint8Array): Uint8Array {
    if (blob[0] !== FORMAT_V1 || blob.length < 1 + 24 + 16) throw new Error('stored blob has an unknown format');
    return xchacha20poly1305(this.key, blob.subarray(1, 25), concatBytes(utf8ToBytes(purpose), index)).decrypt(blob.subarray(25));
  }
}
