// Circuit artifacts in memory (tests, storage.kind = "memory"), hash-checked like the file store.
import { createHash } from 'node:crypto';
import { ArtifactCorruptError, assertSha256, type ArtifactStore } from '../artifacts.js';

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Artifacts in a Map (tests, `storage.kind = "memory"`); verified like the file store. */
export function memoryArtifactStore(): ArtifactStore {
  const files = new Map<string, Uint8Array>();
  return {
    async put(sha256, bytes) {
      assertSha256(sha256);
      if (digest(bytes) !== sha256) throw new Error(`artifact content does not match sha256 ${sha256}`);
      files.set(sha256, bytes.slice());
    },
    async get(sha256) {
      assertSha256(sha256);
      const bytes = files.get(sha256);
      if (bytes && digest(bytes) !== sha256) throw new ArtifactCorruptError(sha256);
      return bytes?.slice();
    },
    has: async (sha256) => files.has(sha256),
  };
}
