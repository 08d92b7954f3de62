import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUndeliverable } from './undelivered-answer';
import { IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/idempotency.constants';
import type { GatewayMetrics } from '../metrics/gateway.metrics';
import { methodNotAllowedRoute } from './method-not-allowed.hook';

const CONFLICT_REASONS: Record<string, string> = {
  idempotency_key_in_use: 'in_use',
  idempotency_key_reused: 'reused',
};

/**
 * Counts every answer once it is sent: by route, status and tenant, plus what the answer tells
 * about rate limits and idempotency. Read from the answer itself, so no service has to remember
 * to count. An answer whose caller hung up first is counted when it is ready (no 'finish' comes).
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: GatewayMetrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    countAnswer(metrics, request, reply);
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isUndeliverable(reply)) countAnswer(metrics, request, reply);
    done(null, payload);
  });
}

function countAnswer(metrics: GatewayMetrics, request: FastifyRequest, reply: FastifyReply): void {
  // A 405 is a known route called with the wrong method: counted under that route, not unmatched.
  const route = request.routeOptions.url ?? methodNotAllowedRoute(request) ?? 'unmatched';
  const tenant = request.principal?.tenant.id ?? 'none';
  const { method } = request;
  metrics.httpRequests.inc({ method, route, status: reply.statusCode, tenant });
  metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1_000);

  const code = request.problem?.code;
  if (code) {
    metrics.problems.inc({ code, tenant });
    if (code === 'rate_limited') metrics.rateLimitRejections.inc({ tenant });
    const reason = CONFLICT_REASONS[code];
    if (reason) metrics.idempotencyConflicts.inc({ tenant, reason });
  }
  if (reply.getHeader(IDEMPOTENT_REPLAYED_HEADER) === 'true') {
    metrics.idempotencyReplays.inc({ tenant });
  }
}
