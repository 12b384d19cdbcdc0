// BLAKE3-256 of small inputs (blind indexes, envelope keys, user ids) on one reused hash-wasm hasher.
import { createBLAKE3 } from 'hash-wasm';

// BLAKE3 of the ~100-byte inputs we hash (blind indexes, envelope keys, user ids), CPU per call here:
// hash-wasm 1.4–3 µs, @napi-rs/blake-hash 2.9 µs, @noble/hashes 9.6 µs (blake3-wasm 3.0.0 would not
// install). One hasher is reused: every call is synchronous, so no two calls interleave on it.
const hasher = await createBLAKE3();
// Parts are gathered here and passed to the wasm side in one update: each update crosses into wasm and
// copies, and one crossing instead of four saved ~0.9 µs of 1.8 per envelope key.
const scratch = Buffer.allocUnsafeSlow(512);

/** BLAKE3-256 of the concatenation of `parts`. */
export function blake3(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  let n = 0;
  for (const p of parts) {
    if (n + p.length > scratch.length) {
      hasher.update(scratch.subarray(0, n));
      n = 0;
      if (p.length > scratch.length) {
        hasher.update(p);
        continue;
      }
    }
    scratch.set(p, n);
    n += p.length;
  }
  hasher.update(scratch.subarray(0, n));
  return hasher.digest('binary');
}
