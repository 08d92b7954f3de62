import { Inject, Injectable, Logger } from '@nestjs/common';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import type { MessageRecord } from '../message-records/message-record';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../message-records/message-record-store.interface';

/**
 * Writes the records of what Blooio accepted. A message that left is answered 202 whatever
 * happens here (§10): a failed write is logged and counted, never thrown.
 */
@Injectable()
export class MessageRecorder {
  private readonly logger = new Logger(MessageRecorder.name);

  constructor(
    @Inject(MESSAGE_RECORD_STORE) private readonly store: MessageRecordStore,
    private readonly metrics: GatewayMetrics,
  ) {}

  async recordSent(records: readonly MessageRecord[]): Promise<void> {
    await Promise.all(records.map((record) => this.save(record)));
  }

  private async save(record: MessageRecord): Promise<void> {
    try {
      await this.store.save(record);
    } catch (error) {
      this.metrics.messageRecordsFailed.inc({ tenant: record.tenantId });
      this.logger.warn(
        {
          tenant: record.tenantId,
          messageId: record.messageId,
          error: error instanceof Error ? error.message : String(error),
        },
        'message record not written; the send was still accepted',
      );
    }
  }
}
