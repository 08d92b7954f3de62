import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../config/env';
import { hashApiKey } from '../common/api-key';
import { createHash } from 'node:crypto';
import { createSandboxRegistry, SANDBOX_BLOOIO_KEY, SANDBOX_SENDERS } from './sandbox-tenant';
import {
  loadTenantsFile,
  parseTenantsDocument,
  type TenantsFileContext,
} from './tenants-file.parser';

const rateLimitDefaults = { perSecond: 20, perMinute: 600 };
const context: TenantsFileContext = {
  env: { ACME_KEY: 'bl_acme_secret' },
  rateLimitDefaults,
  baseDir: '/',
};
const digest = hashApiKey('bgw_orders');

const validTenant = () => ({
  id: 'acme',
  name: 'Acme Corp',
  blooio: {
    apiKey: '${ACME_KEY}',
    senders: ['+15550001111', '+15550002222'],
    defaultSender: '+15550001111',
  },
  defaultCountry: 'US',
  maxRecipients: 5,
  rateLimit: { perSecond: 2 },
  apiKeys: [
    { id: 'orders-service', sha256: digest, scopes: ['messages:send'] },
    { id: 'reporting', sha256: hashApiKey('bgw_reporting') },
  ],
});

function problemsOf(document: unknown, ctx = context): string[] {
  try {
    parseTenantsDocument(document, ctx);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseTenantsDocument', () => {
  it('builds tenants with interpolated keys, defaults and scopes', () => {
    const registry = parseTenantsDocument({ tenants: [validTenant()] }, context);
    const principal = registry.authenticate('bgw_orders');
    expect(principal?.keyId).toBe('orders-service');
    expect([...(principal?.scopes ?? [])]).toEqual(['messages:send']);
    expect(principal?.tenant).toMatchObject({
      id: 'acme',
      defaultCountry: 'US',
      maxRecipients: 5,
      rateLimit: { perSecond: 2, perMinute: 600 },
      blooio: { senders: ['+15550001111', '+15550002222'], defaultSender: '+15550001111' },
    });
    expect(principal?.tenant.blooio.apiKey.reveal()).toBe('bl_acme_secret');
    expect([...(registry.authenticate('bgw_reporting')?.scopes ?? [])]).toEqual([
      'messages:send',
      'messages:read',
      'events:read',
      'events:manage',
    ]);
    expect(registry.authenticate('bgw_unknown')).toBeUndefined();
  });

  it('never shows the Blooio key when a tenant is printed or serialised', () => {
    const tenant = parseTenantsDocument({ tenants: [validTenant()] }, context).tenants[0];
    expect(JSON.stringify(tenant)).not.toContain('bl_acme_secret');
    expect(inspect(tenant, { depth: 10 })).not.toContain('bl_acme_secret');
  });

  it('reports one line per problem, each naming its path', () => {
    const bad = {
      tenants: [
        validTenant(),
        {
          id: 'Bad Id',
          blooio: {
            apiKey: 'k',
            apiKeyFile: '/x',
            senders: ['5550001111'],
            defaultSender: '+15559999999',
          },
          defaultCountry: 'XX',
          maxRecipients: 0,
          rateLimit: { perSecond: -1 },
          apiKeys: [
            { id: 'k1', sha256: 'abc', scopes: ['messages:delete'] },
            { id: 'k1', sha256: digest },
          ],
          colour: 'blue',
        },
      ],
    };
    expect(problemsOf(bad)).toEqual([
      'tenants[1].colour: is not a known field (expected id, name, blooio, defaultCountry, maxRecipients, rateLimit, apiKeys, webhooks)',
      'tenants[1].id: must match ^[a-z0-9][a-z0-9-]{0,62}$',
      'tenants[1].blooio: needs exactly one of apiKey or apiKeyFile',
      'tenants[1].blooio.senders[0]: must be an E.164 number such as +15550001111',
      'tenants[1].blooio.defaultSender: must be one of senders',
      'tenants[1].defaultCountry: must be an ISO 3166-1 alpha-2 country code, e.g. US',
      'tenants[1].maxRecipients: must be a whole number from 1 to 100',
      'tenants[1].rateLimit.perSecond: must be a whole number from 1 to 1000000',
      'tenants[1].apiKeys[0].sha256: must be 64 hex characters (lowercase)',
      'tenants[1].apiKeys[0].scopes[0]: must be one of messages:send, messages:read, events:read, events:manage',
      'tenants[1].apiKeys[1].id: duplicate key id "k1"',
    ]);
  });

  it('rejects a duplicate tenant id, a key listed twice and a defaultSender outside senders', () => {
    const second = {
      ...validTenant(),
      blooio: { apiKey: 'x', senders: ['+15550001111'], defaultSender: '+15550003333' },
    };
    expect(problemsOf({ tenants: [validTenant(), second] })).toEqual([
      'tenants[1].blooio.defaultSender: must be one of senders',
      'tenants[1].apiKeys[0].sha256: the same key is already listed at tenants[0].apiKeys[0]',
      'tenants[1].apiKeys[1].sha256: the same key is already listed at tenants[0].apiKeys[1]',
      'tenants[1].id: duplicate tenant id "acme"',
    ]);
  });

  it('compares tenant and key ids after ${NAME} is filled in', () => {
    const first = validTenant();
    const second = {
      ...validTenant(),
      id: '${SECOND_TENANT}',
      apiKeys: [
        { id: 'k-${KEY_SUFFIX}', sha256: hashApiKey('third') },
        { id: 'k-1', sha256: hashApiKey('fourth') },
      ],
    };
    const env = { ...context.env, SECOND_TENANT: first.id, KEY_SUFFIX: '1' };
    expect(problemsOf({ tenants: [first, second] }, { ...context, env })).toEqual([
      'tenants[1].apiKeys[1].id: duplicate key id "k-1"',
      `tenants[1].id: duplicate tenant id "${first.id}"`,
    ]);
  });

  it('rejects duplicate key ids within a tenant', () => {
    const tenant = {
      ...validTenant(),
      apiKeys: [
        { id: 'a', sha256: digest },
        { id: 'a', sha256: hashApiKey('other') },
      ],
    };
    expect(problemsOf({ tenants: [tenant] })).toEqual([
      'tenants[0].apiKeys[1].id: duplicate key id "a"',
    ]);
  });

  it('names a missing environment variable', () => {
    expect(problemsOf({ tenants: [validTenant()] }, { ...context, env: {} })).toEqual([
      'tenants[0].blooio.apiKey: environment variable ACME_KEY is not set',
    ]);
  });

  it('refuses an empty senders or scopes list, which would allow nothing', () => {
    const tenant = validTenant();
    tenant.blooio.senders = [];
    delete (tenant.blooio as { defaultSender?: string }).defaultSender;
    tenant.apiKeys = [{ ...tenant.apiKeys[0], scopes: [] }];
    expect(problemsOf({ tenants: [tenant] })).toEqual([
      'tenants[0].blooio.senders: must not be empty: leave it out to allow any sender',
      'tenants[0].apiKeys[0].scopes: must not be empty: leave it out for every scope',
    ]);
  });

  it('reads a field left empty in YAML (null) as left out, so a tenant is never dropped silently', () => {
    const tenant = { ...validTenant(), name: null, rateLimit: null, maxRecipients: null };
    tenant.blooio = {
      apiKey: null as unknown as string,
      senders: null,
      defaultSender: null,
    } as never;
    expect(problemsOf({ tenants: [tenant] })).toEqual([
      'tenants[0].blooio: needs exactly one of apiKey or apiKeyFile',
    ]);
    const fine = { ...validTenant(), name: null, rateLimit: null, maxRecipients: null };
    const parsed = parseTenantsDocument({ tenants: [fine] }, context).tenants[0];
    expect(parsed).toMatchObject({ maxRecipients: 10, rateLimit: rateLimitDefaults });
    expect(parsed).not.toHaveProperty('name');
  });

  it('reports a malformed Blooio key, a tenant list item that is not a mapping and root fields', () => {
    const tenant = { ...validTenant(), blooio: { apiKey: 'has space' } };
    expect(problemsOf({ tenants: [tenant, 'acme'], extra: 1 })).toEqual([
      '(root).extra: is not a known field (expected tenants)',
      'tenants[0].blooio.apiKey: must be 1 to 512 visible ASCII characters',
      'tenants[1]: must be a mapping',
    ]);
  });

  it('fills in ${NAME} in scopes too, as in every string', () => {
    const tenant = validTenant();
    tenant.apiKeys = [{ ...tenant.apiKeys[0], scopes: ['${SCOPE}'] }];
    const env = { ACME_KEY: 'bl_acme', SCOPE: 'messages:send' };
    const registry = parseTenantsDocument({ tenants: [tenant] }, { ...context, env });
    expect(registry.authenticate('bgw_orders')?.scopes).toEqual(new Set(['messages:send']));
  });

  it('asks for quotes around an id that YAML read as a number or a boolean', () => {
    const tenant = { ...validTenant(), id: 2024 };
    tenant.apiKeys = [{ ...tenant.apiKeys[0], id: true as unknown as string }];
    expect(problemsOf({ tenants: [tenant] })).toEqual([
      'tenants[0].id: must be a string: quote it (YAML reads 2024 as a number)',
      'tenants[0].apiKeys[0].id: must be a string: quote it (YAML reads true as a boolean)',
    ]);
  });

  it('needs a non-empty tenants list', () => {
    expect(problemsOf({})).toEqual(['tenants: is required and must be a non-empty list']);
    expect(problemsOf({ tenants: [] })).toEqual(['tenants: must be a non-empty list']);
    expect(problemsOf([1])).toEqual(['(root): must be a mapping']);
  });
});

describe('blooio.webhook and the Blooio key id', () => {
  const SECRET = 'whsec_abcdefghijklmnop0123';
  const OTHER = 'whsec_ZYXWVUTSRQPONMLK9876';
  const env = { ACME_KEY: 'bl_acme_secret', WHSEC: SECRET };
  const withWebhook = (webhook: unknown, overrides: object = {}) => {
    const tenant = validTenant();
    return { ...tenant, ...overrides, blooio: { ...tenant.blooio, webhook } };
  };
  /** A second tenant with its own API keys, on `apiKey`. */
  const tenantOn = (id: string, apiKey: string, blooio: object = {}) => ({
    id,
    blooio: { apiKey, ...blooio },
    apiKeys: [{ id: 'k', sha256: hashApiKey(`bgw_${id}`) }],
  });

  it('derives keyId as sha256("bgw:blooio-key-id\\0" + key), 32 hex, shared by tenants on one key', () => {
    const registry = parseTenantsDocument(
      { tenants: [tenantOn('a', 'bl_one'), tenantOn('b', 'bl_one'), tenantOn('c', 'bl_two')] },
      context,
    );
    const expected = createHash('sha256')
      .update('bgw:blooio-key-id\0bl_one')
      .digest('hex')
      .slice(0, 32);
    const [a, b, c] = registry.tenants;
    expect(a.blooio.keyId).toBe(expected);
    expect(b.blooio.keyId).toBe(expected);
    expect(c.blooio.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(c.blooio.keyId).not.toBe(expected);
    expect(registry.sharesBlooioKey('a')).toBe(true);
    expect(registry.sharesBlooioKey('b')).toBe(true);
    expect(registry.sharesBlooioKey('c')).toBe(false);
    expect(registry.sharesBlooioKey('absent')).toBe(false);
    expect(registry.find('c')).toBe(c);
    expect(registry.find('absent')).toBeUndefined();
  });

  it('leaves both lists empty without blooio.webhook, whatever the senders', () => {
    const tenant = parseTenantsDocument({ tenants: [validTenant()] }, context).tenants[0];
    expect(tenant.blooio.webhook).toEqual({ signingSecrets: [], inboundNumbers: [] });
  });

  it('reads interpolated signing secrets as Secrets, inboundNumbers defaulting to senders', () => {
    const registry = parseTenantsDocument(
      { tenants: [withWebhook({ signingSecrets: ['${WHSEC}', OTHER] })] },
      { ...context, env },
    );
    const { webhook } = registry.tenants[0].blooio;
    expect(webhook.signingSecrets.map((secret) => secret.reveal())).toEqual([SECRET, OTHER]);
    expect(webhook.inboundNumbers).toEqual(['+15550001111', '+15550002222']);
    const printed = JSON.stringify(registry.tenants) + inspect(registry.tenants, { depth: 10 });
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(OTHER);
  });

  it('takes explicit inboundNumbers (deduplicated), an empty list meaning none', () => {
    const [explicit, none] = parseTenantsDocument(
      {
        tenants: [
          withWebhook({
            signingSecrets: [SECRET],
            inboundNumbers: ['+15557770000', '+15557770000'],
          }),
          tenantOn('globex', 'bl_g', {
            senders: ['+15550001111'],
            webhook: { signingSecrets: [SECRET], inboundNumbers: [] },
          }),
        ],
      },
      context,
    ).tenants;
    expect(explicit.blooio.webhook.inboundNumbers).toEqual(['+15557770000']);
    expect(none.blooio.webhook.inboundNumbers).toEqual([]);
  });

  it('has no inbound numbers when neither inboundNumbers nor senders are given', () => {
    const tenant = parseTenantsDocument(
      { tenants: [tenantOn('a', 'bl_a', { webhook: { signingSecrets: [SECRET] } })] },
      context,
    ).tenants[0];
    expect(tenant.blooio.webhook.inboundNumbers).toEqual([]);
  });

  it('reports each webhook problem on its own line, never echoing a secret', () => {
    const problems = problemsOf({
      tenants: [
        withWebhook({ signingSecrets: ['whsec_short', 'sk_abcdefghijklmnopqrst', 42] }),
        tenantOn('b', 'bl_b', {
          webhook: {
            signingSecrets: [SECRET],
            signingSecretFiles: ['/x'],
            inboundNumbers: ['555'],
          },
        }),
        tenantOn('c', 'bl_c', { webhook: { signingSecrets: [SECRET, SECRET, OTHER, OTHER] } }),
        tenantOn('d', 'bl_d', { webhook: { signingSecrets: [] } }),
        tenantOn('e', 'bl_e', { webhook: { inboundNumbers: 'x', colour: 1 } }),
        tenantOn('f', 'bl_f', { webhook: ['${MISSING}'] }),
        tenantOn('g', 'bl_g', { webhook: { signingSecrets: ['${MISSING}'] } }),
        tenantOn('h', 'bl_h', { webhook: { signingSecrets: [`whsec_${'a'.repeat(15)}`] } }),
        tenantOn('i', 'bl_i', { webhook: { signingSecrets: [`whsec_${'a'.repeat(16)} x`] } }),
      ],
    });
    const secretMessage = 'must be whsec_ followed by 16 to 256 visible ASCII characters';
    expect(problems).toEqual([
      `tenants[0].blooio.webhook.signingSecrets[0]: ${secretMessage}`,
      `tenants[0].blooio.webhook.signingSecrets[1]: ${secretMessage}`,
      'tenants[0].blooio.webhook.signingSecrets[2]: must be a string: quote it (YAML reads 42 as a number)',
      'tenants[1].blooio.webhook: needs exactly one of signingSecrets or signingSecretFiles',
      'tenants[1].blooio.webhook.inboundNumbers[0]: must be an E.164 number such as +15550001111',
      'tenants[2].blooio.webhook.signingSecrets: must list 1 to 3 secrets',
      'tenants[3].blooio.webhook.signingSecrets: must be a non-empty list',
      'tenants[4].blooio.webhook.colour: is not a known field (expected signingSecrets, signingSecretFiles, inboundNumbers)',
      'tenants[4].blooio.webhook: needs exactly one of signingSecrets or signingSecretFiles',
      'tenants[4].blooio.webhook.inboundNumbers: must be a list',
      'tenants[5].blooio.webhook: must be a mapping',
      'tenants[6].blooio.webhook.signingSecrets[0]: environment variable MISSING is not set',
      `tenants[7].blooio.webhook.signingSecrets[0]: ${secretMessage}`,
      `tenants[8].blooio.webhook.signingSecrets[0]: ${secretMessage}`,
    ]);
    expect(problems.join('\n')).not.toContain('sk_abcdefghijklmnopqrst');
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('refuses one inbound number on two tenants that share a Blooio key, naming both', () => {
    const problems = problemsOf({
      tenants: [
        tenantOn('acme', 'bl_shared', {
          webhook: { signingSecrets: [SECRET], inboundNumbers: ['+15550001111'] },
        }),
        tenantOn('globex', 'bl_shared', {
          webhook: { signingSecrets: [OTHER], inboundNumbers: ['+15550002222', '+15550001111'] },
        }),
        // Defaulted from senders: the path is the sender's.
        tenantOn('initech', 'bl_shared', {
          senders: ['+15550002222'],
          webhook: { signingSecrets: [OTHER] },
        }),
        // Another key: the same number is no conflict.
        tenantOn('umbrella', 'bl_other', {
          webhook: { signingSecrets: [OTHER], inboundNumbers: ['+15550001111'] },
        }),
        // No webhook: it receives nothing, so its senders claim no number.
        tenantOn('hooli', 'bl_shared', { senders: ['+15550001111'] }),
      ],
    });
    expect(problems).toEqual([
      'tenants[1].blooio.webhook.inboundNumbers[1]: tenants "acme" and "globex" share a Blooio key and both receive on +15550001111 (tenants[0].blooio.webhook.inboundNumbers[0]): inbound numbers of one key must be disjoint',
      'tenants[2].blooio.senders[0]: tenants "globex" and "initech" share a Blooio key and both receive on +15550002222 (tenants[1].blooio.webhook.inboundNumbers[0]): inbound numbers of one key must be disjoint (inboundNumbers defaults to senders)',
    ]);
  });

  it('accepts tenants on one key with disjoint inbound numbers', () => {
    const registry = parseTenantsDocument(
      {
        tenants: [
          tenantOn('acme', 'bl_shared', {
            senders: ['+15550001111'],
            webhook: { signingSecrets: [SECRET] },
          }),
          tenantOn('globex', 'bl_shared', {
            senders: ['+15550001111', '+15550002222'],
            webhook: { signingSecrets: [OTHER], inboundNumbers: ['+15550002222'] },
          }),
        ],
      },
      context,
    );
    expect(registry.tenants.map((t) => t.blooio.webhook.inboundNumbers)).toEqual([
      ['+15550001111'],
      ['+15550002222'],
    ]);
  });

  it('builds the sandbox demo tenant through the parser, with or without a signing secret', () => {
    const plain = createSandboxRegistry('bgw_demo', rateLimitDefaults).find('demo');
    expect(plain?.blooio.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(plain?.blooio.apiKey.reveal()).toBe(SANDBOX_BLOOIO_KEY);
    expect(plain?.blooio.webhook).toEqual({ signingSecrets: [], inboundNumbers: [] });
    const hooked = createSandboxRegistry('bgw_demo', rateLimitDefaults, {
      webhookSigningSecrets: [SECRET],
    }).find('demo');
    expect(hooked?.blooio.webhook.signingSecrets.map((s) => s.reveal())).toEqual([SECRET]);
    expect(hooked?.blooio.webhook.inboundNumbers).toEqual(SANDBOX_SENDERS);
    expect(() =>
      createSandboxRegistry('bgw_demo', rateLimitDefaults, { webhookSigningSecrets: ['nope'] }),
    ).toThrow('tenants[0].blooio.webhook.signingSecrets[0]: must be whsec_');
  });
});

describe('loadTenantsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-tenants-'));

  it('reads YAML, and apiKeyFile relative to the tenant file with its trailing newline trimmed', () => {
    writeFileSync(join(dir, 'acme.key'), 'bl_from_file\n');
    writeFileSync(
      join(dir, 'tenants.yaml'),
      [
        'tenants:',
        '  - id: acme',
        '    blooio:',
        '      apiKeyFile: acme.key',
        '    apiKeys:',
        `      - { id: svc, sha256: "${digest}" }`,
      ].join('\n'),
    );
    const registry = loadTenantsFile(join(dir, 'tenants.yaml'), { env: {}, rateLimitDefaults });
    expect(registry.tenants[0].blooio.apiKey.reveal()).toBe('bl_from_file');
    expect(registry.tenants[0].maxRecipients).toBe(10);
  });

  it('accepts JSON, which is YAML', () => {
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify({ tenants: [validTenant()] }));
    expect(loadTenantsFile(file, { env: context.env, rateLimitDefaults }).tenants).toHaveLength(1);
  });

  it('fails clearly on a missing file, bad YAML and an unreadable apiKeyFile', () => {
    expect(() => loadTenantsFile(join(dir, 'absent.yaml'), { env: {}, rateLimitDefaults })).toThrow(
      /TENANTS_FILE: cannot read .*absent\.yaml/,
    );
    writeFileSync(join(dir, 'bad.yaml'), 'tenants: [\n');
    expect(() => loadTenantsFile(join(dir, 'bad.yaml'), { env: {}, rateLimitDefaults })).toThrow(
      /is not valid YAML/,
    );
    const file = join(dir, 'nokey.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        tenants: [
          {
            id: 'a',
            blooio: { apiKeyFile: 'missing.key' },
            apiKeys: [{ id: 'k', sha256: digest }],
          },
        ],
      }),
    );
    expect(() => loadTenantsFile(file, { env: {}, rateLimitDefaults })).toThrow(
      'tenants[0].blooio.apiKeyFile: cannot read missing.key (ENOENT)',
    );
  });

  it('reads signingSecretFiles relative to the tenant file, trailing newline trimmed', () => {
    const secret = 'whsec_fromfile0123456789abcdef';
    writeFileSync(join(dir, 'acme.whsec'), `${secret}\r\n`);
    writeFileSync(join(dir, 'bad.whsec'), 'not-a-secret\n');
    const file = join(dir, 'hooks.yaml');
    const write = (files: string[]) =>
      writeFileSync(
        file,
        JSON.stringify({
          tenants: [
            {
              id: 'a',
              blooio: { apiKey: 'bl_a', webhook: { signingSecretFiles: files } },
              apiKeys: [{ id: 'k', sha256: digest }],
            },
          ],
        }),
      );
    write(['acme.whsec']);
    const registry = loadTenantsFile(file, { env: {}, rateLimitDefaults });
    expect(registry.tenants[0].blooio.webhook.signingSecrets[0].reveal()).toBe(secret);
    write(['acme.whsec', 'absent.whsec', 'bad.whsec']);
    let problems: readonly string[] = [];
    try {
      loadTenantsFile(file, { env: {}, rateLimitDefaults });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'tenants[0].blooio.webhook.signingSecretFiles[1]: cannot read absent.whsec (ENOENT)',
      'tenants[0].blooio.webhook.signingSecretFiles[2]: must be whsec_ followed by 16 to 256 visible ASCII characters',
    ]);
  });
});
