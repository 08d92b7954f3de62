import {
  decodeWebhookSecret,
  generateWebhookSecret,
  isWebhookSecret,
  WEBHOOK_SECRET_MESSAGE,
} from './webhook-secret';

const base64Of = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');

describe('webhook secrets (whsec_ + base64 of 24 to 64 bytes)', () => {
  it('decodes the spec’s example secret to its 24 key bytes', () => {
    const key = decodeWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(key).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    expect(key).toHaveLength(24);
  });

  it('accepts 24 to 64 bytes (whatever padding their base64 needs), nothing shorter or longer', () => {
    for (const bytes of [24, 25, 26, 32, 63, 64]) {
      expect(decodeWebhookSecret(`whsec_${base64Of(bytes)}`)).toHaveLength(bytes);
    }
    for (const bytes of [0, 1, 23, 65, 200]) {
      expect(isWebhookSecret(`whsec_${base64Of(bytes)}`)).toBe(false);
    }
  });

  it('refuses what is not whsec_ + canonical standard base64', () => {
    const good = base64Of(32); // 44 characters, one "=" of padding
    for (const bad of [
      good, // no prefix
      `WHSEC_${good}`,
      `whsec ${good}`,
      `whsec_${good.slice(0, -1)}`, // padding missing: not what other libraries decode alike
      `whsec_${good}=`,
      `whsec_${'-'.repeat(44)}`, // base64url's alphabet
      `whsec_${good.slice(0, 20)} ${good.slice(21)}`,
      `whsec_${good}\n`,
      `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}`,
      'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=', // non-zero unused bits: not canonical
      `whsec_${'A'.repeat(100_000)}`,
    ]) {
      expect(decodeWebhookSecret(bad)).toBeUndefined();
    }
  });

  it('generates whsec_ + base64 of 32 random bytes, new every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateWebhookSecret()));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(decodeWebhookSecret(secret)).toHaveLength(32);
    }
  });

  it('says what a secret must be without showing one', () => {
    expect(WEBHOOK_SECRET_MESSAGE).toBe('must be whsec_ followed by the base64 of 24 to 64 bytes');
  });
});
