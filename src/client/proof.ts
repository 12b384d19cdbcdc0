import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Static } from 'typebox';
import type { ChallengeReply, ValidateReply } from '../proof/schemas.js';
import { RegistryError } from './errors.js';
import { HttpClient, type ClientOptions } from './http.js';
import type { SixzoneChallenge } from './sixzone.js';

// The proof flow: challenge → ceremony (the caller's) → validate → receipt, and offline receipt checks.

/** A challenge as the registry sends it; `challenge` is the circuit's own data (sixzone by default). */
export type Challenge<C = SixzoneChallenge> = Omit<Static<typeof ChallengeReply>, 'challenge'> & { challenge: C };
export type Validated = Static<typeof ValidateReply>;

/** The claims of a verified receipt. */
export interface ReceiptClaims extends JWTPayload {
  iss: string;
  /** The circuit handle. */
  sub: string;
  circuit_sha256: string;
  build_id: string;
  /** The nonce that was burnt (also `jti`). */
  nonce: string;
  iat: number;
  exp: number;
}

/** What the registry checks: hex SHA-256 of the UTF-8 string `nonce_uuid|tau|b1,b2,...`. */
export function proofHash(nonceUuid: string, tau: string, bearings: readonly string[]): string {
  return bytesToHex(sha256(utf8ToBytes(`${nonceUuid}|${tau}|${bearings.join(',')}`)));
}

const path = (handle: string, what: string) => `/api/circuits/${encodeURIComponent(handle)}/${what}`;

export class ProofClient {
  readonly http: HttpClient;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
  }

  /**
   * Reserves a nonce and returns the current build's challenge. Retried on 429/5xx/network errors: a
   * retry can at worst leave an unused reservation, which expires. `ledgerUrl` must be on the registry's
   * allow-list.
   */
  challenge<C = SixzoneChallenge>(handle: string, o: { ledgerUrl?: string; signal?: AbortSignal } = {}): Promise<Challenge<C>> {
    return this.http.request<Challenge<C>>('POST', path(handle, 'challenge'), {
      body: {},
      retry: 'safe',
      signal: o.signal,
      ...(o.ledgerUrl !== undefined && { headers: { 'x-eni6ma-ledger-url': o.ledgerUrl } }),
    });
  }

  /**
   * Sends the answer (computing `proof_hash`). Never retried, not even after a network error: the
   * registry may have burnt the nonce already, and each challenge allows one attempt. On any failure,
   * start again with a new challenge. A wrong answer is RegistryError `PROOF_REJECTED` (403).
   */
  validate(
    handle: string,
    challenge: Pick<Challenge<unknown>, 'nonce_uuid' | 'tau'>,
    bearings: readonly string[],
    o: { kind?: string; signal?: AbortSignal } = {},
  ): Promise<Validated> {
    const { nonce_uuid, tau } = challenge;
    return this.http.request<Validated>('POST', path(handle, 'validate'), {
      body: { kind: o.kind ?? 'bearings', nonce_uuid, payload: { tau, bearings, proof_hash: proofHash(nonce_uuid, tau, bearings) } },
      retry: 'never',
      signal: o.signal,
    });
  }

  /**
   * Verifies a receipt's EdDSA signature against the registry's `/.well-known/jwks.json` (fetched once and
   * cached, refetched for an unknown kid) and its expiry; optionally that it is for `handle` / `nonce` /
   * `issuer`. Throws RegistryError `BAD_RECEIPT` otherwise.
   */
  async verifyReceipt(receipt: string, o: { handle?: string; nonce?: string; issuer?: string } = {}): Promise<ReceiptClaims> {
    this.jwks ??= createRemoteJWKSet(new URL(this.http.url('/.well-known/jwks.json')));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(receipt, this.jwks, {
        algorithms: ['EdDSA'],
        ...(o.handle !== undefined && { subject: o.handle }),
        ...(o.issuer !== undefined && { issuer: o.issuer }),
      }));
    } catch (e) {
      throw new RegistryError('BAD_RECEIPT', `receipt does not verify: ${(e as Error).message}`, 0, undefined, undefined, { cause: e });
    }
    if (o.nonce !== undefined && String(payload.nonce).toLowerCase() !== o.nonce.toLowerCase()) {
      throw new RegistryError('BAD_RECEIPT', 'receipt is for another nonce');
    }
    return payload as ReceiptClaims;
  }
}
