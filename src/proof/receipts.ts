// Signing proof receipts as EdDSA JWTs with rotating receipt keys, and the JWKS that verifies them.
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { configuredOrGenerated } from '../config/state.js';

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
  privateKey: KeyObject;
  jwk: JWK;
  /** The JWS protected header, base64url: the same for every receipt of this key. */
  header: string;
}

// PKCS#8 header of a raw 32-byte Ed25519 seed (OID 1.3.101.112).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
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
      const privateKey = createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(e.ed25519_private_key_hex, 'hex')]),
        format: 'der',
        type: 'pkcs8',
      });
      const kid = e.kid_hex.toLowerCase();
      const jwk = { ...(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK), kid, alg: 'EdDSA', use: 'sig' };
      const header = b64url(JSON.stringify({ alg: 'EdDSA', kid, typ: 'JWT' }));
      return { kid, active: e.active, notAfter: e.not_after_epoch_ms, privateKey, jwk, header };
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
   * Signs on the calling thread with node:crypto (one Ed25519 signature, ~50 µs): jose's SignJWT goes through
   * WebCrypto, whose promise hops to the thread pool and back for the same work. jose verifies these (tests).
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
    return `${signingInput}.${sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')}`;
  }
}
