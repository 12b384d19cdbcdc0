// A minted circuit carries its sealed verifier secret as a WebAssembly custom section. Custom sections do not
// change what the module does, and the artifact's SHA-256 covers them, so the secret is pinned to the build.

import { uleb, WasmBinaryError, WasmReader, wasmSections, type WasmBinaryFault } from './wasm-binary.js';

export const SEALED_SECRET_SECTION = 'eni6ma.sealed_secret';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const FAULTS: Record<WasmBinaryFault, string> = {
  'bad-magic': 'not a WebAssembly module',
  'truncated-section': 'truncated WebAssembly section',
  'unexpected-end': 'malformed LEB128 in WebAssembly module',
  'bad-leb128': 'malformed LEB128 in WebAssembly module',
};

interface CustomSection {
  name: string;
  payload: Uint8Array;
}

/** Custom sections of a wasm binary, in order. Throws on a binary whose section framing is broken. */
function customSections(wasm: Uint8Array): CustomSection[] {
  const out: CustomSection[] = [];
  try {
    for (const s of wasmSections(wasm)) {
      if (s.id !== 0) continue;
      const r = new WasmReader(wasm, s.body);
      const nameLen = r.leb();
      if (r.pos + nameLen > s.end) throw new Error('malformed custom section name');
      const name = utf8.decode(wasm.subarray(r.pos, r.pos + nameLen));
      out.push({ name, payload: wasm.subarray(r.pos + nameLen, s.end) });
    }
  } catch (e) {
    if (e instanceof WasmBinaryError) throw new Error(FAULTS[e.fault]);
    throw e;
  }
  return out;
}

/** The module with `sealed` appended as its `eni6ma.sealed_secret` section; refuses a module that has one. */
export function embedSealedSecret(wasm: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (customSections(wasm).some((s) => s.name === SEALED_SECRET_SECTION)) {
    throw new Error(`module already carries a ${SEALED_SECRET_SECTION} section`);
  }
  const name = new TextEncoder().encode(SEALED_SECRET_SECTION);
  const body = [...uleb(name.length), ...name];
  const header = [0, ...uleb(body.length + sealed.length), ...body];
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
