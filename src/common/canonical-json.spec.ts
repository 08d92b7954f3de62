import { canonicalJson, sortKeysDeep } from './canonical-json';

describe('canonicalJson', () => {
  it('gives equal text for equal values in any key order, nested objects included', () => {
    const a = { b: 1, a: { d: [{ y: 1, x: 2 }], c: null } };
    const b = { a: { c: null, d: [{ x: 2, y: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}');
  });

  it('keeps arrays in their order', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('puts integer-like keys first by number, then the others by code point, as documented', () => {
    const sorted = sortKeysDeep({ b: 0, '10': 0, B: 0, '9': 0, '1.5': 0, a: 0 });
    expect(Object.keys(sorted)).toEqual(['9', '10', '1.5', 'B', 'a', 'b']);
    expect(canonicalJson({ '10': 1, '9': 2 })).toBe(canonicalJson({ '9': 2, '10': 1 }));
  });
});
