// The sixzone circuit's SHA-256 byte stream, ported for the analyser's deals and its own reproducible draws.
import { createHash } from 'node:crypto';

/**
 * The sixzone circuit's byte stream (circuits/sixzone/README.md): block k of stream `index` under a 32-byte
 * key is SHA-256(key ‖ u32be(index) ‖ u32be(k) ‖ 24 zero bytes). The circuit keys it with the challenge seed
 * and indexes it by round; the analyser also keys it with a hash of `--seed` for its own reproducible draws.
 */
export class HashStream {
  private readonly block = new Uint8Array(64);
  private out = new Uint8Array(0);
  private pos = 32;
  private counter = 0;

  constructor(key: Uint8Array, index: number) {
    if (key.length !== 32) throw new RangeError('HashStream key must be 32 bytes');
    this.block.set(key);
    new DataView(this.block.buffer).setUint32(32, index);
  }

  byte(): number {
    if (this.pos === 32) {
      new DataView(this.block.buffer).setUint32(36, this.counter++);
      this.out = createHash('sha256').update(this.block).digest();
      this.pos = 0;
    }
    return this.out[this.pos++]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.byte();
    return out;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 256, by rejection as the circuit does (no modulo bias). */
  below(n: number): number {
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (the circuit's Fisher–Yates: i from n−1 down to 1). */
  shuffle(n: number): Uint8Array {
    const a = Uint8Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

/** The 32-byte key of the analyser's own draws for a `--seed` text. */
export function analysisKey(seed: string): Uint8Array {
  return createHash('sha256').update(`enigma-registry analyze v1\0${seed}`).digest();
}
