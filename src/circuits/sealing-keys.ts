// The circuit sealing keys: minted circuits seal their verifier secret to the active one; all unexpired ones unseal.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { configuredOrGenerated, newKeyEntry } from '../config/state.js';
import { bytesToHex, hexToBytes } from '../crypto/encoding.js';
import type { SealRecipient, UnsealKey } from '../crypto/seal.js';
import { x25519Generate, x25519PrivateFromRaw } from '../crypto/x25519.js';

/** `[[circuits.sealing_keys]]` (the schema's computed key name hides the field types from TypeScript). */
interface SealingKeyConfig {
  kid_hex: string;
  x25519_private_key_hex: string;
  active: boolean;
  not_after_epoch_ms?: number;
}

/**
 * The circuit sealing keys: minted circuits seal their verifier secret to the active one; every listed,
 * unexpired key still unseals (rotation like the envelope keys). Generated into state_dir when not configured.
 */
export class SealingKeys {
  readonly keys: readonly UnsealKey[];
  private readonly entries: readonly SealingKeyConfig[];

  constructor(config: Config, log: Logger) {
    const entries = configuredOrGenerated(config.circuits.sealing_keys as SealingKeyConfig[] | undefined, {
      stateDir: config.state_dir,
      name: 'circuit-sealing-keys',
      what: '[[circuits.sealing_keys]]',
      noun: 'a sealing key',
      log,
      generate: () => [newKeyEntry(bytesToHex(x25519Generate().privateKey))],
    });
    this.entries = entries.map((e) => ({
      ...e,
      kid_hex: e.kid_hex.toLowerCase(),
      x25519_private_key_hex: e.x25519_private_key_hex.toLowerCase(),
    }));
    this.keys = this.entries.map(({ kid_hex, x25519_private_key_hex, not_after_epoch_ms }) => ({
      kid_hex,
      x25519_private_key_hex,
      ...(not_after_epoch_ms !== undefined && { not_after_epoch_ms }),
    }));
  }

  /** The public half of the first active, unexpired key: what `circuit mint` seals to. */
  active(now = Date.now()): SealRecipient | undefined {
    const e = this.entries.find((k) => k.active && (k.not_after_epoch_ms === undefined || k.not_after_epoch_ms > now));
    return (
      e && {
        kid_hex: e.kid_hex,
        x25519_public_key_hex: bytesToHex(x25519PrivateFromRaw(hexToBytes(e.x25519_private_key_hex)).publicKey),
      }
    );
  }
}
