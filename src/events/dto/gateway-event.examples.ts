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

/** Answers Swagger UI shows for GET /v1/events/{eventId}. */
export const EVENT_EXAMPLES = {
  delivered: {
    summary: 'A status event',
    value: { ...DELIVERED, deliveries: [] },
  },
  received: {
    summary: 'A reply from the contact',
    value: { ...RECEIVED, deliveries: [] },
  },
} as const;
