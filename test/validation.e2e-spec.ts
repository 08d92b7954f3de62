import { expectProblem as expectProblemShape } from './support/problem';
import type { Response } from 'supertest';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { KEYS } from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GOOD = { recipients: ['+15551234567'], text: 'hello' };
const HTTPS = 'https://cdn.example.com/a.png';

/** Every error answer: RFC 9457 body, request id echoed, no stack trace, never a 5xx. */
function expectProblem(response: Response, status: number, code: string): void {
  expect(response.status).toBeLessThan(500);
  expectProblemShape(response, status, code);
}

/** The `path` of each entry of the problem's `errors`. */
function errorPaths(response: Response): string[] {
  const { errors } = response.body as { errors?: { path: string }[] };
  return (errors ?? []).map((error) => error.path);
}

/** A 400 validation_failed whose `errors` name one of `paths` (the first is the usual one). */
function expectValidation(response: Response, ...paths: string[]): void {
  expectProblem(response, 400, 'validation_failed');
  expect(response.body).toHaveProperty('errors');
  const errors = response.body.errors as unknown[];
  expect(errors).toEqual(
    expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
  );
  for (const error of errors) {
    expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
  const named = errorPaths(response);
  // On failure this prints the paths the gateway named next to the ones accepted.
  expect(named.some((path) => paths.includes(path)) ? paths : named).toEqual(paths);
}

describe('request validation (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());
  // Whatever a case asserts, nothing invalid may reach Blooio.
  afterEach(() => expect(gateway.simulator.requests).toHaveLength(0));

  const post = (key: string = KEYS.acmeOrders) =>
    gateway.http().post('/v1/messages').set(bearer(key));

  /** Sends an exact JSON text (for what JSON.stringify cannot produce). */
  const postRaw = (text: string, contentType = 'application/json') =>
    post().set('content-type', contentType).send(text);

  describe('keys named like Object.prototype members (class-transformer would skip them)', () => {
    const at: [string, (key: string) => Record<string, unknown>, (key: string) => string][] = [
      ['the top level', (key) => ({ ...GOOD, [key]: 'x' }), (key) => key],
      [
        'replyTo',
        (key) => ({ ...GOOD, replyTo: { messageId: 'm1', [key]: 'x' } }),
        (key) => `replyTo.${key}`,
      ],
      [
        'linkPreview',
        (key) => ({ ...GOOD, linkPreview: { title: 't', [key]: 1 } }),
        (key) => `linkPreview.${key}`,
      ],
      [
        'a part',
        (key) => ({ recipients: GOOD.recipients, parts: [{ text: 'a', [key]: true }] }),
        (key) => `parts.0.${key}`,
      ],
      [
        'an attachment object',
        (key) => ({ ...GOOD, attachments: [{ url: HTTPS, [key]: 'x' }] }),
        (key) => `attachments.0.${key}`,
      ],
    ];
    const keys = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

    it.each(
      at.flatMap(([where, body, path]) => keys.map((key) => [where, key, body, path] as const)),
    )('refuses %s with the key %s, naming it', async (_where, key, body, path) => {
      const response = await post().send(body(key));
      expectValidation(response, path(key));
      expect(response.body.errors).toEqual([{ path: path(key), message: 'is not a known field' }]);
    });
  });

  describe('the type is named first: a value of the wrong type is not told a length', () => {
    it.each<[string, Record<string, unknown>, string, string]>([
      ['no recipients', { text: 'hi' }, 'recipients', 'must be an array of recipients'],
      [
        'null recipients',
        { recipients: null, text: 'hi' },
        'recipients',
        'must be an array of recipients',
      ],
      [
        'empty recipients',
        { recipients: [], text: 'hi' },
        'recipients',
        'must contain at least one recipient',
      ],
      ['a number as sender', { ...GOOD, sender: 5 }, 'sender', 'must be a string'],
      [
        'a string partIndex',
        { ...GOOD, replyTo: { guid: 'g', partIndex: '1' } },
        'replyTo.partIndex',
        'must be a whole number',
      ],
      [
        'a number as replyTo.messageId',
        { ...GOOD, replyTo: { messageId: 5 } },
        'replyTo.messageId',
        'must be a string',
      ],
      [
        'a number as a part text',
        { recipients: GOOD.recipients, parts: [{ text: 5 }] },
        'parts.0.text',
        'must be a string',
      ],
      [
        'a number as linkPreview.title',
        { ...GOOD, linkPreview: { title: 5 } },
        'linkPreview.title',
        'must be a string',
      ],
      [
        'a string as parts',
        { recipients: GOOD.recipients, parts: 'a' },
        'parts',
        'must be an array of parts',
      ],
    ])('%s', async (_name, body, path, message) => {
      const response = await post().send(body);
      expectValidation(response, path);
      expect(response.body.errors).toContainEqual({ path, message });
    });
  });

  describe('recipients', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['missing recipients', { text: 'x' }, 'recipients'],
      ['null recipients', { recipients: null, text: 'x' }, 'recipients'],
      ['an empty array', { recipients: [], text: 'x' }, 'recipients'],
      ['a string instead of an array', { recipients: '+15551234567', text: 'x' }, 'recipients'],
      [
        'an object instead of an array',
        { recipients: { 0: '+15551234567' }, text: 'x' },
        'recipients',
      ],
      [
        'a number recipient',
        { recipients: ['+15551234567', 15551234567], text: 'x' },
        'recipients.1',
      ],
      ['a null recipient', { recipients: [null], text: 'x' }, 'recipients.0'],
      [
        'an object recipient',
        { recipients: [{ phone: '+15551234567' }], text: 'x' },
        'recipients.0',
      ],
      ['a nested array recipient', { recipients: [['+15551234567']], text: 'x' }, 'recipients.0'],
      ['an empty string', { recipients: [''], text: 'x' }, 'recipients.0'],
      ['path traversal', { recipients: ['+15551234567', '../x'], text: 'x' }, 'recipients.1'],
      ['dot dot alone', { recipients: ['..'], text: 'x' }, 'recipients.0'],
      ['an encoded slash', { recipients: ['%2F'], text: 'x' }, 'recipients.0'],
      [
        'an encoded slash in a number',
        { recipients: ['+1555%2F1234567'], text: 'x' },
        'recipients.0',
      ],
      ['a slash in a number', { recipients: ['+1555/123'], text: 'x' }, 'recipients.0'],
      ['a slash in an email', { recipients: ['a/b@x.com'], text: 'x' }, 'recipients.0'],
      [
        'a comma-joined pair',
        { recipients: ['+15551234567,+15559876543'], text: 'x' },
        'recipients.0',
      ],
      ['a query string', { recipients: ['+15551234567?x=1'], text: 'x' }, 'recipients.0'],
      ['a fragment', { recipients: ['a@x.com#frag'], text: 'x' }, 'recipients.0'],
      ['a newline after a number', { recipients: ['+15551234567\n'], text: 'x' }, 'recipients.0'],
      [
        'a newline inside an email',
        { recipients: ['a@x.com\nb@y.com'], text: 'x' },
        'recipients.0',
      ],
      [
        'a CRLF header injection',
        { recipients: ['+15551234567\r\nX-Evil: 1'], text: 'x' },
        'recipients.0',
      ],
      ['a NUL character', { recipients: ['+1555123\u00004567'], text: 'x' }, 'recipients.0'],
      ['a bell control character', { recipients: ['a\u0007@x.com'], text: 'x' }, 'recipients.0'],
      ['a DEL character', { recipients: ['+15551234567\u007f'], text: 'x' }, 'recipients.0'],
      ['a tab in a group id', { recipients: ['grp_abc\tdef'], text: 'x' }, 'recipients.0'],
      ['a group id with a slash', { recipients: ['grp_abc/../def'], text: 'x' }, 'recipients.0'],
      ['letters only', { recipients: ['not-a-recipient'], text: 'x' }, 'recipients.0'],
      ['an email without a domain', { recipients: ['jane@'], text: 'x' }, 'recipients.0'],
      [
        'a number too long for E.164',
        { recipients: ['+1555123456789012'], text: 'x' },
        'recipients.0',
      ],
      [
        'a group id with other recipients',
        { recipients: ['grp_abc123', '+15551234567'], text: 'x' },
        'recipients',
      ],
      ['two group ids', { recipients: ['grp_abc123', 'grp_def456'], text: 'x' }, 'recipients'],
      [
        "more than acme's maxRecipients (5)",
        {
          recipients: [
            '+15551230001',
            '+15551230002',
            '+15551230003',
            '+15551230004',
            '+15551230005',
            '+15551230006',
          ],
          text: 'x',
        },
        'recipients',
      ],
      [
        'more than the hard cap (100)',
        {
          recipients: Array.from(
            { length: 101 },
            (_, i) => `+1555200${String(i).padStart(4, '0')}`,
          ),
          text: 'x',
        },
        'recipients',
      ],
    ])('refuses %s', async (_case, body, path) => {
      expectValidation(await post().send(body), path);
    });

    it("says the cap is the gateway's, not the tenant's limit, past 100 recipients", async () => {
      const response = await post().send({
        recipients: Array.from({ length: 101 }, (_, i) => `+1555200${String(i).padStart(4, '0')}`),
        text: 'x',
      });
      expect(response.body.errors).toEqual([
        {
          path: 'recipients',
          message:
            "must contain at most 100 recipients, the gateway's cap (the tenant's own limit may be lower)",
        },
      ]);
    });

    it('refuses a national-format number for a tenant without defaultCountry (globex)', async () => {
      const response = await post(KEYS.globex).send({ recipients: ['(555) 123-4567'], text: 'x' });
      expectValidation(response, 'recipients.0');
      expect(response.body.errors[0].message).toMatch(/defaultCountry/);
    });

    it('names every bad recipient, each by its index', async () => {
      const response = await post().send({
        recipients: ['+15551234567', '../x', 'jane@example.com', '%2F'],
        text: 'x',
      });
      expectValidation(response, 'recipients.1');
      expect(errorPaths(response)).toEqual(['recipients.1', 'recipients.3']);
    });
  });

  describe('fields', () => {
    const to = { recipients: ['+15551234567'] };
    it.each<[string, Record<string, unknown>, string]>([
      // sender
      ['a national sender', { ...to, text: 'x', sender: '5550001111' }, 'sender'],
      ['a sender with spaces', { ...to, text: 'x', sender: '+1 555 000 1111' }, 'sender'],
      ['a sender starting with +0', { ...to, text: 'x', sender: '+05550001111' }, 'sender'],
      ['an email sender', { ...to, text: 'x', sender: 'me@example.com' }, 'sender'],
      ['a numeric sender', { ...to, text: 'x', sender: 15550001111 }, 'sender'],
      ['an empty sender', { ...to, text: 'x', sender: '' }, 'sender'],
      // content
      ['no content at all', { ...to }, 'text'],
      ['only null content', { ...to, text: null, attachments: null, parts: null }, 'text'],
      ['empty text', { ...to, text: '' }, 'text'],
      ['text over 10,000 characters', { ...to, text: 'a'.repeat(10_001) }, 'text'],
      ['an empty text array', { ...to, text: [] }, 'text'],
      [
        'a text array of 11',
        { ...to, text: Array.from({ length: 11 }, (_, i) => `m${i}`) },
        'text',
      ],
      ['an empty string in a text array', { ...to, text: ['ok', ''] }, 'text.1'],
      ['a too-long string in a text array', { ...to, text: ['ok', 'a'.repeat(10_001)] }, 'text.1'],
      ['a numeric text', { ...to, text: 42 }, 'text'],
      ['a boolean text', { ...to, text: true }, 'text'],
      ['an object text', { ...to, text: { body: 'x' } }, 'text'],
      ['a number in a text array', { ...to, text: ['ok', 1] }, 'text.1'],
      // attachments
      [
        'an http: attachment',
        { ...to, attachments: ['http://cdn.example.com/a.png'] },
        'attachments.0',
      ],
      [
        'a javascript: attachment',
        { ...to, attachments: ['javascript:alert(1)'] },
        'attachments.0',
      ],
      [
        'a data: attachment',
        { ...to, attachments: ['data:text/html;base64,PHNjcmlwdD4='] },
        'attachments.0',
      ],
      ['a file: attachment', { ...to, attachments: ['file:///etc/passwd'] }, 'attachments.0'],
      ['a relative attachment', { ...to, attachments: ['/a.png'] }, 'attachments.0'],
      [
        'an attachment with credentials',
        { ...to, attachments: ['https://u:p@cdn.example.com/a'] },
        'attachments.0',
      ],
      [
        'an attachment with a space',
        { ...to, attachments: ['https://cdn.example.com/a b.png'] },
        'attachments.0',
      ],
      [
        'an http: attachment object',
        { ...to, attachments: [{ url: 'http://cdn.example.com/a' }] },
        'attachments.0.url',
      ],
      [
        'an attachment object with an unknown key',
        { ...to, attachments: [{ url: HTTPS, size: 1 }] },
        'attachments.0.size',
      ],
      [
        'an attachment object without url',
        { ...to, attachments: [{ name: 'a.png' }] },
        'attachments.0.url',
      ],
      [
        'an attachment object with an empty name',
        { ...to, attachments: [{ url: HTTPS, name: '' }] },
        'attachments.0.name',
      ],
      ['a numeric attachment', { ...to, attachments: [42] }, 'attachments.0'],
      ['a null attachment', { ...to, attachments: [null] }, 'attachments.0'],
      [
        '11 attachments',
        { ...to, attachments: Array.from({ length: 11 }, () => HTTPS) },
        'attachments',
      ],
      ['an empty attachments array', { ...to, attachments: [] }, 'attachments'],
      ['attachments as a string', { ...to, attachments: HTTPS }, 'attachments'],
      // parts
      ['a part with text and url', { ...to, parts: [{ text: 'a', url: HTTPS }] }, 'parts.0'],
      ['an empty part', { ...to, parts: [{ text: 'a' }, {}] }, 'parts.1'],
      [
        'a mention without text',
        { ...to, parts: [{ url: HTTPS, mention: '+15551234567' }] },
        'parts.0.mention',
      ],
      ['a name without url', { ...to, parts: [{ text: 'a', name: 'a.png' }] }, 'parts.0.name'],
      [
        'an http: part url',
        { ...to, parts: [{ url: 'http://cdn.example.com/a.png' }] },
        'parts.0.url',
      ],
      [
        'a javascript: part url',
        { ...to, parts: [{ text: 'a' }, { url: 'javascript:alert(1)' }] },
        'parts.1.url',
      ],
      ['an empty part text', { ...to, parts: [{ text: '' }] }, 'parts.0.text'],
      [
        'a part text over 10,000 characters',
        { ...to, parts: [{ text: 'a'.repeat(10_001) }] },
        'parts.0.text',
      ],
      ['a numeric part text', { ...to, parts: [{ text: 7 }] }, 'parts.0.text'],
      ['a part with an unknown key', { ...to, parts: [{ text: 'a', bold: true }] }, 'parts.0.bold'],
      ['a string part', { ...to, parts: ['hello'] }, 'parts'],
      ['an empty parts array', { ...to, parts: [] }, 'parts'],
      ['21 parts', { ...to, parts: Array.from({ length: 21 }, () => ({ text: 'a' })) }, 'parts'],
      ['parts as an object', { ...to, parts: { text: 'a' } }, 'parts'],
      [
        'a linkPreview part that is not a URL',
        { ...to, parts: [{ text: 'not a url', linkPreview: { title: 'T' } }] },
        'parts.0.text',
      ],
      [
        'an http: imageUrl in a part linkPreview',
        {
          ...to,
          parts: [{ text: 'https://example.com', linkPreview: { imageUrl: 'http://x.com/a.png' } }],
        },
        'parts.0.linkPreview.imageUrl',
      ],
      // linkPreview
      [
        'a linkPreview title over 200 characters',
        { ...to, text: 'https://example.com', linkPreview: { title: 't'.repeat(201) } },
        'linkPreview.title',
      ],
      [
        'an empty linkPreview title',
        { ...to, text: 'https://example.com', linkPreview: { title: '' } },
        'linkPreview.title',
      ],
      [
        'an http: linkPreview imageUrl',
        { ...to, text: 'https://example.com', linkPreview: { imageUrl: 'http://x.com/a.png' } },
        'linkPreview.imageUrl',
      ],
      [
        'a data: linkPreview imageUrl',
        {
          ...to,
          text: 'https://example.com',
          linkPreview: { imageUrl: 'data:image/png;base64,AAAA' },
        },
        'linkPreview.imageUrl',
      ],
      [
        'a linkPreview with an unknown key',
        { ...to, text: 'https://example.com', linkPreview: { title: 'T', body: 'x' } },
        'linkPreview.body',
      ],
      [
        'a string linkPreview',
        { ...to, text: 'https://example.com', linkPreview: 'T' },
        'linkPreview',
      ],
      [
        'an array linkPreview',
        { ...to, text: 'https://example.com', linkPreview: [{ title: 'T' }] },
        'linkPreview',
      ],
      // effect
      ['an unknown effect', { ...to, text: 'x', effect: 'explode' }, 'effect'],
      ['an effect in the wrong case', { ...to, text: 'x', effect: 'CONFETTI' }, 'effect'],
      ['a numeric effect', { ...to, text: 'x', effect: 1 }, 'effect'],
      ['an effect with parts', { ...to, parts: [{ text: 'a' }], effect: 'confetti' }, 'effect'],
      // replyTo
      [
        'replyTo with messageId and guid',
        { ...to, text: 'x', replyTo: { messageId: 'msg_1', guid: 'G-1' } },
        'replyTo',
      ],
      ['replyTo with neither id', { ...to, text: 'x', replyTo: {} }, 'replyTo'],
      [
        'partIndex with messageId',
        { ...to, text: 'x', replyTo: { messageId: 'msg_1', partIndex: 0 } },
        'replyTo.partIndex',
      ],
      [
        'a negative partIndex',
        { ...to, text: 'x', replyTo: { guid: 'G-1', partIndex: -1 } },
        'replyTo.partIndex',
      ],
      [
        'a fractional partIndex',
        { ...to, text: 'x', replyTo: { guid: 'G-1', partIndex: 1.5 } },
        'replyTo.partIndex',
      ],
      [
        'a string partIndex',
        { ...to, text: 'x', replyTo: { guid: 'G-1', partIndex: '1' } },
        'replyTo.partIndex',
      ],
      [
        'a numeric messageId',
        { ...to, text: 'x', replyTo: { messageId: 12 } },
        'replyTo.messageId',
      ],
      ['an empty guid', { ...to, text: 'x', replyTo: { guid: '' } }, 'replyTo.guid'],
      [
        'replyTo with an unknown key',
        { ...to, text: 'x', replyTo: { guid: 'G-1', chat: 'c' } },
        'replyTo.chat',
      ],
      ['replyTo as a string', { ...to, text: 'x', replyTo: 'msg_1' }, 'replyTo'],
      [
        'replyTo with a text array',
        { ...to, text: ['a', 'b'], replyTo: { messageId: 'msg_1' } },
        'replyTo',
      ],
      // booleans
      [
        'typingIndicator as the string "true"',
        { ...to, text: 'x', typingIndicator: 'true' },
        'typingIndicator',
      ],
      ['typingIndicator as 1', { ...to, text: 'x', typingIndicator: 1 }, 'typingIndicator'],
      [
        'shareContact as the string "false"',
        { ...to, text: 'x', shareContact: 'false' },
        'shareContact',
      ],
      ['shareContact as an object', { ...to, text: 'x', shareContact: {} }, 'shareContact'],
      // unknown fields
      ['an unknown top-level field', { ...to, text: 'x', foo: 1 }, 'foo'],
      [
        'a snake_case Blooio field',
        { ...to, text: 'x', from_number: '+15550001111' },
        'from_number',
      ],
      ['a chatId field', { ...to, text: 'x', chatId: '../admin' }, 'chatId'],
    ])('refuses %s', async (_case, body, path) => {
      expectValidation(await post().send(body), path);
    });
  });

  describe('several mistakes at once', () => {
    it("lists the recipients' errors with the other fields' in one 400", async () => {
      const response = await post().send({
        recipients: ['not a number', '+15551234567', 'grp_abc'],
        text: '',
        effect: 'sparkles',
      });
      expectProblem(response, 400, 'validation_failed');
      expect(errorPaths(response).sort()).toEqual(
        ['recipients', 'recipients.0', 'text', 'effect'].sort(),
      );
      expect(response.body.detail).toContain('recipients.0 must be an E.164 number');
    });

    it('says nothing more of recipients past the cap than the cap', async () => {
      const response = await post().send({
        recipients: Array.from({ length: 101 }, () => 'not a number'),
        text: '',
      });
      expect(errorPaths(response).sort()).toEqual(['recipients', 'text']);
    });
  });

  describe('whole bodies', () => {
    it.each<[string, string, string]>([
      ['malformed JSON', '{"recipients": ["+15551234567"], "text": ', 'body'],
      ['a trailing comma', '{"recipients":["+15551234567"],"text":"x",}', 'body'],
      ['single-quoted JSON', "{'recipients':['+15551234567'],'text':'x'}", 'body'],
      ['a JSON array', '[{"recipients":["+15551234567"],"text":"x"}]', 'body'],
      ['a JSON string', '"hello"', 'body'],
      ['a JSON number', '42', 'body'],
      ['JSON null', 'null', 'body'],
      // Prototype poisoning, refused by the parser, which names the key as any unknown field.
      [
        'a __proto__ key',
        '{"recipients":["+15551234567"],"text":"x","__proto__":{"isAdmin":true}}',
        '__proto__',
      ],
      [
        'a nested __proto__ key',
        '{"recipients":["+15551234567"],"text":"x","replyTo":{"__proto__":{"guid":"G"}}}',
        'replyTo.__proto__',
      ],
      [
        'a constructor.prototype key',
        '{"recipients":["+15551234567"],"text":"x","constructor":{"prototype":{"isAdmin":true}}}',
        'constructor',
      ],
    ])('refuses %s with 400 validation_failed', async (_case, text, path) => {
      expectValidation(await postRaw(text), path);
    });

    it('refuses an empty body sent as JSON', async () => {
      expectValidation(await postRaw(''), 'body');
    });

    it('refuses a request with no body at all', async () => {
      expectValidation(await post(), 'recipients', 'body');
    });

    it.each<[string, (depth: number) => string, string]>([
      [
        'an unknown field',
        (n) =>
          `{"recipients":["+15551234567"],"text":"x","foo":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
        'foo',
      ],
      [
        'replyTo.guid',
        (n) =>
          `{"recipients":["+15551234567"],"text":"x","replyTo":{"guid":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}}`,
        'replyTo.guid',
      ],
      [
        'a recipient',
        (n) => `{"recipients":[${'['.repeat(n)}"+15551234567"${']'.repeat(n)}],"text":"x"}`,
        'recipients.0',
      ],
      [
        'text',
        (n) => `{"recipients":["+15551234567"],"text":${'['.repeat(n)}${']'.repeat(n)}}`,
        'text',
      ],
    ])('refuses deep nesting (10,000 levels) in %s without a 5xx', async (_case, build, path) => {
      // The field, or `body` when the gateway refuses such nesting while parsing.
      expectValidation(await postRaw(build(10_000)), path, 'body');
    });
  });

  describe('content types and sizes', () => {
    it.each([
      ['text/plain', 'text/plain', JSON.stringify(GOOD)],
      ['text/plain with a charset', 'text/plain; charset=utf-8', JSON.stringify(GOOD)],
      ['a form', 'application/x-www-form-urlencoded', 'recipients=%2B15551234567&text=hello'],
      ['XML', 'application/xml', '<message><text>hi</text></message>'],
      ['multipart', 'multipart/form-data; boundary=x', '--x\r\n\r\nhi\r\n--x--'],
    ])('answers 415 unsupported_media_type for %s', async (_case, contentType, text) => {
      expectProblem(await postRaw(text, contentType), 415, 'unsupported_media_type');
    });

    it('accepts JSON with a charset parameter (control case)', async () => {
      const response = await postRaw(JSON.stringify(GOOD), 'application/json; charset=utf-8');
      expect(response.status).toBe(202);
      expect(gateway.simulator.requests).toHaveLength(1);
      gateway.simulator.clear();
    });
  });

  describe('Idempotency-Key header', () => {
    it.each([
      ['256 characters', 'k'.repeat(256)],
      ['a non-ASCII character', 'order-clé-1'],
      ['a tab inside', 'order\t1'],
    ])('refuses a key of %s, naming Idempotency-Key', async (_case, key) => {
      const response = await post().set('Idempotency-Key', key).send(GOOD);
      expectValidation(response, 'Idempotency-Key');
      expect(response.headers['idempotency-key']).toBeUndefined();
    });

    it('accepts a key of exactly 255 printable characters (control case)', async () => {
      const key = `${'k'.repeat(250)} ~!@#`;
      const response = await post().set('Idempotency-Key', key).send(GOOD);
      expect(response.status).toBe(202);
      expect(response.headers['idempotency-key']).toBe(key);
      expect(gateway.simulator.requests).toHaveLength(1);
      gateway.simulator.clear();
    });

    it('refuses a bad key together with a bad body, never sending', async () => {
      const response = await post()
        .set('Idempotency-Key', 'k'.repeat(300))
        .send({ recipients: ['../x'], text: 'x' });
      expectProblem(response, 400, 'validation_failed');
    });
  });

  describe('request ids', () => {
    it('keeps a sane caller X-Request-Id on an error answer', async () => {
      const response = await post().set('X-Request-Id', 'caller-req.42:a_b').send({ foo: 1 });
      expectProblem(response, 400, 'validation_failed');
      expect(response.headers['x-request-id']).toBe('caller-req.42:a_b');
    });

    it.each([
      ['too long', 'r'.repeat(129)],
      ['with spaces', 'my request id'],
      ['with a slash and quotes', '"/etc/passwd"'],
      ['with a non-ASCII character', 'req-é'],
      ['empty', ''],
    ])('replaces a caller X-Request-Id that is %s with a UUID', async (_case, id) => {
      const response = await post().set('X-Request-Id', id).send({ foo: 1 });
      expectProblem(response, 400, 'validation_failed');
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(response.body.requestId).toBe(response.headers['x-request-id']);
    });
  });

  describe('routes', () => {
    it.each([
      ['GET', '/v1/nope'],
      ['POST', '/v1/message'],
      ['GET', '/'],
      ['POST', '/v2/messages'],
      ['GET', '/v1/messages/../../etc/passwd'],
    ])('answers %s %s with 404 not_found', async (method, path) => {
      const agent = gateway.http();
      const response = await (method === 'GET' ? agent.get(path) : agent.post(path).send(GOOD)).set(
        bearer(KEYS.acmeOrders),
      );
      expectProblem(response, 404, 'not_found');
    });
  });
});

describe('body size limit (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());
  afterEach(() => expect(gateway.simulator.requests).toHaveLength(0));

  it('answers 413 payload_too_large for a body over BODY_LIMIT_BYTES', async () => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send({ recipients: ['+15551234567'], text: 'a'.repeat(3_000) });
    expectProblem(response, 413, 'payload_too_large');
  });

  it('answers 413 even for a body that is also malformed', async () => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .set('content-type', 'application/json')
      .send(`{"text": "${'a'.repeat(4_000)}`);
    expectProblem(response, 413, 'payload_too_large');
  });

  it('still sends a body just under the limit (control case)', async () => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send({ recipients: ['+15551234567'], text: 'a'.repeat(1_500) });
    expect(response.status).toBe(202);
    expect(gateway.simulator.requests).toHaveLength(1);
    gateway.simulator.clear();
  });
});
