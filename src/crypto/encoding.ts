// The server's hex, base64 and UTF-8 conversions through Buffer, with strict hex and base64 parsers.
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';

export { concatBytes, hexToBytes };

// Hex, base64 and UTF-8 through Buffer (native code) on the hot path: views, no intermediate copies.
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** UTF-8 bytes of `s`: 0.4 µs for an identity here, against 2 µs for noble's (a TextEncoder and a copy per call). */
export const utf8ToBytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

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
