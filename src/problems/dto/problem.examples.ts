import { PROBLEM_CATALOGUE, type ProblemCode } from '../problem-catalogue';
import type { ResolvedProblem } from '../problem.mapper';
import { renderProblem } from '../problem.renderer';

/** One documented way a code happens; its body is rendered by the gateway's own renderer. */
export interface ProblemCase {
  /** Example name in the document: the code, or `<code>_<variant>` when a code has several. */
  name: string;
  summary: string;
  /** When it differs from the catalogue's (upstream_rejected mirrors Blooio's 402/403/404/409). */
  status?: number;
  detail: string;
  errors?: ResolvedProblem['errors'];
  upstream?: ResolvedProblem['upstream'];
  extensions?: ResolvedProblem['extensions'];
}

const blooioSaid = (status: number, message: string, code?: string) => ({
  status,
  ...(code && { code }),
  message,
});

/**
 * Every case the OpenAPI document shows, per code. Only what the gateway really adds: `errors` on
 * validation failures only, `upstream` only when Blooio answered. test/docs-examples.e2e-spec.ts
 * produces each case against a running gateway and compares the answer's shape.
 */
export const PROBLEM_CASES: Partial<Record<ProblemCode, ProblemCase[]>> = {
  validation_failed: [
    {
      name: 'validation_failed',
      summary: 'A field is invalid',
      detail: 'recipients.0 must be an E.164 number, an email or a group id',
      errors: [
        { path: 'recipients.0', message: 'must be an E.164 number, an email or a group id' },
      ],
    },
  ],
  unauthenticated: [
    {
      name: 'unauthenticated',
      summary: 'No or unknown gateway key',
      detail: 'Send the header Authorization: Bearer <gateway API key>',
    },
  ],
  forbidden: [
    {
      name: 'forbidden',
      summary: "The key lacks this route's scope",
      detail: 'This API key lacks the scope messages:send',
    },
  ],
  sender_not_allowed: [
    {
      name: 'sender_not_allowed',
      summary: "sender is not one of the tenant's senders",
      detail: "sender +15559990000 is not one of this tenant's senders",
    },
  ],
  idempotency_key_in_use: [
    {
      name: 'idempotency_key_in_use',
      summary: 'The first request with this key is still in flight',
      detail: 'A request with this Idempotency-Key is still being processed',
    },
  ],
  payload_too_large: [
    {
      name: 'payload_too_large',
      summary: 'Body over BODY_LIMIT_BYTES',
      detail: 'The body must be at most 262144 bytes; this one is larger',
    },
  ],
  unsupported_media_type: [
    {
      name: 'unsupported_media_type',
      summary: 'The body is not JSON',
      detail:
        'Content-Type text/plain is not accepted: send Content-Type: application/json with a JSON object',
    },
  ],
  idempotency_key_reused: [
    {
      name: 'idempotency_key_reused',
      summary: 'This key was used with a different request',
      detail: 'This Idempotency-Key was already used with a different request',
    },
  ],
  message_failed: [
    {
      name: 'message_failed',
      summary: 'Blooio accepted the call but answered status "failed"',
      detail: 'Blooio accepted the request but could not send the message',
      extensions: { messageId: 'msg_9f8e7d6c5b4a3f2e' },
    },
  ],
  upstream_rejected: [
    {
      name: 'upstream_rejected_payment_required',
      summary: 'Blooio 402: the plan does not allow this send',
      status: 402,
      detail: 'Blooio answered 402 (payment_required)',
      upstream: blooioSaid(402, 'Plan limit reached', 'payment_required'),
    },
    {
      name: 'upstream_rejected_inbound_only',
      summary: 'Blooio 403: an inbound-only number, the contact never wrote first',
      status: 403,
      detail: 'Blooio answered 403 (inbound_only_no_prior_inbound)',
      upstream: blooioSaid(
        403,
        'This number can only reply to contacts who wrote first',
        'inbound_only_no_prior_inbound',
      ),
    },
    {
      name: 'upstream_rejected_not_found',
      summary: 'Blooio 404: the chat or group is unknown',
      status: 404,
      detail: 'Blooio answered 404 (chat_not_found)',
      upstream: blooioSaid(404, 'Chat not found', 'chat_not_found'),
    },
    {
      name: 'upstream_rejected_conflict',
      summary: 'Blooio 409: a conflicting send',
      status: 409,
      detail: 'Blooio answered 409 (conflict)',
      upstream: blooioSaid(409, 'Conflicting send', 'conflict'),
    },
    {
      name: 'upstream_rejected',
      summary: 'Blooio 400: refused the message (here, an attachment first)',
      detail: 'Blooio answered 400 (attachment_first_message_not_allowed)',
      upstream: blooioSaid(
        400,
        'The first message to a new contact cannot carry an attachment',
        'attachment_first_message_not_allowed',
      ),
    },
  ],
  rate_limited: [
    {
      name: 'rate_limited',
      summary: "The tenant's rate limit (Retry-After set)",
      detail: 'This tenant may send 20 requests per second',
    },
  ],
  upstream_rate_limited: [
    {
      name: 'upstream_rate_limited',
      summary: "Blooio's 429 (Retry-After passed on)",
      detail: 'Blooio answered 429 (outbound_limit_reached)',
      upstream: blooioSaid(429, 'Outbound new-contact limit reached', 'outbound_limit_reached'),
    },
  ],
  upstream_auth_failed: [
    {
      name: 'upstream_auth_failed',
      summary: "Blooio refused the tenant's Blooio key (the gateway's configuration)",
      detail:
        "Blooio answered 401 (invalid_api_key): the gateway's Blooio key for this tenant was refused",
      upstream: blooioSaid(401, 'Invalid API key', 'invalid_api_key'),
    },
  ],
  upstream_error: [
    {
      name: 'upstream_error',
      summary: 'Blooio answered 5xx (after retries)',
      detail: 'Blooio answered 500',
      upstream: blooioSaid(500, 'Internal server error'),
    },
    {
      name: 'upstream_error_unreachable',
      summary: 'Blooio could not be reached: no upstream answer',
      detail: 'Could not reach Blooio (UND_ERR_SOCKET)',
    },
  ],
  upstream_unavailable: [
    {
      name: 'upstream_unavailable',
      summary: 'Blooio 503 (no active number or device)',
      detail: 'Blooio answered 503',
      upstream: blooioSaid(503, 'No active number'),
    },
    {
      name: 'upstream_unavailable_circuit_open',
      summary: 'Blooio failed repeatedly: sends paused (no upstream answer)',
      detail: 'Blooio failed repeatedly for this tenant; sends are paused briefly',
    },
  ],
  upstream_timeout: [
    {
      name: 'upstream_timeout',
      summary: 'No answer from Blooio within BLOOIO_TIMEOUT_MS',
      detail: 'Blooio did not answer before the deadline',
    },
  ],
  webhook_signature_invalid: [
    {
      name: 'webhook_signature_invalid',
      summary:
        'A Blooio webhook not signed for this tenant: unknown tenant, no secret, missing, wrong or stale signature (one answer for all)',
      detail:
        "X-Blooio-Signature is missing, stale or does not match this tenant's signing secrets",
    },
  ],
  message_not_found: [
    {
      name: 'message_not_found',
      summary: "Unknown, expired, or another tenant's message (one answer for all three)",
      detail: 'No message with this id for this tenant',
    },
  ],
  event_not_found: [
    {
      name: 'event_not_found',
      summary: "Unknown, expired, or another tenant's event (one answer for all three)",
      detail: 'No event with this id for this tenant',
    },
  ],
  endpoint_not_found: [
    {
      name: 'endpoint_not_found',
      summary:
        "Not one of the tenant's webhook endpoints: unknown, or another tenant's (one answer for both)",
      detail: 'No webhook endpoint crm-archive for this tenant',
    },
  ],
  store_unavailable: [
    {
      name: 'store_unavailable',
      summary: 'Redis is configured but does not answer; nothing was sent',
      detail: 'The gateway cannot reach its shared store; nothing was sent',
    },
  ],
  not_ready: [
    {
      name: 'not_ready',
      summary: 'A dependency is not ready (here, Redis)',
      detail: 'A dependency of the gateway is not ready',
      extensions: {
        checks: {
          lifecycle: { state: 'serving', status: 'up' },
          tenants: { tenants: 3, status: 'up' },
          redis: { mode: 'redis', message: 'Redis does not answer', status: 'down' },
        },
      },
    },
  ],
  internal_error: [
    {
      name: 'internal_error',
      summary: 'A fault in the gateway (logged with its stack)',
      detail: 'The gateway failed to handle this request',
    },
  ],
};

export const EXAMPLE_REQUEST_ID = '3f1b6f7e-3c1a-4f3e-9a53-1c0f0d2d1a7b';

/** The status a case answers with. */
export function caseStatus(code: ProblemCode, problemCase: ProblemCase): number {
  return problemCase.status ?? PROBLEM_CATALOGUE[code].status;
}

/** The exact body the gateway answers for a case (through the gateway's own renderer). */
export function problemExampleBody(code: ProblemCode, problemCase: ProblemCase): object {
  const rendered = renderProblem(
    {
      code,
      status: caseStatus(code, problemCase),
      detail: problemCase.detail,
      headers: {},
      errors: problemCase.errors,
      upstream: problemCase.upstream,
      extensions: problemCase.extensions,
    },
    EXAMPLE_REQUEST_ID,
  );
  return JSON.parse(rendered.body) as object;
}

/** The named examples of one status: every case of each listed code answering that status. */
export function problemExamplesFor(
  status: number,
  codes: ProblemCode[],
): Record<string, { summary: string; value: object }> {
  const examples: Record<string, { summary: string; value: object }> = {};
  for (const code of codes) {
    const cases = (PROBLEM_CASES[code] ?? []).filter((c) => caseStatus(code, c) === status);
    // A documented code without an example is a documentation bug: fail at boot, not in review.
    if (cases.length === 0) throw new Error(`no problem example for ${code} with status ${status}`);
    for (const problemCase of cases) {
      examples[problemCase.name] = {
        summary: `${code}: ${problemCase.summary}`,
        value: problemExampleBody(code, problemCase),
      };
    }
  }
  return examples;
}
