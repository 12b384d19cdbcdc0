/** One published build of a circuit. Its SHA-256 is the artifact's identity (see artifacts.ts). */
export interface BuildRecord {
  handle: string;
  build_id: string;
  version: string;
  sha256: string;
  kind: 'wasm' | 'elf';
  size: number;
  /** The signed manifest exactly as published (a JSON object). */
  manifest: Record<string, unknown>;
  /** Epoch ms of publication. */
  created_at: number;
  revoked: boolean;
}

export type NewBuild = Omit<BuildRecord, 'revoked'>;

export interface CircuitSummary {
  handle: string;
  current: BuildRecord;
  builds: number;
}

/**
 * The circuit catalog: handle → builds, one of them current. The current build is the one published
 * last; revoking it does not fall back to an older build (an operator replaces a bad build by publishing).
 */
export interface CircuitStore {
  /** Inserts a build and makes it the handle's current one; false when (handle, build_id) exists. */
  insertBuild(build: NewBuild): Promise<boolean>;
  getBuild(handle: string, buildId: string): Promise<BuildRecord | undefined>;
  currentBuild(handle: string): Promise<BuildRecord | undefined>;
  /** Builds of a handle, newest first. */
  listBuilds(handle: string): Promise<BuildRecord[]>;
  /** Handles in ascending order after `after`; `next` is the cursor of the following page. */
  listCircuits(page: { after?: string; limit: number }): Promise<{ circuits: CircuitSummary[]; next: string | null }>;
  /** Marks every build with this SHA-256 revoked; returns how many were newly revoked. */
  revokeSha256(sha256: string): Promise<number>;
  /** Whether any build with this SHA-256 is revoked (a revocation follows the bytes, not the handle). */
  isRevoked(sha256: string): Promise<boolean>;
}

/**
 * Changes to the catalog made through other processes sharing the store (replicas), for a cache of it.
 * While `live` is false changes may go unseen (the PostgreSQL listener is reconnecting): a cache must not
 * answer then.
 */
export interface CatalogChanges {
  readonly live: boolean;
  /** `fn` runs after each change by any process, and whenever `live` changes (changes may have been missed). */
  subscribe(fn: () => void): void;
}

/** The memory backend: nothing outside this process changes it, so its own catalog sees every change. */
export const localCatalogChanges: CatalogChanges = { live: true, subscribe: () => undefined };

/** A catalog row as both SQL backends select it (BUILD_COLUMNS); `revoked` is 0/1 on SQLite, boolean on PostgreSQL. */
export type BuildRow = Omit<BuildRecord, 'manifest' | 'revoked'> & {
  manifest: string;
  revoked: number | boolean;
  builds?: number;
};

export const BUILD_COLUMNS = `b.handle, b.build_id, b.version, b.sha256, b.kind, b.size, b.manifest, b.created_at,
  EXISTS (SELECT 1 FROM circuit_revocations r WHERE r.sha256 = b.sha256) AS revoked`;

export const buildFromRow = (r: BuildRow): BuildRecord => ({
  handle: r.handle,
  build_id: r.build_id,
  version: r.version,
  sha256: r.sha256,
  kind: r.kind,
  size: Number(r.size),
  manifest: JSON.parse(r.manifest) as Record<string, unknown>,
  created_at: Number(r.created_at),
  revoked: r.revoked === true || r.revoked === 1,
});
