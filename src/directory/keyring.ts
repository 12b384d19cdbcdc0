import { bytesToHex, hexToBytes } from '../crypto/encoding.js';
import { x25519PrivateFromRaw, type X25519Private } from '../crypto/x25519.js';
import type { EnvelopeKeyConfig } from '../config/schema.js';

export interface EnvelopeKey {
  kid: Uint8Array;
  kidHex: string;
  priv: X25519Private;
  active: boolean;
  notAfterMs?: number;
}

export interface EnvelopePublicKey {
  kid_hex: string;
  x25519_public_key_hex: string;
  active: boolean;
  not_after_epoch_ms?: number;
}

/**
 * The envelope keys in config order. Any unexpired key opens a registration (rotation); the first
 * active unexpired key seals resolves and is the one `GET /envelope_pubkey` advertises.
 */
export class EnvelopeKeyring {
  readonly keys: EnvelopeKey[];
  constructor(config: EnvelopeKeyConfig[]) {
    this.keys = config.map((k) => ({
      kid: hexToBytes(k.kid_hex.toLowerCase()),
      kidHex: k.kid_hex.toLowerCase(),
      priv: x25519PrivateFromRaw(hexToBytes(k.x25519_private_key_hex.toLowerCase())),
      active: k.active,
      ...(k.not_after_epoch_ms !== undefined && { notAfterMs: k.not_after_epoch_ms }),
    }));
  }

  private static usable(k: EnvelopeKey, now: number): boolean {
    return k.notAfterMs === undefined || now <= k.notAfterMs;
  }

  find(kidHex: string, now = Date.now()): EnvelopeKey | undefined {
    const kid = kidHex.toLowerCase();
    return this.keys.find((k) => k.kidHex === kid && EnvelopeKeyring.usable(k, now));
  }

  active(now = Date.now()): EnvelopeKey | undefined {
    return this.keys.find((k) => k.active && EnvelopeKeyring.usable(k, now));
  }

  expired(now = Date.now()): EnvelopeKey[] {
    return this.keys.filter((k) => !EnvelopeKeyring.usable(k, now));
  }

  static publicOf(k: EnvelopeKey): EnvelopePublicKey {
    return {
      kid_hex: k.kidHex,
      x25519_public_key_hex: bytesToHex(k.priv.publicKey),
      active: k.active,
      ...(k.notAfterMs !== undefined && { not_after_epoch_ms: k.notAfterMs }),
    };
  }
}
