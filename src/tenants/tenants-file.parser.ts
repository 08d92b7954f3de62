import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../config/env';
import type { RateLimitConfig } from '../config/rate-limit.config';
import type { Principal, Tenant } from './tenant';
import { TenantRegistry } from './tenant-registry';
import {
  interpolateEnv,
  SHA256_HEX,
  tenantsFileSchema,
  type IssueOrder,
  type ParsedTenant,
} from './tenants-file.schema';

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];

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

/** Validates an already parsed tenant document (§4 of DESIGN.md). */
export function parseTenantsDocument(
  document: unknown,
  context: TenantsFileContext,
): TenantRegistry {
  const result = tenantsFileSchema(context).safeParse(document);
  const problems = result.success ? [] : orderedProblems(result.error.issues);
  const lines = crossChecks(document, problems, context);
  if (lines.length === 0 && result.success) {
    lines.push(...disjointInboundNumbers(result.data.tenants));
  }
  if (lines.length > 0) throw new ConfigError(lines);
  const parsed = (result as { data: { tenants: ParsedTenant[] } }).data.tenants;
  const principals = new Map<string, Principal>();
  for (const { tenant, apiKeys } of parsed) {
    for (const key of apiKeys) {
      principals.set(key.sha256, { tenant, keyId: key.id, scopes: key.scopes });
    }
  }
  return new TenantRegistry(
    parsed.map(({ tenant }) => tenant),
    principals,
  );
}

interface Problem {
  path: Path;
  line: string;
}

function pathText(path: Path): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`,
    )
    .join('');
}

const startsWith = (path: Path, prefix: Path) => prefix.every((part, i) => path[i] === part);

/**
 * zod's issues as the file's lines, in the order a reader walks the file: an object's unknown
 * fields first (one line each), and an object's own checks where their `IssueOrder` puts them.
 */
function orderedProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const problems: Problem[] = [];
  const insert = (items: Problem[], at: (problem: Problem) => boolean) => {
    const index = problems.findIndex(at);
    problems.splice(index < 0 ? problems.length : index, 0, ...items);
  };
  for (const issue of issues) {
    const path = issue.path as Path;
    if (issue.code === 'unrecognized_keys') {
      const parent = path.length === 0 ? '(root)' : pathText(path);
      const items = issue.keys.map((key) => ({
        path: [...path, key],
        line: `${parent}.${key}: ${issue.message}`,
      }));
      insert(items, (problem) => startsWith(problem.path, path));
      continue;
    }
    const problem = {
      path,
      line: `${path.length === 0 ? '(root)' : pathText(path)}: ${issue.message}`,
    };
    const order = issue.code === 'custom' ? (issue.params as IssueOrder | undefined) : undefined;
    if (!order) {
      problems.push(problem);
      continue;
    }
    const object = path.slice(0, path.length - order.at);
    insert([problem], (other) =>
      order.before.some((field) => startsWith(other.path, [...object, field])),
    );
  }
  return problems;
}

/**
 * What a schema cannot say, on the raw document (so they show beside its problems): duplicate key
 * and endpoint ids in a tenant and duplicate keys across tenants, after each tenant's lines; duplicate tenant
 * ids last. Values are compared as they will be used, after `${NAME}` is filled in.
 */
function crossChecks(
  document: unknown,
  problems: readonly Problem[],
  context: TenantsFileContext,
): string[] {
  const fine = (path: Path) =>
    !problems.some((problem) => startsWith(problem.path, path) || startsWith(path, problem.path));
  const value = (raw: unknown) => {
    if (typeof raw !== 'string') return undefined;
    const { result, missing } = interpolateEnv(raw, context.env);
    return missing.length > 0 ? undefined : result;
  };
  const rawTenants = asList(asObject(document)?.tenants);
  const lines = problems.filter(({ path }) => typeof path[1] !== 'number').map(({ line }) => line);
  const digestOwners = new Map<string, string>();
  rawTenants.forEach((rawTenant, index) => {
    const path = `tenants[${index}]`;
    lines.push(...problems.filter((problem) => problem.path[1] === index).map(({ line }) => line));
    const keys = asList(asObject(rawTenant)?.apiKeys);
    lines.push(...duplicates(keys, (key) => `${path}.apiKeys[${key}].id`, 'key id', context));
    const endpoints = asList(asObject(rawTenant)?.webhooks);
    lines.push(
      ...duplicates(endpoints, (at) => `${path}.webhooks[${at}].id`, 'endpoint id', context),
    );
    // Only a tenant that is one (its id, Blooio key and webhook good) holds keys.
    const blooio = ['tenants', index, 'blooio'];
    if (
      !fine(['tenants', index, 'id']) ||
      !['apiKey', 'apiKeyFile', 'webhook'].every((field) => fine([...blooio, field]))
    ) {
      return;
    }
    keys.forEach((rawKey, keyIndex) => {
      const keyPath = ['tenants', index, 'apiKeys', keyIndex];
      if (!fine([...keyPath, 'id']) || !fine([...keyPath, 'sha256'])) return;
      const sha256 = value(asObject(rawKey)?.sha256);
      if (sha256 === undefined || !SHA256_HEX.test(sha256)) return;
      const owner = digestOwners.get(sha256);
      const here = `${path}.apiKeys[${keyIndex}]`;
      if (owner) lines.push(`${here}.sha256: the same key is already listed at ${owner}`);
      else digestOwners.set(sha256, here);
    });
  });
  lines.push(...duplicates(rawTenants, (index) => `tenants[${index}].id`, 'tenant id', context));
  return lines;
}

const asObject = (raw: unknown): Json | undefined =>
  typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Json) : undefined;
const asList = (raw: unknown): readonly unknown[] => (Array.isArray(raw) ? raw : []);

/**
 * Each item whose `id` an earlier item of the list already has, by its own index. Ids compared as
 * they will be used: `acme` and `${T}` with T=acme are one tenant twice. An id that cannot be read
 * is reported where it is read.
 */
function duplicates(
  items: readonly unknown[],
  pathOf: (index: number) => string,
  what: string,
  context: TenantsFileContext,
): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  items.forEach((item, index) => {
    const raw = asObject(item)?.id;
    if (typeof raw !== 'string') return;
    const { result: id, missing } = interpolateEnv(raw, context.env);
    if (missing.length > 0) return;
    if (seen.has(id)) lines.push(`${pathOf(index)}: duplicate ${what} "${id}"`);
    seen.add(id);
  });
  return lines;
}

/**
 * Tenants that share a Blooio key all get that key's inbound events, and only the receiving
 * number tells whose each is: two of them on one number would make it ambiguous.
 */
function disjointInboundNumbers(tenants: readonly ParsedTenant[]): string[] {
  const lines: string[] = [];
  const owners = new Map<string, { tenant: Tenant; path: string }>();
  tenants.forEach(({ tenant, inbound }, index) => {
    for (const { number, path: below } of inbound) {
      const path = `tenants[${index}].${below}`;
      const key = `${tenant.blooio.keyId} ${number}`;
      const owner = owners.get(key);
      if (!owner) {
        owners.set(key, { tenant, path });
      } else if (owner.tenant !== tenant) {
        lines.push(
          `${path}: tenants "${owner.tenant.id}" and "${tenant.id}" share a Blooio key and both ` +
            `receive on ${number} (${owner.path}): inbound numbers of one key must be disjoint` +
            (below.startsWith('blooio.senders[') ? ' (inboundNumbers defaults to senders)' : ''),
        );
      }
    }
  });
  return lines;
}
