import type { MessageRecord, MessageStatusUpdate } from './message-record';

/**
 * The message records of every tenant. A record is addressed by (tenant, message id) and nothing
 * else: no method returns a record to a caller that did not name its tenant. Records expire
 * `MESSAGE_RETENTION_SECONDS` after they were first written.
 */
export interface MessageRecordStore {
  /**
   * Writes a new record. If this tenant already holds one for the id (an event was recorded first,
   * or a retried write), the new record's fields win except its status and timestamps, which are
   * merged forward-only with what is there. Returns the record as stored.
   */
  save(record: MessageRecord): Promise<MessageRecord>;
  /** This tenant's record of the id; undefined for unknown, expired and other tenants' ids alike. */
  find(tenantId: string, messageId: string): Promise<MessageRecord | undefined>;
  /**
   * Applies a status update atomically and forward-only (concurrent updates from several replicas
   * all count). Undefined when this tenant holds no record of the id (nothing is created).
   */
  update(
    tenantId: string,
    messageId: string,
    update: MessageStatusUpdate,
  ): Promise<MessageRecord | undefined>;
  /**
   * The tenants holding a record of this Blooio message id among those using the Blooio key
   * `blooioKeyId`: what routing needs to tell "mine", "another tenant's" and "not written yet"
   * apart. Scoped by key identity, it never tells anything about a key the caller's event did not
   * come through.
   */
  holders(blooioKeyId: string, messageId: string): Promise<string[]>;
}

/** Injection token of the MessageRecordStore in use. */
export const MESSAGE_RECORD_STORE = Symbol('MESSAGE_RECORD_STORE');
