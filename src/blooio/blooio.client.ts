import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { Secret } from '../common/secret';
import type { AttemptDeadline } from './attempt-deadline';
import { chatIdPathSegment } from './chat-id';
import { BLOOIO_BASE_URL } from './blooio.constants';
import { keepOnlyTransport } from './lean-axios';
import { UpstreamAnswerTooLargeError } from './undici.adapter';
import {
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from './blooio.errors';
import type {
  BlooioCreateWebhookRequest,
  BlooioCreateWebhookResponse,
  BlooioErrorBody,
  BlooioMessageStatus,
  BlooioSendMessageRequest,
  BlooioSendMessageResponse,
} from './blooio.types';

export interface BlooioSendCommand {
  /** The tenant's own Blooio key. */
  apiKey: Secret;
  /** Unencoded chatId: a phone, an email, a group id, or phones/emails joined with `,`. */
  chatId: string;
  body: BlooioSendMessageRequest;
  /** Sent on every attempt of one logical send. */
  idempotencyKey: string;
  fromNumber?: string;
  requestId: string;
}

export interface BlooioSendResult {
  /** 202 for a new message, 200 when Blooio replayed an earlier one for the same key. */
  status: number;
  body: BlooioSendMessageResponse;
}

export interface BlooioMessageStatusResult {
  status: number;
  body: BlooioMessageStatus;
}

export interface BlooioCreateWebhookResult {
  /** 201 created; 200 when Blooio already had a webhook for this URL (then no secret). */
  status: number;
  body: Omit<BlooioCreateWebhookResponse, 'signing_secret'>;
  /** The one-time signing secret (`whsec_…`) of a 201. */
  signingSecret?: Secret;
}

/** Every status resolves: the client, not axios, decides what is an error. */
const everyStatus = (): boolean => true;

/** Blooio's codes are snake_case words: pass on only those, and never one holding the key. */
function safeCode(code: unknown, apiKey: Secret): code is string {
  return (
    typeof code === 'string' &&
    /^[A-Za-z0-9_.-]{1,100}$/.test(code) &&
    apiKey.scrubEchoes(code) === code
  );
}

/** The only code that speaks HTTP to Blooio. One call is one attempt; policies wrap it. */
@Injectable()
export class BlooioClient {
  private readonly axios: AxiosInstance;

  constructor(
    http: HttpService,
    @Inject(BLOOIO_BASE_URL) private readonly baseUrl: string,
  ) {
    // axiosRef, not HttpService's rxjs wrapper; and no instance defaults to merge on every call.
    this.axios = keepOnlyTransport(http.axiosRef);
  }

  /** `signal` aborts the call at the attempt's deadline. */
  async sendMessage(
    command: BlooioSendCommand,
    signal: AttemptDeadline,
  ): Promise<BlooioSendResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': command.idempotencyKey,
      'x-request-id': command.requestId,
    };
    // Blooio's reference names the header, its published spec the body field: send both.
    if (command.fromNumber) headers['x-from-number'] = command.fromNumber;
    return this.call<BlooioSendMessageResponse>(
      {
        method: 'POST',
        path: `/chats/${chatIdPathSegment(command.chatId)}/messages`,
        headers,
        data: JSON.stringify(command.body),
      },
      command.apiKey,
      signal,
    );
  }

  /** `GET /chats/{chatId}/messages/{messageId}/status`; errors as for sends. */
  async getMessageStatus(
    chatId: string,
    messageId: string,
    apiKey: Secret,
    signal: AttemptDeadline,
    requestId?: string,
  ): Promise<BlooioMessageStatusResult> {
    return this.call<BlooioMessageStatus>(
      {
        method: 'GET',
        path: `/chats/${chatIdPathSegment(chatId)}/messages/${encodeURIComponent(messageId)}/status`,
        headers: requestId ? { 'x-request-id': requestId } : {},
      },
      apiKey,
      signal,
    );
  }

  /**
   * `POST /webhooks` for every event type (`all`): 201 with the one-time signing secret, 200 when
   * Blooio already knows the URL (no secret then). Errors as for sends.
   */
  async createWebhook(
    url: string,
    apiKey: Secret,
    signal: AttemptDeadline,
    requestId?: string,
  ): Promise<BlooioCreateWebhookResult> {
    const request: BlooioCreateWebhookRequest = { webhook_url: url, webhook_type: 'all' };
    const { status, body } = await this.call<BlooioCreateWebhookResponse>(
      {
        method: 'POST',
        path: '/webhooks',
        headers: {
          'content-type': 'application/json',
          ...(requestId && { 'x-request-id': requestId }),
        },
        data: JSON.stringify(request),
      },
      apiKey,
      signal,
    );
    // The secret leaves the body at once, so that logging the answer cannot leak it.
    const { signing_secret: secret, ...webhook } = body;
    return {
      status,
      body: webhook,
      ...(typeof secret === 'string' && secret !== '' && { signingSecret: new Secret(secret) }),
    };
  }

  /**
   * One HTTP exchange with Blooio: a 2xx with a JSON object is the answer; anything else throws a
   * BlooioError that carries facts only (status, a safe code, a scrubbed message).
   */
  private async call<T>(
    request: {
      method: 'GET' | 'POST';
      path: string;
      headers: Record<string, string>;
      data?: string;
    },
    apiKey: Secret,
    signal: AttemptDeadline,
  ): Promise<{ status: number; body: T }> {
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      // The adapter hands back the body as text; with no default transforms, axios leaves it so.
      const response = await this.axios.request<string>({
        url: `${this.baseUrl}${request.path}`,
        method: request.method,
        headers: {
          authorization: `Bearer ${apiKey.reveal()}`,
          accept: 'application/json',
          ...request.headers,
        },
        data: request.data,
        signal,
        responseType: 'text',
        validateStatus: everyStatus,
      });
      status = response.status;
      text = response.data;
      retryAfter = retryAfterToPassOn(firstValue(response.headers['retry-after']));
    } catch (error) {
      if (signal.aborted) throw new BlooioTimeoutError();
      if (error instanceof UpstreamAnswerTooLargeError) {
        throw new BlooioUnreadableResponseError(error.status, 'larger than the gateway reads');
      }
      throw new BlooioNetworkError(networkReason(error));
    }

    const parsed = parseJsonObject(text);
    if (status >= 200 && status < 300) {
      if (!parsed) throw new BlooioUnreadableResponseError(status);
      return { status, body: parsed as T };
    }
    const errorBody = (parsed ?? {}) as BlooioErrorBody;
    throw new BlooioHttpError(
      status,
      {
        ...(safeCode(errorBody.code, apiKey) && { code: errorBody.code }),
        ...(typeof errorBody.message === 'string' && {
          // Scrubbed a little past what is kept, so that a key cut at the end is still seen whole.
          message: apiKey.scrubEchoes(errorBody.message.slice(0, 2_000)).slice(0, 1_000),
        }),
      },
      retryAfter,
      typeof errorBody.code === 'string' && errorBody.code.length > 0,
    );
  }
}

/** A header Blooio sent more than once arrives as an array: its first value is the one read. */
function firstValue(header: unknown): string | undefined {
  const value: unknown = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' ? value : undefined;
}

/** The gateway's own Retry-After, in place of one from Blooio that is not valid. */
export const GATEWAY_RETRY_AFTER = '1';

/**
 * Blooio's Retry-After as the caller gets it: none when Blooio sent none (a quota has no known
 * end, and none is invented), Blooio's when valid, else the gateway's own.
 */
export function retryAfterToPassOn(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return validRetryAfter(value) ?? GATEWAY_RETRY_AFTER;
}

/**
 * Retry-After as RFC 9110 §10.2.3 allows it (delay-seconds, or an HTTP-date), else undefined:
 * whatever else Blooio sends is never repeated to callers as is.
 */
export function validRetryAfter(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d{1,10}$/.test(trimmed)) return trimmed;
  if (IMF_FIXDATE.test(trimmed) && !Number.isNaN(Date.parse(trimmed))) return trimmed;
  return undefined;
}

/** `Sun, 06 Nov 1994 08:49:37 GMT`, the HTTP-date senders must use (RFC 9110 §5.6.7). */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A short, safe reason: the error code (ECONNRESET…) when there is one, never a URL. */
function networkReason(error: unknown): string {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'connection failed';
}
