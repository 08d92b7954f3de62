import { Inject, Injectable } from '@nestjs/common';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../message-records/message-record-store.interface';
import type { BlooioEvent } from './blooio-event';
import {
  isAboutOutboundMessage,
  routeEvent,
  type RoutingDecision,
  type RoutingTenant,
} from './blooio-event.routing';

/** `routeEvent` with the holders looked up in the message record store. */
@Injectable()
export class BlooioEventRouter {
  constructor(@Inject(MESSAGE_RECORD_STORE) private readonly records: MessageRecordStore) {}

  /**
   * Whether `tenant` (the path's) owns the event now; on `recheck`, call again after `afterMs`
   * with the same `firstReceivedAtMs`. Throws StoreUnavailableError when the store does not answer
   * (the receiver then answers 503, so that Blooio retries).
   */
  async decide(
    tenant: RoutingTenant,
    keyShared: boolean,
    event: BlooioEvent,
    firstReceivedAtMs: number,
    nowMs: number = Date.now(),
  ): Promise<RoutingDecision> {
    const holders = isAboutOutboundMessage(event)
      ? await this.records.holders(tenant.blooioKeyId, event.messageId)
      : [];
    return routeEvent({ tenant, keyShared, event, holders, waitedMs: nowMs - firstReceivedAtMs });
  }
}
