import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import { BLOOIO_EFFECTS, type BlooioEffect } from '../../blooio/blooio.types';
import { MAX_RECIPIENTS_LIMIT } from '../../tenants/tenant';
import { E164 } from '../../common/address-patterns';
import {
  IsAttachmentList,
  IsMessageMetadata,
  IsMessageText,
  MAX_ATTACHMENT_NAME_LENGTH,
  MAX_ATTACHMENTS,
  MAX_METADATA_KEYS,
  MAX_METADATA_VALUE_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_TEXTS,
} from '../validation/message-fields.validators';
import { LinkPreviewDto } from './link-preview.dto';
import { MessagePartDto } from './message-part.dto';
import { ReplyToDto } from './reply-to.dto';

export const MAX_PARTS = 20;

export type AttachmentInput = string | { url: string; name?: string };

/**
 * A message to send. At least one of `text`, `attachments` or `parts` is required.
 *
 * class-validator runs a property's rules from the bottom decorator up, and the ValidationPipe
 * stops at the first broken one: in every DTO the type check is written last, so that a value of
 * the wrong type (or a missing one) is told its type, not a length it cannot have.
 */
export class SendMessageDto {
  /**
   * Who receives it: E.164 numbers, emails, or one Blooio group id alone. National numbers are read
   * with the tenant's defaultCountry; emails are lower-cased; duplicates are dropped. Several
   * recipients make (or reuse) a group chat of exactly those people.
   */
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_RECIPIENTS_LIMIT,
    example: ['+15551234567'],
  })
  @ArrayMaxSize(MAX_RECIPIENTS_LIMIT, {
    // Checked before the tenant is consulted: the cap of every tenant, not this tenant's limit.
    message: `must contain at most ${MAX_RECIPIENTS_LIMIT} recipients, the gateway's cap (the tenant's own limit may be lower)`,
  })
  @ArrayMinSize(1, { message: 'must contain at least one recipient' })
  @IsArray({ message: 'must be an array of recipients' })
  recipients!: unknown[];

  /**
   * E.164 number to send from; must be one of the tenant's senders when it has a list.
   * Defaults to the tenant's defaultSender, else Blooio chooses.
   */
  @ApiPropertyOptional({ example: '+15550001111', pattern: E164.source })
  @IsOptional()
  @Matches(E164, { message: 'must be an E.164 number such as +15550001111' })
  @IsString({ message: 'must be a string' })
  sender?: string;

  /** Message text; an array sends one message per string. */
  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', minLength: 1, maxLength: MAX_TEXT_LENGTH },
      {
        type: 'array',
        minItems: 1,
        maxItems: MAX_TEXTS,
        items: { type: 'string', minLength: 1, maxLength: MAX_TEXT_LENGTH },
      },
    ],
    example: 'Your order has shipped',
  })
  @IsOptional()
  @IsMessageText()
  text?: string | string[];

  /** Files to attach: https URLs, or `{ url, name }` objects. */
  @ApiPropertyOptional({
    type: 'array',
    minItems: 1,
    maxItems: MAX_ATTACHMENTS,
    items: {
      oneOf: [
        { type: 'string', format: 'uri', pattern: '^https://' },
        {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', format: 'uri', pattern: '^https://' },
            name: { type: 'string', minLength: 1, maxLength: MAX_ATTACHMENT_NAME_LENGTH },
          },
        },
      ],
    },
    example: ['https://example.com/receipt.png'],
  })
  @IsOptional()
  @IsAttachmentList()
  attachments?: AttachmentInput[];

  /** Multipart message: text and attachment parts in one bubble, in order. Not with `effect`. */
  @ApiPropertyOptional({
    type: [MessagePartDto],
    minItems: 1,
    maxItems: MAX_PARTS,
    example: [
      { text: 'Here is the plan' },
      { url: 'https://example.com/plan.pdf', name: 'plan.pdf' },
    ],
  })
  @IsOptional()
  @IsObject({ each: true, message: 'must contain only part objects' })
  @ArrayMaxSize(MAX_PARTS, { message: `must contain at most ${MAX_PARTS} parts` })
  @ArrayMinSize(1, { message: 'must contain at least one part' })
  @IsArray({ message: 'must be an array of parts' })
  @ValidateNested({ each: true })
  @Type(() => MessagePartDto)
  parts?: MessagePartDto[];

  /** iMessage send effect (bubble or screen); `none` sends without one. */
  @ApiPropertyOptional({ enum: BLOOIO_EFFECTS, example: 'confetti' })
  @IsOptional()
  @IsIn(BLOOIO_EFFECTS, { message: `must be one of ${BLOOIO_EFFECTS.join(', ')}` })
  effect?: BlooioEffect;

  /** Send as an inline reply to an earlier message: `{ messageId }` or `{ guid, partIndex? }`. */
  @ApiPropertyOptional({ type: ReplyToDto, example: { messageId: 'msg_abc123def456' } })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => ReplyToDto)
  replyTo?: ReplyToDto;

  /**
   * Show the typing indicator before sending (Blooio's default is the organisation's setting).
   * @example true
   */
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  typingIndicator?: boolean;

  /** Rich-link preview override, when the text is a single URL. */
  @ApiPropertyOptional({
    type: LinkPreviewDto,
    example: { title: 'Spring offer', imageUrl: 'https://example.com/offer.png' },
  })
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => LinkPreviewDto)
  linkPreview?: LinkPreviewDto;

  /**
   * Share the sender's contact card (name and photo) with this message; needs a dedicated plan.
   * @example false
   */
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  shareContact?: boolean;

  /**
   * Your own labels for this message (an order id, a campaign): up to 20 keys of 1 to 40
   * `A-Z a-z 0-9 _ . -`, string values. Never sent to Blooio; kept with
   * the message record and returned by `GET /v1/messages/{messageId}` and in its events. Part of
   * the Idempotency-Key's request: the same key with other metadata is refused.
   */
  @ApiPropertyOptional({
    type: 'object',
    maxProperties: MAX_METADATA_KEYS,
    additionalProperties: { type: 'string', maxLength: MAX_METADATA_VALUE_LENGTH },
    example: { orderId: 'A-17' },
  })
  @IsOptional()
  @IsMessageMetadata()
  metadata?: Record<string, string>;
}
