import { bytesToHex } from '../../crypto/encoding.js';
import type { DirectoryStore } from '../directory.js';

/** For tests and `storage.kind = "memory"`. Presence is bounded on every insert, not only at GC. */
export function memoryDirectoryStore(maxPresence: number): DirectoryStore {
  const identities = new Map<string, Uint8Array>();
  // Map keeps insertion order; re-inserting on update makes the first key the least recently seen.
  const presence = new Map<string, { sealed: Uint8Array; seenMs: number }>();
  const nodes: string[] = [];
  const nodeSet = new Set<string>();

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
    insertIdentity: async (index, sealed) => {
      const key = bytesToHex(index);
      if (identities.has(key)) return false;
      identities.set(key, sealed);
      return true;
    },
    insertIdentities: async (rows) => {
      let n = 0;
      for (const r of rows) {
        const key = bytesToHex(r.index);
        if (identities.has(key)) continue;
        identities.set(key, r.sealed);
        n++;
      }
      return n;
    },
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
    listNodes: async () => [...nodes],
    addNodes: async (urls, max) => {
      let added = 0;
      for (const url of urls) {
        if (nodes.length >= max) break;
        if (nodeSet.has(url)) continue;
        nodeSet.add(url);
        nodes.push(url);
        added++;
      }
      return added;
    },
  };
}
