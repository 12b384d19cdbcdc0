// The few pieces of the WebAssembly binary format (https://webassembly.github.io/spec/core/binary/) the
// executor reads and writes itself: unsigned LEB128 and the section framing `id, size, payload` after the
// 8-byte header. Each caller words its own errors, so the faults here carry a code, not a final message.

export type WasmBinaryFault = 'bad-magic' | 'unexpected-end' | 'bad-leb128' | 'truncated-section';

export class WasmBinaryError extends Error {
  constructor(readonly fault: WasmBinaryFault) {
    super(`malformed WebAssembly binary: ${fault}`);
    this.name = 'WasmBinaryError';
  }
}

/** `n` (an unsigned 32-bit integer) as unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Reads bytes and unsigned LEB128 integers from `pos` on. */
export class WasmReader {
  constructor(
    private readonly b: Uint8Array,
    public pos = 0,
  ) {}

  byte(): number {
    if (this.pos >= this.b.length) throw new WasmBinaryError('unexpected-end');
    return this.b[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 5 bytes (u32 range). */
  leb(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new WasmBinaryError('bad-leb128');
  }
}

/** One section: its id and where it starts (the id byte), where its payload starts, and where it ends. */
export interface WasmSection {
  id: number;
  start: number;
  body: number;
  end: number;
}

/**
 * The sections of a wasm binary, in order, lazily: a walk that stops early does not read (or check) the
 * rest. Throws WasmBinaryError on a bad magic number or a section that runs past the end.
 */
export function* wasmSections(bytes: Uint8Array): Generator<WasmSection> {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmBinaryError('bad-magic');
  }
  const r = new WasmReader(bytes, 8);
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.leb();
    const body = r.pos;
    if (body + size > bytes.length) throw new WasmBinaryError('truncated-section');
    yield { id, start, body, end: body + size };
    r.pos = body + size;
  }
}
