import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { parse as parseYaml } from 'yaml';
import { Secret } from '../common/secret';
import { ConfigError } from '../config/env';
import type { RateLimitConfig } from '../config/rate-limit.config';
import { E164 } from '../common/address-patterns';
import {
  blooioKeyIdOf,
  KEY_ID_PATTERN,
  MAX_RECIPIENTS_LIMIT,
  SCOPES,
  TENANT_ID_PATTERN,
  type Principal,
  type Scope,
  type Tenant,
} from './tenant';
import { TenantRegistry } from './tenant-registry';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** What Blooio's signing secrets look like (`whsec_` + 32 alphanumerics today), bounded. */
const SIGNING_SECRET = /^whsec_[\x21-\x7e]{16,256}$/;
const MAX_SIGNING_SECRETS = 3;

/** A number a tenant receives inbound events on, and where the file says so. */
interface InboundNumber {
  number: string;
  path: string;
}

interface ParsedBlooio {
  blooio: Tenant['blooio'];
  inbound: InboundNumber[];
}

type Json = Record<string, unknown>;

export interface TenantsFileContext {
  env: Readonly<Record<string, string | undefined>>;
  rateLimitDefaults: RateLimitConfig;
  /** Where relative `apiKeyFile` paths start from (the tenant file's folder). */
  baseDir: string;
}

/** Reads, interpolates and validates a tenant file; throws a ConfigError listing every problem. */
export function loadTenantsFile(
  path: string,
  context: Omit<TenantsFileContext, 'baseDir'>,
): TenantRegistry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`TENANTS_FILE: cannot read ${path} (${(error as Error).message})`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([
      `TENANTS_FILE: ${path} is not valid YAML (${(error as Error).message.split('\n')[0]})`,
    ]);
  }
  return parseTenantsDocument(document, { ...context, baseDir: dirname(resolve(path)) });
}

/** `${NAME}` replaced by the variable NAME of `env`; the names that are not set, in order. */
function interpolateEnv(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): { result: string; missing: string[] } {
  const missing: string[] = [];
  const result = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const replacement = env[name];
    if (replacement === undefined) missing.push(name);
    return replacement ?? '';
  });
  return { result, missing };
}

/** Validates an already parsed tenant document (§4 of DESIGN.md). */
export function parseTenantsDocument(
  document: unknown,
  context: TenantsFileContext,
): TenantRegistry {
  return new TenantsFileParser(context).parse(document);
}

class TenantsFileParser {
  private readonly problems: string[] = [];

  constructor(private readonly context: TenantsFileContext) {}

  parse(document: unknown): TenantRegistry {
    const root = this.object(document, '(root)', ['tenants']);
    const list = root && this.array(root.tenants, 'tenants', true);
    const tenants: Tenant[] = [];
    const principals = new Map<string, Principal>();
    const digestOwners = new Map<string, string>();
    const inbound: { tenant: Tenant; numbers: InboundNumber[] }[] = [];

    list?.forEach((raw, index) => {
      const parsed = this.tenant(raw, `tenants[${index}]`);
      if (!parsed) return;
      const { tenant, keys } = parsed;
      tenants.push(tenant);
      inbound.push({ tenant, numbers: parsed.inbound });
      keys.forEach(({ path: keyPath, ...key }) => {
        const owner = digestOwners.get(key.sha256);
        if (owner) {
          this.problem(`${keyPath}.sha256`, `the same key is already listed at ${owner}`);
          return;
        }
        digestOwners.set(key.sha256, keyPath);
        principals.set(key.sha256, { tenant, keyId: key.id, scopes: key.scopes });
      });
    });

    this.duplicates(list ?? [], (index) => `tenants[${index}].id`, 'tenant id');
    this.disjointInboundNumbers(inbound);
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return new TenantRegistry(tenants, principals);
  }

  private tenant(
    raw: unknown,
    path: string,
  ):
    | {
        tenant: Tenant;
        keys: { path: string; id: string; sha256: string; scopes: ReadonlySet<Scope> }[];
        inbound: InboundNumber[];
      }
    | undefined {
    const node = this.object(raw, path, [
      'id',
      'name',
      'blooio',
      'defaultCountry',
      'maxRecipients',
      'rateLimit',
      'apiKeys',
    ]);
    if (!node) return undefined;

    const id = this.string(node.id, `${path}.id`, true);
    if (id !== undefined && !TENANT_ID_PATTERN.test(id)) {
      this.problem(`${path}.id`, 'must match ^[a-z0-9][a-z0-9-]{0,62}$');
    }
    const name = this.string(node.name, `${path}.name`, false);
    const blooio = this.blooio(node.blooio, `${path}.blooio`);

    const defaultCountry = this.string(node.defaultCountry, `${path}.defaultCountry`, false);
    if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
      this.problem(`${path}.defaultCountry`, 'must be an ISO 3166-1 alpha-2 country code, e.g. US');
    }
    const maxRecipients =
      this.integer(node.maxRecipients, `${path}.maxRecipients`, 1, MAX_RECIPIENTS_LIMIT) ?? 10;
    const rateLimit = this.rateLimit(node.rateLimit, `${path}.rateLimit`);

    const keyList = this.array(node.apiKeys, `${path}.apiKeys`, true) ?? [];
    const keys = keyList.flatMap((key, index) => this.apiKey(key, `${path}.apiKeys[${index}]`));
    this.duplicates(keyList, (index) => `${path}.apiKeys[${index}].id`, 'key id');

    if (id === undefined || !blooio) return undefined;
    return {
      tenant: {
        id,
        ...(name !== undefined && { name }),
        blooio: blooio.blooio,
        ...(defaultCountry !== undefined && { defaultCountry: defaultCountry as CountryCode }),
        maxRecipients,
        rateLimit,
      },
      keys,
      inbound: blooio.inbound,
    };
  }

  private blooio(raw: unknown, path: string): ParsedBlooio | undefined {
    const node = this.object(raw, path, [
      'apiKey',
      'apiKeyFile',
      'senders',
      'defaultSender',
      'webhook',
    ]);
    if (!node) return undefined;
    const inline = this.string(node.apiKey, `${path}.apiKey`, false);
    const file = this.string(node.apiKeyFile, `${path}.apiKeyFile`, false);
    let apiKey: string | undefined;
    if ((node.apiKey === undefined) === (node.apiKeyFile === undefined)) {
      this.problem(path, 'needs exactly one of apiKey or apiKeyFile');
    } else if (inline !== undefined) {
      apiKey = inline;
    } else if (file !== undefined) {
      apiKey = this.readSecretFile(file, `${path}.apiKeyFile`);
    }
    if (apiKey !== undefined && !/^[\x21-\x7e]{1,512}$/.test(apiKey)) {
      this.problem(
        inline !== undefined ? `${path}.apiKey` : `${path}.apiKeyFile`,
        'must be 1 to 512 visible ASCII characters',
      );
      apiKey = undefined;
    }

    const senderList = this.array(node.senders, `${path}.senders`, false);
    if (senderList?.length === 0) {
      this.problem(`${path}.senders`, 'must not be empty: leave it out to allow any sender');
    }
    const senderNumbers = this.numbers(senderList, `${path}.senders`);
    const senders = senderNumbers?.map(({ number }) => number);
    const defaultSender = this.string(node.defaultSender, `${path}.defaultSender`, false);
    if (defaultSender !== undefined) {
      if (!E164.test(defaultSender)) {
        this.problem(`${path}.defaultSender`, 'must be an E.164 number such as +15550001111');
      } else if (senders && !senders.includes(defaultSender)) {
        this.problem(`${path}.defaultSender`, 'must be one of senders');
      }
    }
    const webhook = this.webhook(node.webhook, `${path}.webhook`, senderNumbers ?? []);
    if (apiKey === undefined || !webhook) return undefined;
    return {
      blooio: {
        apiKey: new Secret(apiKey),
        ...(senders && { senders: [...new Set(senders)] }),
        ...(defaultSender !== undefined && { defaultSender }),
        keyId: blooioKeyIdOf(apiKey),
        webhook: {
          signingSecrets: webhook.signingSecrets,
          inboundNumbers: [...new Set(webhook.inbound.map(({ number }) => number))],
        },
      },
      inbound: webhook.inbound,
    };
  }

  /**
   * `blooio.webhook` (DESIGN §11). Left out: no secrets, so nothing is received, and no inbound
   * numbers. Its `inboundNumbers` default to the senders (and to none when senders is left out).
   */
  private webhook(
    raw: unknown,
    path: string,
    senders: InboundNumber[],
  ): { signingSecrets: Secret[]; inbound: InboundNumber[] } | undefined {
    if (raw === undefined || raw === null) return { signingSecrets: [], inbound: [] };
    const node = this.object(raw, path, ['signingSecrets', 'signingSecretFiles', 'inboundNumbers']);
    if (!node) return undefined;
    let secrets: { value: string | undefined; path: string }[] = [];
    if ((node.signingSecrets === undefined) === (node.signingSecretFiles === undefined)) {
      this.problem(path, 'needs exactly one of signingSecrets or signingSecretFiles');
    } else {
      const field = node.signingSecrets !== undefined ? 'signingSecrets' : 'signingSecretFiles';
      const list = this.array(node[field], `${path}.${field}`, true);
      if (list && list.length > MAX_SIGNING_SECRETS) {
        this.problem(`${path}.${field}`, `must list 1 to ${MAX_SIGNING_SECRETS} secrets`);
      } else if (list) {
        secrets = list.map((item, index) => {
          const itemPath = `${path}.${field}[${index}]`;
          const text = this.string(item, itemPath, true);
          const value =
            text === undefined || field === 'signingSecrets'
              ? text
              : this.readSecretFile(text, itemPath);
          // Never echoes the value: a malformed secret may still be a real one, one character off.
          if (value !== undefined && !SIGNING_SECRET.test(value)) {
            this.problem(itemPath, 'must be whsec_ followed by 16 to 256 visible ASCII characters');
            return { value: undefined, path: itemPath };
          }
          return { value, path: itemPath };
        });
      }
    }
    const inboundList = this.array(node.inboundNumbers, `${path}.inboundNumbers`, false);
    const inbound = inboundList ? this.numbers(inboundList, `${path}.inboundNumbers`) : senders;
    if (secrets.length === 0 || secrets.some(({ value }) => value === undefined) || !inbound) {
      return undefined;
    }
    return {
      signingSecrets: secrets.map(({ value }) => new Secret(value as string)),
      inbound,
    };
  }

  /**
   * Tenants that share a Blooio key all get that key's inbound events, and only the receiving
   * number tells whose each is: two of them on one number would make it ambiguous.
   */
  private disjointInboundNumbers(tenants: { tenant: Tenant; numbers: InboundNumber[] }[]): void {
    const owners = new Map<string, { tenant: Tenant; path: string }>();
    for (const { tenant, numbers } of tenants) {
      for (const { number, path } of numbers) {
        const key = `${tenant.blooio.keyId} ${number}`;
        const owner = owners.get(key);
        if (!owner) {
          owners.set(key, { tenant, path });
        } else if (owner.tenant !== tenant) {
          const viaSenders = /\.senders\[\d+\]$/.test(path);
          this.problem(
            path,
            `tenants "${owner.tenant.id}" and "${tenant.id}" share a Blooio key and both receive ` +
              `on ${number} (${owner.path}): inbound numbers of one key must be disjoint` +
              (viaSenders ? ' (inboundNumbers defaults to senders)' : ''),
          );
        }
      }
    }
  }

  /** A list of E.164 numbers, each with its path; undefined when the list is not one. */
  private numbers(list: unknown[] | undefined, path: string): InboundNumber[] | undefined {
    if (!list) return undefined;
    return list.flatMap((item, index) => {
      const itemPath = `${path}[${index}]`;
      const value = this.string(item, itemPath, true);
      if (value === undefined) return [];
      if (!E164.test(value)) {
        this.problem(itemPath, 'must be an E.164 number such as +15550001111');
        return [];
      }
      return [{ number: value, path: itemPath }];
    });
  }

  /** A key or secret mounted as a file (relative to the tenant file), trailing newline trimmed. */
  private readSecretFile(file: string, path: string): string | undefined {
    try {
      return readFileSync(resolve(this.context.baseDir, file), 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      // ENOENT or EACCES tell a missing mount from a mode that the gateway's user cannot read.
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.problem(path, `cannot read ${file} (${reason})`);
      return undefined;
    }
  }

  private rateLimit(raw: unknown, path: string): Tenant['rateLimit'] {
    const defaults = this.context.rateLimitDefaults;
    if (raw === undefined || raw === null) return { ...defaults };
    const node = this.object(raw, path, ['perSecond', 'perMinute']);
    return {
      perSecond:
        this.integer(node?.perSecond, `${path}.perSecond`, 1, 1_000_000) ?? defaults.perSecond,
      perMinute:
        this.integer(node?.perMinute, `${path}.perMinute`, 1, 60_000_000) ?? defaults.perMinute,
    };
  }

  private apiKey(
    raw: unknown,
    path: string,
  ): { path: string; id: string; sha256: string; scopes: ReadonlySet<Scope> }[] {
    const node = this.object(raw, path, ['id', 'sha256', 'scopes']);
    if (!node) return [];
    const id = this.string(node.id, `${path}.id`, true);
    if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
      this.problem(`${path}.id`, 'must be 1 to 64 letters, digits, ".", "_" or "-"');
    }
    const sha256 = this.string(node.sha256, `${path}.sha256`, true);
    if (sha256 !== undefined && !SHA256_HEX.test(sha256)) {
      this.problem(`${path}.sha256`, 'must be 64 hex characters (lowercase)');
    }
    const scopeList = this.array(node.scopes, `${path}.scopes`, false);
    if (scopeList?.length === 0) {
      this.problem(`${path}.scopes`, 'must not be empty: leave it out for every scope');
    }
    const scopes = new Set<Scope>(scopeList ? [] : SCOPES);
    scopeList?.forEach((raw, index) => {
      const scopePath = `${path}.scopes[${index}]`;
      const scope = this.string(raw, scopePath, true);
      if (scope === undefined) return;
      if ((SCOPES as readonly string[]).includes(scope)) scopes.add(scope as Scope);
      else this.problem(scopePath, `must be one of ${SCOPES.join(', ')}`);
    });
    if (
      id === undefined ||
      sha256 === undefined ||
      !SHA256_HEX.test(sha256) ||
      !KEY_ID_PATTERN.test(id)
    )
      return [];
    return [{ path, id, sha256, scopes }];
  }

  /** Reports each item whose `id` an earlier item of the list already has, by its own index. */
  /**
   * Ids compared as they will be used, after `${NAME}` is filled in: `acme` and `${T}` with T=acme
   * are one tenant twice. An id that cannot be read is reported where it is read.
   */
  private duplicates(
    items: readonly unknown[],
    pathOf: (index: number) => string,
    what: string,
  ): void {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const raw = typeof item === 'object' && item !== null ? (item as Json).id : undefined;
      if (typeof raw !== 'string') return;
      const { result: id, missing } = interpolateEnv(raw, this.context.env);
      if (missing.length > 0) return;
      if (seen.has(id)) this.problem(pathOf(index), `duplicate ${what} "${id}"`);
      seen.add(id);
    });
  }

  // --- primitive readers: each reports its own problem and returns undefined when invalid ---

  private object(raw: unknown, path: string, allowed: readonly string[]): Json | undefined {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.problem(path, 'must be a mapping');
      return undefined;
    }
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key))
        this.problem(`${path}.${key}`, `is not a known field (expected ${allowed.join(', ')})`);
    }
    return raw as Json;
  }

  private array(raw: unknown, path: string, required: boolean): unknown[] | undefined {
    if (raw === undefined || raw === null) {
      if (required) this.problem(path, 'is required and must be a non-empty list');
      return undefined;
    }
    if (!Array.isArray(raw) || (required && raw.length === 0)) {
      this.problem(path, required ? 'must be a non-empty list' : 'must be a list');
      return undefined;
    }
    return raw as unknown[];
  }

  private string(raw: unknown, path: string, required: boolean): string | undefined {
    if (raw === undefined || raw === null) {
      if (required) this.problem(path, 'is required');
      return undefined;
    }
    if (typeof raw === 'number' || typeof raw === 'boolean') {
      this.problem(
        path,
        `must be a string: quote it (YAML reads ${String(raw)} as a ${typeof raw})`,
      );
      return undefined;
    }
    if (typeof raw !== 'string' || raw.length === 0) {
      this.problem(path, 'must be a non-empty string');
      return undefined;
    }
    return this.interpolate(raw, path);
  }

  private integer(raw: unknown, path: string, min: number, max: number): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      this.problem(path, `must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return raw;
  }

  /** Replaces `${NAME}` with the environment variable NAME; a missing one is a problem. */
  private interpolate(value: string, path: string): string | undefined {
    const { result, missing } = interpolateEnv(value, this.context.env);
    for (const name of missing) this.problem(path, `environment variable ${name} is not set`);
    return missing.length > 0 ? undefined : result;
  }

  private problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }
}
