// Challenge and validate over fetch, same origin. Interim: replaced by the SDK (src/client/index.ts) once it lands.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { SixzoneChallenge } from '../../src/client/sixzone.js';

export interface Challenge {
  nonce_uuid: string;
  tau: string;
  expires_at: string;
  circuit: { handle: string; build_id: string; sha256: string };
  challenge: SixzoneChallenge;
}

/** A refusal from the registry, carrying its error code (or NETWORK when no answer came). */
export class ProofError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

async function post<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ProofError('NETWORK', 'the registry could not be reached');
  }
  const json = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    throw new ProofError(json?.error?.code ?? 'INTERNAL', json?.error?.message ?? `HTTP ${res.status}`, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return json as T;
}

export const challenge = (handle: string) => post<Challenge>(`/api/circuits/${encodeURIComponent(handle)}/challenge`, {});

/** Validates `bearings` for `ch`; resolves to the receipt (compact JWS). */
export async function validate(handle: string, ch: Challenge, bearings: string[]): Promise<string> {
  const proof_hash = bytesToHex(sha256(utf8ToBytes(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`)));
  const reply = await post<{ receipt: string }>(`/api/circuits/${encodeURIComponent(handle)}/validate`, {
    kind: 'bearings',
    nonce_uuid: ch.nonce_uuid,
    payload: { tau: ch.tau, bearings, proof_hash },
  });
  return reply.receipt;
}
