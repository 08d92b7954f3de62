import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { Secret } from '../../common/secret';
import {
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
  type WebhookVerdict,
} from './standard-webhooks';

/** The test vector published with the Standard Webhooks 1.0 specification. */
const SPEC = {
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const NOW_MS = SPEC.timestamp * 1_000;
const secret = (value: string) => new Secret(value);

const specHeaders = (overrides: Record<string, string | undefined> = {}) => ({
  'webhook-id': SPEC.id,
  'webhook-timestamp': String(SPEC.timestamp),
  'webhook-signature': SPEC.signature,
  ...overrides,
});

const failure = (verdict: WebhookVerdict) => (verdict.valid ? 'valid' : verdict.reason);

describe('Standard Webhooks signing', () => {
  it('signs the spec’s test vector exactly', () => {
    expect(signWebhook(SPEC.id, SPEC.timestamp, SPEC.body, [secret(SPEC.secret)])).toBe(
      SPEC.signature,
    );
    expect(
      signWebhook(SPEC.id, SPEC.timestamp, Buffer.from(SPEC.body), [secret(SPEC.secret)]),
    ).toBe(SPEC.signature);
  });

  it('verifies the spec’s test vector', () => {
    expect(verifyWebhook(specHeaders(), SPEC.body, [secret(SPEC.secret)], 300, NOW_MS)).toEqual({
      valid: true,
      id: SPEC.id,
      timestamp: SPEC.timestamp,
    });
  });

  it('gives a delivery’s headers: id, timestamp, one v1 per secret in order, JSON', () => {
    const second = generateWebhookSecret();
    const headers = webhookHeaders(SPEC.id, SPEC.timestamp, SPEC.body, [
      secret(SPEC.secret),
      secret(second),
    ]);
    const key = Buffer.from(second.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key)
      .update(`${SPEC.id}.${SPEC.timestamp}.${SPEC.body}`)
      .digest('base64');
    expect(headers).toEqual({
      'webhook-id': SPEC.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': `${SPEC.signature} v1,${mac}`,
      'content-type': 'application/json',
    });
  });

  it('signs the bytes given: UTF-8 text and its buffer sign alike', () => {
    const body = '{"text":"héllo 👋"}';
    const secrets = [secret(generateWebhookSecret())];
    expect(signWebhook('evt_1', 1, body, secrets)).toBe(
      signWebhook('evt_1', 1, Buffer.from(body, 'utf8'), secrets),
    );
  });

  it('refuses to sign without a secret or with one that is not whsec_ base64, never naming it', () => {
    expect(() => signWebhook('evt_1', 1, '{}', [])).toThrow('at least one secret');
    expect(() => signWebhook('evt_1', 1, '{}', [secret('whsec_tooShort')])).toThrow(
      /^a webhook secret is not whsec_ \+ base64 of 24 to 64 bytes$/,
    );
  });
});

describe('Standard Webhooks verifying', () => {
  const secrets = [secret(SPEC.secret)];
  const verify = (headers: Record<string, string | undefined>, body = SPEC.body, now = NOW_MS) =>
    verifyWebhook(headers, body, secrets, 300, now);

  it('accepts a delivery when any of several secrets signed, and any of its signatures match', () => {
    const [a, b, c] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const signed = webhookHeaders('evt_x', SPEC.timestamp, SPEC.body, [secret(a), secret(b)]);
    // The receiver has rotated: it knows b and c, not a.
    expect(verifyWebhook(signed, SPEC.body, [secret(c), secret(b)], 300, NOW_MS).valid).toBe(true);
    expect(failure(verifyWebhook(signed, SPEC.body, [secret(c)], 300, NOW_MS))).toBe('mismatch');
    // A signer's own rotation: a new v1 first, an unknown scheme beside it.
    const rotated = {
      ...signed,
      'webhook-signature': `v1a,${'A'.repeat(86)}== ${signed['webhook-signature']}`,
    };
    expect(verifyWebhook(rotated, SPEC.body, [secret(a)], 300, NOW_MS).valid).toBe(true);
  });

  it('refuses a tampered body, id or timestamp', () => {
    expect(verify(specHeaders(), '{"test": 2432232315}')).toMatchObject({
      valid: false,
      reason: 'mismatch',
      detail: 'no v1 signature matches this id, timestamp and body with any secret',
    });
    expect(failure(verify(specHeaders(), `${SPEC.body} `))).toBe('mismatch');
    expect(failure(verify(specHeaders({ 'webhook-id': 'msg_other' })))).toBe('mismatch');
    expect(failure(verify(specHeaders({ 'webhook-timestamp': String(SPEC.timestamp + 1) })))).toBe(
      'mismatch',
    );
    const flipped = SPEC.signature.replace('g0hM', 'g0hN');
    expect(failure(verify(specHeaders({ 'webhook-signature': flipped })))).toBe('mismatch');
  });

  it('refuses a timestamp further than the tolerance, either way, and says by how much', () => {
    expect(verify(specHeaders(), SPEC.body, NOW_MS + 301_000)).toEqual({
      valid: false,
      reason: 'stale',
      detail: 'webhook-timestamp is 301 s old (tolerance 300 s)',
    });
    expect(verify(specHeaders(), SPEC.body, NOW_MS - 400_000)).toEqual({
      valid: false,
      reason: 'stale',
      detail: 'webhook-timestamp is 400 s in the future (tolerance 300 s)',
    });
    expect(verify(specHeaders(), SPEC.body, NOW_MS + 300_000).valid).toBe(true);
    expect(verify(specHeaders(), SPEC.body, NOW_MS - 300_000).valid).toBe(true);
    expect(verifyWebhook(specHeaders(), SPEC.body, secrets, 10, NOW_MS + 11_000)).toMatchObject({
      reason: 'stale',
    });
  });

  it('names the missing headers', () => {
    expect(verify({})).toEqual({
      valid: false,
      reason: 'missing',
      detail: 'no webhook-id, webhook-timestamp, webhook-signature header',
    });
    expect(verify(specHeaders({ 'webhook-signature': '' }))).toMatchObject({
      reason: 'missing',
      detail: 'no webhook-signature header',
    });
  });

  it('finds headers in any case (node lowercases them; other stacks may not)', () => {
    const headers = {
      'Webhook-Id': SPEC.id,
      'WEBHOOK-TIMESTAMP': String(SPEC.timestamp),
      'Webhook-Signature': SPEC.signature,
    };
    expect(verify(headers).valid).toBe(true);
  });

  it('refuses malformed headers before any HMAC is computed', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ 'webhook-timestamp': '1614265330.5' }, 'webhook-timestamp must be unix seconds'],
      [{ 'webhook-timestamp': '-1' }, 'webhook-timestamp must be unix seconds'],
      [
        { 'webhook-timestamp': ['1614265330', '1614265330'] },
        'webhook-timestamp must be unix seconds',
      ],
      [
        { 'webhook-id': 'x'.repeat(257) },
        'webhook-id must be one string of at most 256 characters',
      ],
      [
        { 'webhook-id': [SPEC.id, SPEC.id] },
        'webhook-id must be one string of at most 256 characters',
      ],
      [
        { 'webhook-signature': 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
        'webhook-signature has no v1,<base64 HMAC-SHA256> signature',
      ],
      [
        { 'webhook-signature': 'v1,g0hM9SsE' },
        'webhook-signature has no v1,<base64 HMAC-SHA256> signature',
      ],
      [
        { 'webhook-signature': `${SPEC.signature} `.repeat(11) },
        'webhook-signature has more than 10 signatures',
      ],
      [
        { 'webhook-signature': `${SPEC.signature} ${'v2,x'.repeat(600)}` },
        'webhook-signature must be one header of at most 2048 characters',
      ],
    ];
    for (const [overrides, detail] of cases) {
      const headers = { ...specHeaders(), ...overrides } as Record<string, string>;
      expect(verify(headers)).toEqual({ valid: false, reason: 'malformed', detail });
    }
  });

  it('refuses everything when it has no secret', () => {
    expect(verifyWebhook(specHeaders(), SPEC.body, [], 300, NOW_MS)).toEqual({
      valid: false,
      reason: 'no_secret',
      detail: 'no secret to verify with',
    });
  });

  it('never puts the expected signature or a secret in a verdict', () => {
    const verdicts = [
      verify(specHeaders({ 'webhook-id': 'msg_other' })),
      verify(specHeaders(), '{}'),
      verify(specHeaders(), SPEC.body, 0),
    ];
    for (const verdict of verdicts) {
      const text = JSON.stringify(verdict);
      expect(text).not.toContain(SPEC.secret.slice(6, 20));
      expect(text).not.toContain('g0hM9SsE');
    }
  });
});

describe('interoperation with the standardwebhooks npm package', () => {
  const body = JSON.stringify({
    id: 'evt_abcdefghijklmnopqrstuvwxyz',
    type: 'message.delivered',
    data: { messageId: 'msg_1', text: 'héllo 👋' },
  });

  it('its Webhook.verify accepts what this module signs, with each of several secrets', () => {
    const secrets = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1_000);
    const headers = webhookHeaders('evt_interop', now, body, secrets.map(secret));
    for (const each of secrets) {
      expect(new Webhook(each).verify(body, headers)).toEqual(JSON.parse(body));
      expect(new Webhook(each).verify(Buffer.from(body), headers)).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(secrets[0]).verify(`${body} `, headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it('this module accepts what its Webhook.sign signs, and refuses what it would refuse', () => {
    const whsec = generateWebhookSecret();
    const now = new Date();
    const seconds = Math.floor(now.getTime() / 1_000);
    const headers = {
      'webhook-id': 'evt_theirs',
      'webhook-timestamp': String(seconds),
      'webhook-signature': new Webhook(whsec).sign('evt_theirs', now, body),
    };
    expect(verifyWebhook(headers, body, [secret(whsec)], 300, now.getTime())).toEqual({
      valid: true,
      id: 'evt_theirs',
      timestamp: seconds,
    });
    expect(failure(verifyWebhook(headers, `${body}x`, [secret(whsec)], 300, now.getTime()))).toBe(
      'mismatch',
    );
  });

  it('both sign the spec’s vector alike', () => {
    expect(
      new Webhook(SPEC.secret).sign(SPEC.id, new Date(SPEC.timestamp * 1_000), SPEC.body),
    ).toBe(SPEC.signature);
  });
});
