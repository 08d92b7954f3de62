/**
 * A copy with every object's keys sorted (arrays keep their order). JavaScript objects list
 * integer-like keys ("200", "9") first, in ascending numeric order, whatever the insertion order:
 * so those come first by number (the OpenAPI document's status codes read 200, 202, 400…), then
 * every other key in code-point order. Either way the order depends only on the keys.
 */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => sortKeysDeep(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeysDeep((value as Record<string, unknown>)[key])]),
  ) as T;
}

/** JSON that does not depend on key order: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}
