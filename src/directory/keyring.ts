// The envelope keyring: rotated X25519 envelope keys, which one seals and which still open registrations.
import { bytesToHex, hexToBytes } from '../crypto/encoding.js';
import { x25519PrivateFromRaw, type X25519Private } from '../crypto/x25519.js';
import type { EnvelopeKeyConfig } from '../config/schema.js';

export interface EnvelopeKey {
  kid: Uint8Array;
  kidHex: string;
  priv: X25519Private;
  active: boolean;
  notAfterMs?: number;
  /** Its public form, built once: `GET /envelope_pubkey` answers it on every call. */
  public: EnvelopePublicKey;
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
    this.keys = config.map((k) => {
      const kidHex = k.kid_hex.toLowerCase();
      const priv = x25519PrivateFromRaw(hexToBytes(k.x25519_private_key_hex.toLowerCase()));
      const notAfterMs = k.not_after_epoch_ms;
      return {
        kid: hexToBytes(kidHex),
        kidHex,
        priv,
        active: k.active,
        ...(notAfterMs !== undefined && { notAfterMs }),
        public: {
          kid_hex: kidHex,
          x25519_public_key_hex: bytesToHex(priv.publicKey),
          active: k.active,
          ...(notAfterMs !== undefined && { not_after_epoch_ms: notAfterMs }),
        },
      };
    });
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
    return k.public;
  }
}
