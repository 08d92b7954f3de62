import { createHash } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js';
import type { BlooioSendMessageRequest } from '../blooio/blooio.types';
import { canonicalJson } from '../common/canonical-json';
import type { FieldError } from '../problems/problem-details';
import { ProblemException } from '../problems/problem.exception';
import type { Tenant } from '../tenants/tenant';
import { toBlooioSendMessageRequest } from './blooio-message.mapper';
import type { MessagePartDto } from './dto/message-part.dto';
import type { SendMessageDto } from './dto/send-message.dto';
import { crossFieldErrors } from './message-rules';
import { normaliseParticipant, normaliseRecipients } from './recipients';

/** A validated send, normalised for one tenant and ready for Blooio. */
export interface OutboundMessage {
  chatId: string;
  /** The normalised recipients, in order (a group id alone when sent to a group). */
  recipients: string[];
  sender?: string;
  /** The caller's labels: kept with the record, never sent to Blooio. Absent when empty. */
  metadata?: Record<string, string>;
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
  const mentions = normaliseMentions(dto.parts, tenant.defaultCountry);
  const errors = [
    ...(recipients.ok ? [] : recipients.errors),
    ...mentions.errors,
    ...crossFieldErrors(dto),
  ];
  if (!recipients.ok || errors.length > 0) throw ProblemException.validation(errors);

  const { senders, defaultSender } = tenant.blooio;
  if (dto.sender && senders && !senders.includes(dto.sender)) {
    throw new ProblemException('sender_not_allowed', {
      detail: `sender ${dto.sender} is not one of this tenant's senders`,
    });
  }
  const sender = dto.sender ?? defaultSender;
  const metadata = dto.metadata && Object.keys(dto.metadata).length > 0 ? dto.metadata : undefined;
  return {
    chatId: recipients.chatId,
    recipients: recipients.recipients.map((recipient) => recipient.value),
    ...(sender !== undefined && { sender }),
    ...(metadata && { metadata: { ...metadata } }),
    body: toBlooioSendMessageRequest(
      mentions.parts ? { ...dto, parts: mentions.parts } : dto,
      sender,
    ),
  };
}

/**
 * A mention names a participant as Blooio knows them: written like a recipient, it is normalised
 * like one (E.164, lower-case email), so that "(555) 123-4567" mentions the +15551234567 the chat
 * was sent to, and two spellings of one request keep one fingerprint.
 */
function normaliseMentions(
  parts: readonly MessagePartDto[] | undefined,
  defaultCountry: CountryCode | undefined,
): { parts?: MessagePartDto[]; errors: FieldError[] } {
  if (!parts?.some((part) => typeof part.mention === 'string')) return { errors: [] };
  const errors: FieldError[] = [];
  const normalised = parts.map((part, index) => {
    if (typeof part.mention !== 'string') return part;
    const participant = normaliseParticipant(part.mention, defaultCountry);
    if ('error' in participant) {
      errors.push({ path: `parts.${index}.mention`, message: participant.error });
      return part;
    }
    return { ...part, mention: participant.value };
  });
  return { parts: normalised, errors };
}

/**
 * Digest of what would be sent: normalised recipients, the effective sender, the wire body and
 * the metadata (kept with the record, so part of the request), key order ignored. Two spellings
 * of one request have one fingerprint. Several recipients count as a set, in any order: Blooio
 * sends to the one group of exactly those people.
 */
export function fingerprintOf(message: OutboundMessage): string {
  const { chatId, sender, body, metadata } = message;
  // Sorted, still joined: a list already in order keeps the fingerprint earlier versions recorded.
  const recipients = chatId.includes(',') ? chatId.split(',').sort().join(',') : chatId;
  // Metadata only when there is some: a send without it keeps the fingerprint it always had.
  const request = { chatId: recipients, sender, body, ...(metadata && { metadata }) };
  return createHash('sha256').update(canonicalJson(request), 'utf8').digest('hex');
}
