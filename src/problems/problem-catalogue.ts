/**
 * The stable, machine-readable error codes of the gateway (DESIGN.md §3), with their default
 * HTTP status and title. `code` is the contract; titles may be reworded.
 */
export const PROBLEM_CATALOGUE = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  sender_not_allowed: { status: 403, title: 'Sender not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'Request timeout' },
  idempotency_key_in_use: { status: 409, title: 'Idempotency key in use' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused' },
  message_failed: { status: 422, title: 'Message failed' },
  rate_limited: { status: 429, title: 'Rate limit exceeded' },
  upstream_rejected: { status: 422, title: 'Blooio rejected the message' },
  upstream_rate_limited: { status: 429, title: 'Blooio rate limit reached' },
  upstream_auth_failed: { status: 502, title: 'Blooio refused the gateway credentials' },
  upstream_error: { status: 502, title: 'Blooio error' },
  upstream_unavailable: { status: 503, title: 'Blooio unavailable' },
  upstream_timeout: { status: 504, title: 'Blooio did not answer in time' },
  message_not_found: { status: 404, title: 'Message not found' },
  event_not_found: { status: 404, title: 'Event not found' },
  endpoint_not_found: { status: 404, title: 'Webhook endpoint not found' },
  webhook_signature_invalid: { status: 401, title: 'Webhook signature invalid' },
  store_unavailable: { status: 503, title: 'Shared store unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

export const PROBLEM_CODES = Object.keys(PROBLEM_CATALOGUE) as ProblemCode[];

/** Problem `type` URIs are this base plus the code (RFC 9457 §3.1.1: they need not resolve). */
export const PROBLEM_TYPE_BASE = 'https://blooio-gateway.dev/problems/';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
