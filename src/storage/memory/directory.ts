// The node directory's storage in memory (tests, storage.kind = "memory"): identities, presence, node list.
import { bytesToHex } from '../../crypto/encoding.js';
import type { DirectoryStore } from '../directory.js';

/** For tests and `storage.kind = "memory"`. Presence is bounded on every insert, not only at GC. */
export function memoryDirectoryStore(maxPresence: number): DirectoryStore {
  const identities = new Map<string, Uint8Array>();
  // Map keeps insertion order; re-inserting on update makes the first key the least recently seen.
  const presence = new Map<string, { sealed: Uint8Array; seenMs: number }>();
  // Node url → who added it (hex), in insertion order.
  const nodes = new Map<string, string | null>();

  const insertIdentity = (index: Uint8Array, sealed: Uint8Array): boolean => {
    const key = bytesToHex(index);
    if (identities.has(key)) return false;
    identities.set(key, sealed);
    return true;
  };

  const trimPresence = (max: number) => {
    let dropped = 0;
    for (const key of presence.keys()) {
      if (presence.size <= max) break;
      presence.delete(key);
      dropped++;
    }
    return dropped;
  };

  return {
    insertIdentity: async (index, sealed) => insertIdentity(index, sealed),
    insertIdentities: async (rows) => rows.filter((r) => insertIdentity(r.index, r.sealed)).length,
    getIdentity: async (index) => identities.get(bytesToHex(index)),
    hasIdentity: async (index) => identities.has(bytesToHex(index)),
    upsertPresence: async (index, sealed, seenMs) => {
      const key = bytesToHex(index);
      presence.delete(key);
      presence.set(key, { sealed, seenMs });
      trimPresence(maxPresence);
    },
    purgePresence: async (before, maxEntries) => {
      let dropped = 0;
      for (const [key, p] of presence) {
        if (p.seenMs < before) {
          presence.delete(key);
          dropped++;
        }
      }
      return dropped + trimPresence(maxEntries);
    },
    countPresence: async () => presence.size,
    listNodes: async () => [...nodes.keys()],
    addNodes: async (urls, max, share) => {
      const contributor = share ? bytesToHex(share.contributor) : null;
      let room = max - nodes.size;
      if (share) room = Math.min(room, share.max - [...nodes.values()].filter((c) => c === contributor).length);
      let added = 0;
      for (const url of urls) {
        if (room <= 0) break;
        if (nodes.has(url)) continue;
        nodes.set(url, contributor);
        added++;
        room--;
      }
      return added;
    },
  };
}
