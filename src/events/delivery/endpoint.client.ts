import { Agent, errors, request } from 'undici';

/** The most of an endpoint's answer that is read; past it the connection is dropped. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** One POST to a tenant endpoint, as it ended. Never holds the answer's body nor a secret. */
export interface EndpointAnswer {
  /** A 2xx came back. */
  ok: boolean;
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  /** Short and secret-free: `timeout after 15000 ms`, `connection refused`, `HTTP 500`… */
  error?: string;
  durationMs: number;
  /** The `Retry-After` header as sent, on a 429 or 503. */
  retryAfter?: string;
}

export interface EndpointClientOptions {
  /** The whole attempt: connecting, the answer's headers and the part of its body that is read. */
  timeoutMs: number;
}

/**
 * The one place that speaks HTTP to tenant endpoints (DESIGN §11): a POST of exactly the given
 * bytes, redirects never followed (a 3xx is a failed attempt that says so), the whole attempt cut
 * at `timeoutMs` however the endpoint stalls (no answer, or a body that drips), and at most
 * MAX_ANSWER_BYTES of the answer read (past it the connection is dropped). A status is known once
 * the headers came: a 2xx whose body then stalls is still delivered.
 */
export class EndpointClient {
  private readonly agent: Agent;

  constructor(
    private readonly options: EndpointClientOptions,
    private readonly now: () => number = performanceNow,
  ) {
    this.agent = new Agent({
      // No cap per origin: the queue's lanes bound the attempts (EVENT_DELIVERY_CONCURRENCY per
      // endpoint), and two endpoints on one host must not share a pool a hung one could fill.
      keepAliveTimeout: 4_000,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      // No redirect interceptor: undici's request() then never follows one.
    });
  }

  async post(
    url: string,
    body: string | Buffer,
    headers: Readonly<Record<string, string>>,
  ): Promise<EndpointAnswer> {
    const started = this.now();
    const { timeoutMs } = this.options;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const elapsed = () => Math.max(0, Math.round(this.now() - started));
    try {
      const answer = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body,
        signal: deadline.signal,
      });
      const status = answer.statusCode;
      await readAtMost(answer.body, MAX_ANSWER_BYTES, deadline.signal);
      const retryAfter =
        status === 429 || status === 503 ? headerOf(answer.headers['retry-after']) : undefined;
      const ok = status >= 200 && status < 300;
      return {
        ok,
        status,
        ...(!ok && { error: errorOfStatus(status) }),
        durationMs: elapsed(),
        ...(retryAfter !== undefined && { retryAfter }),
      };
    } catch (error) {
      const timedOut = deadline.signal.aborted || isTimeout(error);
      return {
        ok: false,
        error: timedOut ? `timeout after ${timeoutMs} ms` : networkErrorOf(error),
        durationMs: elapsed(),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes idle sockets and waits for running attempts; `destroy` cuts them. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}

const USER_AGENT = 'blooio-gateway-webhooks/1';

const performanceNow = () => performance.now();

/**
 * Reads the answer's body until its end, `limit` bytes, or the deadline, whichever is first; past
 * the limit or the deadline the body is destroyed, which drops the connection. Never throws: the
 * status is what counts.
 */
async function readAtMost(
  body: NodeJS.ReadableStream & { destroy(error?: Error): void },
  limit: number,
  deadline: AbortSignal,
): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of body) {
      read += (chunk as Buffer).length;
      if (read > limit || deadline.aborted) break;
    }
  } catch {
    // A reset or the deadline while reading: the status already arrived.
  } finally {
    body.destroy();
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorOfStatus(status: number): string {
  if (status >= 300 && status < 400) return `redirect not followed (${status})`;
  return `HTTP ${status}`;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof errors.ConnectTimeoutError ||
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError
  );
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** A short, fixed text per kind of failure: never the error's own message (it may echo a URL). */
function networkErrorOf(error: unknown): string {
  const code = codeOf(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'UND_ERR_SOCKET':
      return 'connection closed before an answer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'UND_ERR_INVALID_ARG':
    case 'ERR_INVALID_URL':
      return 'invalid request';
  }
  if (code && TLS_CODE.test(code)) return `TLS error (${code})`;
  return /^[A-Z0-9_]{2,40}$/.test(code ?? '') ? `network error (${code})` : 'network error';
}

/** The code of an error, or of its cause when that says more (undici wraps socket errors). */
function codeOf(error: unknown): string | undefined {
  let found: string | undefined;
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      found = code;
      if (code !== 'UND_ERR_SOCKET') return code;
    }
    current = cause;
  }
  return found;
}
