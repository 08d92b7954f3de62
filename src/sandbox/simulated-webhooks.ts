import { createHmac, randomInt } from 'node:crypto';

/**
 * The simulator's side of Blooio's webhooks: `POST /webhooks` subscriptions per API key, and the
 * signed delivery of events to them with Blooio-like retries. Deliveries run on timers and never
 * hold up the request that caused them.
 */

/** Blooio's `WebhookEventPayload` (flat, snake_case, times in Unix milliseconds). */
export interface WebhookEventPayload {
  event: WebhookEventName;
  message_id: string;
  external_id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'received';
  protocol: 'pending' | 'unknown' | 'imessage' | 'sms' | 'rcs';
  timestamp: number;
  internal_id: string | null;
  is_group: boolean;
  group_id?: string | null;
  group_name?: string | null;
  participants?: { contact_id: string; identifier: string; name: string | null }[] | null;
  text?: string | null;
  attachments?: { url: string; name?: string | null }[] | null;
  sender?: string | null;
  sent_at?: number | null;
  delivered_at?: number | null;
  read_at?: number | null;
  error_code?: string | null;
  error_message?: string | null;
}

export type WebhookEventName =
  'message.sent' | 'message.delivered' | 'message.read' | 'message.failed' | 'message.received';

export const WEBHOOK_TYPES = ['message', 'status', 'all'] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export interface SimulatedWebhookOptions {
  /**
   * Waits before each retry of a delivery that got no 2xx (its length bounds the retries). Blooio
   * documents retries "with backoff" but no schedule; the default is 1 s, 5 s, 30 s, 2 min, 10 min.
   */
  retryDelaysMs?: readonly number[];
  /** How long one delivery attempt may take before it counts as failed (default 10 s). */
  attemptTimeoutMs?: number;
}

/** One POST of an event to a webhook URL, as the tests inspect it. */
export interface WebhookDeliveryAttempt {
  webhookId: string;
  url: string;
  event: WebhookEventName;
  messageId: string;
  /** 1 for the first try. */
  attempt: number;
  /** The exact bytes posted (the signature covers them). */
  body: string;
  /** The X-Blooio-Signature header sent. */
  signature: string;
  at: number;
  /** The receiver's status, when it answered. */
  status?: number;
  /** Why no answer counted ('timeout' or a network error code). */
  error?: string;
}

interface StoredWebhook {
  id: string;
  org: string;
  url: string;
  type: WebhookType;
  secret: string;
  createdAt: number;
  validUntil: number;
}

/** What `create` answers: Blooio's status and JSON body. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class WebhookRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000] as const;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** Blooio's documented limit ("max 64 per organization"); here per API key. */
const MAX_WEBHOOKS_PER_ORG = 64;
/** Bounds memory however many events a long sandbox run produces. */
const MAX_PENDING_DELIVERIES = 10_000;
/** When any key is accepted (no apiKeys), bounds how many keys may hold webhooks. */
const MAX_KEYS_WITH_WEBHOOKS = 10_000;
const MAX_RECORDED_ATTEMPTS = 10_000;
const STATUS_EVENTS = new Set<WebhookEventName>([
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
]);
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `X-Blooio-Signature: t=<unix seconds>,v1=<hex>`: HMAC-SHA256 keyed with the secret string's UTF-8
 * bytes (`whsec_` included) over `<t>.<raw body>`, as Blooio's docs compute it.
 */
export function signBlooioWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${unixSeconds}.${body}`, 'utf8')
    .digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** `status` webhooks get the outbound status events, `message` ones the inbound messages. */
function subscribes(type: WebhookType, event: WebhookEventName): boolean {
  if (type === 'all') return true;
  return type === 'status' ? STATUS_EVENTS.has(event) : !STATUS_EVENTS.has(event);
}

export class SimulatedWebhooks {
  readonly attempts: WebhookDeliveryAttempt[] = [];
  /** Deliveries given up because MAX_PENDING_DELIVERIES were already waiting. */
  dropped = 0;

  /** API key → its webhooks, oldest first. */
  private readonly webhooks = new Map<string, StoredWebhook[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly retryDelaysMs: readonly number[];
  private readonly attemptTimeoutMs: number;
  private pending = 0;

  constructor(
    options: SimulatedWebhookOptions,
    private readonly closing: AbortSignal,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    if (this.retryDelaysMs.some((ms) => !(ms >= 0)) || !(this.attemptTimeoutMs > 0)) {
      throw new RangeError('webhook retry delays must be ≥ 0 and the attempt timeout > 0');
    }
  }

  /** `POST /webhooks`: 201 with a one-time secret; 200 (no secret) for a URL this key has. */
  create(org: string, body: unknown): WebhookAnswer {
    const request = validateCreateBody(body);
    const own = this.webhooks.get(org) ?? [];
    const existing = own.find((hook) => hook.url === request.url);
    if (existing) {
      return {
        status: 200,
        body: {
          webhook_id: existing.id,
          webhook_url: existing.url,
          scope: 'api_key',
          message: 'Webhook already exists for this URL',
        },
      };
    }
    if (own.length >= MAX_WEBHOOKS_PER_ORG) {
      throw new WebhookRequestError(409, 'Webhook limit reached (max 64 per organization)');
    }
    if (own.length === 0 && this.webhooks.size >= MAX_KEYS_WITH_WEBHOOKS) {
      throw new WebhookRequestError(409, 'The simulator holds webhooks for too many API keys');
    }
    const hook: StoredWebhook = {
      id: `wh_${randomAlphanumeric(20)}`,
      org,
      url: request.url,
      type: request.type,
      secret: `whsec_${randomAlphanumeric(32)}`,
      createdAt: Date.now(),
      validUntil: request.validUntil,
    };
    own.push(hook);
    this.webhooks.set(org, own);
    return {
      status: 201,
      body: {
        webhook_id: hook.id,
        webhook_url: hook.url,
        webhook_type: hook.type,
        scope: 'api_key',
        created_at: hook.createdAt,
        signing_secret: hook.secret,
      },
    };
  }

  /** Whether this key has a webhook at all (no events are simulated for keys without one). */
  has(org: string): boolean {
    return this.webhooks.has(org);
  }

  /** Runs `task` after `ms`, unless close() or clear() comes first. */
  later(ms: number, task: () => void): void {
    if (this.closing.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, ms);
    // The sandbox runs inside the gateway: pending events must not keep its process alive.
    timer.unref();
    this.timers.add(timer);
  }

  /** Posts the event to every live webhook of `org` that subscribes to its type. */
  emit(org: string, payload: WebhookEventPayload): void {
    const now = Date.now();
    const body = JSON.stringify(payload);
    for (const hook of this.webhooks.get(org) ?? []) {
      if (!subscribes(hook.type, payload.event)) continue;
      if (hook.validUntil !== -1 && hook.validUntil <= now) continue;
      if (this.pending >= MAX_PENDING_DELIVERIES) {
        this.dropped += 1;
        continue;
      }
      this.pending += 1;
      void this.deliver(hook, payload, body, 1);
    }
  }

  /** Forgets webhooks and recorded attempts; pending events and retries are cancelled. */
  clear(): void {
    this.cancelTimers();
    this.webhooks.clear();
    this.attempts.length = 0;
    this.dropped = 0;
  }

  /** Cancels every pending event and retry (in-flight POSTs end with the closing signal). */
  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
  }

  private async deliver(
    hook: StoredWebhook,
    payload: WebhookEventPayload,
    body: string,
    attempt: number,
  ): Promise<void> {
    // Each attempt is signed at its own time, so a late retry is not stale on arrival.
    const signature = signBlooioWebhook(hook.secret, body, Math.floor(Date.now() / 1000));
    const record: WebhookDeliveryAttempt = {
      webhookId: hook.id,
      url: hook.url,
      event: payload.event,
      messageId: payload.message_id,
      attempt,
      body,
      signature,
      at: Date.now(),
    };
    this.attempts.push(record);
    if (this.attempts.length > MAX_RECORDED_ATTEMPTS) {
      this.attempts.splice(0, this.attempts.length - MAX_RECORDED_ATTEMPTS);
    }
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Blooio-Simulator/1.0',
          'x-blooio-event': payload.event,
          'x-blooio-message-id': payload.message_id,
          'x-blooio-signature': signature,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.closing, AbortSignal.timeout(this.attemptTimeoutMs)]),
      });
      record.status = response.status;
      // The answer's body is not needed; cancelling frees the connection without reading it.
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      record.error = deliveryError(error);
    }
    if (this.closing.aborted) return;
    const delivered = record.status !== undefined && record.status >= 200 && record.status < 300;
    const delay = this.retryDelaysMs[attempt - 1];
    if (delivered || delay === undefined) {
      this.pending = Math.max(0, this.pending - 1);
      return;
    }
    this.later(delay, () => void this.deliver(hook, payload, body, attempt + 1));
  }
}

function deliveryError(error: unknown): string {
  // By name, not instanceof: fetch's DOMException comes from another realm under Jest.
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : 'network error';
}

function validateCreateBody(body: unknown): { url: string; type: WebhookType; validUntil: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookRequestError(400, 'Request body must be a JSON object');
  }
  const {
    webhook_url: url,
    webhook_type: type,
    valid_until: validUntil,
  } = body as Record<string, unknown>;
  if (typeof url !== 'string' || url === '') {
    throw new WebhookRequestError(400, 'webhook_url is required');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookRequestError(400, 'webhook_url must be an absolute URL');
  }
  // Blooio wants HTTPS; the simulator also takes http, for receivers on this machine.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new WebhookRequestError(400, 'webhook_url must be an http(s) URL');
  }
  if (type !== undefined && !(WEBHOOK_TYPES as readonly unknown[]).includes(type)) {
    throw new WebhookRequestError(400, `webhook_type must be one of ${WEBHOOK_TYPES.join(', ')}`);
  }
  if (validUntil !== undefined && !(Number.isSafeInteger(validUntil) && Number(validUntil) >= -1)) {
    throw new WebhookRequestError(400, 'valid_until must be -1 or a Unix time in milliseconds');
  }
  return {
    url,
    type: (type as WebhookType | undefined) ?? 'message',
    validUntil: (validUntil as number | undefined) ?? -1,
  };
}

export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
