/**
 * A deep copy of plain data (objects, arrays, primitives), frozen at every level. An in-memory
 * store keeps this and hands the same object to every reader: nobody can change what it holds,
 * and a read costs no copy (`structuredClone` on each read and write was a fifth of a send's
 * own CPU).
 */
export function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Object.isFrozen(value)) return value;
  const copy: unknown = Array.isArray(value)
    ? value.map((item: unknown) => frozenCopy(item))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, frozenCopy(item)]));
  return Object.freeze(copy) as T;
}
