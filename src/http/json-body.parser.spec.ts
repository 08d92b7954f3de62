import { ProblemException } from '../problems/problem.exception';
import { exceedsJsonDepth, exceedsValueCount, syntaxError } from './json-body.parser';

describe('exceedsJsonDepth', () => {
  it.each([
    ['{}', 1, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 4, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['[[[[[]]]]]', 4, true],
  ])('%s within %i levels exceeds: %s', (text, limit, expected) => {
    expect(exceedsJsonDepth(text, limit)).toBe(expected);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth('{"text":"[[[[{{{{ \\" [[[[ "}', 1)).toBe(false);
  });

  it('scans a very deep body without recursion', () => {
    expect(exceedsJsonDepth('['.repeat(1_000_000), 32)).toBe(true);
  });
});

describe('exceedsValueCount', () => {
  it('counts fields and items at every depth', () => {
    const body = { a: 1, b: [1, 2, { c: 3 }], d: { e: { f: null } } };
    // a, b, d; 1, 2, {c}; c; e; f
    expect(exceedsValueCount(body, 9)).toBe(false);
    expect(exceedsValueCount(body, 8)).toBe(true);
  });

  it('stops at the limit without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(exceedsValueCount(deep, 10)).toBe(true);
  });
});

describe('syntaxError', () => {
  const messageOf = (text: string) => {
    const error = syntaxError(text, new Error('Body is not valid JSON'));
    return (error as ProblemException).problem.errors?.[0].message;
  };

  it.each([
    ['{"recipients": [\n  "a",\n  }', 'a value expected at line 3, column 3 (offset 26)'],
    ['{"a":1', "'}' expected at line 1, column 7 (offset 6)"],
    ["{'a':1}", 'unexpected character at line 1, column 2 (offset 1)'],
    ['{"a":1} x', 'unexpected character at line 1, column 9 (offset 8)'],
  ])('says where %j breaks', (text, where) => {
    expect(messageOf(text)).toBe(`is not valid JSON: ${where}`);
  });
});
