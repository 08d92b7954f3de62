import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { hashApiKey } from '../common/api-key';
import { GATEWAY_EVENT_TYPES } from '../common/gateway-event-types';
import { generateWebhookSecret } from '../common/webhook-secret';
import { problemsOf as configProblems } from '../../test/support/config-problems';
import { loadTenantsFile, parseTenantsDocument } from './tenants-file.parser';

const rateLimitDefaults = { perSecond: 20, perMinute: 600 };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEXT = generateWebhookSecret();
const env = { CRM_WHSEC: SECRET, CRM_HOST: 'crm.acme.example', CRM_ID: 'crm-inbox' };
const context = { env, rateLimitDefaults, baseDir: '/' };

const tenantWith = (webhooks: unknown, id = 'acme') => ({
  id,
  blooio: { apiKey: `bl_${id}` },
  apiKeys: [{ id: 'k', sha256: hashApiKey(`bgw_${id}`) }],
  ...(webhooks !== undefined && { webhooks }),
});
const endpoint = (overrides: object = {}) => ({
  id: 'crm-inbox',
  url: 'https://crm.acme.example/hooks/imessage',
  secrets: [SECRET],
  ...overrides,
});

const problemsOf = (document: unknown) =>
  configProblems(() => parseTenantsDocument(document, context));

describe('tenant file: webhooks (the tenant’s own endpoints)', () => {
  it('builds endpoints with ${NAME} filled in, secrets as Secrets, every type by default', () => {
    const [tenant] = parseTenantsDocument(
      {
        tenants: [
          tenantWith([
            {
              id: '${CRM_ID}',
              url: 'https://${CRM_HOST}/hooks/imessage',
              events: ['message.received', 'message.*'],
              secrets: ['${CRM_WHSEC}', NEXT],
            },
            { id: 'local', url: 'http://127.0.0.1:4000', secrets: [NEXT] },
          ]),
        ],
      },
      context,
    ).tenants;
    expect(tenant.webhooks).toHaveLength(2);
    expect(tenant.webhooks[0]).toMatchObject({
      id: 'crm-inbox',
      url: 'https://crm.acme.example/hooks/imessage',
      events: ['message.received', 'message.*'],
    });
    expect(tenant.webhooks[0].secrets.map((secret) => secret.reveal())).toEqual([SECRET, NEXT]);
    expect(tenant.webhooks[1]).toMatchObject({
      id: 'local',
      url: 'http://127.0.0.1:4000',
      events: [...GATEWAY_EVENT_TYPES],
    });
  });

  it('gives a tenant with no webhooks (left out, or YAML’s empty value) an empty list', () => {
    const registry = parseTenantsDocument(
      { tenants: [tenantWith(undefined), tenantWith(null, 'globex'), tenantWith([], 'initech')] },
      context,
    );
    expect(registry.tenants.map((tenant) => tenant.webhooks)).toEqual([[], [], []]);
  });

  it('never shows an endpoint secret when a tenant is printed or serialised', () => {
    const [tenant] = parseTenantsDocument(
      { tenants: [tenantWith([endpoint({ secrets: [SECRET, NEXT] })])] },
      context,
    ).tenants;
    const [hook] = tenant.webhooks;
    const texts = [
      JSON.stringify(tenant),
      inspect(tenant, { depth: 10 }),
      hook.secrets[0].toString(),
    ];
    for (const text of texts) {
      expect(text).not.toContain(SECRET.slice(6));
      expect(text).not.toContain(NEXT.slice(6));
    }
  });

  it('accepts https anywhere and http to loopback hosts only', () => {
    const urls = [
      'https://crm.acme.example/hooks?x=1',
      'https://10.0.0.7:8443/',
      'http://localhost:4000/',
      'http://LOCALHOST/',
      'http://127.0.0.1:4000',
      'http://127.255.0.9/hooks',
      'http://[::1]:4000/',
    ];
    const [tenant] = parseTenantsDocument(
      {
        tenants: [tenantWith(urls.map((url, index) => endpoint({ id: `e${index}`, url })))],
      },
      context,
    ).tenants;
    expect(tenant.webhooks.map((hook) => hook.url)).toEqual(urls);
  });

  it('reports each endpoint problem on its own line with its exact path', () => {
    const problems = problemsOf({
      tenants: [
        tenantWith([
          endpoint(),
          endpoint({ id: 'Bad_Id', url: 'crm.acme.example/hooks' }),
          endpoint({ id: 'plain', url: 'http://crm.acme.example/hooks' }),
          endpoint({ id: 'near-loopback', url: 'http://127.0.0.1.nip.io/' }),
          endpoint({ id: 'creds', url: 'https://user:pa55@crm.acme.example/' }),
          endpoint({ id: 'ftp', url: 'ftp://127.0.0.1/' }),
          endpoint({ id: 'lan', url: 'http://10.0.0.7/' }),
        ]),
        tenantWith(
          [
            endpoint({ events: ['message.sent', 'message.bounced', 'message.sent', '*'] }),
            endpoint({ id: 'no-events', events: [] }),
            endpoint({ id: 'events-text', events: 'message.*' }),
            endpoint({ id: 'number-type', events: [42] }),
          ],
          'globex',
        ),
        tenantWith(
          [
            endpoint({ secrets: [SECRET, NEXT, SECRET, NEXT] }),
            endpoint({ id: 'empty', secrets: [] }),
            endpoint({ id: 'both', secretFiles: ['/run/secrets/x'] }),
            { id: 'neither', url: 'https://a.example/' },
            endpoint({
              id: 'bad-secrets',
              secrets: ['whsec_c2hvcnQ=', 'sk_live_abcdefghijklmnopqrstuvwx', 7],
            }),
            endpoint({ id: 'unset', secrets: ['${MISSING_WHSEC}'] }),
            endpoint({ id: 'colour', colour: 'red' }),
            'crm',
            { id: 'no-url', secrets: [SECRET] },
          ],
          'initech',
        ),
        tenantWith({ id: 'x' }, 'umbrella'),
      ],
    });
    const secretMessage = 'must be whsec_ followed by the base64 of 24 to 64 bytes';
    const httpsMessage = 'must use https: (http: only to localhost, 127.0.0.0/8 or [::1])';
    expect(problems).toEqual([
      'tenants[0].webhooks[1].id: must match ^[a-z0-9][a-z0-9-]{0,62}$',
      'tenants[0].webhooks[1].url: must be an absolute URL such as https://crm.example.com/hooks/imessage',
      `tenants[0].webhooks[2].url: ${httpsMessage}`,
      `tenants[0].webhooks[3].url: ${httpsMessage}`,
      'tenants[0].webhooks[4].url: must not hold credentials (user:password@)',
      `tenants[0].webhooks[5].url: ${httpsMessage}`,
      `tenants[0].webhooks[6].url: ${httpsMessage}`,
      'tenants[1].webhooks[0].events[1]: must be one of message.sent, message.delivered, message.read, message.failed, message.received, message.reaction, webhook.test, or message.*',
      'tenants[1].webhooks[0].events[2]: duplicate "message.sent"',
      'tenants[1].webhooks[0].events[3]: must be one of message.sent, message.delivered, message.read, message.failed, message.received, message.reaction, webhook.test, or message.*',
      'tenants[1].webhooks[1].events: must not be empty: leave it out for every type',
      'tenants[1].webhooks[2].events: must be a list',
      'tenants[1].webhooks[3].events[0]: must be a string: quote it (YAML reads 42 as a number)',
      'tenants[2].webhooks[0].secrets: must list 1 to 3 secrets',
      'tenants[2].webhooks[1].secrets: must be a non-empty list',
      'tenants[2].webhooks[2]: needs exactly one of secrets or secretFiles',
      'tenants[2].webhooks[3]: needs exactly one of secrets or secretFiles',
      `tenants[2].webhooks[4].secrets[0]: ${secretMessage}`,
      `tenants[2].webhooks[4].secrets[1]: ${secretMessage}`,
      'tenants[2].webhooks[4].secrets[2]: must be a string: quote it (YAML reads 7 as a number)',
      'tenants[2].webhooks[5].secrets[0]: environment variable MISSING_WHSEC is not set',
      'tenants[2].webhooks[6].colour: is not a known field (expected id, url, events, secrets, secretFiles)',
      'tenants[2].webhooks[7]: must be a mapping',
      'tenants[2].webhooks[8].url: is required',
      'tenants[3].webhooks: must be a list',
    ]);
    const text = problems.join('\n');
    for (const secret of [SECRET, NEXT, 'sk_live_abcdefghijklmnopqrstuvwx', 'pa55', 'c2hvcnQ']) {
      expect(text).not.toContain(secret);
    }
  });

  it('refuses a duplicate event type in one endpoint, overlapping patterns being fine', () => {
    expect(
      problemsOf({
        tenants: [tenantWith([endpoint({ events: ['message.*', 'message.read', 'message.*'] })])],
      }),
    ).toEqual(['tenants[0].webhooks[0].events[2]: duplicate "message.*"']);
  });

  it('refuses an endpoint id listed twice in a tenant (after ${NAME}), not across tenants', () => {
    expect(
      problemsOf({
        tenants: [
          tenantWith([
            endpoint(),
            endpoint({ id: 'other' }),
            endpoint({ id: '${CRM_ID}' }),
            endpoint({ id: 'other' }),
          ]),
          tenantWith([endpoint()], 'globex'),
        ],
      }),
    ).toEqual([
      'tenants[0].webhooks[2].id: duplicate endpoint id "crm-inbox"',
      'tenants[0].webhooks[3].id: duplicate endpoint id "other"',
    ]);
  });
});

describe('tenant file: webhooks[].secretFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-endpoint-secrets-'));
  const file = join(dir, 'tenants.yaml');
  const write = (secretFiles: string[]) =>
    writeFileSync(
      file,
      [
        'tenants:',
        '  - id: acme',
        '    blooio: { apiKey: bl_acme }',
        `    apiKeys: [{ id: k, sha256: "${hashApiKey('bgw_acme')}" }]`,
        '    webhooks:',
        '      - id: crm-inbox',
        '        url: https://crm.acme.example/hooks',
        `        secretFiles: ${JSON.stringify(secretFiles)}`,
      ].join('\n'),
    );

  it('reads each file relative to the tenant file, trailing newline trimmed', () => {
    writeFileSync(join(dir, 'crm.whsec'), `${SECRET}\n`);
    writeFileSync(join(dir, 'crm-next.whsec'), `${NEXT}\r\n`);
    write(['crm.whsec', join(dir, 'crm-next.whsec')]);
    const [tenant] = loadTenantsFile(file, { env: {}, rateLimitDefaults }).tenants;
    expect(tenant.webhooks[0].secrets.map((secret) => secret.reveal())).toEqual([SECRET, NEXT]);
  });

  it('names an unreadable file and a malformed one, never printing what it holds', () => {
    writeFileSync(join(dir, 'crm.whsec'), `${SECRET}\n`);
    writeFileSync(join(dir, 'blooio-style.whsec'), 'whsec_testAcmeBlooioWebhookSecret0001\n');
    write(['crm.whsec', 'absent.whsec', 'blooio-style.whsec', 'a', 'b']);
    const load = () => configProblems(() => loadTenantsFile(file, { env: {}, rateLimitDefaults }));
    expect(load()).toEqual(['tenants[0].webhooks[0].secretFiles: must list 1 to 3 secrets']);
    write(['crm.whsec', 'absent.whsec', 'blooio-style.whsec']);
    const problems = load();
    expect(problems).toEqual([
      'tenants[0].webhooks[0].secretFiles[1]: cannot read absent.whsec (ENOENT)',
      'tenants[0].webhooks[0].secretFiles[2]: must be whsec_ followed by the base64 of 24 to 64 bytes',
    ]);
    expect(problems.join('\n')).not.toContain('testAcmeBlooio');
  });
});
