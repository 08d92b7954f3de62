import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BLOOIO_EFFECTS } from '../blooio/blooio.types';
import {
  randomAlphanumeric,
  SimulatedWebhooks,
  WebhookRequestError,
  type SimulatedWebhookOptions,
  type WebhookDeliveryAttempt,
  type WebhookEventPayload,
} from './simulated-webhooks';

/**
 * An in-process fake of Blooio's v2 API (the routes the gateway uses: send, status, POST /webhooks),
 * following Blooio's published OpenAPI document, and the webhooks Blooio posts after each send. It is the gateway's upstream in sandbox mode (DESIGN.md §7) and the
 * e2e tests' upstream, which start it on port 0, inspect what it received and inject faults.
 */

export interface SimulatedFault {
  /** HTTP status to answer (default 500 when body/raw given without status). */
  status?: number;
  /** JSON body to answer with. */
  body?: unknown;
  /** A non-JSON body (sent as text/plain), for "unreadable answer" tests. */
  raw?: string;
  /** Extra response headers, e.g. { 'retry-after': '2' }; an array sends the header once per value. */
  headers?: Record<string, string | string[]>;
  /** Wait before answering (fault or normal answer). */
  delayMs?: number;
  /** Never answer (until close()). */
  hang?: boolean;
  /** Destroy the socket without answering. */
  reset?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Exactly as received, path still percent-encoded, e.g. /v2/api/chats/%2B1555.../messages */
  rawUrl: string;
  /** Decoded chatId path segment, when the route has one. */
  chatId?: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when none; the raw text when it is not valid JSON). */
  body: unknown;
  receivedAt: number;
}

export interface BlooioSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (random). */
  port?: number;
  /** Accepted Bearer keys; undefined = any non-empty key is accepted. */
  apiKeys?: readonly string[];
  /**
   * After a send, when its messages turn sent, delivered and read (iMessage), and when the
   * recipient's simulated reply arrives (default 1500 / 4000 / 6000 / 8000 ms). Read and reply are
   * webhook events only; they default to 2 s and 4 s after delivery.
   */
  statusTimeline?: StatusTimelineOptions;
  /** Webhook delivery: retry waits and the attempt timeout. */
  webhooks?: SimulatedWebhookOptions;
  /** Added to every normal answer (default 0). */
  latencyMs?: number;
}

export interface StatusTimelineOptions {
  sentAfterMs: number;
  deliveredAfterMs: number;
  readAfterMs?: number;
  replyAfterMs?: number;
}

type StatusTimeline = Required<StatusTimelineOptions>;

/** The line a send without from_number (or X-From-Number) goes out on, as Blooio picks one. */
export const SIMULATOR_DEFAULT_LINE = '+15005550100';

/** A chatId containing one of these numbers triggers the matching Blooio error path. */
export const SIMULATOR_MAGIC_NUMBERS = {
  /** 403 `inbound_only_no_prior_inbound`: inbound-plan number, recipient never wrote first. */
  inboundOnly: '+15005550001',
  /** 429 `outbound_limit_reached`: the org's new-contact cap (a quota: never retried). */
  outboundLimitReached: '+15005550002',
  /** 429 without a code and with `Retry-After: 1`: plain rate limiting (retryable). */
  rateLimited: '+15005550003',
  /** 503 "No active number available". */
  noActiveNumber: '+15005550004',
  /** 202 with `status: "failed"`: accepted, but rejected before dispatch. */
  sendFailed: '+15005550005',
  /** 400 `attachment_first_message_not_allowed`. */
  attachmentFirstMessage: '+15005550006',
  /** 401 as for a refused key (the gateway answers 502 `upstream_auth_failed`). */
  keyRefused: '+15005550007',
} as const;

const API_PREFIX = '/v2/api';
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Upper bound of every in-memory collection, so a long sandbox run stays small. */
const MAX_RECORDS = 10_000;
const DEFAULT_TIMELINE = { sentAfterMs: 1500, deliveredAfterMs: 4000 } as const;
const READ_AFTER_DELIVERY_MS = 2_000;
const REPLY_AFTER_DELIVERY_MS = 4_000;
const SIMULATED_REPLY = 'Got it, thanks! (a reply simulated by the Blooio sandbox)';

const E164 = /^\+[1-9]\d{1,14}$/;
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const GROUP_ID = /^grp_[A-Za-z0-9_-]+$/;
const EFFECTS = new Set<string>(BLOOIO_EFFECTS);

/** What the simulator answers for a request that is not faulted. */
interface Answer {
  status: number;
  body: unknown;
  /** Sent as text/plain instead of the JSON body. */
  raw?: string;
  headers?: Record<string, string>;
}

type JsonObject = Record<string, unknown>;

type ParsedChat =
  | { kind: 'single'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'multi'; participants: string[] };

interface StoredMessage {
  id: string;
  org: string;
  /** The chat as the simulator knows it: a phone, a lower-cased email or a grp_ id. */
  chatKey: string;
  createdAt: number;
  failed: boolean;
  /** A simulated reply from the contact. */
  inbound?: boolean;
}

/** Who a send went to, as Blooio's webhook payload describes the chat. */
interface ChatParties {
  /** The phone or email, or the group id. */
  externalId: string;
  /** The group's members; undefined for a one-to-one chat. */
  participants?: readonly string[];
  /** The sending line (internal_id). */
  line: string;
}

interface StoredGroup {
  org: string;
  participants: string[];
}

/** Thrown by the request checks to answer a Blooio error; never escapes the simulator. */
class SimulatedApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** A Map that forgets its oldest entries beyond a fixed size. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key); // re-inserting moves the key to the newest position
    super.set(key, value);
    while (this.size > this.limit) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    return this;
  }
}

export class BlooioSimulator {
  readonly requests: RecordedRequest[] = [];

  private readonly app: FastifyInstance;
  private apiKeys?: ReadonlySet<string>;
  private readonly timeline: StatusTimeline;
  private readonly webhooks: SimulatedWebhooks;
  private readonly latencyMs: number;
  /** Aborted by close(), so delayed answers stop waiting. */
  private readonly closing = new AbortController();
  private readonly faults: SimulatedFault[] = [];
  private readonly recorded = new WeakMap<FastifyRequest, RecordedRequest>();
  /** (org, Idempotency-Key) → the first answer's body. */
  private readonly idempotency = new BoundedMap<string, unknown>(MAX_RECORDS);
  private readonly messages = new BoundedMap<string, StoredMessage>(MAX_RECORDS);
  private readonly groupsById = new BoundedMap<string, StoredGroup>(MAX_RECORDS);
  /** (org, sorted participants) → group id: the same set reuses its group. */
  private readonly groupsByParticipants = new BoundedMap<string, string>(MAX_RECORDS);
  private address = '';

  private constructor(options: BlooioSimulatorOptions) {
    // Every delayed answer listens to this one signal; hundreds may wait at once under load.
    setMaxListeners(0, this.closing.signal);
    this.apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
    this.timeline = completeTimeline(options.statusTimeline ?? DEFAULT_TIMELINE);
    this.latencyMs = options.latencyMs ?? 0;
    if (this.latencyMs < 0 || this.timeline.sentAfterMs < 0) {
      throw new RangeError('latencyMs and statusTimeline values must not be negative');
    }
    if (this.timeline.deliveredAfterMs < this.timeline.sentAfterMs) {
      throw new RangeError('statusTimeline.deliveredAfterMs must not be before sentAfterMs');
    }
    if (this.timeline.readAfterMs < this.timeline.deliveredAfterMs) {
      throw new RangeError('statusTimeline.readAfterMs must not be before deliveredAfterMs');
    }
    if (this.timeline.replyAfterMs < this.timeline.sentAfterMs) {
      throw new RangeError('statusTimeline.replyAfterMs must not be before sentAfterMs');
    }
    this.webhooks = new SimulatedWebhooks(options.webhooks ?? {}, this.closing.signal);
    this.app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT_BYTES,
      // Destroys every socket on close(), hanging ones included, so tests never hang.
      forceCloseConnections: true,
      // A multi-recipient chatId is far longer than find-my-way's default of 100 characters.
      routerOptions: { maxParamLength: 4096 },
    });
    this.registerRoutes();
  }

  /** From now on, like Blooio, only these keys are accepted (the tenants' keys, once loaded). */
  acceptApiKeys(apiKeys: readonly string[]): void {
    this.apiKeys = new Set(apiKeys);
  }

  static async start(options: BlooioSimulatorOptions = {}): Promise<BlooioSimulator> {
    const simulator = new BlooioSimulator(options);
    await simulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return simulator;
  }

  /** e.g. http://127.0.0.1:43121/v2/api (no trailing slash). */
  get baseUrl(): string {
    return `${this.address}${API_PREFIX}`;
  }

  /** Every webhook POST made so far (each retry too), oldest first. */
  get webhookAttempts(): readonly WebhookDeliveryAttempt[] {
    return this.webhooks.attempts;
  }

  /** Each subsequent request consumes one fault, first in first out. */
  enqueueFault(...faults: SimulatedFault[]): void {
    this.faults.push(...faults);
  }

  /**
   * Forgets recorded requests, queued faults, idempotency records, groups, messages, webhooks and
   * their deliveries (pending events and retries are cancelled).
   */
  clear(): void {
    this.webhooks.clear();
    this.requests.length = 0;
    this.faults.length = 0;
    this.idempotency.clear();
    this.messages.clear();
    this.groupsById.clear();
    this.groupsByParticipants.clear();
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.webhooks.cancelTimers();
    await this.app.close();
  }

  private async listen(host: string, port: number): Promise<void> {
    await this.app.listen({ host, port });
    const { address, family, port: boundPort } = this.app.server.address() as AddressInfo;
    const hostPart = family === 'IPv6' ? `[${address}]` : address;
    this.address = `http://${hostPart}:${boundPort}`;
  }

  private registerRoutes(): void {
    // Bodies are read as text and parsed here, so a fault still applies to (and records) any body.
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
    this.app.addHook('onRequest', (request, _reply, done) => {
      this.record(request);
      done();
    });
    this.app.setErrorHandler((error, _request, reply) => this.answerFrameworkError(error, reply));
    this.app.setNotFoundHandler(async (request, reply) =>
      this.handle(request, reply, () => {
        throw new SimulatedApiError(404, 'Not found');
      }),
    );
    this.app.post(`${API_PREFIX}/chats/:chatId/messages`, async (request, reply) =>
      this.handle(request, reply, (org) => this.sendMessage(request, org)),
    );
    this.app.get(`${API_PREFIX}/chats/:chatId/messages/:messageId/status`, async (request, reply) =>
      this.handle(request, reply, (org) => this.messageStatus(request, org)),
    );
    this.app.post(`${API_PREFIX}/webhooks`, async (request, reply) =>
      this.handle(request, reply, (org) => this.createWebhook(request, org)),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Request pipeline: record, fault, latency, auth, route.

  private record(request: FastifyRequest): void {
    const entry: RecordedRequest = {
      method: request.method,
      rawUrl: request.raw.url ?? request.url,
      chatId: stringParam(request, 'chatId'),
      headers: flattenHeaders(request.headers),
      body: undefined,
      receivedAt: Date.now(),
    };
    if (entry.chatId === undefined) delete entry.chatId;
    this.recorded.set(request, entry);
    this.requests.push(entry);
    if (this.requests.length > MAX_RECORDS)
      this.requests.splice(0, this.requests.length - MAX_RECORDS);
  }

  private async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    route: (org: string) => Answer,
  ): Promise<FastifyReply | undefined> {
    const body = parseBody(request.body);
    const entry = this.recorded.get(request);
    if (entry) entry.body = body.ok ? body.value : body.raw;
    if (body.ok) request.body = body.value; // the routes read the parsed body

    const fault = this.faults.shift();
    const faulted = fault ? await this.applyFault(fault, request, reply) : undefined;
    if (faulted === 'dropped') return undefined;
    if (faulted) return this.send(reply, faulted);

    if (!(await this.wait(this.latencyMs))) return this.drop(request, reply);
    try {
      const org = this.authenticate(request);
      if (!body.ok) throw new SimulatedApiError(400, 'Request body must be valid JSON');
      if (body.value !== undefined && !isJsonContentType(request.headers['content-type'])) {
        throw new SimulatedApiError(400, 'Content-Type must be application/json');
      }
      return this.send(reply, route(org));
    } catch (error) {
      if (!(error instanceof SimulatedApiError)) throw error;
      return this.send(reply, errorAnswer(error));
    }
  }

  private send(reply: FastifyReply, answer: Answer): FastifyReply {
    if (answer.headers) reply.headers(answer.headers);
    if (answer.raw !== undefined) {
      return reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.raw);
    }
    // Serialised here so a fault's body goes out exactly as given (a string stays a JSON string).
    return reply
      .code(answer.status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(answer.body));
  }

  /**
   * Applies a fault: its answer, 'dropped' when the connection was reset or left hanging, or
   * undefined when the normal answer follows (a fault with only a delay and/or headers).
   */
  private async applyFault(
    fault: SimulatedFault,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Answer | 'dropped' | undefined> {
    if (!(await this.wait(fault.delayMs ?? 0)) || fault.reset) {
      this.drop(request, reply);
      return 'dropped';
    }
    if (fault.hang) {
      // Fastify leaves a hijacked reply alone; close() destroys its socket.
      reply.hijack();
      return 'dropped';
    }
    if (fault.headers) reply.headers(fault.headers);
    if (fault.status === undefined && fault.body === undefined && fault.raw === undefined) {
      return undefined;
    }
    const status = fault.status ?? 500;
    if (fault.raw !== undefined) return { status, body: undefined, raw: fault.raw };
    if (fault.body !== undefined) return { status, body: fault.body };
    return { status, body: errorBody(status, 'Simulated fault') };
  }

  /** Sleeps; false when close() interrupted the wait. */
  private async wait(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.closing.signal.aborted;
    try {
      await sleep(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Destroys the connection without an answer. */
  private drop(request: FastifyRequest, reply: FastifyReply): undefined {
    reply.hijack();
    request.raw.socket.destroy();
    return undefined;
  }

  /** Returns the organisation (the API key) whose namespace the request uses. */
  private authenticate(request: FastifyRequest): string {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
    const key = match?.[1];
    // Blooio documents no code for its 401s; these two name the two cases, as a coded error would.
    if (!key) {
      throw new SimulatedApiError(
        401,
        'Missing API key: send Authorization: Bearer <key>',
        'missing_api_key',
      );
    }
    // The magic recipient stands for a key Blooio refuses, so the sandbox can show that answer.
    const refused = stringParam(request, 'chatId')?.includes(SIMULATOR_MAGIC_NUMBERS.keyRefused);
    if (refused || (this.apiKeys && !this.apiKeys.has(key))) {
      throw new SimulatedApiError(401, 'Invalid API key', 'invalid_api_key');
    }
    return key;
  }

  /** Fastify's own errors (body too large, bad URL encoding…) in Blooio's error shape. */
  private answerFrameworkError(error: unknown, reply: FastifyReply): FastifyReply {
    const statusCode =
      error instanceof Error && 'statusCode' in error ? error.statusCode : undefined;
    const status = typeof statusCode === 'number' && statusCode >= 400 ? statusCode : 500;
    const message = status === 413 ? 'Request body is too large' : 'Request could not be handled';
    return this.send(reply, { status, body: errorBody(status, message) });
  }

  // ---------------------------------------------------------------------------------------------
  // POST /chats/{chatId}/messages

  private sendMessage(request: FastifyRequest, org: string): Answer {
    const idempotencyKey = request.headers['idempotency-key'];
    const recordKey =
      typeof idempotencyKey === 'string' && idempotencyKey !== ''
        ? `${org}\u0000${idempotencyKey}`
        : undefined;
    // Blooio answers a repeated key with the original answer, before looking at anything else.
    if (recordKey !== undefined && this.idempotency.has(recordKey)) {
      return { status: 200, body: this.idempotency.get(recordKey) };
    }

    const chatId = stringParam(request, 'chatId') ?? '';
    const chat = parseChatId(chatId);
    if (chat.kind === 'group') this.requireGroup(org, chat.id);
    const body = validateSendBody(request.body, request.headers['x-from-number']);
    throwForMagicNumber(chatId);
    const parentUnresolved = this.resolveReplyTo(body, org, chat);

    const answer: JsonObject = {};
    let chatKey: string;
    if (chat.kind === 'multi') {
      const { groupId, created } = this.groupFor(org, chat.participants);
      chatKey = groupId;
      Object.assign(answer, {
        group_id: groupId,
        group_created: created,
        participants: chat.participants,
      });
    } else {
      chatKey = chat.id;
    }
    const failed = chatId.includes(SIMULATOR_MAGIC_NUMBERS.sendFailed);
    const ids = Array.from({ length: messageCount(body) }, () =>
      this.storeMessage(org, chatKey, failed),
    );
    // As the spec's SendMessageResponse: message_id for one message, message_ids for a text array
    // or a URL-balloon batch, and count in URL-balloon batch mode only.
    const urlBalloons = isUrlBalloonBatch(body);
    const response: JsonObject =
      Array.isArray(body.text) || urlBalloons ? { message_ids: ids } : { message_id: ids[0] };
    if (urlBalloons) response.count = ids.length;
    Object.assign(response, { status: failed ? 'failed' : 'queued' }, answer);
    if (parentUnresolved) response.parent_unresolved = true;

    if (recordKey !== undefined) this.idempotency.set(recordKey, response);
    if (this.webhooks.has(org)) {
      const line = body.from_number ?? request.headers['x-from-number'];
      this.simulateEvents(org, ids, failed, {
        externalId: chatKey,
        participants:
          chat.kind === 'multi'
            ? chat.participants
            : chat.kind === 'group'
              ? this.groupsById.get(chat.id)?.participants
              : undefined,
        line: typeof line === 'string' ? line : SIMULATOR_DEFAULT_LINE,
      });
    }
    return { status: 202, body: response };
  }

  // ---------------------------------------------------------------------------------------------
  // POST /webhooks, and the events Blooio posts to them

  private createWebhook(request: FastifyRequest, org: string): Answer {
    try {
      return this.webhooks.create(org, request.body);
    } catch (error) {
      if (!(error instanceof WebhookRequestError)) throw error;
      throw new SimulatedApiError(error.status, error.message);
    }
  }

  /**
   * Blooio's webhooks for a send, on the status timeline: message.sent, .delivered and .read per
   * message (iMessage), or message.failed; then one reply from the contact (message.received).
   */
  private simulateEvents(org: string, ids: string[], failed: boolean, chat: ChatParties): void {
    const sentAt = Date.now();
    const { sentAfterMs, deliveredAfterMs, readAfterMs, replyAfterMs } = this.timeline;
    for (const id of ids) {
      if (failed) {
        this.webhooks.later(sentAfterMs, () =>
          this.webhooks.emit(org, {
            ...eventBase('message.failed', 'failed', id, chat),
            protocol: 'unknown',
            error_code: 'simulated_failure',
            error_message: 'Simulated failure (the sandbox fails every message to this number)',
          }),
        );
        continue;
      }
      this.webhooks.later(sentAfterMs, () =>
        this.webhooks.emit(org, {
          ...eventBase('message.sent', 'sent', id, chat),
          sent_at: sentAt + sentAfterMs,
        }),
      );
      this.webhooks.later(deliveredAfterMs, () =>
        this.webhooks.emit(org, {
          ...eventBase('message.delivered', 'delivered', id, chat),
          delivered_at: sentAt + deliveredAfterMs,
        }),
      );
      this.webhooks.later(readAfterMs, () =>
        this.webhooks.emit(org, {
          ...eventBase('message.read', 'read', id, chat),
          read_at: sentAt + readAfterMs,
        }),
      );
    }
    if (failed) return;
    this.webhooks.later(replyAfterMs, () => {
      const replyId = `msg_${randomAlphanumeric(20)}`;
      const receivedAt = Date.now();
      this.messages.set(replyId, {
        id: replyId,
        org,
        chatKey: chat.externalId,
        createdAt: receivedAt,
        failed: false,
        inbound: true,
      });
      this.webhooks.emit(org, {
        ...eventBase('message.received', 'received', replyId, chat),
        sender: chat.participants?.[0] ?? chat.externalId,
        text: SIMULATED_REPLY,
        attachments: [],
      });
    });
  }

  private requireGroup(org: string, groupId: string): StoredGroup {
    const group = this.groupsById.get(groupId);
    if (!group || group.org !== org) throw new SimulatedApiError(404, 'Chat not found');
    return group;
  }

  /** The group of that exact participant set (order-insensitive), created on first use. */
  private groupFor(org: string, participants: string[]): { groupId: string; created: boolean } {
    const setKey = `${org}\u0000${[...participants].sort().join(',')}`;
    const existing = this.groupsByParticipants.get(setKey);
    if (existing !== undefined && this.groupsById.has(existing)) {
      return { groupId: existing, created: false };
    }
    const groupId = `grp_${randomAlphanumeric(16)}`;
    this.groupsById.set(groupId, { org, participants });
    this.groupsByParticipants.set(setKey, groupId);
    return { groupId, created: true };
  }

  /** The chat key a chatId names, without creating anything; undefined when it names no chat. */
  private existingChatKey(org: string, chat: ParsedChat): string | undefined {
    if (chat.kind === 'single') return chat.id;
    if (chat.kind === 'group') return chat.id;
    return this.groupsByParticipants.get(`${org}\u0000${[...chat.participants].sort().join(',')}`);
  }

  private storeMessage(org: string, chatKey: string, failed: boolean): string {
    const id = `msg_${randomAlphanumeric(20)}`;
    this.messages.set(id, { id, org, chatKey, createdAt: Date.now(), failed });
    return id;
  }

  /** Checks `reply_to`; returns true when only a GUID was given (Blooio cannot link the parent). */
  private resolveReplyTo(body: JsonObject, org: string, chat: ParsedChat): boolean {
    const replyTo = body.reply_to;
    if (replyTo === undefined || replyTo === null) return false;
    if (!isObject(replyTo)) throw new SimulatedApiError(400, 'reply_to must be an object');
    if (Array.isArray(body.text) || isUrlBalloonBatch(body)) {
      throw new SimulatedApiError(
        400,
        'reply_to is not supported on multi-message sends',
        'reply_target_not_supported',
      );
    }
    const { message_id: messageId, guid, part_index: partIndex } = replyTo;
    if (partIndex !== undefined && !(Number.isInteger(partIndex) && Number(partIndex) >= 0)) {
      throw new SimulatedApiError(400, 'reply_to.part_index must be a non-negative integer');
    }
    if (typeof messageId === 'string' && messageId !== '') {
      const parent = this.messages.get(messageId);
      if (!parent || parent.org !== org) {
        throw new SimulatedApiError(
          404,
          'Reply target message not found',
          'reply_target_not_found',
        );
      }
      if (parent.chatKey !== this.existingChatKey(org, chat)) {
        throw new SimulatedApiError(
          400,
          'The reply target belongs to a different chat',
          'reply_target_chat_mismatch',
        );
      }
      return false;
    }
    if (typeof guid === 'string' && guid !== '') return true;
    throw new SimulatedApiError(
      400,
      'reply_to needs a message_id or a guid',
      'reply_target_invalid',
    );
  }

  // ---------------------------------------------------------------------------------------------
  // GET /chats/{chatId}/messages/{messageId}/status

  private messageStatus(request: FastifyRequest, org: string): Answer {
    const chat = parseChatId(stringParam(request, 'chatId') ?? '');
    if (chat.kind === 'group') this.requireGroup(org, chat.id);
    const message = this.messages.get(stringParam(request, 'messageId') ?? '');
    if (!message || message.org !== org || message.chatKey !== this.existingChatKey(org, chat)) {
      throw new SimulatedApiError(404, 'Message not found');
    }
    return { status: 200, body: this.statusOf(message) };
  }

  /** A MessageStatus whose state follows the configured timeline from the send time. */
  private statusOf(message: StoredMessage): JsonObject {
    const base = {
      message_id: message.id,
      chat_id: message.chatKey,
      direction: message.inbound ? 'inbound' : 'outbound',
      time_sent: message.createdAt,
    };
    if (message.inbound) {
      return {
        ...base,
        status: 'delivered',
        protocol: 'imessage',
        time_delivered: message.createdAt,
        error: null,
      };
    }
    if (message.failed) {
      return {
        ...base,
        status: 'failed',
        protocol: 'unknown',
        time_delivered: null,
        error: 'Simulated failure',
      };
    }
    const elapsed = Date.now() - message.createdAt;
    if (elapsed >= this.timeline.deliveredAfterMs) {
      return {
        ...base,
        status: 'delivered',
        protocol: 'imessage',
        time_delivered: message.createdAt + this.timeline.deliveredAfterMs,
        error: null,
      };
    }
    const sent = elapsed >= this.timeline.sentAfterMs;
    return {
      ...base,
      status: sent ? 'sent' : 'queued',
      protocol: sent ? 'imessage' : 'pending',
      time_delivered: null,
      error: null,
    };
  }
}

// -----------------------------------------------------------------------------------------------
// Pure helpers

function errorBody(status: number, message: string, code?: string): JsonObject {
  const body: JsonObject = { error: 'ApiError', message, status };
  if (code !== undefined) body.code = code;
  return body;
}

function errorAnswer(error: SimulatedApiError): Answer {
  return {
    status: error.status,
    body: errorBody(error.status, error.message, error.code),
    headers: error.headers,
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringParam(request: FastifyRequest, name: string): string | undefined {
  const params = request.params;
  if (!isObject(params)) return undefined;
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

function flattenHeaders(headers: FastifyRequest['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

type ParsedBody = { ok: true; value: unknown } | { ok: false; raw: string };

function parseBody(body: unknown): ParsedBody {
  if (typeof body !== 'string') return { ok: true, value: body };
  if (body.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, raw: body };
  }
}

function completeTimeline(options: StatusTimelineOptions): StatusTimeline {
  return {
    ...options,
    readAfterMs: options.readAfterMs ?? options.deliveredAfterMs + READ_AFTER_DELIVERY_MS,
    replyAfterMs: options.replyAfterMs ?? options.deliveredAfterMs + REPLY_AFTER_DELIVERY_MS,
  };
}

/** The fields every event of a message in this chat carries. */
function eventBase(
  event: WebhookEventPayload['event'],
  status: WebhookEventPayload['status'],
  messageId: string,
  chat: ChatParties,
): WebhookEventPayload {
  const payload: WebhookEventPayload = {
    event,
    message_id: messageId,
    external_id: chat.externalId,
    status,
    protocol: 'imessage',
    timestamp: Date.now(),
    internal_id: chat.line,
    is_group: chat.participants !== undefined,
  };
  if (chat.participants) {
    Object.assign(payload, {
      group_id: chat.externalId,
      group_name: null,
      participants: chat.participants.map((identifier) => ({
        contact_id: `ct_${identifier.replace(/[^A-Za-z0-9]/g, '')}`,
        identifier,
        name: null,
      })),
    });
  }
  return payload;
}

/** Parses a decoded chatId; emails are lower-cased. Throws 400 (no code) when malformed. */
function parseChatId(chatId: string): ParsedChat {
  if (GROUP_ID.test(chatId)) return { kind: 'group', id: chatId };
  const handles = chatId.split(',');
  const normalised = handles.map(normaliseHandle);
  if (normalised.some((handle) => handle === undefined)) {
    throw new SimulatedApiError(400, 'chatId must be a phone number, an email or a group id');
  }
  const participants = normalised as string[];
  if (participants.length === 1) return { kind: 'single', id: participants[0] };
  if (new Set(participants).size !== participants.length) {
    throw new SimulatedApiError(400, 'chatId lists the same participant twice');
  }
  return { kind: 'multi', participants };
}

function normaliseHandle(handle: string): string | undefined {
  if (E164.test(handle)) return handle;
  if (EMAIL.test(handle)) return handle.toLowerCase();
  return undefined;
}

/** Validates SendMessageRequest enough to catch a gateway that maps it wrongly. */
function validateSendBody(body: unknown, fromHeader: string | string[] | undefined): JsonObject {
  if (!isObject(body)) throw new SimulatedApiError(400, 'Request body must be a JSON object');
  const hasText = checkText(body.text);
  const hasAttachments = checkArray(body.attachments, 'attachments', isAttachment);
  const hasParts = checkArray(body.parts, 'parts', isPart);
  if (!hasText && !hasAttachments && !hasParts) {
    throw new SimulatedApiError(400, 'Message must have text, attachments or parts');
  }
  checkFromNumber(body.from_number, fromHeader);
  checkEffect(body.effect, hasParts);
  return body;
}

function checkText(text: unknown): boolean {
  if (text === undefined || text === null || text === '') return false;
  const valid =
    typeof text === 'string' ||
    (Array.isArray(text) &&
      text.length > 0 &&
      text.every((item) => typeof item === 'string' && item !== ''));
  if (!valid) {
    throw new SimulatedApiError(400, 'text must be a string or an array of non-empty strings');
  }
  return true;
}

function checkArray(value: unknown, name: string, isItem: (item: unknown) => boolean): boolean {
  if (value === undefined || value === null) return false;
  if (!Array.isArray(value) || !value.every(isItem)) {
    throw new SimulatedApiError(400, `${name} is malformed`);
  }
  return value.length > 0;
}

function isAttachment(item: unknown): boolean {
  return typeof item === 'string' || (isObject(item) && typeof item.url === 'string');
}

/** Blooio's multipart rules: text xor url; mention only with text; name only with url. */
function isPart(item: unknown): boolean {
  if (!isObject(item)) return false;
  const hasText = typeof item.text === 'string';
  const hasUrl = typeof item.url === 'string';
  if (hasText === hasUrl) return false;
  if (item.mention !== undefined && !hasText) return false;
  return item.name === undefined || hasUrl;
}

function checkFromNumber(fromNumber: unknown, fromHeader: string | string[] | undefined): void {
  if (fromNumber !== undefined && (typeof fromNumber !== 'string' || !E164.test(fromNumber))) {
    throw new SimulatedApiError(400, 'from_number must be an E.164 phone number');
  }
  if (fromHeader === undefined) return;
  if (typeof fromHeader !== 'string' || !E164.test(fromHeader)) {
    throw new SimulatedApiError(400, 'X-From-Number must be an E.164 phone number');
  }
  if (fromNumber !== undefined && fromNumber !== fromHeader) {
    throw new SimulatedApiError(400, 'X-From-Number and from_number differ');
  }
}

function checkEffect(effect: unknown, hasParts: boolean): void {
  if (effect === undefined || effect === null) return;
  const name = typeof effect === 'string' ? effect.toLowerCase().replace(/ /g, '-') : '';
  if (!EFFECTS.has(name)) throw new SimulatedApiError(400, 'effect is not a known effect');
  if (hasParts && name !== 'none') {
    throw new SimulatedApiError(400, 'effect is not supported with parts');
  }
}

/** Any part with a link_preview turns `parts` into one message per part. */
function isUrlBalloonBatch(body: JsonObject): boolean {
  return (
    Array.isArray(body.parts) &&
    body.parts.some((part) => isObject(part) && part.link_preview != null)
  );
}

function messageCount(body: JsonObject): number {
  if (Array.isArray(body.text)) return body.text.length;
  if (isUrlBalloonBatch(body) && Array.isArray(body.parts)) return body.parts.length;
  return 1;
}

function throwForMagicNumber(chatId: string): void {
  const magic = SIMULATOR_MAGIC_NUMBERS;
  if (chatId.includes(magic.inboundOnly)) {
    throw new SimulatedApiError(
      403,
      'Inbound-only plan: outbound is restricted to contacts who messaged this number first.',
      'inbound_only_no_prior_inbound',
    );
  }
  if (chatId.includes(magic.outboundLimitReached)) {
    throw new SimulatedApiError(
      429,
      'Outbound new-contact limit reached',
      'outbound_limit_reached',
    );
  }
  if (chatId.includes(magic.rateLimited)) {
    throw new SimulatedApiError(429, 'Too many requests', undefined, { 'retry-after': '1' });
  }
  if (chatId.includes(magic.noActiveNumber)) {
    throw new SimulatedApiError(503, 'No active number available');
  }
  if (chatId.includes(magic.attachmentFirstMessage)) {
    throw new SimulatedApiError(
      400,
      'Attachments cannot be the first message to a new contact',
      'attachment_first_message_not_allowed',
    );
  }
}
