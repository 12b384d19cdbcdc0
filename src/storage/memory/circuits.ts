// The circuit catalog in memory (tests, storage.kind = "memory"): builds per handle and revoked SHA-256s.
import type { BuildRecord, CircuitStore } from '../circuits.js';

/** The catalog in Maps (tests, `storage.kind = "memory"`). */
export function memoryCircuitStore(): CircuitStore {
  // handle → builds in publication order (last = current)
  const handles = new Map<string, BuildRecord[]>();
  const revoked = new Set<string>();
  const copy = (b: BuildRecord): BuildRecord => ({
    ...b,
    manifest: structuredClone(b.manifest),
    revoked: revoked.has(b.sha256),
  });

  return {
    async insertBuild(build) {
      const builds = handles.get(build.handle) ?? [];
      if (builds.some((b) => b.build_id === build.build_id)) return false;
      builds.push({ ...build, manifest: structuredClone(build.manifest), revoked: false });
      handles.set(build.handle, builds);
      return true;
    },
    async getBuild(handle, buildId) {
      const b = handles.get(handle)?.find((x) => x.build_id === buildId);
      return b && copy(b);
    },
    async currentBuild(handle) {
      const b = handles.get(handle)?.at(-1);
      return b && copy(b);
    },
    listBuilds: async (handle) => (handles.get(handle) ?? []).map(copy).reverse(),
    async listCircuits({ after, limit }) {
      const names = [...handles.keys()].filter((h) => after === undefined || h > after).sort();
      const page = names.slice(0, limit);
      return {
        circuits: page.map((handle) => ({
          handle,
          current: copy(handles.get(handle)!.at(-1)!),
          builds: handles.get(handle)!.length,
        })),
        next: names.length > limit ? page.at(-1)! : null,
      };
    },
    async revokeSha256(sha256) {
      if (revoked.has(sha256)) return 0;
      const n = [...handles.values()].flat().filter((b) => b.sha256 === sha256).length;
      revoked.add(sha256);
      return n;
    },
    isRevoked: async (sha256) => revoked.has(sha256),
  };
}
