// Circuit artifacts as files named by SHA-256 beside the SQLite database, written atomically, hash-checked on read.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactCorruptError, assertSha256, type ArtifactStore } from '../artifacts.js';

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Artifacts as files named by their SHA-256 in `dir` (the SQLite backend's companion). A write goes to a
 * temporary file in the same directory and is renamed into place, so a reader never sees half a file.
 */
export function fileArtifactStore(dir: string): ArtifactStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (sha256: string) => {
    assertSha256(sha256);
    return join(dir, sha256);
  };
  return {
    async put(sha256, bytes) {
      const target = path(sha256);
      if (digest(bytes) !== sha256) throw new Error(`artifact content does not match sha256 ${sha256}`);
      const tmp = join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, bytes, { mode: 0o600, flush: true });
        await rename(tmp, target);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    async get(sha256) {
      let bytes: Buffer;
      try {
        bytes = await readFile(path(sha256));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      if (digest(bytes) !== sha256) throw new ArtifactCorruptError(sha256);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async has(sha256) {
      try {
        await access(path(sha256));
        return true;
      } catch {
        return false;
      }
    },
  };
}
