/**
 * A deep copy of plain data (objects, arrays, primitives), frozen at every level. An in-memory
 * store keeps this and hands the same object to every reader: nobody can change what it holds,
 * and a read costs no copy (`structuredClone` on each read and write was a fifth of a send's
 * own CPU). A frozen value is taken to be one of these already and kept as it is.
 */
export function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // Plain loops: Object.entries/fromEntries allocate an array per key, on every write of a send.
  if (Array.isArray(value)) {
    const items: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index += 1) {
      items[index] = frozenCopy(value[index] as unknown);
    }
    return Object.freeze(items) as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = frozenCopy((value as Record<string, unknown>)[key]);
    // An own `__proto__` key (JSON.parse makes them) stays data; assigning it would set the prototype.
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = item;
    }
  }
  return Object.freeze(copy) as T;
}
