import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MESSAGE_STATUSES, type MessageStatus } from '../../message-records/message-record';

export class MessageErrorDto {
  /**
   * Blooio's error code, when it gave one.
   * @example undeliverable
   */
  code?: string;

  /**
   * What went wrong, as Blooio said it.
   * @example The recipient cannot receive messages
   */
  message?: string;
}

/**
 * Where one of the tenant's messages is (§10). Times are ISO 8601 UTC; fields not known are left
 * out.
 */
export class MessageStatusResponseDto {
  /** @example msg_9f8e7d6c5b4a3f2e */
  messageId!: string;

  /** `outbound` for a message sent through the gateway, `inbound` for one a contact sent. */
  @ApiProperty({ enum: ['outbound', 'inbound'], example: 'outbound' })
  direction!: 'outbound' | 'inbound';

  /**
   * `queued`/`pending` < `sent` < `delivered` < `read`; `failed` and `cancelled` are final, and
   * an inbound message is `received`. Only ever moves forward.
   */
  @ApiProperty({ enum: MESSAGE_STATUSES, example: 'delivered' })
  status!: MessageStatus;

  /**
   * How it travels once Blooio knows: `imessage`, `sms`, `rcs` (`pending` until resolved).
   * @example imessage
   */
  protocol?: string;

  /**
   * The chat: the recipients after normalisation, joined with `,`, or a group id.
   * @example +15551234567
   */
  chatId!: string;

  /**
   * Who it went to (for an inbound message, the tenant's number that received it).
   * @example ["+15551234567"]
   */
  recipients!: string[];

  /** @example grp_abc123def456 */
  groupId?: string;

  /**
   * The number it was sent from (for an inbound message, the contact who wrote).
   * @example +15550001111
   */
  sender?: string;

  /** Your labels, as sent with the message. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { orderId: 'A-17' },
  })
  metadata?: Record<string, string>;

  /**
   * The Idempotency-Key the message was sent with.
   * @example order-1234-shipped
   */
  idempotencyKey?: string;

  /** @example 2026-12-02T10:00:00.000Z */
  createdAt!: string;

  /** @example 2026-12-02T10:00:01.500Z */
  sentAt?: string;

  /** @example 2026-12-02T10:00:04.000Z */
  deliveredAt?: string;

  /** @example 2026-12-02T10:00:06.000Z */
  readAt?: string;

  /** @example 2026-12-02T10:00:02.000Z */
  failedAt?: string;

  /** Why it failed (with `failed` only). */
  error?: MessageErrorDto;

  /**
   * When the gateway last learned something new about it.
   * @example 2026-12-02T10:00:04.100Z
   */
  updatedAt!: string;

  /**
   * `true`: the status could not be refreshed from Blooio just now (it was down, slow, or its
   * circuit open); this is what the gateway last knew. Absent otherwise.
   * @example true
   */
  @ApiPropertyOptional({ enum: [true] })
  stale?: true;
}
