// A minted circuit carries its sealed verifier secret as a WebAssembly custom section. Custom sections do not
// change what the module does, and the artifact's SHA-256 covers them, so the secret is pinned to the build.

export const SEALED_SECRET_SECTION = 'eni6ma.sealed_secret';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

interface CustomSection {
  name: string;
  payload: Uint8Array;
}

/** Custom sections of a wasm binary, in order. Throws on a binary whose section framing is broken. */
function customSections(wasm: Uint8Array): CustomSection[] {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  let pos = 8;
  const readLeb = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= wasm.length) break;
      const b = wasm[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('malformed LEB128 in WebAssembly module');
  };
  const out: CustomSection[] = [];
  while (pos < wasm.length) {
    const id = wasm[pos++]!;
    const size = readLeb();
    const end = pos + size;
    if (end > wasm.length) throw new Error('truncated WebAssembly section');
    if (id === 0) {
      const nameLen = readLeb();
      if (pos + nameLen > end) throw new Error('malformed custom section name');
      const name = utf8.decode(wasm.subarray(pos, pos + nameLen));
      out.push({ name, payload: wasm.subarray(pos + nameLen, end) });
    }
    pos = end;
  }
  return out;
}

/** The module with `sealed` appended as its `eni6ma.sealed_secret` section; refuses a module that has one. */
export function embedSealedSecret(wasm: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (customSections(wasm).some((s) => s.name === SEALED_SECRET_SECTION)) {
    throw new Error(`module already carries a ${SEALED_SECRET_SECTION} section`);
  }
  const name = new TextEncoder().encode(SEALED_SECRET_SECTION);
  const body = [...leb(name.length), ...name];
  const header = [0, ...leb(body.length + sealed.length), ...body];
  const out = new Uint8Array(wasm.length + header.length + sealed.length);
  out.set(wasm, 0);
  out.set(header, wasm.length);
  out.set(sealed, wasm.length + header.length);
  return out;
}

/** The sealed secret bytes, or undefined when the module has none. Two such sections are refused as ambiguous. */
export function readSealedSecret(wasm: Uint8Array): Uint8Array | undefined {
  const found = customSections(wasm).filter((s) => s.name === SEALED_SECRET_SECTION);
  if (found.length > 1) throw new Error(`module carries ${found.length} ${SEALED_SECRET_SECTION} sections`);
  return found[0]?.payload;
}
