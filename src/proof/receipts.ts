// Signing proof receipts as EdDSA JWTs with rotating receipt keys, and the JWKS that verifies them.
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { configuredOrGenerated } from '../config/state.js';
import { sodium } from '../crypto/sodium.js';

/** `[[proof.receipt_keys]]` (the schema's computed key name hides the field types from TypeScript). */
interface ReceiptKeyConfig {
  kid_hex: string;
  ed25519_private_key_hex: string;
  active: boolean;
  not_after_epoch_ms?: number;
}

interface ReceiptKey {
  kid: string;
  active: boolean;
  notAfter: number | undefined;
  /** libsodium's Ed25519 secret key (seed ‖ public key), in guarded memory of its own. */
  secretKey: Buffer;
  jwk: JWK;
  /** The JWS protected header, base64url: the same for every receipt of this key. */
  header: string;
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

export interface ReceiptClaims {
  handle: string;
  build_id: string;
  sha256: string;
  nonce_uuid: string;
}

/**
 * Signs proof receipts: a compact EdDSA JWS (JWT) with `iss`, `sub` (circuit handle), `circuit_sha256`,
 * `build_id`, `nonce` (= `jti`), `iat`, `exp`, and `kid` in the header. Keys rotate like the envelope keys:
 * the first active unexpired key signs, every unexpired key is published in the JWKS so that receipts
 * signed before a rotation still verify. Generated into state_dir when not configured.
 */
export class ReceiptSigner {
  private readonly keys: ReceiptKey[];

  constructor(
    config: Pick<Config, 'proof' | 'state_dir'>,
    log: Logger,
    private readonly ttlSeconds = config.proof.receipt_ttl_seconds,
  ) {
    const entries = configuredOrGenerated(config.proof.receipt_keys as ReceiptKeyConfig[] | undefined, {
      stateDir: config.state_dir,
      name: 'receipt-keys',
      what: '[[proof.receipt_keys]]',
      noun: 'a receipt key',
      log,
      generate: (): ReceiptKeyConfig[] => [
        {
          kid_hex: randomBytes(8).toString('hex'),
          ed25519_private_key_hex: randomBytes(32).toString('hex'),
          active: true,
        },
      ],
    });
    this.keys = entries.map((e) => {
      const seed = Buffer.from(e.ed25519_private_key_hex, 'hex');
      const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
      const secretKey = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
      sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
      seed.fill(0);
      const kid = e.kid_hex.toLowerCase();
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url'), kid, alg: 'EdDSA', use: 'sig' };
      const header = b64url(JSON.stringify({ alg: 'EdDSA', kid, typ: 'JWT' }));
      return { kid, active: e.active, notAfter: e.not_after_epoch_ms, secretKey, jwk, header };
    });
  }

  private usable(now: number): ReceiptKey[] {
    return this.keys.filter((k) => k.notAfter === undefined || k.notAfter > now);
  }

  /** Public keys of every unexpired receipt key (`GET /.well-known/jwks.json`). */
  jwks(now = Date.now()): { keys: JWK[] } {
    return { keys: this.usable(now).map((k) => k.jwk) };
  }

  /**
   * Signs on the calling thread with libsodium (one Ed25519 signature, 18 µs here; node:crypto takes 35 µs
   * and jose's SignJWT hops to the thread pool and back through WebCrypto). Ed25519 is deterministic: the
   * tests check that jose signs the same bytes and verifies every receipt.
   */
  sign(issuer: string, c: ReceiptClaims, now = Date.now()): string {
    const key = this.usable(now).find((k) => k.active);
    if (!key) throw new Error('no active unexpired receipt key (proof.receipt_keys)');
    const iat = Math.floor(now / 1000);
    const claims = {
      circuit_sha256: c.sha256,
      build_id: c.build_id,
      nonce: c.nonce_uuid,
      iss: issuer,
      sub: c.handle,
      jti: c.nonce_uuid,
      iat,
      exp: iat + this.ttlSeconds,
    };
    const signingInput = `${key.header}.${b64url(JSON.stringify(claims))}`;
    const signature = Buffer.alloc(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(signature, Buffer.from(signingInput), key.secretKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
