// How a build is shown: its paths, and the view that discovery, publishing and verification start from.
import type { BuildRecord } from '../storage/circuits.js';
import { manifestOf } from './catalog.js';

export const buildPath = (b: Pick<BuildRecord, 'handle' | 'build_id'>) =>
  `${encodeURIComponent(b.handle)}/builds/${encodeURIComponent(b.build_id)}`;

/** What identifies a build and what it runs; both the build view and the verify reply start with these. */
export const buildIdentity = (b: BuildRecord) => ({
  handle: b.handle,
  build_id: b.build_id,
  version: b.version,
  sha256: b.sha256,
  kind: b.kind,
  size: b.size,
  commands: manifestOf(b).commands,
});

export function buildView(b: BuildRecord) {
  return {
    ...buildIdentity(b),
    published_at: new Date(b.created_at).toISOString(),
    revoked: b.revoked,
    manifest_url: `/api/circuits/${buildPath(b)}/manifest`,
    binary_url: `/api/binaries/handle/${buildPath(b)}`,
  };
}
