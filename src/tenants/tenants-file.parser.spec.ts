import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../config/env';
import { hashApiKey } from '../common/api-key';
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
      'tenants[1].colour: is not a known field (expected id, name, blooio, defaultCountry, maxRecipients, rateLimit, apiKeys)',
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
});
