import { exceedsJsonDepth } from './json-body.parser';

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
