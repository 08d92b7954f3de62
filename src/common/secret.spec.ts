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

describe('Secret.scrubEchoes on large input', () => {
  const secret = new Secret(KEY);

  it('agrees with a plain check of every 8-character window', () => {
    const pieces = new Set<string>();
    for (let start = 0; start + 8 <= KEY.length; start += 1) pieces.add(KEY.slice(start, start + 8));
    const reference = (text: string) =>
      secret.scrub(text).replace(/[A-Za-z0-9\-._~+/]{8,}/g, (run) => {
        for (let start = 0; start + 8 <= run.length; start += 1) {
          if (pieces.has(run.slice(start, start + 8))) return '[redacted]';
        }
        return run;
      });
    const alphabet = `${KEY}abcxyz019 .-/[]`;
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    for (let round = 0; round < 500; round += 1) {
      let text = '';
      const length = Math.floor(random() * 80);
      for (let i = 0; i < length; i += 1) {
        text +=
          random() < 0.1
            ? KEY.slice(Math.floor(random() * 30), Math.floor(random() * 40))
            : alphabet[Math.floor(random() * alphabet.length)];
      }
      expect(secret.scrubEchoes(text)).toBe(reference(text));
    }
  });

  it('scrubs a 6 MB run of token characters without overflowing the stack, in linear time', () => {
    const echoed = `${'b'.repeat(3_000_000)}${KEY.slice(3, 20)}${'c'.repeat(3_000_000)} tail`;
    expect(secret.scrubEchoes(echoed)).toBe('[redacted] tail');

    // Linear: ten times the text costs about ten times as much, not a hundred (generous bound).
    const time = (text: string) => {
      const started = process.hrtime.bigint();
      expect(secret.scrubEchoes(text)).toBe(text);
      return Number(process.hrtime.bigint() - started);
    };
    const small = 'a'.repeat(200_000);
    const large = 'a'.repeat(2_000_000);
    time(small);
    const ratio = time(large) / Math.max(time(small), 1);
    expect(ratio).toBeLessThan(40);
  });
});
