/**
 * A failed registry call. `code` is the server's error code (`INVALID_INPUT`, `POW_REQUIRED`, `RATE_LIMITED`,
 * `PROOF_REJECTED`, ...) or one of the client's own: `NETWORK` (no HTTP answer), `BAD_RESPONSE` (an answer that
 * is not the registry's JSON), `BAD_ENVELOPE` (an envelope that does not open), `BAD_RECEIPT` (a receipt that
 * does not verify).
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; 0 when no HTTP answer was received. */
    readonly status = 0,
    readonly details?: unknown,
    /** Seconds from the `Retry-After` header of a 429, when present. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
