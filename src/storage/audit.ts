/**
 * Audit trail of proof steps. No PII: `actor` is a keyed hash of the client address (server/audit.ts),
 * and payloads, bearings and secrets are never recorded.
 */
export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  /** HMAC-SHA256 of the client IP under the registry's audit salt (hex). */
  actor: string;
  handle?: string;
  /** Circuit build SHA-256 (hex). */
  sha256?: string;
  /** Nonce uuid. */
  nonce?: string;
  /** e.g. `challenge`, `validate`, `cli`, `binary`, `publish`, `revoke`. */
  step: string;
  /** e.g. `ok`, `replay`, `expired`, `rejected`, `rate_limited`. */
  outcome: string;
  detail?: string;
}

export interface AuditEvent extends AuditEntry {
  seq: number;
}

export interface AuditStore {
  append(e: AuditEntry): Promise<void>;
  /** Events with `seq > after`, oldest first; `next` is the cursor for the following page, null at the end. */
  list(opts: { after?: number; limit: number }): Promise<{ events: AuditEvent[]; next: number | null }>;
  /** Forgets events older than `before` (epoch ms; `audit.retain_days`). Returns how many were removed. */
  prune(before: number): Promise<number>;
}

/** An audit row as the SQL backends select it: absent optional fields are NULL. */
export type AuditRow = { [K in keyof AuditEvent]-?: AuditEvent[K] | null };

/** The event a row stands for, its NULL columns left out (shared by every SQL backend). */
export const auditEventFromRow = (r: AuditRow): AuditEvent =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as AuditEvent;
