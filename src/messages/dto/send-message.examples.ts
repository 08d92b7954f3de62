/**
 * Request bodies shown in Swagger UI, in this order ("Try it out" starts from the first, the
 * simplest); each lists `recipients` first. Each is valid for the sandbox's demo tenant: an e2e
 * test and the browser test send every one of them.
 */
export const SEND_MESSAGE_EXAMPLES: Record<string, { summary: string; value: object }> = {
  text: {
    summary: 'Text to one phone number',
    value: { recipients: ['+15551234567'], text: 'Your order has shipped' },
  },
  group: {
    summary: 'Several recipients (a group chat of exactly them)',
    value: {
      recipients: ['+15551234567', 'jane@example.com'],
      text: 'Dinner at 8?',
      effect: 'confetti',
    },
  },
  textArray: {
    summary: 'Several texts, one message each (answered with messageIds)',
    value: {
      recipients: ['+15551234567'],
      text: ['Your order has shipped', 'Track it in the app'],
    },
  },
  national: {
    summary: "National-format number, read with the tenant's defaultCountry",
    value: { recipients: ['(555) 123-4567'], text: 'Hi!' },
  },
  attachments: {
    summary: 'Attachments and a chosen sender',
    value: {
      recipients: ['+15551234567'],
      sender: '+15550001111',
      text: 'Your receipt',
      attachments: [
        'https://example.com/receipt.png',
        { url: 'https://example.com/receipt.pdf', name: 'receipt.pdf' },
      ],
    },
  },
  multipart: {
    summary: 'Multipart bubble: text with a mention, then a file',
    value: {
      recipients: ['+15551234567', '+15559876543'],
      parts: [
        { text: 'Here it is', mention: '+15559876543' },
        { url: 'https://example.com/plan.pdf', name: 'plan.pdf' },
      ],
    },
  },
  linkPreview: {
    summary: 'A link with a custom preview',
    value: {
      recipients: ['+15551234567'],
      text: 'https://example.com/offer',
      linkPreview: { title: 'Spring offer', imageUrl: 'https://example.com/offer.png' },
      typingIndicator: true,
    },
  },
};
