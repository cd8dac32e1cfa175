/**
 * Sets `key` in `map`, first dropping the oldest entry (insertion order)
 * when the map already holds `max` others: the in-memory caches' bound.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
