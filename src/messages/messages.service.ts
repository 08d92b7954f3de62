import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BlooioSender } from '../blooio/blooio.sender';
import type { UpstreamTrace } from '../blooio/upstream-trace';
import type { StoredResponse } from '../idempotency/idempotency-store.interface';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { upstreamIdempotencyKey } from '../idempotency/upstream-idempotency-key';
import { ProblemException } from '../problems/problem.exception';
import type { Principal } from '../tenants/tenant';
import { fromBlooioSendMessageResponse } from './blooio-message.mapper';
import type { SendMessageDto } from './dto/send-message.dto';
import { MessageRecorder } from './message-recorder';
import { fingerprintOf, prepareOutboundMessage, type OutboundMessage } from './outbound-message';
import { sentMessageRecords } from './sent-message.records';

export interface SendContext {
  principal: Principal;
  /** The caller's Idempotency-Key, already validated. */
  idempotencyKey?: string;
  requestId: string;
  /** Filled in with the attempts made and Blooio's status, for the request log. */
  trace?: UpstreamTrace;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

@Injectable()
export class MessagesService {
  constructor(
    private readonly sender: BlooioSender,
    private readonly idempotency: IdempotencyService,
    private readonly recorder: MessageRecorder,
  ) {}

  /**
   * Validates for the tenant (never recorded), then sends once per Idempotency-Key: a repeated key
   * answers the recorded answer without calling Blooio.
   */
  async send(dto: SendMessageDto, context: SendContext): Promise<StoredResponse> {
    const { tenant } = context.principal;
    const message = prepareOutboundMessage(dto, tenant);
    const { idempotencyKey, requestId } = context;
    // Without a caller key nothing is recorded: a fresh upstream key covers this request's attempts.
    if (idempotencyKey === undefined) return this.deliver(message, context, randomUUID());
    const fingerprint = fingerprintOf(message);
    return this.idempotency.run(
      { tenantId: tenant.id, key: idempotencyKey, fingerprint, requestId },
      () =>
        this.deliver(
          message,
          context,
          upstreamIdempotencyKey(tenant.id, idempotencyKey, fingerprint),
        ),
    );
  }

  private async deliver(
    message: OutboundMessage,
    context: SendContext,
    upstreamKey: string,
  ): Promise<StoredResponse> {
    const { tenant } = context.principal;
    const result = await this.sender.send({
      tenantId: tenant.id,
      apiKey: tenant.blooio.apiKey,
      chatId: message.chatId,
      body: message.body,
      idempotencyKey: upstreamKey,
      fromNumber: message.sender,
      requestId: context.requestId,
      trace: context.trace,
    });

    // Recorded before answering, so that a status read right after the 202 finds it; a replay
    // never gets here, so it never writes again.
    await this.recorder.recordSent(
      sentMessageRecords({
        tenantId: tenant.id,
        blooioKeyId: tenant.blooio.keyId,
        message,
        response: result.body,
        idempotencyKey: context.idempotencyKey,
        at: new Date().toISOString(),
      }),
    );

    if (result.body.status === 'failed') {
      throw new ProblemException('message_failed', {
        detail: 'Blooio accepted the request but could not send the message',
        extensions: {
          ...(typeof result.body.message_id === 'string' && { messageId: result.body.message_id }),
          ...(Array.isArray(result.body.message_ids) && { messageIds: result.body.message_ids }),
        },
      });
    }
    const body = fromBlooioSendMessageResponse(result.body, {
      chatId: message.chatId,
      sender: message.sender,
      idempotencyKey: context.idempotencyKey,
    });
    // Blooio's 200 means "already sent for this key" only if this call did not send it itself on
    // an earlier attempt (a retry after a cut-off attempt gets Blooio's replay of our own send).
    const replayedByBlooio = result.status === 200 && result.attempts === 1;
    return {
      status: replayedByBlooio ? 200 : 202,
      // The Idempotency-Key header is repeated on every answer by idempotency-key-echo.hook.ts.
      headers: { 'content-type': JSON_CONTENT_TYPE },
      body: JSON.stringify(body),
    };
  }
}
