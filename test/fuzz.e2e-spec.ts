/**
 * Property-based fuzzing of POST /v1/messages (DESIGN.md §2 and §3) with fast-check.
 *
 * One gateway, in front of the healthy Blooio simulator, is sent arbitrary bodies, headers and
 * content types. Whatever it is sent, for every case:
 *   - it never answers 5xx (Blooio is healthy, so a 5xx is a gateway bug);
 *   - it answers either a success (200/202, JSON, a string `chatId`) or an RFC 9457 problem
 *     (`application/problem+json`, `status` = HTTP status, a string `code`, `requestId` = the
 *     X-Request-Id header, except in a replay, which repeats the first answer byte for byte);
 *   - nothing invalid reaches Blooio: every upstream request the simulator recorded for the case has
 *     a well-formed chatId in a single path segment, only Blooio's snake_case fields, https URLs,
 *     and a 4xx answer means no upstream request at all (except Blooio's own 404 for a group or
 *     reply target it does not know, which depends on its state, not on the request's form).
 * A replay property repeats Idempotency-Keys within a case (same rules, and one key never reaches
 * Blooio twice); a control property checks that valid bodies with hostile-but-legal text get
 * through unchanged, so the others are not passing vacuously.
 *
 * `npm test` runs a few hundred cases (a few seconds). To search harder, or to replay a failure:
 *
 *   FUZZ_RUNS=5000 npx jest test/fuzz.e2e-spec.ts     # 5000 cases per property
 *   FUZZ_SEED=7 npx jest test/fuzz.e2e-spec.ts        # another fixed seed (default below)
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx jest test/fuzz.e2e-spec.ts -t '<property name>'
 *
 * A failure message from fast-check names the seed and the path of the shrunk counterexample;
 * FUZZ_SEED (with FUZZ_PATH, and -t for the one property) replays exactly that case.
 * FUZZ_STATS=1 prints how many cases of each property ended in which status.
 */
import { randomUUID } from 'node:crypto';
import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { BLOOIO_EFFECTS } from '../src/blooio/blooio.types';
import { type RecordedRequest, SIMULATOR_MAGIC_NUMBERS } from '../src/sandbox/blooio-simulator';
import { startGatewayWithSimulator } from './support/gateway';
import { ACME_SENDERS, BLOOIO_KEYS, GLOBEX_SENDER, KEYS } from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

// -------------------------------------------------------------------------------------------------
// Settings

const DEFAULT_SEED = 20_250_601;
const SEED =
  process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== ''
    ? Number(process.env.FUZZ_SEED)
    : DEFAULT_SEED;
const RUNS_OVERRIDE = Number(process.env.FUZZ_RUNS ?? 0) || 0;
const REPLAY_PATH = process.env.FUZZ_PATH || undefined;

/** numRuns of one property: FUZZ_RUNS when set, else its own default. */
const runsOf = (defaultRuns: number): number => RUNS_OVERRIDE || defaultRuns;
/** Jest timeout of one property: generous per case, so FUZZ_RUNS never trips it. */
const timeoutOf = (defaultRuns: number): number => 30_000 + runsOf(defaultRuns) * 150;

function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  return {
    numRuns: runsOf(defaultRuns),
    seed: SEED,
    ...(REPLAY_PATH !== undefined && { path: REPLAY_PATH }),
  };
}

// -------------------------------------------------------------------------------------------------
// What a case is

/** Header value to send: a string, several (repeated header), or null to leave it out. */
type HeaderValue = string | string[] | null;

interface FuzzCase {
  /** The exact body bytes (a string is sent as UTF-8). Undefined: no body at all. */
  body?: string | Uint8Array;
  /** Overrides of the defaults: Bearer acme key, and application/json when there is a body. */
  headers?: Record<string, HeaderValue>;
}

const VALID_BEARERS = [
  `Bearer ${KEYS.acmeOrders}`,
  `Bearer ${KEYS.acmeRotated}`,
  `Bearer ${KEYS.globex}`,
] as const;

/** Tenant limits of the fixture, by the Blooio key the gateway used upstream. */
const TENANT_BY_BLOOIO_KEY: Record<string, { maxRecipients: number; senders?: string[] }> = {
  [BLOOIO_KEYS.acme]: { maxRecipients: 5, senders: ACME_SENDERS },
  [BLOOIO_KEYS.globex]: { maxRecipients: 10 },
};

/** Node's HTTP client refuses some header values client-side; such a case is not sendable. */
function isSendableHeaderValue(name: string, value: HeaderValue): boolean {
  if (value === null) return true;
  try {
    for (const item of Array.isArray(value) ? value : [value]) validateHeaderValue(name, item);
    return true;
  } catch {
    return false;
  }
}

const isSendable = (fuzzCase: FuzzCase): boolean =>
  Object.entries(fuzzCase.headers ?? {}).every(([name, value]) =>
    isSendableHeaderValue(name, value),
  );

// -------------------------------------------------------------------------------------------------
// Checks

const E164 = /^\+[1-9]\d{1,14}$/;
/** A lower-case address: no `/`, `%`, `,`, whitespace, control characters or upper case. */
const LOWER_EMAIL = /^[a-z0-9!#$&'*+=?^_`{|}~.-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;
const GROUP_ID = /^grp_[A-Za-z0-9_-]+$/;
const UPSTREAM_PATH = /^\/v2\/api\/chats\/([^/?#]+)\/messages$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const TOP_LEVEL_FIELDS = new Set([
  'text',
  'attachments',
  'parts',
  'from_number',
  'use_typing_indicator',
  'share_contact',
  'effect',
  'reply_to',
  'link_preview',
]);
const PART_FIELDS = new Set(['text', 'mention', 'url', 'name', 'link_preview']);
const LINK_PREVIEW_FIELDS = new Set(['image_url', 'title']);
const REPLY_TO_FIELDS = new Set(['message_id', 'guid', 'part_index']);
const ATTACHMENT_FIELDS = new Set(['url', 'name']);
const MAGIC_NUMBERS: string[] = Object.values(SIMULATOR_MAGIC_NUMBERS);

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f]/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isHttps(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !WHITESPACE_OR_CONTROL.test(value);
  } catch {
    return false;
  }
}

/** Problems with one chatId Blooio received (decoded). */
function chatIdProblems(chatId: string | undefined, maxRecipients: number): string[] {
  if (chatId === undefined) return ['no chatId path parameter'];
  if (chatId.includes('..')) return [`chatId contains "..": ${JSON.stringify(chatId)}`];
  const members = chatId.split(',');
  if (members.length === 1) {
    const [only] = members;
    return E164.test(only) || LOWER_EMAIL.test(only) || GROUP_ID.test(only)
      ? []
      : [`chatId is not one E.164 number, lower-case email or grp_ id: ${JSON.stringify(chatId)}`];
  }
  const problems: string[] = [];
  for (const member of members) {
    if (!E164.test(member) && !LOWER_EMAIL.test(member)) {
      problems.push(`chatId member is not E.164 or a lower-case email: ${JSON.stringify(member)}`);
    }
  }
  if (new Set(members).size !== members.length) problems.push('chatId repeats a member');
  if (members.length > maxRecipients) {
    problems.push(`chatId has ${members.length} members, over the tenant's ${maxRecipients}`);
  }
  return problems;
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: Set<string>,
  where: string,
): string[] {
  return Object.keys(value)
    .filter((key) => !allowed.has(key))
    .map((key) => `${where} has a field Blooio does not know: ${JSON.stringify(key)}`);
}

function linkPreviewProblems(value: unknown, where: string): string[] {
  if (!isRecord(value)) return [`${where} is not an object`];
  return [
    ...unknownKeys(value, LINK_PREVIEW_FIELDS, where),
    ...(value.image_url !== undefined && !isHttps(value.image_url)
      ? [`${where}.image_url is not https: ${JSON.stringify(value.image_url)}`]
      : []),
    ...(value.title !== undefined && typeof value.title !== 'string'
      ? [`${where}.title is not a string`]
      : []),
  ];
}

/** Problems with the JSON body Blooio received. */
function upstreamBodyProblems(body: unknown, senders: string[] | undefined): string[] {
  if (!isRecord(body)) return [`body is not a JSON object: ${JSON.stringify(body)}`];
  const problems = unknownKeys(body, TOP_LEVEL_FIELDS, 'body');
  const { text, attachments, parts } = body;
  if (
    text !== undefined &&
    typeof text !== 'string' &&
    !(Array.isArray(text) && text.every((item) => typeof item === 'string'))
  ) {
    problems.push('text is neither a string nor an array of strings');
  }
  if (text === undefined && attachments === undefined && parts === undefined) {
    problems.push('no text, attachments or parts');
  }
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) problems.push('attachments is not an array');
    else
      attachments.forEach((item: unknown, index) => {
        const where = `attachments.${index}`;
        if (typeof item === 'string') {
          if (!isHttps(item)) problems.push(`${where} is not https: ${JSON.stringify(item)}`);
        } else if (isRecord(item)) {
          problems.push(...unknownKeys(item, ATTACHMENT_FIELDS, where));
          if (!isHttps(item.url)) problems.push(`${where}.url is not https`);
        } else problems.push(`${where} is neither a URL nor an object`);
      });
  }
  if (parts !== undefined) {
    if (!Array.isArray(parts)) problems.push('parts is not an array');
    else
      parts.forEach((part: unknown, index) => {
        const where = `parts.${index}`;
        if (!isRecord(part)) return problems.push(`${where} is not an object`);
        problems.push(...unknownKeys(part, PART_FIELDS, where));
        if (part.url !== undefined && !isHttps(part.url)) {
          problems.push(`${where}.url is not https: ${JSON.stringify(part.url)}`);
        }
        if (
          part.mention !== undefined &&
          !(
            typeof part.mention === 'string' &&
            (E164.test(part.mention) || LOWER_EMAIL.test(part.mention))
          )
        ) {
          problems.push(
            `${where}.mention is not E.164 or a lower-case email: ${JSON.stringify(part.mention)}`,
          );
        }
        if (part.link_preview !== undefined) {
          problems.push(...linkPreviewProblems(part.link_preview, `${where}.link_preview`));
        }
      });
  }
  if (body.from_number !== undefined) {
    if (typeof body.from_number !== 'string' || !E164.test(body.from_number)) {
      problems.push(`from_number is not E.164: ${JSON.stringify(body.from_number)}`);
    } else if (senders && !senders.includes(body.from_number)) {
      problems.push(`from_number ${body.from_number} is not one of the tenant's senders`);
    }
  }
  for (const flag of ['use_typing_indicator', 'share_contact']) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') {
      problems.push(`${flag} is not a boolean`);
    }
  }
  if (body.effect !== undefined && !(BLOOIO_EFFECTS as readonly unknown[]).includes(body.effect)) {
    problems.push(`effect is not one of Blooio's: ${JSON.stringify(body.effect)}`);
  }
  if (body.reply_to !== undefined) {
    if (!isRecord(body.reply_to)) problems.push('reply_to is not an object');
    else problems.push(...unknownKeys(body.reply_to, REPLY_TO_FIELDS, 'reply_to'));
  }
  if (body.link_preview !== undefined) {
    problems.push(...linkPreviewProblems(body.link_preview, 'link_preview'));
  }
  return problems;
}

/** Problems with one request the simulator received. */
function upstreamProblems(request: RecordedRequest): string[] {
  const problems: string[] = [];
  if (request.method !== 'POST') problems.push(`method ${request.method}`);
  const match = UPSTREAM_PATH.exec(request.rawUrl);
  if (!match) {
    problems.push(`path is not one chats/{chatId}/messages segment: ${request.rawUrl}`);
  } else if (match[1].includes('..') || match[1] !== encodeURIComponent(request.chatId ?? '')) {
    problems.push(`path segment ${match[1]} is not encodeURIComponent(chatId)`);
  }
  const authorization = request.headers.authorization ?? '';
  const tenant = TENANT_BY_BLOOIO_KEY[authorization.replace(/^Bearer /, '')];
  if (!tenant) problems.push('Authorization is not a tenant Blooio key');
  problems.push(...chatIdProblems(request.chatId, tenant?.maxRecipients ?? 10));
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
    problems.push(`content-type ${request.headers['content-type']}`);
  }
  if (!request.headers['idempotency-key']) problems.push('no Idempotency-Key');
  const fromHeader = request.headers['x-from-number'];
  const fromBody = isRecord(request.body) ? request.body.from_number : undefined;
  if (fromHeader !== undefined && fromHeader !== fromBody) {
    problems.push(`X-From-Number ${fromHeader} differs from from_number ${String(fromBody)}`);
  }
  problems.push(...upstreamBodyProblems(request.body, tenant?.senders));
  return problems;
}

/** The value the server sees for a header we sent (Node trims spaces/tabs around it). */
function sentHeader(fuzzCase: FuzzCase, name: string): string | undefined {
  const value = fuzzCase.headers?.[name];
  return typeof value === 'string' ? value.replace(/^[ \t]+|[ \t]+$/g, '') : undefined;
}

/** Everything a case must satisfy, as a list of broken rules (empty: the case passed). */
function caseProblems(
  fuzzCase: FuzzCase,
  response: Response,
  upstream: RecordedRequest[],
): string[] {
  const problems: string[] = [];
  const { status } = response;
  const contentType = String(response.headers['content-type'] ?? '');
  const requestId = response.headers['x-request-id'] as string | undefined;
  // Blooio's own error paths, triggered by a generated magic number, are not gateway bugs.
  const magic = upstream.some((request) =>
    MAGIC_NUMBERS.some((number) => request.chatId?.includes(number)),
  );

  if (status >= 500 && !magic) problems.push(`answered ${status}`);
  if (response.text?.includes('    at ')) problems.push('answer contains a stack trace');

  if (typeof requestId !== 'string' || requestId === '') problems.push('no X-Request-Id header');
  else {
    const sent = sentHeader(fuzzCase, 'x-request-id');
    if (sent !== undefined && SANE_REQUEST_ID.test(sent) && requestId !== sent) {
      problems.push(`X-Request-Id ${requestId} replaced the sane ${sent}`);
    }
    if (requestId !== sent && !UUID.test(requestId)) {
      problems.push(`X-Request-Id ${JSON.stringify(requestId)} is neither ours nor a UUID`);
    }
  }

  let body: unknown;
  try {
    body = JSON.parse(response.text ?? '');
  } catch {
    problems.push('answer body is not JSON');
  }

  if (status === 200 || status === 202) {
    if (!/^application\/json\b/.test(contentType)) problems.push(`success as ${contentType}`);
    if (!isRecord(body) || typeof body.chatId !== 'string') {
      problems.push('success without a string chatId');
    } else if (upstream.length === 1 && upstream[0].chatId !== body.chatId) {
      problems.push(`answered chatId ${body.chatId}, sent ${String(upstream[0].chatId)}`);
    }
    // No retries are configured: a new message is exactly one call, a replay at most one.
    if (status === 202 ? upstream.length !== 1 : upstream.length > 1) {
      problems.push(`${status} after ${upstream.length} upstream calls`);
    }
    const key = sentHeader(fuzzCase, 'idempotency-key');
    if (key !== undefined && response.headers['idempotency-key'] !== key) {
      problems.push('success does not repeat the Idempotency-Key');
    }
  } else {
    if (!/^application\/problem\+json\b/.test(contentType)) {
      problems.push(`error answered as ${contentType || 'no content type'}`);
    }
    if (!isRecord(body)) problems.push('problem body is not an object');
    else {
      if (body.status !== status) problems.push(`problem status ${String(body.status)}`);
      if (typeof body.code !== 'string' || body.code === '') problems.push('problem has no code');
      // A replay is the first answer byte for byte (issue: safe delivery), its requestId included;
      // any other problem names this request.
      const replayed = response.headers['idempotent-replayed'] === 'true';
      if (!replayed && body.requestId !== requestId)
        problems.push('problem requestId is not X-Request-Id');
      if (replayed && typeof body.requestId !== 'string')
        problems.push('replayed problem has no requestId');
    }
    // Blooio's 404 (a grp_ id or reply target it does not know) depends on its state, not on the
    // request's form: the only 4xx that may follow an upstream call. Its 400 would mean the gateway
    // sent something invalid.
    const blooioStateRefusal =
      isRecord(body) &&
      body.code === 'upstream_rejected' &&
      isRecord(body.upstream) &&
      body.upstream.status === 404;
    if (status >= 400 && status < 500 && upstream.length > 0 && !magic && !blooioStateRefusal) {
      problems.push(`answered ${status} but ${upstream.length} request(s) reached Blooio`);
    }
  }

  upstream.forEach((request, index) => {
    problems.push(...upstreamProblems(request).map((problem) => `upstream[${index}]: ${problem}`));
  });
  return problems;
}

const truncate = (text: string, max = 2_000): string =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;

// -------------------------------------------------------------------------------------------------
// Generators: building blocks

const DIGIT = fc.constantFrom(...'0123456789'.split(''));
const digits = (minLength: number, maxLength: number) =>
  fc.string({ unit: DIGIT, minLength, maxLength });
const GROUP_CHAR = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split(''),
);

/** Control characters and other troublemakers (lone surrogates, BOM, bidi, separators). */
const CONTROL = fc.constantFrom(
  ...Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)),
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\uffff',
);

/** Fragments aimed at paths, URLs, headers, templates and parsers. */
const NASTY_FRAGMENT = fc.constantFrom(
  '../',
  '..',
  '/',
  '\\',
  '%2F',
  '%2f',
  '%2e%2e%2f',
  '%00',
  '%',
  '\u0000',
  '\r\n',
  '\r\nX-Injected: 1',
  '?x=1',
  '#frag',
  ',',
  '@',
  '+',
  ' ',
  '"',
  "'",
  '`',
  '<script>',
  '${PATH}',
  '{{7*7}}',
  '[',
  '{',
  ']]]]',
  'grp_',
  'null',
  '__proto__',
  '😀',
  'é',
  'ǅ',
  'İ',
  'ﬀ',
);

const longString = fc
  .tuple(
    fc.oneof(fc.integer({ min: 250, max: 300 }), fc.integer({ min: 9_990, max: 10_010 })),
    fc.constantFrom('a', 'é', '😀', '\u0000', '/', '['),
  )
  .map(([length, char]) => char.repeat(Math.ceil(length / char.length)));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: CONTROL, maxLength: 8 }),
  fc
    .array(fc.oneof(NASTY_FRAGMENT, fc.string({ maxLength: 4 }), CONTROL), { maxLength: 6 })
    .map((pieces) => pieces.join('')),
  longString,
);

const httpsUrl = fc.oneof(
  fc.constantFrom(
    'https://cdn.example.com/a.png',
    'https://example.com',
    'https://example.com/a%20b.pdf?x=1#f',
  ),
  fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true }),
);

/** URLs that must never reach Blooio. */
const badUrl = fc.oneof(
  fc.constantFrom(
    'http://cdn.example.com/a.png',
    'javascript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD4=',
    'file:///etc/passwd',
    '/a.png',
    'https://u:p@example.com/a',
    'https://example.com/a b',
    'https://',
    'https:example.com',
    'HTTPS://EXAMPLE.COM/\u0000',
    ' https://example.com',
    'https://example.com/\n',
    '//example.com/a.png',
    'ftp://example.com/a',
  ),
  fc.webUrl({ validSchemes: ['http', 'ftp', 'file', 'javascript', 'data'] }),
  fc.tuple(httpsUrl, hostileString).map(([url, extra]) => url + extra),
);

const phone = fc.oneof(
  digits(7, 7).map((d) => `+1555${d}`),
  digits(1, 17).map((d) => `+${d}`),
  digits(10, 10).map((d) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`),
  digits(10, 10),
  digits(3, 12),
  fc.constantFrom(
    '+442071838750',
    '+33 1 42 68 53 00',
    '+8613800138000',
    '+61 2 9374 4000',
    '555.123.4567',
    '+1 (555) 123-4567',
    '+0123456789',
    '+',
    '++15551234567',
    '+1-555-123-4567-',
    '1-800-FLOWERS',
    '+15551234567 ext. 12',
  ),
);

const email = fc.oneof(
  fc.emailAddress(),
  fc.emailAddress().map((address) => address.toUpperCase()),
  fc.constantFrom(
    'Jane.Doe@Example.COM',
    'a@b.co',
    'a..b@example.com',
    'a@example..com',
    '.a@example.com',
    'a@-example.com',
    'a@example.c',
    'a@localhost',
    'a@[127.0.0.1]',
    '"quoted"@example.com',
    'a%2F@example.com',
    'a/b@example.com',
    'a,b@example.com',
    'a@b@example.com',
  ),
);

const groupId = fc.oneof(
  fc.string({ unit: GROUP_CHAR, minLength: 1, maxLength: 70 }).map((id) => `grp_${id}`),
  fc.constantFrom('grp_', 'GRP_abc', 'grp_abc/def', 'grp_..', 'grp_abc%2F'),
);

/** Insert `extra` somewhere into `base`. */
const spliced = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, fc.oneof(NASTY_FRAGMENT, hostileString, CONTROL), fc.nat())
    .map(([text, extra, at]) => {
      const index = at % (text.length + 1);
      return text.slice(0, index) + extra + text.slice(index);
    });

const plausibleRecipient = fc.oneof(phone, email, groupId);

const recipient: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: plausibleRecipient },
  { weight: 3, arbitrary: spliced(plausibleRecipient) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(plausibleRecipient, { minLength: 2, maxLength: 3 })
      .map((list) => list.join(',')),
  },
);

/** Recipients the gateway should accept (for acme): so that the property reaches Blooio too. */
const acceptableRecipient = fc.oneof(
  digits(7, 7).map((d) => `+1555${d}`),
  digits(7, 7).map((d) => `(555) ${d.slice(0, 3)}-${d.slice(3)}`),
  fc
    .string({ unit: fc.constantFrom(...'abcXYZ019._-'.split('')), minLength: 1, maxLength: 10 })
    .filter((local) => !/^\.|\.$|\.\./.test(local))
    .map((local) => `${local}@Example.com`),
);

const recipientsArray: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.array(recipient, { maxLength: 12 }) },
  { weight: 4, arbitrary: fc.array(acceptableRecipient, { minLength: 1, maxLength: 6 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(acceptableRecipient, { minLength: 1, maxLength: 4 }), recipient, fc.nat())
      .map(([list, odd, at]) => [...list.slice(0, at % (list.length + 1)), odd, ...list]),
  },
  { weight: 4, arbitrary: fc.array(plausibleRecipient, { minLength: 1, maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(plausibleRecipient, fc.integer({ min: 90, max: 1_200 }))
      .map(([one, count]) => Array.from({ length: count }, () => one)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** JSON text of values of the wrong type, in many shapes. */
const wrongValueText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  hostileString.map((text) => JSON.stringify(text)),
  fc.constantFrom(
    'null',
    'true',
    'false',
    '0',
    '-1',
    '1.5',
    '-0',
    '1e308',
    '1e999',
    '""',
    '[]',
    '{}',
    '[[]]',
    '[null]',
    '[{}]',
    '{"0":"+15551234567","length":1}',
    '"[object Object]"',
    '9007199254740993',
  ),
  // Arrays 1000 long, flat and of nested arrays.
  fc
    .constantFrom('1', '"x"', '[]', '[[1]]', '{}', '"https://cdn.example.com/a.png"')
    .map((item) => `[${Array.from({ length: 1_000 }, () => item).join(',')}]`),
  // Nesting around the parser's depth limit (32), and far beyond it.
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 500, max: 5_000 })),
      fc.boolean(),
    )
    .map(([depth, objects]) =>
      objects
        ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
        : `${'['.repeat(depth)}${']'.repeat(depth)}`,
    ),
);

/** Key texts (already JSON-quoted) that target prototypes; some escaped, which JSON.parse decodes. */
const PROTO_KEY_TEXT = fc.constantFrom(
  '"__proto__"',
  '"constructor"',
  '"prototype"',
  '"\\u005f\\u005fproto\\u005f\\u005f"',
  '"__pro\\u0074o__"',
  '"\\u0063onstructor"',
  '"toString"',
  '"valueOf"',
  '"hasOwnProperty"',
  '"toJSON"',
  '"__defineGetter__"',
  '"isPrototypeOf"',
  '"length"',
);
const PROTO_VALUE_TEXT = fc.constantFrom(
  '{"isAdmin":true}',
  '{"prototype":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"guid":"G-1"}',
  '{"text":"injected"}',
  '{"url":"http://evil.example/a"}',
  '{"toString":1}',
  '1',
  'null',
  '"x"',
  '[]',
);

/** Valid values of each body field (camelCase), as JSON text. */
const validFieldText: Record<string, fc.Arbitrary<string>> = {
  recipients: fc.oneof(
    fc.constant('["+15551234567"]'),
    fc
      .array(plausibleRecipient, { minLength: 1, maxLength: 5 })
      .map((list) => JSON.stringify(list)),
  ),
  sender: fc
    .constantFrom(...ACME_SENDERS, GLOBEX_SENDER, '+15551112222')
    .map((sender) => JSON.stringify(sender)),
  text: fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 10 }),
      hostileString.filter((text) => text.length > 0),
      httpsUrl,
    )
    .map((text) => JSON.stringify(text)),
  attachments: fc
    .array(
      fc.oneof(
        httpsUrl,
        fc.record(
          { url: httpsUrl, name: fc.string({ minLength: 1, maxLength: 20 }) },
          { requiredKeys: ['url'] },
        ),
      ),
      { minLength: 1, maxLength: 10 },
    )
    .map((list) => JSON.stringify(list)),
  parts: fc
    .oneof(
      fc.array(
        fc.oneof(
          fc.record(
            { text: fc.string({ minLength: 1, maxLength: 20 }), mention: phone },
            { requiredKeys: ['text'] },
          ),
          fc.record(
            { url: httpsUrl, name: fc.string({ minLength: 1, maxLength: 20 }) },
            { requiredKeys: ['url'] },
          ),
        ),
        { minLength: 1, maxLength: 5 },
      ),
      fc.array(
        fc.record({
          text: httpsUrl,
          linkPreview: fc.record(
            { title: fc.string({ minLength: 1, maxLength: 200 }), imageUrl: httpsUrl },
            { requiredKeys: [] },
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map((list) => JSON.stringify(list)),
  effect: fc
    .constantFrom(...BLOOIO_EFFECTS, 'Confetti', 'invisible ink')
    .map((effect) => JSON.stringify(effect)),
  replyTo: fc
    .oneof(
      fc.record({ messageId: fc.string({ minLength: 1, maxLength: 40 }) }),
      fc.record(
        { guid: fc.uuid(), partIndex: fc.integer({ min: 0, max: 1_000 }) },
        { requiredKeys: ['guid'] },
      ),
    )
    .map((replyTo) => JSON.stringify(replyTo)),
  typingIndicator: fc.boolean().map(String),
  linkPreview: fc
    .record(
      { imageUrl: httpsUrl, title: fc.string({ minLength: 1, maxLength: 200 }) },
      { requiredKeys: [] },
    )
    .map((preview) => JSON.stringify(preview)),
  shareContact: fc.boolean().map(String),
};
const FIELDS = Object.keys(validFieldText);

/** Objects of a field's shape with a prototype key (or an extra key) slipped in. */
const smuggledFieldText: fc.Arbitrary<[string, string]> = fc
  .tuple(
    fc.constantFrom('recipients', 'text', 'attachments', 'parts', 'replyTo', 'linkPreview'),
    PROTO_KEY_TEXT,
    PROTO_VALUE_TEXT,
  )
  .map(([field, key, value]) => {
    const member = `${key}:${value}`;
    const texts: Record<string, string> = {
      recipients: `{"0":"+15551234567",${member}}`,
      text: `{${member}}`,
      attachments: `[{"url":"https://cdn.example.com/a.png",${member}}]`,
      parts: `[{"text":"a",${member}}]`,
      replyTo: `{"messageId":"msg_1",${member}}`,
      linkPreview: `{"title":"T",${member}}`,
    };
    return [field, texts[field]];
  });

/** Unknown keys, Blooio's own snake_case names, near misses of real ones. */
const extraKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  hostileString,
  fc.constantFrom(
    'from_number',
    'chat_id',
    'chatId',
    'reply_to',
    'link_preview',
    'use_typing_indicator',
    'share_contact',
    'Recipients',
    'TEXT',
    'recipients ',
    'text\u0000',
    'apiKey',
    'tenant',
    'idempotencyKey',
  ),
);

type BodyEdit =
  | { kind: 'set'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'raw'; member: string };

const bodyEdit: fc.Arbitrary<BodyEdit> = fc.oneof(
  // A real field, with a valid value (so some cases get through) or a wrong one.
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(...FIELDS)
      .chain((key) =>
        fc
          .oneof(validFieldText[key], wrongValueText)
          .map((value): BodyEdit => ({ kind: 'set', key, value })),
      ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...FIELDS), badUrl).map(([key, url]): BodyEdit => {
      const texts: Record<string, string> = {
        attachments: JSON.stringify([url]),
        parts: JSON.stringify([{ url }]),
        linkPreview: JSON.stringify({ imageUrl: url }),
        recipients: JSON.stringify([url]),
      };
      return { kind: 'set', key, value: texts[key] ?? JSON.stringify([{ url }]) };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...FIELDS).map((key): BodyEdit => ({ kind: 'delete', key })),
  },
  {
    weight: 2,
    arbitrary: smuggledFieldText.map(([key, value]): BodyEdit => ({ kind: 'set', key, value })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(extraKey, wrongValueText).map(([key, value]): BodyEdit => ({
      kind: 'raw',
      member: `${JSON.stringify(key)}:${value}`,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(PROTO_KEY_TEXT, PROTO_VALUE_TEXT)
      .map(([key, value]): BodyEdit => ({ kind: 'raw', member: `${key}:${value}` })),
  },
);

/** The valid base body with the edits applied, as JSON text written by hand. */
function editedBody(edits: BodyEdit[]): string {
  const members: [string | undefined, string][] = [
    ['recipients', '["+15551234567"]'],
    ['text', '"hi"'],
  ];
  for (const edit of edits) {
    if (edit.kind === 'raw') members.push([undefined, edit.member]);
    else {
      const index = members.findIndex(([key]) => key === edit.key);
      if (edit.kind === 'delete') {
        if (index >= 0) members.splice(index, 1);
      } else if (index >= 0) members[index] = [edit.key, edit.value];
      else members.push([edit.key, edit.value]);
    }
  }
  const text = members
    .map(([key, value]) => (key === undefined ? value : `${JSON.stringify(key)}:${value}`))
    .join(',');
  return `{${text}}`;
}

const almostValidBody = fc.array(bodyEdit, { minLength: 1, maxLength: 4 }).map(editedBody);

/** JSON.stringify that never throws; undefined (nothing serialisable) becomes the text "undefined". */
function serialise(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const arbitraryJsonBody: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 40 }).map((value) => JSON.stringify(value)),
  fc.anything({ withNullPrototype: true, withObjectString: true, maxDepth: 6 }).map(serialise),
  fc.object({ maxDepth: 12, maxKeys: 6 }).map(serialise),
  fc
    .tuple(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: 1_000, max: 5_000 }))
    .map(([item, count]) =>
      JSON.stringify({ recipients: Array.from({ length: count }, () => item), text: item }),
    ),
  fc
    .record(
      {
        recipients: fc.jsonValue({ maxDepth: 2 }),
        sender: fc.jsonValue({ maxDepth: 1 }),
        text: fc.jsonValue({ maxDepth: 2 }),
        attachments: fc.jsonValue({ maxDepth: 2 }),
        parts: fc.jsonValue({ maxDepth: 3 }),
        effect: fc.jsonValue({ maxDepth: 1 }),
        replyTo: fc.jsonValue({ maxDepth: 2 }),
        typingIndicator: fc.jsonValue({ maxDepth: 1 }),
        linkPreview: fc.jsonValue({ maxDepth: 2 }),
        shareContact: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
);

const GOOD_BODY = '{"recipients":["+15551234567"],"text":"hi"}';

/** Malformed JSON, bytes and near-JSON texts. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.json(),
  fc.nat(GOOD_BODY.length).map((length) => GOOD_BODY.slice(0, length)),
  fc
    .tuple(fc.nat(GOOD_BODY.length), fc.oneof(CONTROL, NASTY_FRAGMENT, fc.string({ maxLength: 3 })))
    .map(([at, extra]) => GOOD_BODY.slice(0, at) + extra + GOOD_BODY.slice(at)),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '[]',
    '""',
    '0',
    'true',
    '{',
    '}',
    '{}',
    '{"":""}',
    `\ufeff${GOOD_BODY}`,
    `${GOOD_BODY}${GOOD_BODY}`,
    `${GOOD_BODY} trailing`,
    `${GOOD_BODY}\u0000`,
    '{"recipients":["+15551234567"],"text":"\\ud800"}',
    '{"recipients":["+15551234567"],"text":"\\u0000"}',
    '{"recipients":["+15551234567"],"text":"\\x41"}',
    '{"recipients":["+15551234567"],"text":"hi",}',
    "{'recipients':['+15551234567'],'text':'hi'}",
    '{"recipients":["+15551234567"],"text":NaN}',
    '{"recipients":["+15551234567"],"text":"hi" /* c */}',
    '{"recipients":["+15551234567"],"text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    '{"recipients":["+15551234567"],"text":"\\\\[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
  ),
  fc
    .constantFrom('utf16le', 'latin1')
    .map((encoding) =>
      Uint8Array.from(Buffer.from(`{"recipients":["+15551234567"],"text":"é hi"}`, encoding)),
    ),
  fc
    .tuple(fc.integer({ min: 30, max: 20_000 }), fc.constantFrom('[', '{"a":', '["'))
    .map(([depth, open]) => open.repeat(depth)),
);

/**
 * Bodies for the replay property: a success, another success, an equivalent spelling of the
 * first, Blooio's state-dependent refusals (unknown group, unknown reply target), and answers
 * that are never recorded (validation, sender not allowed).
 */
const REPLAY_BODIES = fc.constantFrom(
  GOOD_BODY,
  '{"recipients":["+15551234567"],"text":"another"}',
  '{"text":"hi","recipients":["(555) 123-4567","+15551234567"]}',
  '{"recipients":["grp_unknownGroup1"],"text":"hi"}',
  '{"recipients":["+15551234567"],"text":"hi","replyTo":{"messageId":"msg_unknown"}}',
  '{"recipients":["../x"],"text":"hi"}',
  '{"recipients":["+15551234567"],"text":"hi","sender":"+15559999999"}',
);

// -------------------------------------------------------------------------------------------------
// Header generators

const contentType: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'Application/Json;Charset=UTF-8',
      'application/json; charset=utf-16',
      'application/json; charset=iso-8859-1',
      'application/json; charset="utf-8"',
      'application/json; charset=',
      'application/json;',
      'application/json ; x=y',
      'application/json, text/plain',
      'application/jsonp',
      'application/json-patch+json',
      'application/problem+json',
      'application/vnd.api+json',
      'text/json',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'application/*',
      'application',
      '',
      ';',
      '/',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `application/json; ${s}`),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 20 }).map((s) => `application/json; charset=${s}`),
  },
  // (A repeated Content-Type is left out: superagent itself crashes on one, client-side.)
);

const authorization: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...VALID_BEARERS) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `Bearer ${KEYS.acmeReadOnly}`,
      `bearer ${KEYS.acmeOrders}`,
      `BEARER ${KEYS.acmeOrders}`,
      `Bearer  ${KEYS.acmeOrders}`,
      `Bearer\t${KEYS.acmeOrders}`,
      `Bearer ${KEYS.acmeOrders} `,
      `Bearer ${KEYS.acmeOrders}x`,
      `Bearer ${KEYS.acmeOrders.toUpperCase()}`,
      `Bearer ${KEYS.acmeOrders.slice(0, -1)}`,
      `Bearer ${KEYS.acmeOrders} ${KEYS.globex}`,
      `Bearer ${KEYS.acmeOrders},Bearer ${KEYS.globex}`,
      `Basic ${Buffer.from(`x:${KEYS.acmeOrders}`).toString('base64')}`,
      `Token ${KEYS.acmeOrders}`,
      KEYS.acmeOrders,
      'Bearer',
      'Bearer ',
      '',
      `Bearer ${BLOOIO_KEYS.acme}`,
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `Bearer ${s}`) },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom(...VALID_BEARERS), { minLength: 2, maxLength: 2 }),
  },
);

const idempotencyKey: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 255 }) },
  { weight: 1, arbitrary: fc.uuid() },
  // Reused across cases: the same body replays (200), a different one is 422.
  { weight: 1, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 300 }).map((n) => 'k'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', 'a\tb', ' a ', 'clé', '\u00ff') },
  { weight: 1, arbitrary: fc.array(fc.uuid(), { minLength: 2, maxLength: 2 }) },
);

const requestIdHeader: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(...'abcXYZ019._:-'.split('')),
      minLength: 1,
      maxLength: 130,
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '../../etc', 'a b', 'id\t1', '<script>', 'é') },
  { weight: 1, arbitrary: fc.array(fc.uuid(), { minLength: 2, maxLength: 2 }) },
);

// -------------------------------------------------------------------------------------------------
// The suite

describe('POST /v1/messages fuzzing (e2e, fast-check)', () => {
  let gateway: Gateway;
  const stats = new Map<string, Map<number, number>>();
  const prototypeSnapshot = (): string =>
    [Object.prototype, Array.prototype, Function.prototype, String.prototype]
      .map((proto) => Object.getOwnPropertyNames(proto).sort().join(','))
      .join('|');
  let prototypes = '';

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      logLevel: 'warn',
      // The harness already sets RATE_LIMIT_PER_SECOND / PER_MINUTE far above what this sends.
      env: { BLOOIO_MAX_RETRIES: '0' },
    });
    prototypes = prototypeSnapshot();
  });

  afterAll(async () => {
    if (process.env.FUZZ_STATS) {
      const lines = [...stats].map(
        ([name, byStatus]) =>
          `${name}: ${[...byStatus]
            .sort(([a], [b]) => a - b)
            .map(([status, count]) => `${status}×${count}`)
            .join(' ')}`,
      );
      console.log(`fuzz seed ${SEED}\n${lines.join('\n')}`);
    }
    await gateway?.close();
  });

  /** Sends one case; checks every rule; throws with the whole story when one is broken. */
  async function runCase(property: string, fuzzCase: FuzzCase): Promise<Response> {
    gateway.simulator.clear();
    const headers: Record<string, HeaderValue> = {
      authorization: `Bearer ${KEYS.acmeOrders}`,
      ...(fuzzCase.body !== undefined && { 'content-type': 'application/json' }),
      ...fuzzCase.headers,
    };
    const sent: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== null) sent[name] = value;

    let call = gateway.http().post('/v1/messages').timeout(15_000).set(sent);
    const { body } = fuzzCase;
    if (typeof body === 'string' && sent['content-type'] !== undefined) {
      call = call.send(body);
    } else if (body !== undefined) {
      // Bytes go out as they are: superagent would JSON-encode a Buffer (for a JSON type) and
      // label a string without a type as a form.
      call = call
        .serialize((data: Buffer) => data as unknown as string)
        .send(typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));
    }
    const response = await call;
    const upstream = [...gateway.simulator.requests];

    const problems = caseProblems(fuzzCase, response, upstream);
    if (prototypeSnapshot() !== prototypes) problems.push('a built-in prototype was modified');
    const byStatus = stats.get(property) ?? new Map<number, number>();
    byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
    stats.set(property, byStatus);

    if (problems.length > 0) {
      const requestId = String(response.headers['x-request-id'] ?? '');
      const logs = gateway.logs.lines.filter((line) => requestId && line.includes(requestId));
      throw new Error(
        [
          `Broken: ${problems.join('; ')}`,
          `Sent headers: ${JSON.stringify(sent)}`,
          `Sent body: ${truncate(
            fuzzCase.body === undefined
              ? '(none)'
              : typeof fuzzCase.body === 'string'
                ? JSON.stringify(fuzzCase.body)
                : `bytes ${Buffer.from(fuzzCase.body).toString('hex')}`,
          )}`,
          `Answer: ${response.status} ${String(response.headers['content-type'])} ${truncate(response.text ?? '')}`,
          `Upstream: ${truncate(JSON.stringify(upstream.map(({ rawUrl, chatId, body }) => ({ rawUrl, chatId, body }))))}`,
          ...(logs.length > 0 ? [`Gateway logs: ${truncate(logs.join('\n'), 4_000)}`] : []),
        ].join('\n'),
      );
    }
    return response;
  }

  /** Runs a property over cases; returns how many cases ended in a success. */
  async function fuzz(
    property: string,
    cases: fc.Arbitrary<FuzzCase>,
    defaultRuns: number,
  ): Promise<number> {
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(cases.filter(isSendable), async (fuzzCase) => {
        const { status } = await runCase(property, fuzzCase);
        if (status === 200 || status === 202) successes += 1;
      }),
      fuzzParameters(defaultRuns),
    );
    return successes;
  }

  const ARBITRARY_RUNS = 80;
  it(
    'survives arbitrary JSON values as the body',
    async () => {
      await fuzz(
        'arbitrary JSON',
        arbitraryJsonBody.map((body) => ({ body })),
        ARBITRARY_RUNS,
      );
    },
    timeoutOf(ARBITRARY_RUNS),
  );

  const ALMOST_VALID_RUNS = 150;
  it(
    'survives almost valid bodies: wrong types, hostile strings, unknown and prototype keys',
    async () => {
      const successes = await fuzz(
        'almost valid',
        fc
          .tuple(almostValidBody, fc.constantFrom(...VALID_BEARERS))
          .map(([body, bearer]) => ({ body, headers: { authorization: bearer } })),
        ALMOST_VALID_RUNS,
      );
      // Not vacuous: some edits keep the body valid, and those must get through.
      if (!REPLAY_PATH) expect(successes).toBeGreaterThan(0);
    },
    timeoutOf(ALMOST_VALID_RUNS),
  );

  const RECIPIENTS_RUNS = 120;
  it(
    'survives arbitrary recipients arrays',
    async () => {
      const successes = await fuzz(
        'recipients',
        fc
          .tuple(
            recipientsArray,
            fc.constantFrom(...VALID_BEARERS),
            fc.option(validFieldText.text, { freq: 4 }),
          )
          .map(([recipients, bearer, text]) => ({
            body: `{"recipients":${JSON.stringify(recipients)},"text":${text ?? '"hi"'}}`,
            headers: { authorization: bearer },
          })),
        RECIPIENTS_RUNS,
      );
      if (!REPLAY_PATH) expect(successes).toBeGreaterThan(0);
    },
    timeoutOf(RECIPIENTS_RUNS),
  );

  const HEADERS_RUNS = 120;
  it(
    'survives arbitrary Authorization, Idempotency-Key, X-Request-Id and Content-Type headers',
    async () => {
      await fuzz(
        'headers',
        fc
          .record({
            body: fc.oneof({ weight: 3, arbitrary: fc.constant(GOOD_BODY) }, almostValidBody),
            authorization,
            idempotencyKey,
            requestIdHeader,
            contentType,
          })
          .map(({ body, ...headers }) => ({
            body,
            headers: {
              authorization: headers.authorization,
              'idempotency-key': headers.idempotencyKey,
              'x-request-id': headers.requestIdHeader,
              'content-type': headers.contentType,
            },
          })),
        HEADERS_RUNS,
      );
    },
    timeoutOf(HEADERS_RUNS),
  );

  const RAW_RUNS = 80;
  it(
    'survives malformed JSON and arbitrary bytes sent as application/json',
    async () => {
      await fuzz(
        'raw bodies',
        fc
          .tuple(
            rawBody,
            fc.constantFrom<HeaderValue>('application/json', 'application/json; charset=utf-8'),
          )
          .map(([body, type]) => ({ body, headers: { 'content-type': type } })),
        RAW_RUNS,
      );
    },
    timeoutOf(RAW_RUNS),
  );

  const REPLAY_RUNS = 60;
  it(
    'keeps every rule on idempotent replays, and never sends one key twice',
    async () => {
      const key = fc.constantFrom('key-a', 'key-b', null);
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              key,
              body: REPLAY_BODIES,
              requestId: fc.option(fc.constantFrom('req-1', 'req-2', 'req-3'), { nil: null }),
              authorization: fc.constantFrom(...VALID_BEARERS),
            }),
            { minLength: 2, maxLength: 6 },
          ),
          async (steps) => {
            // Fresh keys on every run, shrinking runs included: no record of an earlier run leaks in.
            const prefix = randomUUID();
            /** Tenant and key of every send that reached Blooio. */
            const sentKeys = new Set<string>();
            for (const step of steps) {
              const idempotencyKey = step.key && `${prefix}-${step.key}`;
              await runCase('replays', {
                body: step.body,
                headers: {
                  authorization: step.authorization,
                  'idempotency-key': idempotencyKey,
                  'x-request-id': step.requestId,
                },
              });
              if (idempotencyKey === null || gateway.simulator.requests.length === 0) continue;
              const tenantKey = `${step.authorization.includes('globex') ? 'globex' : 'acme'} ${idempotencyKey}`;
              if (sentKeys.has(tenantKey)) {
                throw new Error(
                  `Idempotency-Key ${idempotencyKey} reached Blooio twice: ${JSON.stringify(steps)}`,
                );
              }
              sentKeys.add(tenantKey);
            }
          },
        ),
        fuzzParameters(REPLAY_RUNS),
      );
    },
    timeoutOf(REPLAY_RUNS * 4),
  );

  const VALID_RUNS = 50;
  it(
    'sends valid bodies with hostile-but-legal text unchanged (control property)',
    async () => {
      const legalText = fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }),
        fc.string({ unit: CONTROL, minLength: 1, maxLength: 20 }),
        fc.constantFrom(
          '['.repeat(100),
          `\\${'['.repeat(100)}`,
          `"${'{'.repeat(100)}`,
          'a'.repeat(10_000),
          '😀'.repeat(5_000),
          '__proto__',
          '{"__proto__":{"x":1}}',
        ),
      );
      const localPart = fc
        .string({ unit: fc.constantFrom(...'abcxyz019._-'.split('')), minLength: 1, maxLength: 10 })
        .filter((local) => !/^\.|\.$|\.\./.test(local));
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(
            fc.oneof(
              digits(7, 7).map((d) => `+1555${d}`),
              localPart.map((local) => `${local}@example.com`),
            ),
            { minLength: 1, maxLength: 5 },
          ),
          fc.oneof(legalText, fc.array(legalText, { minLength: 1, maxLength: 10 })),
          fc.option(fc.constantFrom(...ACME_SENDERS), { nil: undefined }),
          async (recipients, text, sender) => {
            const body = JSON.stringify({ recipients, text, sender });
            const { status } = await runCase('valid', { body });
            const upstream = gateway.simulator.requests;
            expect(status).toBe(202);
            expect(upstream).toHaveLength(1);
            expect(upstream[0].chatId).toBe(recipients.join(','));
            // What arrives is what was sent (lone surrogates included, through JSON escapes).
            expect(upstream[0].body).toEqual({
              text: JSON.parse(JSON.stringify(text)) as unknown,
              from_number: sender ?? ACME_SENDERS[0],
            });
          },
        ),
        fuzzParameters(VALID_RUNS),
      );
    },
    timeoutOf(VALID_RUNS),
  );
});
