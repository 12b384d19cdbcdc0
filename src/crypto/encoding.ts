import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes, hexToBytes, utf8ToBytes };

/** Strict hex of an exact byte length (either case); undefined when malformed. */
export function parseHex(s: string, bytes: number): Uint8Array | undefined {
  if (s.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  return hexToBytes(s.toLowerCase());
}

/** Strict standard base64 (with padding); undefined when malformed. */
export function parseBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export const toBase64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
