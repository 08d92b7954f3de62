import { HttpException } from '@nestjs/common';
import {
  BlooioCircuitOpenError,
  BlooioError,
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from '../blooio/blooio.errors';
import { StoreUnavailableError } from '../redis/store-unavailable.error';
import { PROBLEM_CATALOGUE, type ProblemCode } from './problem-catalogue';
import type { FieldError, UpstreamSummary } from './problem-details';
import { ProblemException } from './problem.exception';

/** Everything needed to answer one error, before the request id is added. */
export interface ResolvedProblem {
  code: ProblemCode;
  status: number;
  detail: string;
  headers: Record<string, string>;
  errors?: FieldError[];
  upstream?: UpstreamSummary;
  extensions?: Record<string, unknown>;
  /** An error the gateway did not expect: log it with its stack. */
  unexpected?: boolean;
}

const STATUS_CODES: Record<number, ProblemCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  408: 'request_timeout',
  429: 'rate_limited',
  503: 'not_ready',
};

/** Statuses Blooio uses to refuse a message that the caller sees as they are (§3). */
const MIRRORED_REJECTIONS = new Set([402, 403, 404, 409]);

/** What the request knows that a framework error does not say. */
export interface ProblemContext {
  /** The route's body limit, named in a 413. */
  bodyLimitBytes?: number;
}

/** Turns anything thrown while serving a request into the problem to answer (DESIGN.md §3). */
export function resolveProblem(exception: unknown, context: ProblemContext = {}): ResolvedProblem {
  if (exception instanceof ProblemException) {
    const { problem: options } = exception;
    return {
      code: exception.code,
      status: exception.getStatus(),
      detail: exception.message,
      headers: options.headers ?? {},
      errors: options.errors,
      upstream: options.upstream,
      extensions: options.extensions,
    };
  }
  if (exception instanceof BlooioError) return fromBlooio(exception);
  if (exception instanceof StoreUnavailableError) {
    return {
      ...problem(
        'store_unavailable',
        'The gateway cannot reach its shared store; nothing was sent',
      ),
      headers: { 'retry-after': '1' },
    };
  }
  // Nest hands Fastify's own errors (body parsing, size, media type) over as HttpExceptions.
  if (exception instanceof HttpException) return fromHttpException(exception, context);
  return {
    code: 'internal_error',
    status: 500,
    detail: 'The gateway failed to handle this request',
    headers: {},
    unexpected: true,
  };
}

function fromBlooio(error: BlooioError): ResolvedProblem {
  if (error instanceof BlooioCircuitOpenError) {
    return {
      ...problem(
        'upstream_unavailable',
        'Blooio failed repeatedly for this tenant; sends are paused briefly',
      ),
      headers: { 'retry-after': String(Math.max(1, Math.ceil(error.retryInMs / 1_000))) },
    };
  }
  if (error instanceof BlooioTimeoutError) {
    return problem('upstream_timeout', 'Blooio did not answer before the deadline');
  }
  if (error instanceof BlooioNetworkError) {
    return problem('upstream_error', `Could not reach Blooio (${error.reason})`);
  }
  if (error instanceof BlooioUnreadableResponseError) {
    return {
      ...problem('upstream_error', 'Blooio sent an answer the gateway cannot read'),
      upstream: { status: error.status },
    };
  }
  if (!(error instanceof BlooioHttpError)) return problem('upstream_error', 'Blooio error');

  const upstream: UpstreamSummary = { status: error.status, ...error.body };
  const said = `Blooio answered ${error.status}${error.body.code ? ` (${error.body.code})` : ''}`;
  const { status } = error;
  if (status === 401) {
    return {
      ...problem(
        'upstream_auth_failed',
        `${said}: the gateway's Blooio key for this tenant was refused`,
      ),
      upstream,
    };
  }
  if (status === 429) {
    return {
      ...problem('upstream_rate_limited', said),
      upstream,
      headers: error.retryAfter ? { 'retry-after': error.retryAfter } : {},
    };
  }
  if (status === 503) return { ...problem('upstream_unavailable', said), upstream };
  if (status >= 400 && status < 500) {
    return {
      ...problem('upstream_rejected', said),
      status: MIRRORED_REJECTIONS.has(status) ? status : 422,
      upstream,
    };
  }
  return { ...problem('upstream_error', said), upstream };
}

function fromHttpException(exception: HttpException, context: ProblemContext): ResolvedProblem {
  const status = exception.getStatus();
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
  if (code === 'payload_too_large' && context.bodyLimitBytes !== undefined) {
    return problem(
      code,
      `The body must be at most ${context.bodyLimitBytes} bytes; this one is larger`,
    );
  }
  if (code === 'not_ready') {
    // A 503 from inside the framework (Terminus while shutting down…): not a gateway bug.
    return problem(code, 'The gateway cannot serve this request now; try again');
  }
  return {
    code,
    status: code === 'internal_error' ? 500 : status,
    detail: code === 'internal_error' ? PROBLEM_CATALOGUE.internal_error.title : exception.message,
    headers: {},
    // Outside the ValidationPipe, a 400 is about the body as a whole (malformed JSON, empty…).
    ...(code === 'validation_failed' && { errors: [{ path: 'body', message: exception.message }] }),
    unexpected: code === 'internal_error',
  };
}

function problem(code: ProblemCode, detail: string): ResolvedProblem {
  return { code, status: PROBLEM_CATALOGUE[code].status, detail, headers: {} };
}
