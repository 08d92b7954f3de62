import type { MessageRecord, MessageStatusUpdate } from './message-record';
import type { MessageRecordStore } from './message-record-store.interface';
import { mergeRecord, mergeStatus } from './message-status.merge';
import { evictForOne } from '../common/evict-for-one';
import { frozenCopy } from '../common/frozen-copy';

interface Entry {
  record: MessageRecord;
  expiresAt: number;
}

const SEPARATOR = '\u0000';

/**
 * Message records in this process's memory: at most `maxEntries`, the least recently written
 * evicted first, each dropped `ttlMs` after its first write. Map order is insertion order, and a
 * write re-inserts, so both bounds are checked from the oldest end. Records are kept frozen and
 * handed out as they are (`frozenCopy`).
 */
export class MemoryMessageRecordStore implements MessageRecordStore {
  private readonly entries = new Map<string, Entry>();
  /** (key identity, message id) → tenants holding a record of it. */
  private readonly byBlooioId = new Map<string, Set<string>>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  save(record: MessageRecord): Promise<MessageRecord> {
    const key = recordKey(record.tenantId, record.messageId);
    const existing = this.live(key);
    const stored = frozenCopy(existing ? mergeRecord(existing.record, record) : record);
    this.put(key, stored, existing?.expiresAt ?? this.now() + this.ttlMs);
    return Promise.resolve(stored);
  }

  find(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
    const entry = this.live(recordKey(tenantId, messageId));
    return Promise.resolve(entry?.record);
  }

  update(
    tenantId: string,
    messageId: string,
    update: MessageStatusUpdate,
  ): Promise<MessageRecord | undefined> {
    const key = recordKey(tenantId, messageId);
    const entry = this.live(key);
    if (!entry) return Promise.resolve(undefined);
    const merged = mergeStatus(entry.record, update);
    if (merged === entry.record) return Promise.resolve(entry.record);
    const stored = frozenCopy(merged);
    this.put(key, stored, entry.expiresAt);
    return Promise.resolve(stored);
  }

  holders(blooioKeyId: string, messageId: string): Promise<string[]> {
    const tenants = this.byBlooioId.get(blooioKey(blooioKeyId, messageId)) ?? [];
    return Promise.resolve(
      [...tenants].filter((tenantId) => this.live(recordKey(tenantId, messageId))).sort(),
    );
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  private put(key: string, record: MessageRecord, expiresAt: number): void {
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.evict();
    this.entries.set(key, { record, expiresAt });
    const index = blooioKey(record.blooioKeyId, record.messageId);
    const tenants = this.byBlooioId.get(index) ?? new Set<string>();
    tenants.add(record.tenantId);
    this.byBlooioId.set(index, tenants);
  }

  private evict(): void {
    evictForOne(this.entries, this.maxEntries, this.now(), (key, entry) => this.remove(key, entry));
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    const index = blooioKey(entry.record.blooioKeyId, entry.record.messageId);
    const tenants = this.byBlooioId.get(index);
    tenants?.delete(entry.record.tenantId);
    if (tenants?.size === 0) this.byBlooioId.delete(index);
  }
}

const recordKey = (tenantId: string, messageId: string) => tenantId + SEPARATOR + messageId;
const blooioKey = (keyId: string, messageId: string) => keyId + SEPARATOR + messageId;
