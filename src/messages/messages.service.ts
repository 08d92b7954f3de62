import { Inject, Injectable } from '@nestjs/common';
import { BlooioClient } from '../blooio/blooio.client';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { ProblemException } from '../problems/problem.exception';
import type { Principal } from '../tenants/tenant';
import { fromBlooioSendMessageResponse } from './blooio-message.mapper';
import type { SendMessageDto } from './dto/send-message.dto';
import type { SendMessageResponseDto } from './dto/send-message-response.dto';
import { prepareOutboundMessage } from './outbound-message';
import { upstreamIdempotencyKey } from './upstream-idempotency-key';

export interface SendContext {
  principal: Principal;
  /** The caller's Idempotency-Key, already validated. */
  idempotencyKey?: string;
  requestId: string;
}

export interface SendOutcome {
  /** 202 for a new message, 200 when it repeats an earlier send with the same key. */
  status: 200 | 202;
  body: SendMessageResponseDto;
}

@Injectable()
export class MessagesService {
  constructor(
    private readonly blooio: BlooioClient,
    @Inject(blooioConfig.KEY) private readonly config: BlooioConfig,
  ) {}

  async send(dto: SendMessageDto, context: SendContext): Promise<SendOutcome> {
    const { tenant } = context.principal;
    const message = prepareOutboundMessage(dto, tenant);

    const result = await this.blooio.sendMessage({
      apiKey: tenant.blooio.apiKey,
      chatId: message.chatId,
      body: message.body,
      idempotencyKey: upstreamIdempotencyKey(tenant.id, context.idempotencyKey),
      fromNumber: message.sender,
      requestId: context.requestId,
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });

    if (result.body.status === 'failed') {
      throw new ProblemException('message_failed', {
        detail: 'Blooio accepted the request but could not send the message',
        extensions: {
          ...(typeof result.body.message_id === 'string' && { messageId: result.body.message_id }),
          ...(Array.isArray(result.body.message_ids) && { messageIds: result.body.message_ids }),
        },
      });
    }
    return {
      status: result.status === 200 ? 200 : 202,
      body: fromBlooioSendMessageResponse(result.body, {
        chatId: message.chatId,
        sender: message.sender,
        idempotencyKey: context.idempotencyKey,
      }),
    };
  }
}
