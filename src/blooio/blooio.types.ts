/** Blooio v2 wire format (snake_case), as its published OpenAPI document describes it. */

export const BLOOIO_EFFECTS = [
  'slam',
  'loud',
  'gentle',
  'invisible-ink',
  'echo',
  'spotlight',
  'balloons',
  'confetti',
  'love',
  'lasers',
  'fireworks',
  'celebration',
  'none',
] as const;
export type BlooioEffect = (typeof BLOOIO_EFFECTS)[number];

export interface BlooioLinkPreview {
  image_url?: string;
  title?: string;
}

export interface BlooioMessagePart {
  text?: string;
  mention?: string;
  url?: string;
  name?: string;
  link_preview?: BlooioLinkPreview;
}

export type BlooioAttachment = string | { url: string; name?: string };

export interface BlooioReplyTo {
  message_id?: string;
  guid?: string;
  part_index?: number;
}

export interface BlooioSendMessageRequest {
  text?: string | string[];
  attachments?: BlooioAttachment[];
  parts?: BlooioMessagePart[];
  from_number?: string;
  use_typing_indicator?: boolean;
  share_contact?: boolean;
  effect?: BlooioEffect;
  reply_to?: BlooioReplyTo;
  link_preview?: BlooioLinkPreview;
}

export interface BlooioSendMessageResponse {
  message_id?: string;
  message_ids?: string[];
  count?: number;
  status?: 'queued' | 'failed';
  group_id?: string;
  group_created?: boolean;
  participants?: string[];
  parent_unresolved?: boolean;
}

export interface BlooioErrorBody {
  error?: string;
  message?: string;
  status?: number;
  code?: string;
}

/** `GET /chats/{chatId}/messages/{messageId}/status` (the spec's MessageStatus). */
export interface BlooioMessageStatus {
  message_id?: string;
  chat_id?: string;
  direction?: 'inbound' | 'outbound';
  /** No `read`: Blooio reports reads as a webhook event only. */
  status?:
    | 'pending'
    | 'queued'
    | 'sent'
    | 'delivered'
    | 'failed'
    | 'cancellation_requested'
    | 'cancelled'
    | null;
  protocol?: 'pending' | 'unknown' | 'imessage' | 'sms' | 'rcs';
  /** Unix milliseconds. */
  time_sent?: number;
  time_delivered?: number | null;
  error?: string | null;
}

export type BlooioWebhookType = 'message' | 'status' | 'all';

export interface BlooioCreateWebhookRequest {
  webhook_url: string;
  webhook_type?: BlooioWebhookType;
  /** Unix milliseconds, -1 for never. */
  valid_until?: number;
}

/** `POST /webhooks`: 201 with the one-time `signing_secret`, 200 (no secret) for a known URL. */
export interface BlooioCreateWebhookResponse {
  webhook_id?: string;
  webhook_url?: string;
  webhook_type?: BlooioWebhookType;
  scope?: 'api_key' | 'organization';
  created_at?: number;
  signing_secret?: string;
  /** The 200 answer's explanation ("already exists"). */
  message?: string;
}
