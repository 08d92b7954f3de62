import type { UpstreamTrace } from './blooio/upstream-trace';
import type { Principal } from './tenants/tenant';

/**
 * What one request carries through the pipeline, declared in this one place. Each part is set by
 * the piece that owns it; the request log (logging/), the HTTP metrics (http/) and the routes read
 * them. The request id is Fastify's own `request.id` (http/request-id.ts makes it; every answer
 * repeats it as X-Request-Id).
 */
export interface RequestContext {
  /** The caller: set by ApiKeyGuard.identify (tenants/) before the body is read. */
  principal?: Principal;
  /** The caller's Idempotency-Key, once and well-formed: set by its echo hook (idempotency/). */
  idempotencyKey?: string;
  /** The upstream side of a send (attempts, Blooio's status): filled in by the Blooio sender. */
  upstream?: UpstreamTrace;
  /** The problem answered: set by ProblemDetailsFilter, or by the replay of a recorded one. */
  problem?: { code: string; upstreamStatus?: number };
  /** The body's exact bytes, on routes whose config sets `rawBody` (http/json-body.parser.ts). */
  rawBody?: Buffer;
  /**
   * On a `rawBody` route, why the body is not a JSON object: kept for the route to answer after it
   * has authenticated the bytes (a forged body must not learn more than an unsigned one).
   */
  bodyError?: Error;
  /** How a Blooio webhook delivery ended, for the request log (blooio-webhooks/). */
  webhook?: { tenant: string; event?: string; outcome: string; reason?: string };
}

// A global augmentation: every file is compiled with it, so none imports this file for its effect.
declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyRequest extends RequestContext {}

  /** A route's own config (Nest's @RouteConfig), read when its requests arrive. */
  interface FastifyContextConfig {
    /** Set by @Authenticated (tenants/): refuse a caller without a gateway key before its body. */
    gatewayKeyRequired?: boolean;
    /** Keep the body's exact bytes in `request.rawBody` and defer a JSON error to the route. */
    rawBody?: boolean;
    /** An empty `application/json` body is no body (@OptionalJsonBody, http/route-config.ts). */
    optionalBody?: boolean;
  }
}
