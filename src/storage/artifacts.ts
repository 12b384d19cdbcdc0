/**
 * Content-addressed artifact storage: bytes are stored and fetched by their SHA-256 (lowercase hex).
 * Implementations verify the digest on write and on read, so a corrupted or swapped file is reported,
 * never served. Files on disk for SQLite/memory-backed registries; a PostgreSQL implementation can keep
 * them as rows (bytea) behind the same interface.
 */
export interface ArtifactStore {
  /** Stores `bytes` under `sha256`; throws when the digest does not match. Idempotent. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The verified bytes, undefined when absent; throws ArtifactCorruptError when they no longer match. */
  get(sha256: string): Promise<Uint8Array | undefined>;
  has(sha256: string): Promise<boolean>;
}

export class ArtifactCorruptError extends Error {
  constructor(readonly sha256: string) {
    super(`artifact ${sha256} is corrupt: its content no longer matches its SHA-256`);
    this.name = 'ArtifactCorruptError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Throws unless `sha256` is 64 lowercase hex digits (it becomes a file name). */
export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a lowercase SHA-256 hex digest: ${JSON.stringify(sha256)}`);
}
