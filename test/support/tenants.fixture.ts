import { hashApiKey } from '../../src/common/api-key';

/** Gateway keys of the test tenants (never committed anywhere real). */
export const KEYS = {
  acmeOrders: 'bgw_acmeOrdersKey000000000000000000000000000',
  acmeReadOnly: 'bgw_acmeReadOnlyKey0000000000000000000000000',
  acmeRotated: 'bgw_acmeRotatedKey00000000000000000000000000',
  globex: 'bgw_globexKey000000000000000000000000000000000',
  initech: 'bgw_initechKey00000000000000000000000000000000',
  umbrella: 'bgw_umbrellaKey0000000000000000000000000000000',
} as const;

/** Blooio keys the test tenants hold; the simulator accepts these only. */
export const BLOOIO_KEYS = {
  acme: 'bl_test_acme_blooio_key_0001',
  globex: 'bl_test_globex_blooio_key_0002',
  broken: 'bl_test_refused_by_blooio_0003',
} as const;

/** Signing secrets of the tenants' Blooio webhooks (Blooio's form); must never be logged or served. */
export const WEBHOOK_SECRETS = {
  acme: 'whsec_testAcmeBlooioWebhookSecret0001',
} as const;

/**
 * Secrets of acme's own webhook endpoints (Standard Webhooks: whsec_ + base64 of 32 bytes), for
 * suites that give acme endpoints (`acmeWebhooks`); must never be logged or served either.
 */
export const ENDPOINT_SECRETS = {
  acmeCrm: 'whsec_dGVzdEFjbWVDcm1FbmRwb2ludFNlY3JldDAwMDAwMDE=',
  acmeCrmNext: 'whsec_dGVzdEFjbWVDcm1FbmRwb2ludFNlY3JldE5leHQwMDI=',
} as const;

/** acme's endpoints for `acmeWebhooks`: a loopback URL nothing listens on, both secrets signing. */
export function acmeTestEndpoints(url = 'http://127.0.0.1:9/hooks/crm') {
  return [
    {
      id: 'crm-inbox',
      url,
      events: ['message.*'],
      secrets: [ENDPOINT_SECRETS.acmeCrm, '${TEST_ACME_CRM_WHSEC_NEXT}'],
    },
  ];
}

export const ACME_SENDERS = ['+15550001111', '+15550002222'];
export const GLOBEX_SENDER = '+15557770000';

/**
 * acme: allow-list and default sender, US numbers; globex: no list; initech: a key Blooio refuses;
 * umbrella: acme's Blooio key, shared (it must still never see acme's messages or events).
 */
export function testTenantsDocument(
  overrides: {
    acmeRateLimit?: { perSecond?: number; perMinute?: number };
    /** acme's `webhooks` (none by default), e.g. acmeTestEndpoints(). */
    acmeWebhooks?: unknown[];
  } = {},
) {
  return {
    tenants: [
      {
        id: 'acme',
        name: 'Acme Corp',
        blooio: {
          apiKey: '${TEST_ACME_BLOOIO_KEY}',
          senders: ACME_SENDERS,
          defaultSender: ACME_SENDERS[0],
          webhook: { signingSecrets: [WEBHOOK_SECRETS.acme] },
        },
        defaultCountry: 'US',
        maxRecipients: 5,
        ...(overrides.acmeRateLimit && { rateLimit: overrides.acmeRateLimit }),
        apiKeys: [
          { id: 'orders-service', sha256: hashApiKey(KEYS.acmeOrders), scopes: ['messages:send'] },
          { id: 'reporting', sha256: hashApiKey(KEYS.acmeReadOnly), scopes: ['messages:read'] },
          { id: 'orders-service-next', sha256: hashApiKey(KEYS.acmeRotated) },
        ],
        ...(overrides.acmeWebhooks && { webhooks: overrides.acmeWebhooks }),
      },
      {
        id: 'globex',
        blooio: { apiKey: BLOOIO_KEYS.globex, defaultSender: GLOBEX_SENDER },
        apiKeys: [{ id: 'globex-app', sha256: hashApiKey(KEYS.globex) }],
      },
      {
        id: 'initech',
        blooio: { apiKey: BLOOIO_KEYS.broken },
        apiKeys: [{ id: 'initech-app', sha256: hashApiKey(KEYS.initech) }],
      },
      {
        id: 'umbrella',
        blooio: { apiKey: BLOOIO_KEYS.acme },
        apiKeys: [{ id: 'umbrella-app', sha256: hashApiKey(KEYS.umbrella) }],
      },
    ],
  };
}

/**
 * Every credential of the fixture, in each form it could leak in (keys and their digests, Blooio
 * keys, both kinds of webhook secrets, an endpoint secret's key bytes as base64 and as text), and
 * `whsec_` itself: no log, answer or document may hold any of them.
 */
export function secretsNeverShown(): string[] {
  const endpointKeys = Object.values(ENDPOINT_SECRETS).map((secret) =>
    secret.slice('whsec_'.length),
  );
  return [
    ...Object.values(KEYS),
    ...Object.values(KEYS).map(hashApiKey),
    ...Object.values(BLOOIO_KEYS),
    ...Object.values(WEBHOOK_SECRETS),
    ...Object.values(ENDPOINT_SECRETS),
    ...endpointKeys,
    ...endpointKeys.map((key) => Buffer.from(key, 'base64').toString()),
    'whsec_',
  ];
}

/** Environment the fixture's ${…} references need. */
export const TEST_TENANT_ENV = {
  TEST_ACME_BLOOIO_KEY: BLOOIO_KEYS.acme,
  TEST_ACME_CRM_WHSEC_NEXT: ENDPOINT_SECRETS.acmeCrmNext,
};
