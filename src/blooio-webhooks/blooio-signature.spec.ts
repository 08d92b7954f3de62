import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { Secret } from '../common/secret';
import { loadEventsConfig } from '../config/events.config';
import {
  blooioSignatureHeader,
  parseSignatureHeader,
  verifyBlooioSignature,
  type SignatureInput,
} from './blooio-signature';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';

const SECRET = 'whsec_test_secret';
const T = 1_764_669_600;
const BODY =
  '{"event":"message.delivered","message_id":"msg_8fK2","external_id":"+15551234567","status":"delivered","protocol":"imessage","timestamp":1764669600000,"internal_id":"+15550001111","is_group":false,"delivered_at":1764669599500}';
/** Computed apart from this code base, with Python's hmac over the same bytes. */
const VECTOR = '2d0429e6fd7744526de4e5dcbd4a1dd1be2582eda82b64f402b87b1727e7e916';

const check = (overrides: Partial<SignatureInput>) =>
  verifyBlooioSignature({
    header: `t=${T},v1=${VECTOR}`,
    rawBody: Buffer.from(BODY),
    secrets: [new Secret(SECRET)],
    toleranceSeconds: 300,
    nowMs: T * 1_000,
    ...overrides,
  });

/** Blooio's documented sample: the secret string straight into createHmac, over `${t}.${body}`. */
const docsSignature = (secret: string, timestamp: number, payload: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');

describe('verifyBlooioSignature', () => {
  it('accepts the independent test vector', () => {
    expect(check({})).toEqual({ valid: true, timestamp: T });
    expect(blooioSignatureHeader(SECRET, T, Buffer.from(BODY))).toBe(`t=${T},v1=${VECTOR}`);
  });

  it('accepts what Blooio’s documented sample computes, for any body and secret', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ minLength: 1 }),
        (body, tail) => {
          const secret = `whsec_${tail}`;
          const header = `t=${T},v1=${docsSignature(secret, T, body)}`;
          const result = check({
            header,
            rawBody: Buffer.from(body, 'utf8'),
            secrets: [new Secret(secret)],
          });
          expect(result.valid).toBe(true);
        },
      ),
    );
  });

  it('keys with the whole secret string: the Standard Webhooks reading (base64 after whsec_) fails', () => {
    const standardKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const wrong = createHmac('sha256', standardKey).update(`${T}.${BODY}`).digest('hex');
    expect(check({ header: `t=${T},v1=${wrong}` })).toEqual({ valid: false, reason: 'mismatch' });
    const noPrefix = docsSignature('test_secret', T, BODY);
    expect(check({ header: `t=${T},v1=${noPrefix}` })).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('covers the raw bytes: one changed byte or re-serialised JSON fails', () => {
    expect(check({ rawBody: Buffer.from(BODY.replace('delivered', 'Delivered')) })).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    const reserialised = JSON.stringify(JSON.parse(BODY), null, 1);
    expect(check({ rawBody: Buffer.from(reserialised) }).valid).toBe(false);
  });

  it('tries every configured secret, and takes any of several v1 values', () => {
    const secrets = [new Secret('whsec_new'), new Secret(SECRET)];
    expect(check({ secrets }).valid).toBe(true);
    const other = docsSignature('whsec_other', T, BODY);
    expect(check({ header: `t=${T},v1=${other},v1=${VECTOR}` }).valid).toBe(true);
    expect(check({ header: `v1=${other}, v1=${VECTOR.toUpperCase()} ,t=${T}` }).valid).toBe(true);
    expect(check({ header: `t=${T},v0=abc,v2=${'f'.repeat(64)},v1=${VECTOR}` }).valid).toBe(true);
    expect(check({ header: `t=${T},v1=${other}` })).toEqual({ valid: false, reason: 'mismatch' });
    expect(check({ secrets: [new Secret('whsec_new')] })).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('refuses a timestamp further than the tolerance from now, either way', () => {
    expect(check({ nowMs: (T + 300) * 1_000 }).valid).toBe(true);
    expect(check({ nowMs: (T - 300) * 1_000 }).valid).toBe(true);
    expect(check({ nowMs: (T + 301) * 1_000 })).toEqual({ valid: false, reason: 'stale' });
    expect(check({ nowMs: (T - 301) * 1_000 })).toEqual({ valid: false, reason: 'stale' });
    expect(check({ toleranceSeconds: 10, nowMs: (T + 11) * 1_000 }).valid).toBe(false);
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['two headers', [`t=${T},v1=${VECTOR}`, `t=${T},v1=${VECTOR}`], 'malformed'],
    ['no t', `v1=${VECTOR}`, 'malformed'],
    ['two t', `t=${T},t=${T},v1=${VECTOR}`, 'malformed'],
    ['a t in milliseconds with a fraction', `t=${T}.5,v1=${VECTOR}`, 'malformed'],
    ['a negative t', `t=-${T},v1=${VECTOR}`, 'malformed'],
    ['no v1', `t=${T}`, 'malformed'],
    ['a short v1', `t=${T},v1=${VECTOR.slice(2)}`, 'malformed'],
    ['a non-hex v1', `t=${T},v1=${'z'.repeat(64)}`, 'malformed'],
    ['an item without =', `t=${T},v1=${VECTOR},junk`, 'malformed'],
    ['too many items', `t=${T}` + `,v1=${VECTOR}`.repeat(8), 'malformed'],
    ['a huge header', `t=${T},v1=${VECTOR},x=${'a'.repeat(2_000)}`, 'malformed'],
  ] as const)('refuses %s', (_name, header, reason) => {
    expect(check({ header })).toEqual({ valid: false, reason });
  });

  it('refuses everything when the tenant has no secret, after the same HMAC as with one', () => {
    // The module object the code under test calls through (its `import` compiles to a require).
    const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const hmac = jest.spyOn(crypto, 'createHmac');
    try {
      expect(check({ secrets: [] })).toEqual({ valid: false, reason: 'no_secret' });
      expect(hmac).toHaveBeenCalledTimes(1);
      hmac.mockClear();
      expect(check({ header: `t=${T},v1=${'0'.repeat(64)}` })).toEqual({
        valid: false,
        reason: 'mismatch',
      });
      expect(hmac).toHaveBeenCalledTimes(1);
    } finally {
      hmac.mockRestore();
    }
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        expect(check({ header }).valid).toBe(false);
      }),
    );
    expect(parseSignatureHeader('t=1,v1=' + 'a'.repeat(64))).toEqual({
      timestamp: 1,
      signatures: [Buffer.alloc(32, 0xaa)],
    });
  });
});

describe('BlooioSignatureVerifier', () => {
  it('uses WEBHOOK_TOLERANCE_SECONDS', () => {
    const verifier = new BlooioSignatureVerifier(
      loadEventsConfig({ WEBHOOK_TOLERANCE_SECONDS: '60' }),
    );
    const header = `t=${T},v1=${VECTOR}`;
    const secrets = [new Secret(SECRET)];
    expect(verifier.verify(header, Buffer.from(BODY), secrets, (T + 60) * 1_000).valid).toBe(true);
    expect(verifier.verify(header, Buffer.from(BODY), secrets, (T + 61) * 1_000)).toEqual({
      valid: false,
      reason: 'stale',
    });
  });
});
