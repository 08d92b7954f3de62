import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { E164 } from '../common/address-patterns';
import {
  GATEWAY_EVENT_TYPES,
  EVERY_MESSAGE_EVENT,
  isEventSubscription,
} from '../common/gateway-event-types';
import { Secret } from '../common/secret';
import { isWebhookSecret, WEBHOOK_SECRET_MESSAGE } from '../common/webhook-secret';
import { webhookUrlProblem } from '../common/webhook-url';
import type { RateLimitConfig } from '../config/rate-limit.config';
import {
  blooioKeyIdOf,
  KEY_ID_PATTERN,
  MAX_RECIPIENTS_LIMIT,
  SCOPES,
  TENANT_ID_PATTERN,
  type Scope,
  type Tenant,
  type WebhookEndpoint,
} from './tenant';

export const SHA256_HEX = /^[0-9a-f]{64}$/;
const BLOOIO_KEY = /^[\x21-\x7e]{1,512}$/;
/** What Blooio's signing secrets look like (`whsec_` + 32 alphanumerics today), bounded. */
const SIGNING_SECRET = /^whsec_[\x21-\x7e]{16,256}$/;
/** Secrets of one webhook, either way (Blooio → gateway, gateway → a tenant's endpoint). */
const MAX_SECRETS = 3;
const E164_MESSAGE = 'must be an E.164 number such as +15550001111';
const SIGNING_SECRET_MESSAGE = 'must be whsec_ followed by 16 to 256 visible ASCII characters';

export interface TenantsSchemaContext {
  env: Readonly<Record<string, string | undefined>>;
  rateLimitDefaults: RateLimitConfig;
  /** Where relative `apiKeyFile`, `signingSecretFiles` and `secretFiles` paths start from. */
  baseDir: string;
}

/**
 * Where an issue raised by an object's (or a list's) own check sorts among its fields' issues:
 * before the first issue under one of `before` (fields of that object, or indices of that list),
 * `at` being the issue path's length below it.
 */
export interface IssueOrder {
  before: readonly (string | number)[];
  at: number;
}

/** `${NAME}` replaced by the variable NAME of `env`; the names that are not set, in order. */
export function interpolateEnv(
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

/** A key or secret mounted as a file (relative to the tenant file), trailing newline trimmed. */
function readSecretFile(baseDir: string, file: string): { value?: string; problem?: string } {
  try {
    return { value: readFileSync(resolve(baseDir, file), 'utf8').replace(/\r?\n$/, '') };
  } catch (error) {
    // ENOENT or EACCES tell a missing mount from a mode that the gateway's user cannot read.
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { problem: `cannot read ${file} (${reason})` };
  }
}

/**
 * An object's own checks also run when some of its fields failed (zod skips them by default), as
 * long as the object is one: each still reports its own problem.
 */
const isMapping = ({ value }: { value: unknown }) =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const absent = (raw: unknown) => (raw === null ? undefined : raw);
/** Optional fields: YAML's `null` (a key with no value) counts as left out. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(absent, schema.optional());

const mapping = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `is not a known field (expected ${Object.keys(shape).join(', ')})`
        : 'must be a mapping',
  });

const requiredList = <T extends z.ZodType>(item: T) =>
  z
    .array(item, {
      error: (issue) =>
        issue.input === undefined || issue.input === null
          ? 'is required and must be a non-empty list'
          : 'must be a non-empty list',
    })
    .min(1, 'must be a non-empty list');

const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be a list' });

const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .number({ error: message })
    .refine((value) => Number.isInteger(value) && value >= min && value <= max, message);
};

/**
 * The tenant file's schema (DESIGN §4 and §11). Every string goes through `${NAME}`; a field that
 * fails keeps the value the check saw, so a later check of the same object can tell (`typeof`).
 */
export function tenantsFileSchema(context: TenantsSchemaContext) {
  // What the object checks below read from files (and validated), for the output: by object.
  const resolvedKeys = new WeakMap<object, string>();
  const resolvedSecrets = new WeakMap<object, string[]>();

  /** A non-empty string, `${NAME}` filled in (a missing variable is the field's problem). */
  const text = z
    .string({
      error: ({ input }) =>
        input === undefined || input === null
          ? 'is required'
          : typeof input === 'number' || typeof input === 'boolean'
            ? `must be a string: quote it (YAML reads ${String(input)} as a ${typeof input})`
            : 'must be a non-empty string',
    })
    .transform((value, ctx) => {
      if (value.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a non-empty string' });
        return z.NEVER;
      }
      const { result, missing } = interpolateEnv(value, context.env);
      for (const name of missing) {
        ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
      }
      return missing.length > 0 ? z.NEVER : result;
    });
  const matching = (pattern: RegExp, message: string) =>
    text.pipe(z.string().regex(pattern, message));
  const e164 = matching(E164, E164_MESSAGE);

  /**
   * A list of secrets given inline (`inline`) or as files (`files`), exactly one of the two, 1 to
   * MAX_SECRETS of them: an object's own check, which reads the files (each value checked by
   * `isValid`) and keeps what they hold for the output. `before`: the object's fields after these.
   */
  const secretsInlineOrFiles =
    (
      fields: { inline: string; files: string },
      isValid: (secret: string) => boolean,
      message: string,
      before: IssueOrder['before'],
    ) =>
    (node: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx) => {
      const order = (at: number): IssueOrder => ({ before, at });
      const inline = node[fields.inline];
      const files = node[fields.files];
      if ((inline === undefined) === (files === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `needs exactly one of ${fields.inline} or ${fields.files}`,
          params: order(0),
        });
        return;
      }
      if ([inline, files].some((list) => Array.isArray(list) && list.length > MAX_SECRETS)) {
        ctx.addIssue({
          code: 'custom',
          path: [inline !== undefined ? fields.inline : fields.files],
          message: `must list 1 to ${MAX_SECRETS} secrets`,
          params: order(1),
        });
        return;
      }
      const secrets: string[] = [];
      (Array.isArray(files) ? (files as unknown[]) : []).forEach((file, index) => {
        if (typeof file !== 'string') return;
        const path = [fields.files, index];
        const { value, problem } = readSecretFile(context.baseDir, file);
        // Never echoes the value: a malformed secret may still be a real one, one character off.
        const line = problem ?? (isValid(value ?? '') ? undefined : message);
        if (line) ctx.addIssue({ code: 'custom', path, message: line, params: order(2) });
        else secrets.push(value as string);
      });
      resolvedSecrets.set(node, secrets);
    };
  /** The secrets an object's check read from files, or the inline ones. */
  const secretsOf = (node: object, inline: readonly string[] | undefined) =>
    (inline ?? resolvedSecrets.get(node) ?? []).map((secret) => new Secret(secret));

  const webhook = mapping({
    signingSecrets: optional(requiredList(matching(SIGNING_SECRET, SIGNING_SECRET_MESSAGE))),
    signingSecretFiles: optional(requiredList(text)),
    inboundNumbers: optional(list(e164)),
  }).superRefine(
    secretsInlineOrFiles(
      { inline: 'signingSecrets', files: 'signingSecretFiles' },
      (secret) => SIGNING_SECRET.test(secret),
      SIGNING_SECRET_MESSAGE,
      ['inboundNumbers'],
    ),
    { when: isMapping },
  );

  const blooio = mapping({
    apiKey: optional(text),
    apiKeyFile: optional(text),
    senders: optional(list(e164).min(1, 'must not be empty: leave it out to allow any sender')),
    defaultSender: optional(e164),
    webhook: optional(webhook),
  }).superRefine(
    (node, ctx) => {
      const keyOrder = (at: number): IssueOrder => ({
        before: ['senders', 'defaultSender', 'webhook'],
        at,
      });
      if ((node.apiKey === undefined) === (node.apiKeyFile === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'needs exactly one of apiKey or apiKeyFile',
          params: keyOrder(0),
        });
      } else if (typeof node.apiKey === 'string' || typeof node.apiKeyFile === 'string') {
        let key = node.apiKey;
        if (typeof node.apiKeyFile === 'string') {
          const { value, problem } = readSecretFile(context.baseDir, node.apiKeyFile);
          if (problem) {
            ctx.addIssue({
              code: 'custom',
              path: ['apiKeyFile'],
              message: problem,
              params: keyOrder(1),
            });
          }
          key = value;
        }
        if (key !== undefined && !BLOOIO_KEY.test(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [node.apiKey !== undefined ? 'apiKey' : 'apiKeyFile'],
            message: 'must be 1 to 512 visible ASCII characters',
            params: keyOrder(1),
          });
        } else if (key !== undefined) {
          resolvedKeys.set(node, key);
        }
      }
      const { senders, defaultSender } = node;
      if (
        typeof defaultSender === 'string' &&
        E164.test(defaultSender) &&
        Array.isArray(senders) &&
        !senders.includes(defaultSender)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaultSender'],
          message: 'must be one of senders',
          params: { before: ['webhook'], at: 1 } satisfies IssueOrder,
        });
      }
    },
    { when: isMapping },
  );

  const apiKey = mapping({
    id: matching(KEY_ID_PATTERN, 'must be 1 to 64 letters, digits, ".", "_" or "-"'),
    sha256: matching(SHA256_HEX, 'must be 64 hex characters (lowercase)'),
    scopes: optional(
      list(
        text.refine(
          (scope) => (SCOPES as readonly string[]).includes(scope),
          `must be one of ${SCOPES.join(', ')}`,
        ),
      ).min(1, 'must not be empty: leave it out for every scope'),
    ),
  });

  const subscription = text.refine(
    isEventSubscription,
    `must be one of ${GATEWAY_EVENT_TYPES.join(', ')}, or ${EVERY_MESSAGE_EVENT}`,
  );
  const endpoint = mapping({
    id: matching(TENANT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$'),
    url: text.superRefine((url, ctx) => {
      const problem = webhookUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    events: optional(
      list(subscription)
        .min(1, 'must not be empty: leave it out for every type')
        .superRefine((events, ctx) => {
          events.forEach((event, index) => {
            if (events.indexOf(event) < index) {
              // Among the items' own problems, in the list's order.
              const later = events.map((_, other) => other).slice(index + 1);
              ctx.addIssue({
                code: 'custom',
                path: [index],
                message: `duplicate "${event}"`,
                params: { before: later, at: 1 } satisfies IssueOrder,
              });
            }
          });
        }),
    ),
    secrets: optional(requiredList(text.refine(isWebhookSecret, WEBHOOK_SECRET_MESSAGE))),
    secretFiles: optional(requiredList(text)),
  }).superRefine(
    secretsInlineOrFiles(
      { inline: 'secrets', files: 'secretFiles' },
      isWebhookSecret,
      WEBHOOK_SECRET_MESSAGE,
      [],
    ),
    { when: isMapping },
  );

  const defaults = context.rateLimitDefaults;
  const tenant = mapping({
    id: matching(TENANT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$'),
    name: optional(text),
    blooio,
    defaultCountry: optional(
      text.refine(
        (code) => isSupportedCountry(code),
        'must be an ISO 3166-1 alpha-2 country code, e.g. US',
      ),
    ),
    maxRecipients: optional(wholeNumber(1, MAX_RECIPIENTS_LIMIT)),
    rateLimit: optional(
      mapping({
        perSecond: optional(wholeNumber(1, 1_000_000)),
        perMinute: optional(wholeNumber(1, 60_000_000)),
      }),
    ),
    apiKeys: requiredList(apiKey),
    webhooks: optional(list(endpoint)),
  }).transform((node): ParsedTenant => {
    const key = resolvedKeys.get(node.blooio) as string;
    const senders = node.blooio.senders && [...new Set(node.blooio.senders)];
    const hook = node.blooio.webhook;
    // Where each inbound number comes from, for the shared-key check's messages.
    const inbound = !hook
      ? []
      : hook.inboundNumbers
        ? hook.inboundNumbers.map((number, index) => ({
            number,
            path: `blooio.webhook.inboundNumbers[${index}]`,
          }))
        : (node.blooio.senders ?? []).map((number, index) => ({
            number,
            path: `blooio.senders[${index}]`,
          }));
    return {
      tenant: {
        id: node.id,
        ...(node.name !== undefined && { name: node.name }),
        blooio: {
          apiKey: new Secret(key),
          ...(senders && { senders }),
          ...(node.blooio.defaultSender !== undefined && {
            defaultSender: node.blooio.defaultSender,
          }),
          keyId: blooioKeyIdOf(key),
          webhook: {
            signingSecrets: hook ? secretsOf(hook, hook.signingSecrets) : [],
            inboundNumbers: [...new Set(inbound.map(({ number }) => number))],
          },
        },
        ...(node.defaultCountry !== undefined && {
          defaultCountry: node.defaultCountry,
        }),
        webhooks: (node.webhooks ?? []).map((entry): WebhookEndpoint => ({
          id: entry.id,
          url: entry.url,
          events: entry.events ?? [...GATEWAY_EVENT_TYPES],
          secrets: secretsOf(entry, entry.secrets),
        })),
        maxRecipients: node.maxRecipients ?? 10,
        rateLimit: {
          perSecond: node.rateLimit?.perSecond ?? defaults.perSecond,
          perMinute: node.rateLimit?.perMinute ?? defaults.perMinute,
        },
      },
      inbound,
      apiKeys: node.apiKeys.map((entry) => ({
        id: entry.id,
        sha256: entry.sha256,
        scopes: new Set<Scope>((entry.scopes as Scope[] | undefined) ?? SCOPES),
      })),
    };
  });

  return mapping({ tenants: requiredList(tenant) });
}

export interface ParsedTenant {
  tenant: Tenant;
  /** Inbound numbers with their paths below the tenant (`blooio.senders[0]` when defaulted). */
  inbound: { number: string; path: string }[];
  apiKeys: ParsedApiKey[];
}

export interface ParsedApiKey {
  id: string;
  sha256: string;
  scopes: ReadonlySet<Scope>;
}
