/**
 * For a bounded in-memory store whose Map keeps insertion order (oldest first): drops expired
 * entries from the oldest end, then the oldest ones until there is room for one more. `remove`
 * deletes the entry and cleans whatever indexes the store keeps beside it.
 */
export function evictForOne<K, E extends { expiresAt: number }>(
  entries: ReadonlyMap<K, E>,
  maxEntries: number,
  now: number,
  remove: (key: K, entry: E) => void,
): void {
  for (const [key, entry] of entries) {
    if (entry.expiresAt > now && entries.size < maxEntries) break;
    remove(key, entry);
  }
}
