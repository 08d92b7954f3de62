import { randomUUID } from 'node:crypto';
import type {
  BeginResult,
  IdempotencyLock,
  IdempotencyStore,
  StoredResponse,
} from './idempotency-store.interface';

interface MemoryRecord {
  fingerprint: string;
  /** Who holds the key while the first request is in flight. */
  token: string;
  /** Absent while the first request is in flight. */
  response?: StoredResponse;
  expiresAt: number;
}

/**
 * Idempotency records in this process's memory, expired lazily and bounded to `maxEntries` by
 * evicting the oldest *finished* record (a lock in flight is never evicted: that would let a
 * second request with its key through). Map order is insertion order, so eviction is cheap.
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
    const lock = { key, fingerprint, token: randomUUID() };
    this.insert(key, { fingerprint, token: lock.token, expiresAt: this.now() + lockTtlMs });
    return Promise.resolve({ kind: 'started', lock });
  }

  complete(lock: IdempotencyLock, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const record = this.live(lock.key);
    if (record && record.token !== lock.token) return Promise.resolve(false);
    // Re-inserted (or inserted again, if its lock expired meanwhile): its age counts from now.
    this.records.delete(lock.key);
    const { fingerprint, token } = lock;
    this.insert(lock.key, { fingerprint, token, response, expiresAt: this.now() + ttlMs });
    return Promise.resolve(true);
  }

  release(lock: IdempotencyLock): Promise<void> {
    const record = this.records.get(lock.key);
    if (record?.token === lock.token && !record.response) this.records.delete(lock.key);
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
    if (this.records.size >= this.maxEntries) this.evictOldestFinished();
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

  /** In-flight locks are few (one per running send), so this scan stops early. */
  private evictOldestFinished(): void {
    for (const [key, record] of this.records) {
      if (record.response) {
        this.records.delete(key);
        return;
      }
    }
  }
}
