// The proof flow: challenge → ceremony (the caller's) → validate → receipt, and offline receipt checks.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Static } from 'typebox';
import { type ChallengeReply, proofHash, type ValidateReply } from './wire-proof.js';
import { RegistryError } from './errors.js';
import { HttpClient, type ClientOptions } from './http.js';
import { solvePow, type PowChallenge, type PowProgress } from './pow.js';
import type { SixzoneChallenge } from './sixzone.js';

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

const path = (handle: string, what: string) => `/api/circuits/${encodeURIComponent(handle)}/${what}`;

/**
 * A POW_REQUIRED answer to a challenge request is solved and resent this many times before the error is
 * surfaced (the required difficulty can rise between the two while a handle is under attack).
 */
const POW_ATTEMPTS = 3;

export interface ProofClientOptions extends ClientOptions {
  /** Solve proof of work in a Web Worker when available (default true). */
  powWorker?: boolean;
}

export interface ChallengeOptions {
  ledgerUrl?: string;
  signal?: AbortSignal;
  /** Progress of a proof-of-work solve, when the registry asks for one (the handle has seen wrong answers). */
  onPowProgress?: (p: PowProgress & { difficulty: number }) => void;
}

function powAsked(e: unknown): PowChallenge | undefined {
  if (!(e instanceof RegistryError) || e.code !== 'POW_REQUIRED') return undefined;
  const pow = (e.details as { pow?: Partial<PowChallenge> } | undefined)?.pow;
  if (typeof pow?.challenge !== 'string' || typeof pow.difficulty !== 'number' || typeof pow.expires_ms !== 'number')
    return undefined;
  return pow as PowChallenge;
}

export class ProofClient {
  readonly http: HttpClient;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  private readonly powWorker: boolean;

  constructor(options: ProofClientOptions) {
    this.http = new HttpClient(options);
    this.powWorker = options.powWorker ?? true;
  }

  /**
   * Reserves a nonce and returns the current build's challenge. Retried on 429/5xx/network errors: a
   * retry can at worst leave an unused reservation, which expires. `ledgerUrl` must be on the registry's
   * allow-list. While the handle sees wrong answers the registry asks for proof of work first
   * (POW_REQUIRED with `details.pow`): it is solved (in a Web Worker when there is one) and the request
   * resent, transparently; `signal` also cancels the solve.
   */
  async challenge<C = SixzoneChallenge>(handle: string, o: ChallengeOptions = {}): Promise<Challenge<C>> {
    const headers: Record<string, string> = o.ledgerUrl !== undefined ? { 'x-eni6ma-ledger-url': o.ledgerUrl } : {};
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.http.request<Challenge<C>>('POST', path(handle, 'challenge'), {
          body: {},
          retry: 'safe',
          signal: o.signal,
          headers: { ...headers },
        });
      } catch (e) {
        const pow = powAsked(e);
        if (!pow || attempt >= POW_ATTEMPTS) throw e;
        const onProgress =
          o.onPowProgress && ((p: PowProgress) => o.onPowProgress!({ ...p, difficulty: pow.difficulty }));
        o.onPowProgress?.({ attempts: 0, expected: 2 ** pow.difficulty, difficulty: pow.difficulty });
        const solution = await solvePow(pow, { signal: o.signal, onProgress, worker: this.powWorker });
        headers['x-enigma-pow'] = `${pow.challenge}:${solution}`;
      }
    }
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
      body: {
        kind: o.kind ?? 'bearings',
        nonce_uuid,
        payload: { tau, bearings, proof_hash: proofHash(nonce_uuid, tau, bearings) },
      },
      retry: 'never',
      signal: o.signal,
    });
  }

  /**
   * Verifies a receipt's EdDSA signature against the registry's `/.well-known/jwks.json` (fetched once and
   * cached, refetched for an unknown kid) and its expiry; optionally that it is for `handle` / `nonce` /
   * `issuer`. Throws RegistryError `BAD_RECEIPT` otherwise.
   */
  async verifyReceipt(
    receipt: string,
    o: { handle?: string; nonce?: string; issuer?: string } = {},
  ): Promise<ReceiptClaims> {
    this.jwks ??= createRemoteJWKSet(new URL(this.http.url('/.well-known/jwks.json')));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(receipt, this.jwks, {
        algorithms: ['EdDSA'],
        ...(o.handle !== undefined && { subject: o.handle }),
        ...(o.issuer !== undefined && { issuer: o.issuer }),
      }));
    } catch (e) {
      throw new RegistryError(
        'BAD_RECEIPT',
        `receipt does not verify: ${(e as Error).message}`,
        0,
        undefined,
        undefined,
        { cause: e },
      );
    }
    if (o.nonce !== undefined && String(payload.nonce).toLowerCase() !== o.nonce.toLowerCase()) {
      throw new RegistryError('BAD_RECEIPT', 'receipt is for another nonce');
    }
    return payload as ReceiptClaims;
  }
}
