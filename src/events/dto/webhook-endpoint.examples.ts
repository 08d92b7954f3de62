import { GATEWAY_EVENT_TYPES } from '../gateway-event';

/** The endpoints of the examples: one healthy, one failing, one a 410 disabled. */
const CRM_INBOX = {
  id: 'crm-inbox',
  url: 'https://crm.acme.internal/hooks/imessage',
  events: ['message.received', 'message.*'],
  state: 'enabled',
  lastSuccessAt: '2026-12-02T10:00:05.120Z',
} as const;

const ANALYTICS = {
  id: 'analytics',
  url: 'https://analytics.acme.internal/ingest',
  // `events` left out of the tenant file: every type.
  events: GATEWAY_EVENT_TYPES,
  state: 'enabled',
  lastSuccessAt: '2026-12-02T09:12:44.310Z',
  failingSince: '2026-12-02T09:13:01.002Z',
} as const;

const LEGACY = {
  id: 'legacy-bridge',
  url: 'https://legacy.acme.internal/webhook',
  events: ['message.delivered'],
  state: 'disabled',
  failingSince: '2026-12-01T22:40:00.000Z',
} as const;

/** Answers Swagger UI shows for GET /v1/webhook-endpoints. */
export const ENDPOINT_LIST_EXAMPLES = {
  endpoints: {
    summary: 'Healthy, failing for a while, and disabled by a 410',
    value: { data: [CRM_INBOX, ANALYTICS, LEGACY] },
  },
  none: {
    summary: 'A tenant with no webhook endpoints',
    value: { data: [] },
  },
} as const;

/** Answers Swagger UI shows for POST /v1/webhook-endpoints/{id}/enable. */
export const ENABLED_ENDPOINT_EXAMPLES = {
  enabled: {
    summary: 'Enabled again: its queued deliveries run (failingSince stays until a 2xx)',
    value: { ...LEGACY, state: 'enabled' },
  },
} as const;

/** Answers Swagger UI shows for POST /v1/webhook-endpoints/{id}/test. */
export const TEST_DELIVERY_EXAMPLES = {
  delivered: {
    summary: 'The endpoint answered 2xx',
    value: { delivered: true, status: 204, durationMs: 38 },
  },
  refused: {
    summary: 'The endpoint answered, but not 2xx',
    value: { delivered: false, status: 500, error: 'HTTP 500', durationMs: 51 },
  },
  unreachable: {
    summary: 'The endpoint did not answer (timeout, refused connection…)',
    value: { delivered: false, error: 'timeout', durationMs: 15_000 },
  },
} as const;

/** Bodies Swagger UI offers for POST /v1/events/{eventId}/replay. */
export const REPLAY_REQUEST_EXAMPLES = {
  all: {
    summary: 'Every endpoint that subscribes to its type (or send no body at all)',
    value: {},
  },
  some: {
    summary: 'Only these endpoints',
    value: { endpointIds: [CRM_INBOX.id] },
  },
} as const;

/** Answers Swagger UI shows for POST /v1/events/{eventId}/replay. */
export const REPLAY_RESULT_EXAMPLES = {
  queued: {
    summary: 'Queued again, with the same webhook-id',
    value: { eventId: 'evt_hq3zb6kx2m7dfwnpy4tcjr5sva', endpointIds: [CRM_INBOX.id] },
  },
  none: {
    summary: 'No endpoint subscribes to its type: nothing queued',
    value: { eventId: 'evt_hq3zb6kx2m7dfwnpy4tcjr5sva', endpointIds: [] },
  },
} as const;
