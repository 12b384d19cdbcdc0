/**
 * A Map that never holds more than `max` entries: inserting past the bound drops the least recently
 * written entry. Every in-memory table the registry keeps per client is one of these, so no client
 * population can grow memory without bound.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key); // re-insert: most recently written goes last
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Removes every entry for which `stale` is true; returns how many. */
  prune(stale: (value: V, key: K) => boolean): number {
    let n = 0;
    for (const [k, v] of this.map) if (stale(v, k) && this.map.delete(k)) n++;
    return n;
  }
}
