// The sealed box for a minted circuit's verifier secret, bound to its handle, build and sealing key.
import { hkdfSync } from 'node:crypto';
import { aeadOpen, aeadSeal } from './aead.js';
import { randomInto } from './sodium.js';
import { bytesToHex, concatBytes, parseHex, utf8ToBytes } from './encoding.js';
import { x25519Generate, x25519PrivateFromRaw, x25519Shared, type X25519Private } from './x25519.js';

// Sealed box for a minted circuit's verifier secret: ephemeral X25519 to the registry's circuit sealing key,
// HKDF-SHA256, XChaCha20-Poly1305. The associated data binds the circuit handle, its build id and the
// recipient kid, so a secret cut out of one circuit cannot be replayed inside another.

const INFO = utf8ToBytes('eni6ma:circuit-secret:v1');

/** The JSON form stored in a circuit's `eni6ma.sealed_secret` section. */
export interface SealedSecret {
  v: 1;
  /** kid of the sealing key it is sealed to (8 bytes hex): picks the key among rotated ones. */
  kid_hex: string;
  /** Ephemeral X25519 public key (32 bytes hex). */
  epk_hex: string;
  /** XChaCha20-Poly1305 nonce (24 bytes hex). */
  nonce_hex: string;
  /** Ciphertext and tag (hex). */
  ct_hex: string;
}

export interface SealRecipient {
  kid_hex: string;
  x25519_public_key_hex: string;
}

/** A sealing key as configured (`[[circuits.sealing_keys]]`). */
export interface UnsealKey {
  kid_hex: string;
  x25519_private_key_hex: string;
  not_after_epoch_ms?: number;
}

/** Which circuit the secret belongs to; both must match at unseal time. */
export interface SealBinding {
  handle: string;
  build_id: string;
}

export type SealFailure = 'malformed' | 'unknown_kid' | 'expired_key' | 'refused';

/** Unsealing failed; `reason` says why without revealing anything about the plaintext. */
export class SealError extends Error {
  constructor(
    readonly reason: SealFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SealError';
  }
}

function aad(binding: SealBinding, kid_hex: string): Uint8Array {
  return utf8ToBytes(
    JSON.stringify(['eni6ma:circuit-secret:v1', binding.handle, binding.build_id, kid_hex.toLowerCase()]),
  );
}

function deriveKey(shared: Uint8Array, epk: Uint8Array, recipient: Uint8Array): Uint8Array {
  // An all-zero shared secret means a low-order public key: nothing secret would protect the box.
  if (shared.every((b) => b === 0)) throw new SealError('refused', 'sealed secret refused: low-order X25519 key');
  return new Uint8Array(hkdfSync('sha256', shared, concatBytes(epk, recipient), INFO, 32));
}

export function sealSecret(plaintext: Uint8Array, recipient: SealRecipient, binding: SealBinding): SealedSecret {
  const kid = parseHex(recipient.kid_hex, 8);
  const recipientPub = parseHex(recipient.x25519_public_key_hex, 32);
  if (!kid || !recipientPub)
    throw new Error('sealing key must have an 8-byte kid_hex and a 32-byte x25519_public_key_hex');
  const eph = x25519Generate();
  const shared = x25519Shared(eph, recipientPub);
  eph.privateKey.fill(0);
  const key = deriveKey(shared, eph.publicKey, recipientPub);
  const nonce = randomInto(new Uint8Array(24));
  const kid_hex = bytesToHex(kid);
  const ct = aeadSeal(key, nonce, aad(binding, kid_hex), plaintext);
  key.fill(0);
  return { v: 1, kid_hex, epk_hex: bytesToHex(eph.publicKey), nonce_hex: bytesToHex(nonce), ct_hex: bytesToHex(ct) };
}

// Deriving a key's public half costs as much as the unseal's own X25519; keys are long-lived config objects.
const importedKeys = new WeakMap<UnsealKey, X25519Private>();

function privateKeyOf(entry: UnsealKey, kidHex: string): X25519Private {
  let priv = importedKeys.get(entry);
  if (!priv) {
    const raw = parseHex(entry.x25519_private_key_hex, 32);
    if (!raw) throw new SealError('unknown_kid', `sealing key ${kidHex} is not a 32-byte X25519 key`);
    priv = x25519PrivateFromRaw(raw);
    raw.fill(0);
    importedKeys.set(entry, priv);
  }
  return priv;
}

/**
 * The box keys derived with each sealing key, by ephemeral public key (hex): one per sealed secret, so one
 * per published build. Deriving one (X25519 and HKDF, ~50 µs) on every validate bought nothing: a box key
 * opens only the secret sealed with it, and the sealing key that derives it stays in memory anyway. The
 * plaintext is still opened per run and wiped after it. Builds are published by the operator; the bound
 * is a backstop.
 */
const boxKeys = new WeakMap<UnsealKey, Map<string, Uint8Array>>();
const MAX_BOX_KEYS = 1024;

function boxKeyOf(entry: UnsealKey, kidHex: string, epk: Uint8Array): Uint8Array {
  let keys = boxKeys.get(entry);
  if (!keys) {
    keys = new Map();
    boxKeys.set(entry, keys);
  }
  const id = bytesToHex(epk);
  let key = keys.get(id);
  if (!key) {
    const priv = privateKeyOf(entry, kidHex);
    key = deriveKey(x25519Shared(priv, epk), epk, priv.publicKey);
    if (keys.size >= MAX_BOX_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/**
 * Opens a sealed secret with the configured key of its kid. Throws SealError: unknown kid, an expired key,
 * or a box that does not authenticate (wrong key, tampered bytes, another handle or build).
 */
export function unsealSecret(
  sealed: SealedSecret,
  keys: readonly UnsealKey[],
  binding: SealBinding,
  now = Date.now(),
): Uint8Array {
  const epk = parseHex(sealed.epk_hex, 32);
  const nonce = parseHex(sealed.nonce_hex, 24);
  const ct =
    sealed.ct_hex.length % 2 === 0 && /^[0-9a-f]*$/.test(sealed.ct_hex)
      ? parseHex(sealed.ct_hex, sealed.ct_hex.length / 2)
      : undefined;
  if (sealed.v !== 1 || !parseHex(sealed.kid_hex, 8) || !epk || !nonce || !ct || ct.length < 16) {
    throw new SealError('malformed', 'sealed secret is malformed');
  }
  const entry = keys.find((k) => k.kid_hex.toLowerCase() === sealed.kid_hex.toLowerCase());
  if (!entry)
    throw new SealError(
      'unknown_kid',
      `sealed secret is for sealing key ${sealed.kid_hex}, which this registry does not have`,
    );
  if (entry.not_after_epoch_ms !== undefined && entry.not_after_epoch_ms < now) {
    throw new SealError('expired_key', `sealing key ${sealed.kid_hex} has expired`);
  }
  const plaintext = aeadOpen(boxKeyOf(entry, sealed.kid_hex, epk), nonce, aad(binding, sealed.kid_hex), ct);
  if (!plaintext)
    throw new SealError(
      'refused',
      'sealed secret does not authenticate: wrong sealing key, tampered, or sealed for another circuit handle or build',
    );
  return plaintext;
}

export function encodeSealedSecret(sealed: SealedSecret): Uint8Array {
  return utf8ToBytes(JSON.stringify(sealed));
}

export function decodeSealedSecret(bytes: Uint8Array): SealedSecret {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SealError('malformed', 'sealed secret is not valid JSON');
  }
  const o = v as Record<string, unknown>;
  const fields = ['kid_hex', 'epk_hex', 'nonce_hex', 'ct_hex'] as const;
  if (typeof v !== 'object' || v === null || o.v !== 1 || !fields.every((f) => typeof o[f] === 'string')) {
    throw new SealError('malformed', 'sealed secret has an unknown shape');
  }
  return {
    v: 1,
    kid_hex: o.kid_hex as string,
    epk_hex: o.epk_hex as string,
    nonce_hex: o.nonce_hex as string,
    ct_hex: o.ct_hex as string,
  };
}
