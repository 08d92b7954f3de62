import type { EventDelivery } from '../delivery/event-deliveries.interface';

const DELIVERED = {
  id: 'evt_hq3zb6kx2m7dfwnpy4tcjr5sva',
  type: 'message.delivered',
  timestamp: '2026-12-02T10:00:05.000Z',
  tenantId: 'acme',
  data: {
    messageId: 'msg_9f8e7d6c5b4a3f2e',
    direction: 'outbound',
    status: 'delivered',
    protocol: 'imessage',
    chatId: '+15551234567',
    recipients: ['+15551234567'],
    sender: '+15550001111',
    deliveredAt: '2026-12-02T10:00:05.000Z',
    metadata: { orderId: 'A-17' },
  },
};

const RECEIVED = {
  id: 'evt_ab2cd3ef4gh5ij6kl7mn2op3qr',
  type: 'message.received',
  timestamp: '2026-12-02T10:00:09.000Z',
  tenantId: 'acme',
  data: {
    messageId: 'msg_7d6c5b4a3f2e1a0b',
    direction: 'inbound',
    from: '+15551234567',
    to: '+15550001111',
    chatId: '+15551234567',
    isGroup: false,
    text: 'Got it, thanks!',
    protocol: 'imessage',
    receivedAt: '2026-12-02T10:00:09.000Z',
  },
};

/** Answers Swagger UI shows for GET /v1/events. */
export const EVENT_PAGE_EXAMPLES = {
  page: {
    summary: 'A page with more after it (pass nextCursor as cursor)',
    value: {
      data: [RECEIVED, DELIVERED],
      nextCursor:
        'djEuM2Y0YTViNmM3ZDhlOWYwYS4wMDE3NjQ2Njk2MDUwMDA6ZXZ0X2hxM3piNmt4Mm03ZGZ3bnB5NHRjanI1c3Zh',
    },
  },
  last: {
    summary: 'The last page (no nextCursor)',
    value: { data: [DELIVERED] },
  },
} as const;

/** Its deliveries: one endpoint answered at once, another is being retried. */
const DELIVERED_DELIVERIES: EventDelivery[] = [
  {
    endpointId: 'crm-inbox',
    state: 'delivered',
    attempts: [{ at: '2026-12-02T10:00:05.080Z', status: 200, durationMs: 42 }],
  },
  {
    endpointId: 'analytics',
    state: 'pending',
    attempts: [
      { at: '2026-12-02T10:00:05.080Z', status: 503, error: 'HTTP 503', durationMs: 120 },
      { at: '2026-12-02T10:00:10.300Z', error: 'timeout', durationMs: 15_000 },
    ],
    nextAttemptAt: '2026-12-02T10:05:25.300Z',
  },
];

/** Every attempt failed: the delivery stays visible, and replayable. */
const RECEIVED_DELIVERIES: EventDelivery[] = [
  {
    endpointId: 'crm-inbox',
    state: 'failed',
    attempts: [
      { at: '2026-12-02T10:00:09.050Z', error: 'connection refused', durationMs: 3 },
      { at: '2026-12-02T10:00:14.200Z', status: 500, error: 'HTTP 500', durationMs: 61 },
      { at: '2026-12-02T10:05:14.900Z', status: 500, error: 'HTTP 500', durationMs: 58 },
    ],
  },
];

/** Answers Swagger UI shows for GET /v1/events/{eventId}. */
export const EVENT_EXAMPLES = {
  delivered: {
    summary: 'A status event: delivered to one endpoint, being retried for another',
    value: { ...DELIVERED, deliveries: DELIVERED_DELIVERIES },
  },
  received: {
    summary: 'A reply from the contact: its delivery failed after every attempt',
    value: { ...RECEIVED, deliveries: RECEIVED_DELIVERIES },
  },
  undelivered: {
    summary: 'An event no endpoint subscribes to (or a tenant with none)',
    value: {
      ...DELIVERED,
      id: 'evt_zq2xw3vu4ts5rq6po7nm2lk3ji',
      deliveries: [] as EventDelivery[],
    },
  },
} as const;
