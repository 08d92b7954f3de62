import { Inject, Injectable, Logger } from '@nestjs/common';
import { BlooioError } from '../blooio/blooio.errors';
import { BlooioSender } from '../blooio/blooio.sender';
import type { UpstreamTrace } from '../blooio/upstream-trace';
import type { MessageRecord } from '../message-records/message-record';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../message-records/message-record-store.interface';
import { isFinal, mergeStatus } from '../message-records/message-status.merge';
import { ProblemException } from '../problems/problem.exception';
import type { Tenant } from '../tenants/tenant';
import { statusUpdateOf } from './blooio-status.mapper';
import type { MessageStatusResponseDto } from './dto/message-status-response.dto';

export interface StatusContext {
  tenant: Tenant;
  requestId: string;
  trace?: UpstreamTrace;
}

/**
 * A message's status for its tenant (§10): the record, refreshed from Blooio while it may still
 * change, merged forward-only and saved.
 */
@Injectable()
export class MessageStatusService {
  private readonly logger = new Logger(MessageStatusService.name);

  constructor(
    @Inject(MESSAGE_RECORD_STORE) private readonly store: MessageRecordStore,
    private readonly sender: BlooioSender,
  ) {}

  async status(messageId: string, context: StatusContext): Promise<MessageStatusResponseDto> {
    const { tenant } = context;
    const record = await this.store.find(tenant.id, messageId);
    // Unknown, expired or another tenant's: one answer, so no tenant learns of another's ids.
    if (!record) {
      throw new ProblemException('message_not_found', {
        detail: 'No message with this id for this tenant',
      });
    }
    if (record.direction === 'inbound' || isFinal(record.status)) return statusView(record);

    let answer;
    try {
      answer = await this.sender.status({
        tenantId: tenant.id,
        apiKey: tenant.blooio.apiKey,
        chatId: record.chatId,
        messageId,
        requestId: context.requestId,
        trace: context.trace,
      });
    } catch (error) {
      if (!(error instanceof BlooioError)) throw error;
      // Blooio down, slow, refusing or its circuit open: what the gateway knows, said to be old.
      return { ...statusView(record), stale: true };
    }
    const update = statusUpdateOf(answer.body, new Date().toISOString(), tenant.blooio.apiKey);
    const merged = mergeStatus(record, update);
    if (merged === record) return statusView(record);
    try {
      // The store merges atomically: an event recorded meanwhile is kept, never overwritten.
      return statusView((await this.store.update(tenant.id, messageId, update)) ?? merged);
    } catch (error) {
      this.logger.warn(
        {
          tenant: tenant.id,
          messageId,
          error: error instanceof Error ? error.message : String(error),
        },
        'refreshed status not saved; answered all the same',
      );
      return statusView(merged);
    }
  }
}

/**
 * What a tenant sees of its record: never the key identity the routing uses. Unknown fields stay
 * undefined, which the JSON answer leaves out.
 */
export function statusView(record: MessageRecord): MessageStatusResponseDto {
  return {
    messageId: record.messageId,
    direction: record.direction,
    status: record.status,
    protocol: record.protocol,
    chatId: record.chatId,
    recipients: record.recipients,
    groupId: record.groupId,
    sender: record.sender,
    metadata: record.metadata,
    idempotencyKey: record.idempotencyKey,
    createdAt: record.createdAt,
    sentAt: record.sentAt,
    deliveredAt: record.deliveredAt,
    readAt: record.readAt,
    failedAt: record.failedAt,
    error: record.error,
    updatedAt: record.updatedAt,
  };
}
