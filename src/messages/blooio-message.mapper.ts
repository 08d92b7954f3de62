import type {
  BlooioLinkPreview,
  BlooioSendMessageRequest,
  BlooioSendMessageResponse,
} from '../blooio/blooio.types';
import type { LinkPreviewDto } from './dto/link-preview.dto';
import type { SendMessageDto } from './dto/send-message.dto';
import type { SendMessageResponseDto } from './dto/send-message-response.dto';

/**
 * Drops undefined and null members, so that absent fields stay absent on the wire. A loop, not
 * entries/filter/fromEntries: it runs twice per send and allocates nothing but the result.
 */
function compact<T extends object>(value: T): T {
  const kept: Record<string, unknown> = {};
  for (const key in value) {
    // Own members only: never something a dependency added to Object.prototype.
    if (!Object.hasOwn(value, key)) continue;
    const member = value[key];
    if (member !== undefined && member !== null) kept[key] = member;
  }
  return kept as T;
}

function linkPreview(dto: LinkPreviewDto | undefined | null): BlooioLinkPreview | undefined {
  return dto ? compact({ image_url: dto.imageUrl, title: dto.title }) : undefined;
}

/** The gateway's camelCase body as Blooio's SendMessageRequest (recipients go in the path). */
export function toBlooioSendMessageRequest(
  dto: SendMessageDto,
  sender: string | undefined,
): BlooioSendMessageRequest {
  return compact<BlooioSendMessageRequest>({
    text: dto.text,
    attachments: dto.attachments?.map((item) =>
      typeof item === 'string' ? item : compact({ url: item.url, name: item.name }),
    ),
    parts: dto.parts?.map((part) =>
      compact({
        text: part.text,
        mention: part.mention,
        url: part.url,
        name: part.name,
        link_preview: linkPreview(part.linkPreview),
      }),
    ),
    from_number: sender,
    use_typing_indicator: dto.typingIndicator,
    share_contact: dto.shareContact,
    effect: dto.effect,
    reply_to: dto.replyTo
      ? compact({
          message_id: dto.replyTo.messageId,
          guid: dto.replyTo.guid,
          part_index: dto.replyTo.partIndex,
        })
      : undefined,
    link_preview: linkPreview(dto.linkPreview),
  });
}

const stringOr = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
const booleanOr = (value: unknown): boolean | undefined =>
  typeof value === 'boolean' ? value : undefined;
const stringsOr = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;

/** Blooio's answer in the gateway's shape; members Blooio did not send (or sent malformed) are left out. */
export function fromBlooioSendMessageResponse(
  body: BlooioSendMessageResponse,
  context: { chatId: string; sender?: string; idempotencyKey?: string },
): SendMessageResponseDto {
  return compact<SendMessageResponseDto>({
    messageId: stringOr(body.message_id),
    messageIds: stringsOr(body.message_ids),
    count: Number.isInteger(body.count) ? body.count : undefined,
    status: body.status === 'queued' ? 'queued' : undefined,
    chatId: context.chatId,
    groupId: stringOr(body.group_id),
    groupCreated: booleanOr(body.group_created),
    participants: stringsOr(body.participants),
    parentUnresolved: booleanOr(body.parent_unresolved),
    sender: context.sender,
    idempotencyKey: context.idempotencyKey,
  });
}
