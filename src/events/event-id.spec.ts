import { createHash } from 'node:crypto';
import { eventIdOf, newEventId } from './event-id';
import { EVENT_ID_PATTERN } from './gateway-event';

describe('event ids', () => {
  it('are evt_ and 26 base32 characters of the given bytes (RFC 4648 alphabet, lowercase)', () => {
    expect(eventIdOf(Buffer.alloc(17))).toBe(`evt_${'a'.repeat(26)}`);
    expect(eventIdOf(Buffer.alloc(32, 0xff))).toBe(`evt_${'7'.repeat(26)}`);
    // "foobar" is MZXW6YTBOI in RFC 4648's test vectors.
    expect(eventIdOf(Buffer.concat([Buffer.from('foobar'), Buffer.alloc(11)]))).toMatch(
      /^evt_mzxw6ytboi/,
    );
    const digest = createHash('sha256').update('x').digest();
    expect(eventIdOf(digest)).toMatch(EVENT_ID_PATTERN);
    expect(() => eventIdOf(Buffer.alloc(16))).toThrow(RangeError);
  });

  it('makes fresh random ones of the same form', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newEventId()));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(id).toMatch(EVENT_ID_PATTERN);
  });
});
