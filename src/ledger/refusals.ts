// How a refused burn reads on the wire, both ways: the ledger service and the gateway answer it, the HTTP client
// reads it back into the outcome the embedded ledger gives.
import { ApiError, ERROR_STATUS, type ErrorCode } from '../errors.js';
import type { BurnOutcome } from '../storage/ledger.js';

export type BurnRefusal = Exclude<BurnOutcome, { ok: true }>['reason'];

const ANSWERS: Record<BurnRefusal, { code: ErrorCode; message: string }> = {
  replay: { code: 'REPLAY', message: 'nonce already spent' },
  expired: { code: 'EXPIRED', message: 'nonce expired' },
  tau_mismatch: { code: 'TAU_MISMATCH', message: 'tau does not match this nonce' },
  unknown: { code: 'NOT_FOUND', message: 'unknown nonce' },
};

/** The error a refused burn is answered with (409 REPLAY, 410 EXPIRED, 400 TAU_MISMATCH, 404 NOT_FOUND). */
export function burnRefused(reason: BurnRefusal): ApiError {
  const { code, message } = ANSWERS[reason];
  return new ApiError(code, message);
}

/** The refusal an error answer stands for, or undefined when it is not one (e.g. a 400 about the request). */
export function refusalOf(status: number, code: string | undefined): BurnRefusal | undefined {
  const reasons = Object.keys(ANSWERS) as BurnRefusal[];
  return reasons.find((r) => ANSWERS[r].code === code && ERROR_STATUS[ANSWERS[r].code] === status);
}
