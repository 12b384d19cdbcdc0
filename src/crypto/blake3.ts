import { createBLAKE3 } from 'hash-wasm';

// BLAKE3 of the ~100-byte inputs we hash (blind indexes, envelope keys, user ids), CPU per call here:
// hash-wasm 1.4–3 µs, @napi-rs/blake-hash 2.9 µs, @noble/hashes 9.6 µs (blake3-wasm 3.0.0 would not
// install). One hasher is reused: every call is synchronous, so no two calls interleave on it, and the
// parts are fed in turn instead of being concatenated first.
const hasher = await createBLAKE3();

/** BLAKE3-256 of the concatenation of `parts`. */
export function blake3(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  for (const p of parts) hasher.update(p);
  return hasher.digest('binary');
}
