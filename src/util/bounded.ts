/**
 * Sets `key` in `map`, first dropping the oldest entry (insertion order)
 * when the map already holds `max` others: the in-memory caches' bound.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/**
 * A cache of at most `maxEntries` values and `maxSize` in all (each
 * measured once by `sizeOf` when set), the least recently used dropped
 * first; a value larger than `maxOne` is not kept.
 */
export class BoundedLru<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  constructor(private readonly bounds: { maxEntries: number; maxSize: number; maxOne: number; sizeOf: (value: V) => number }) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key); // re-inserted: Map order is recency order
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const size = this.bounds.sizeOf(value);
    if (size > this.bounds.maxOne) return;
    this.delete(key);
    while (this.entries.size > 0 && (this.entries.size >= this.bounds.maxEntries || this.total + size > this.bounds.maxSize)) {
      this.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { value, size });
    this.total += size;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.total -= entry.size;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Keys seen once, at most `max` of them (the oldest forgotten first): what
 * is worth keeping (a parsed document, a compiled query) is kept from its
 * second sight on, so that a caller sending something new every time never
 * makes the service keep anything.
 */
export class SeenOnce {
  private readonly keys = new Set<string>();

  constructor(private readonly max: number) {}

  /** Whether `key` was seen before (and is then forgotten: the caller keeps its value now); else it is remembered. */
  again(key: string): boolean {
    if (this.keys.delete(key)) return true;
    if (this.keys.size >= this.max) this.keys.delete(this.keys.values().next().value as string);
    this.keys.add(key);
    return false;
  }
}
