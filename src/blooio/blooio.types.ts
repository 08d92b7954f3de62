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
