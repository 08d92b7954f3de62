import { inspect } from 'node:util';
import { Secret } from './secret';

const KEY = 'fake_blooio_key_for_the_secret_spec_1';

describe('Secret', () => {
  const secret = new Secret(KEY);

  it('prints [redacted] everywhere but reveal()', () => {
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(String(secret)).toBe('[redacted]');
    expect(inspect(secret)).toBe('[redacted]');
    expect(secret.reveal()).toBe(KEY);
  });

  it('scrubs every whole occurrence', () => {
    expect(secret.scrub(`key ${KEY} and ${KEY}!`)).toBe('key [redacted] and [redacted]!');
  });

  it.each([
    ['truncated', `Invalid API key: ${KEY.slice(0, -1)}`],
    ['followed by a full stop', `Invalid API key ${KEY.slice(0, -3)}.`],
    ['masked in the middle', `Invalid API key ${KEY.slice(0, 12)}****${KEY.slice(-4)}`],
    ['its tail alone', `key ending ${KEY.slice(-10)} was revoked`],
  ])('scrubEchoes also removes a piece of it: %s', (_name, text) => {
    const scrubbed = secret.scrubEchoes(text);
    expect(scrubbed).toContain('[redacted]');
    for (let start = 0; start + 8 <= KEY.length; start += 1) {
      expect(scrubbed).not.toContain(KEY.slice(start, start + 8));
    }
  });

  it('scrubEchoes keeps what shares less than 8 characters in a row with it', () => {
    const text = 'Invalid API key (a bl_live key of another account; see docs.blooio.com/errors).';
    expect(secret.scrubEchoes(text)).toBe(text);
  });
});
