// The circuit catalog: publishing, build lookup, revocation and artifact access, with lookups cached in memory.
import { createHash } from 'node:crypto';
import Value from 'typebox/value';
import type { Config } from '../config/schema.js';
import { ApiError, conflict, invalidInput, notFound } from '../errors.js';
import { checkWasmModule, type Artifact } from '../executor/index.js';
import type { ArtifactStore } from '../storage/artifacts.js';
import type { BuildRecord, CatalogChanges, CircuitStore } from '../storage/circuits.js';
import { BoundedMap } from '../guard/bounded-map.js';
import { ManifestSchema, verifyManifest, type Manifest } from './manifest.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ARTIFACT_CACHE_BYTES = 64 * 1024 * 1024;
/** Builds kept by (handle, build id or current): far more than a catalog in use has, a bound for memory. */
const BUILD_CACHE_ENTRIES = 10_000;
/** Handles that would be shadowed by static routes under /api/circuits/. */
const RESERVED_HANDLES = new Set(['sealing-key']);

/** The manifest of a stored build (stored exactly as published and verified then). */
export const manifestOf = (b: BuildRecord): Manifest => b.manifest as unknown as Manifest;

/** A build that may not be used any more: challenge, validate and the CLI proxy refuse it. */
export function revokedError(b: BuildRecord): ApiError {
  return new ApiError('FORBIDDEN', `circuit build ${b.handle}/${b.build_id} is revoked`, {
    reason: 'revoked',
    sha256: b.sha256,
  });
}

/**
 * Publishing, lookup and artifact access over the catalog and artifact stores. Lookups (every challenge and
 * validate makes one) are answered from memory; a publish or revoke through any replica empties that memory
 * at once (this one's own writes right away, the others' through `changes`), and while `changes` is not
 * live nothing is answered from it.
 */
export class CircuitCatalog {
  /** Builds looked up, by [handle, build id or null for the current one]. Unknown ones are not kept (a flood of them would push out the real ones). */
  private builds = new BoundedMap<string, BuildRecord>(BUILD_CACHE_ENTRIES);
  /** Counts invalidations: a lookup stores what it read only when none happened while it read. */
  private generation = 0;

  constructor(
    private readonly circuits: CircuitStore,
    private readonly artifacts: ArtifactStore,
    private readonly config: Pick<Config, 'circuits' | 'executor'>,
    private readonly changes: CatalogChanges,
  ) {
    changes.subscribe(() => this.forget());
  }

  private forget(): void {
    this.generation++;
    this.builds = new BoundedMap(BUILD_CACHE_ENTRIES);
  }

  /** A catalog write through this replica: whatever it did (even when it failed midway), forget what was read. */
  private async writing<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.forget();
    }
  }

  /**
   * Verifies and stores a build, making it the handle's current one. Refuses: a manifest out of schema or
   * not signed by a configured publisher key, bytes whose size or SHA-256 differ from the manifest, a wasm
   * module that does not compile or imports beyond WASI preview 1, a non-ELF `elf`, a revoked SHA-256, an
   * existing (handle, build_id).
   */
  async publish(manifest: unknown, bytes: Uint8Array): Promise<BuildRecord> {
    if (!Value.Check(ManifestSchema, manifest)) {
      const first = [...Value.Errors(ManifestSchema, manifest)][0];
      throw invalidInput(
        `manifest out of schema: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`,
      );
    }
    if (RESERVED_HANDLES.has(manifest.handle)) throw invalidInput(`handle ${manifest.handle} is reserved`);
    const max = this.config.circuits.max_artifact_bytes;
    if (bytes.length > max)
      throw new ApiError(
        'PAYLOAD_TOO_LARGE',
        `artifact is ${bytes.length} bytes; circuits.max_artifact_bytes is ${max}`,
      );
    if (bytes.length !== manifest.size)
      throw invalidInput(`artifact is ${bytes.length} bytes but the manifest says ${manifest.size}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== manifest.sha256)
      throw invalidInput('artifact SHA-256 does not match the manifest', { sha256, manifest_sha256: manifest.sha256 });
    if (!verifyManifest(manifest, this.config.circuits.publisher_public_keys_hex))
      throw new ApiError(
        'FORBIDDEN',
        'manifest signature is not valid for any key in circuits.publisher_public_keys_hex',
      );
    if (manifest.kind === 'wasm') await checkWasmModule(bytes, this.config.executor.memory_mb);
    else if (!ELF_MAGIC.every((b, i) => bytes[i] === b))
      throw invalidInput('kind "elf" but the artifact is not an ELF executable');
    if (await this.circuits.isRevoked(sha256))
      throw conflict(`artifact ${sha256} is revoked and cannot be published again`);

    await this.artifacts.put(sha256, bytes);
    const build = {
      handle: manifest.handle,
      build_id: manifest.build_id,
      version: manifest.version,
      sha256,
      kind: manifest.kind,
      size: bytes.length,
      manifest: manifest as unknown as Record<string, unknown>,
      created_at: Date.now(),
    };
    if (!(await this.writing(this.circuits.insertBuild(build))))
      throw conflict(`build ${manifest.handle}/${manifest.build_id} already exists`);
    return { ...build, revoked: false };
  }

  /** The pinned build, or the handle's current one; 404 NOT_FOUND when either is unknown. */
  async build(handle: string, buildId?: string): Promise<BuildRecord> {
    const b = await this.lookup(handle, buildId);
    if (!b) throw notFound(buildId === undefined ? `unknown circuit ${handle}` : `unknown build ${handle}/${buildId}`);
    return b;
  }

  /** The handle's current build, revoked or not; undefined for an unknown handle (no 404: callers answer it). */
  currentBuild = (handle: string): Promise<BuildRecord | undefined> => this.lookup(handle);

  private async lookup(handle: string, buildId?: string): Promise<BuildRecord | undefined> {
    const key = JSON.stringify([handle, buildId ?? null]);
    const live = this.changes.live; // read first: it may tell of a change, which empties the cache
    const cached = live ? this.builds.get(key) : undefined;
    if (cached) return cached;
    const generation = this.generation;
    const b =
      buildId === undefined ? await this.circuits.currentBuild(handle) : await this.circuits.getBuild(handle, buildId);
    if (b && live && generation === this.generation) this.builds.set(key, b);
    return b;
  }

  /** Like build(), but refuses a revoked build (403 FORBIDDEN). */
  async usableBuild(handle: string, buildId?: string): Promise<BuildRecord> {
    const b = await this.build(handle, buildId);
    if (b.revoked) throw revokedError(b);
    return b;
  }

  listBuilds = (handle: string) => this.circuits.listBuilds(handle);
  list = (page: { after?: string; limit: number }) => this.circuits.listCircuits(page);
  revoke = (sha256: string) => this.writing(this.circuits.revokeSha256(sha256));

  /** The build's artifact, hash-verified; 500 INTERNAL when it is missing or corrupt on disk. */
  /** Every challenge and validate needs the artifact: keep recently used ones (verified once on read) in memory. */
  private readonly cache = new BoundedMap<string, Uint8Array>(ARTIFACT_CACHE_BYTES, (bytes) => bytes.length);

  async artifact(b: BuildRecord): Promise<Artifact> {
    let bytes = this.cache.get(b.sha256);
    if (!bytes) {
      try {
        bytes = await this.artifacts.get(b.sha256);
      } catch (e) {
        throw new ApiError('INTERNAL', (e as Error).message);
      }
      if (!bytes)
        throw new ApiError(
          'INTERNAL',
          `artifact ${b.sha256} of ${b.handle}/${b.build_id} is missing from the artifact store`,
        );
      this.cache.set(b.sha256, bytes);
    }
    return { sha256: b.sha256, kind: b.kind, bytes };
  }
}
