import type { BeginResult, IdempotencyStore, StoredResponse } from './idempotency-store.interface';

interface MemoryRecord {
  fingerprint: string;
  /** Absent while the first request is in flight. */
  response?: StoredResponse;
  expiresAt: number;
}

/**
 * Idempotency records in this process's memory: bounded to `maxEntries` (the oldest record is
 * evicted first) and expired lazily. Map order is insertion order, which is what makes both O(1).
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, MemoryRecord>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.records.size;
  }

  begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const record = this.live(key);
    if (record) {
      if (record.fingerprint !== fingerprint) return Promise.resolve({ kind: 'mismatch' });
      return Promise.resolve(
        record.response ? { kind: 'replay', response: record.response } : { kind: 'in_flight' },
      );
    }
    this.insert(key, { fingerprint, expiresAt: this.now() + lockTtlMs });
    return Promise.resolve({ kind: 'started' });
  }

  complete(key: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const record = this.records.get(key);
    if (record) {
      this.records.delete(key); // re-inserted: its age now counts from completion
      this.insert(key, {
        fingerprint: record.fingerprint,
        response,
        expiresAt: this.now() + ttlMs,
      });
    }
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.records.delete(key);
    return Promise.resolve();
  }

  private live(key: string): MemoryRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt <= this.now()) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private insert(key: string, record: MemoryRecord): void {
    this.evictExpiredHead();
    while (this.records.size >= this.maxEntries) {
      const oldest = this.records.keys().next();
      if (oldest.done) break;
      this.records.delete(oldest.value);
    }
    this.records.set(key, record);
  }

  /** Drops expired records from the oldest end; stops at the first live one. */
  private evictExpiredHead(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if (record.expiresAt > now) break;
      this.records.delete(key);
    }
  }
}
