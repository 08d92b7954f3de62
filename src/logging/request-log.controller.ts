import {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { isUndeliverable } from '../http/undelivered-answer';
import { IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/idempotency.constants';

const QUIET_ROUTES = /^\/(health|docs|metrics)(\/|$)/;

/**
 * Fastify's request log, reduced to one JSON line per request written when it completes, with
 * what an operator needs: tenant, key id, route, status, problem code, Blooio's status and the
 * attempts made, latency.
 * Never headers or bodies (they hold keys and message text). 5xx log at warn; probes, docs and
 * metrics scrapes at debug.
 *
 * `requestLog` is createRequestLogger()'s: the line carries the request id itself, first, just as
 * request.log's bindings would.
 */
export class RequestLogController extends LogController {
  constructor(private readonly requestLog: Logger) {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {
    // One line per request, at the end: nothing here.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const level = error
      ? 'error'
      : status >= 500
        ? 'warn'
        : route && QUIET_ROUTES.test(route)
          ? 'debug'
          : 'info';
    this.requestLog[level](
      {
        requestId: request.id,
        method: request.method,
        route: route ?? null,
        status,
        // A Blooio webhook has no principal: its path's tenant (or `unknown`), once looked up.
        tenant: request.principal?.tenant.id ?? request.webhook?.tenant,
        keyId: request.principal?.keyId,
        code: request.problem?.code,
        upstreamStatus: request.upstream?.status ?? request.problem?.upstreamStatus,
        // Only when Blooio was called: refusals and replays have no attempts to report.
        attempts: request.upstream?.attempts || undefined,
        // Which event and what became of it; never its signature header or the secrets.
        ...(request.webhook && {
          webhookEvent: request.webhook.event,
          webhookOutcome: request.webhook.outcome,
          webhookReason: request.webhook.reason,
        }),
        ...(reply.getHeader(IDEMPOTENT_REPLAYED_HEADER) === 'true' && { replayed: true }),
        latencyMs: Math.round(reply.elapsedTime * 100) / 100,
        // The caller hung up first: this answer was decided but never reached it.
        ...(isUndeliverable(reply) && { clientGone: true }),
        ...(error && { err: { type: error.name, message: error.message } }),
      },
      'request',
    );
  }
}

/**
 * Fastify writes the request line on 'finish', which never comes when the caller hung up first:
 * such an answer is logged when it is ready, with `clientGone: true`.
 */
export function registerUndeliverableAnswerLog(
  fastify: FastifyInstance,
  controller: RequestLogController,
): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isUndeliverable(reply)) controller.requestCompleted(null, request, reply);
    done(null, payload);
  });
}
