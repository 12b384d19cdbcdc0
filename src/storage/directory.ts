/**
 * Node-directory storage. Keys are blind indexes (never user ids) and values are sealed blobs, so the
 * store itself never sees an identity in the clear; see directory/vault.ts.
 */
export interface DirectoryStore {
  /** Atomic insert; false when the index already exists. */
  insertIdentity(index: Uint8Array, sealed: Uint8Array): Promise<boolean>;
  /** Inserts the rows whose index is new, in one transaction; returns how many were new. */
  insertIdentities(rows: Array<{ index: Uint8Array; sealed: Uint8Array }>): Promise<number>;
  getIdentity(index: Uint8Array): Promise<Uint8Array | undefined>;
  hasIdentity(index: Uint8Array): Promise<boolean>;
  upsertPresence(index: Uint8Array, sealed: Uint8Array, seenMs: number): Promise<void>;
  /** Drops presences last seen before `seenBeforeMs`, then the oldest beyond `maxEntries`. */
  purgePresence(seenBeforeMs: number, maxEntries: number): Promise<number>;
  countPresence(): Promise<number>;
  listNodes(): Promise<string[]>;
  /**
   * Appends new urls in order until `max` are stored and, with `share`, until its contributor has `share.max`
   * urls stored; returns how many were added. Without `share` the urls are recorded as nobody's.
   */
  addNodes(urls: string[], max: number, share?: NodeShare): Promise<number>;
}

/** One client's part of the node list: `contributor` is an opaque key (a keyed hash of its address). */
export interface NodeShare {
  contributor: Uint8Array;
  max: number;
}
