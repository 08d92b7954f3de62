import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What Blooio accepted. Fields Blooio did not send are left out. */
export class SendMessageResponseDto {
  /**
   * Id of the message (single-message sends).
   * @example msg_9f8e7d6c5b4a3f2e
   */
  messageId?: string;

  /**
   * Ids of the messages, when one call sent several (text array, URL-balloon batch).
   * @example ["msg_9f8e7d6c5b4a3f2e", "msg_1a2b3c4d5e6f7a8b"]
   */
  messageIds?: string[];

  /**
   * Number of messages sent, when Blooio reports it.
   * @example 2
   */
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  count?: number;

  /** Initial status; later transitions arrive through Blooio's status endpoint and webhooks. */
  @ApiProperty({ enum: ['queued'], required: false, example: 'queued' })
  status?: 'queued';

  /**
   * The chat the message went to (recipients after normalisation, joined with `,`).
   * @example +15551234567
   */
  chatId!: string;

  /**
   * Group chat id, for several recipients or a group recipient.
   * @example grp_abc123def456
   */
  groupId?: string;

  /**
   * True when this send created a new group chat.
   * @example true
   */
  groupCreated?: boolean;

  /**
   * Participants of the group chat.
   * @example ["+15551234567", "+15559876543"]
   */
  participants?: string[];

  /**
   * True when `replyTo.guid` did not match a message Blooio knows; the reply was still sent.
   * @example false
   */
  parentUnresolved?: boolean;

  /**
   * The number the message was sent from, when the gateway chose or checked it.
   * @example +15550001111
   */
  sender?: string;

  /**
   * The caller's Idempotency-Key, when it sent one. (Without one, the gateway still sends Blooio
   * a fresh key for this request's attempts, but that key cannot be reused by the caller.)
   * @example order-1234-shipped
   */
  idempotencyKey?: string;
}
