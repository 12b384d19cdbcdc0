import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8ToBytes } from '../../src/crypto/encoding.js';
import { Vault } from '../../src/directory/vault.js';

const pepper = new Uint8Array(32).fill(3);
const identity = utf8ToBytes('{"user_id":"ab","username_hint":"alice"}');

test('a sealed blob opens only for its own row, purpose and pepper', () => {
  const vault = new Vault(pepper);
  const index = vault.blindIndex(new Uint8Array(32).fill(1));
  const other = vault.blindIndex(new Uint8Array(32).fill(2));
  const blob = vault.seal('identity', index, identity);
  assert.equal(Buffer.from(vault.open('identity', index, blob)).toString(), Buffer.from(identity).toString());
  // Swapping blobs between rows or purposes, or reading them with another pepper, is refused.
  assert.throws(() => vault.open('identity', other, blob), /does not authenticate/);
  assert.throws(() => vault.open('presence', index, blob), /does not authenticate/);
  assert.throws(() => new Vault(new Uint8Array(32).fill(4)).open('identity', index, blob), /does not authenticate/);
  const tampered = new Uint8Array(blob);
  tampered[tampered.length - 1]! ^= 1;
  assert.throws(() => vault.open('identity', index, tampered), /does not authenticate/);
  assert.throws(() => vault.open('identity', index, blob.subarray(0, 30)), /unknown format/);
});

test('each blob owns its memory: a store that keeps it does not pin a shared 8 KiB pool slab', () => {
  const vault = new Vault(pepper);
  const index = vault.blindIndex(new Uint8Array(32).fill(1));
  const blobs = Array.from({ length: 20 }, () => vault.seal('identity', index, identity));
  for (const b of blobs) assert.equal(b.buffer.byteLength, b.byteLength);
  // Fresh nonces: no two seals of the same plaintext are alike.
  assert.equal(new Set(blobs.map((b) => Buffer.from(b).toString('hex'))).size, blobs.length);
});
