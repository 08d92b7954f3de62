import { frozenCopy } from './frozen-copy';

describe('frozenCopy', () => {
  it('copies every level and freezes it, so neither the source nor a reader can change the copy', () => {
    const source = { a: 'x', list: ['1', { deep: 'y' }], nested: { n: 1, none: undefined } };
    const copy = frozenCopy(source);

    expect(copy).toEqual(source);
    expect(copy).not.toBe(source);
    source.nested.n = 2;
    (source.list[1] as { deep: string }).deep = 'changed';
    expect(copy.nested.n).toBe(1);
    expect((copy.list[1] as { deep: string }).deep).toBe('y');
    expect(() => {
      (copy as { a: string }).a = 'z';
    }).toThrow(TypeError);
    expect(() => (copy.list as unknown[]).push('2')).toThrow(TypeError);
    expect(Object.isFrozen(copy.list[1])).toBe(true);
    expect(Object.isFrozen(source)).toBe(false);
  });

  it('returns primitives and already-frozen values as they are', () => {
    expect(frozenCopy('s')).toBe('s');
    expect(frozenCopy(null)).toBeNull();
    const frozen = frozenCopy({ a: 1 });
    expect(frozenCopy(frozen)).toBe(frozen);
  });

  it('keeps an own __proto__ key as data, never as the prototype', () => {
    const source = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}') as Record<
      string,
      unknown
    >;
    const copy = frozenCopy(source);

    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: string }).polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":"yes"},"a":1}');
  });
});
