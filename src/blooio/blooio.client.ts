import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import type { Secret } from '../common/secret';
import { chatIdPathSegment } from '../messages/recipients';
import type { AttemptDeadline } from './attempt-deadline';
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
  BlooioErrorBody,
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
      authorization: `Bearer ${command.apiKey.reveal()}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': command.idempotencyKey,
      'x-request-id': command.requestId,
    };
    // Blooio's reference names the header, its published spec the body field: send both.
    if (command.fromNumber) headers['x-from-number'] = command.fromNumber;

    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      // The adapter hands back the body as text; with no default transforms, axios leaves it so.
      const response = await this.axios.request<string>({
        url: `${this.baseUrl}/chats/${chatIdPathSegment(command.chatId)}/messages`,
        method: 'POST',
        headers,
        data: JSON.stringify(command.body),
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
      return { status, body: parsed };
    }
    const errorBody = (parsed ?? {}) as BlooioErrorBody;
    throw new BlooioHttpError(
      status,
      {
        ...(safeCode(errorBody.code, command.apiKey) && { code: errorBody.code }),
        ...(typeof errorBody.message === 'string' && {
          // Scrubbed a little past what is kept, so that a key cut at the end is still seen whole.
          message: command.apiKey.scrubEchoes(errorBody.message.slice(0, 2_000)).slice(0, 1_000),
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
