import { concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export { concatBytes, hexToBytes, utf8ToBytes };

// Hex and base64 through Buffer (native code) on the hot path: views, no intermediate copies.
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export const bytesToHex = (b: Uint8Array): string => view(b).toString('hex');

/**
 * Strict hex of an exact byte length (either case); undefined when malformed. Buffer's decoder stops at the
 * first pair that is not hex, so a full-length result proves every character was a hex digit.
 */
export function parseHex(s: string, bytes: number): Buffer | undefined {
  if (s.length !== bytes * 2) return undefined;
  const b = Buffer.from(s, 'hex');
  return b.length === bytes ? b : undefined;
}

/** Strict standard base64 (with padding); undefined when malformed. */
export function parseBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

export const toBase64 = (b: Uint8Array): string => view(b).toString('base64');
