// Browser-safe byte encodings (no Buffer): hex from @noble/hashes, base64 from the global btoa/atob.
export { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { hexToBytes } from '@noble/hashes/utils.js';

export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Strict standard base64 (with padding); undefined when malformed. */
export function fromBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** Strict hex of an exact byte length (either case); undefined when malformed. */
export function parseHex(s: string, bytes: number): Uint8Array | undefined {
  return s.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(s) ? hexToBytes(s.toLowerCase()) : undefined;
}
