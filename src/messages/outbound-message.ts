import { createHash } from 'node:crypto';
import type { BlooioSendMessageRequest } from '../blooio/blooio.types';
import { canonicalJson } from '../common/canonical-json';
import { ProblemException } from '../problems/problem.exception';
import type { Tenant } from '../tenants/tenant';
import { toBlooioSendMessageRequest } from './blooio-message.mapper';
import type { SendMessageDto } from './dto/send-message.dto';
import { crossFieldErrors } from './message-rules';
import { normaliseRecipients } from './recipients';

/** A validated send, normalised for one tenant and ready for Blooio. */
export interface OutboundMessage {
  chatId: string;
  sender?: string;
  body: BlooioSendMessageRequest;
}

/**
 * Applies the tenant's rules to a DTO that passed field validation: recipients (defaultCountry,
 * maxRecipients), cross-field rules, and the sender allow-list and default.
 */
export function prepareOutboundMessage(dto: SendMessageDto, tenant: Tenant): OutboundMessage {
  const recipients = normaliseRecipients(dto.recipients, {
    defaultCountry: tenant.defaultCountry,
    maxRecipients: tenant.maxRecipients,
  });
  const errors = [...(recipients.ok ? [] : recipients.errors), ...crossFieldErrors(dto)];
  if (!recipients.ok || errors.length > 0) throw ProblemException.validation(errors);

  const { senders, defaultSender } = tenant.blooio;
  if (dto.sender && senders && !senders.includes(dto.sender)) {
    throw new ProblemException('sender_not_allowed', {
      detail: `sender ${dto.sender} is not one of this tenant's senders`,
    });
  }
  const sender = dto.sender ?? defaultSender;
  return {
    chatId: recipients.chatId,
    ...(sender !== undefined && { sender }),
    body: toBlooioSendMessageRequest(dto, sender),
  };
}

/**
 * Digest of what would be sent: normalised recipients, the effective sender and the wire body,
 * key order ignored. Two spellings of one request have one fingerprint.
 */
export function fingerprintOf(message: OutboundMessage): string {
  const { chatId, sender, body } = message;
  return createHash('sha256').update(canonicalJson({ chatId, sender, body }), 'utf8').digest('hex');
}
