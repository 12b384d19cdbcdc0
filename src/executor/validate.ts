// A circuit's `validate-response` run with its unsealed verifier secret: the one place that secret is opened.
import { ApiError, invalidInput } from '../errors.js';
import { decodeSealedSecret, SealError, unsealSecret, type UnsealKey } from '../crypto/seal.js';
import { readSealedSecret } from './sealed-secret.js';
import type { Artifact, RunLimits, RunResult } from './types.js';

/** What validateResponse needs of the executor (Executor satisfies it). */
export interface CircuitRunner {
  run(artifact: Artifact, command: string, args: string[], stdin: Uint8Array, limits?: RunLimits): Promise<RunResult>;
}

export interface ValidateInput {
  /** The handle and build the artifact is published under: the sealed secret must have been sealed for them. */
  handle: string;
  build_id: string;
  nonce_uuid: string;
  tau: string | number;
  /** 64 hex characters, re-derived by the caller from nonce, tau and the artifact's SHA-256. */
  seed: string;
  payload: unknown;
}

/**
 * Refusal to use a circuit's sealed secret: it is missing, malformed, for an unknown or expired key, or does
 * not authenticate (wrong key, tampered, sealed for another handle or build). The prover is not at fault.
 */
export class SealedSecretRefused extends ApiError {
  constructor(message: string) {
    super('FORBIDDEN', `circuit secret refused: ${message}`);
  }
}

/**
 * Runs the circuit's `validate-response` with its unsealed secret. This is the only place a sealed secret is
 * opened; the plaintext lives only in this call and in the circuit's stdin, and is wiped afterwards.
 * Throws SealedSecretRefused, INVALID_INPUT when the circuit rejects the request's shape, INTERNAL when the
 * circuit fails; otherwise returns the verdict.
 */
export async function validateResponse(
  executor: CircuitRunner,
  artifact: Artifact,
  input: ValidateInput,
  sealingKeys: readonly UnsealKey[],
): Promise<{ valid: boolean }> {
  let secret: Uint8Array;
  try {
    const section = readSealedSecret(artifact.bytes);
    if (!section) throw new SealedSecretRefused('the circuit carries no sealed secret');
    secret = unsealSecret(decodeSealedSecret(section), sealingKeys, { handle: input.handle, build_id: input.build_id });
  } catch (e) {
    if (e instanceof SealedSecretRefused) throw e;
    if (e instanceof SealError || e instanceof Error) throw new SealedSecretRefused(e.message);
    throw e;
  }

  const head = new TextEncoder().encode(
    `${JSON.stringify({ nonce_uuid: input.nonce_uuid, tau: input.tau, seed: input.seed, payload: input.payload }).slice(
      0,
      -1,
    )},"secret":`,
  );
  // The secret is spliced in as bytes so that no JS string copy of it outlives this call.
  const stdin = new Uint8Array(head.length + secret.length + 1);
  stdin.set(head, 0);
  stdin.set(secret, head.length);
  stdin[stdin.length - 1] = 0x7d;
  secret.fill(0);
  let result: RunResult;
  try {
    result = await executor.run(artifact, 'validate-response', [], stdin);
  } finally {
    stdin.fill(0);
  }
  return verdict(result);
}

function verdict(r: RunResult): { valid: boolean } {
  if (r.timed_out || r.error !== undefined || r.truncated) {
    throw new ApiError(
      'INTERNAL',
      `circuit validate-response failed: ${r.timed_out ? 'timed out' : (r.error ?? 'output truncated')}`,
    );
  }
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new ApiError('INTERNAL', `circuit validate-response printed no JSON (exit ${r.exit_code})`);
  }
  const o = out as { valid?: unknown; error?: { message?: unknown } };
  if (r.exit_code === 0 && typeof o.valid === 'boolean') return { valid: o.valid };
  if (r.exit_code === 2 && typeof o.error?.message === 'string')
    throw invalidInput(`circuit refused the response: ${o.error.message}`);
  throw new ApiError('INTERNAL', `circuit validate-response failed (exit ${r.exit_code})`);
}
