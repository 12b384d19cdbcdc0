/**
 * A Map that never holds more than `max` units: inserting past the bound drops the least recently
 * written entries. A unit is one entry unless `weigh` says otherwise (e.g. bytes). Every in-memory table
 * the registry keeps per client is one of these, so no client population can grow memory without bound.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private total = 0;
  constructor(
    readonly max: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.delete(key); // re-insert: most recently written goes last
    this.map.set(key, value);
    this.total += this.weigh(value);
    for (const k of this.map.keys()) {
      if (this.total <= this.max || this.map.size === 1) break;
      this.delete(k);
    }
  }

  delete(key: K): boolean {
    const v = this.map.get(key);
    if (v === undefined && !this.map.has(key)) return false;
    this.total -= this.weigh(v as V);
    return this.map.delete(key);
  }

  /** Removes every entry for which `stale` is true; returns how many. */
  prune(stale: (value: V, key: K) => boolean): number {
    let n = 0;
    for (const [k, v] of this.map) if (stale(v, k) && this.delete(k)) n++;
    return n;
  }
}
