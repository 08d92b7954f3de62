/** The answer a send gave, kept so that a replay can give it again byte for byte. */
export interface StoredResponse {
  status: number;
  /** Headers that belong to the answer (content type, Retry-After); never X-Request-Id, nor
   * Idempotency-Key (every answer repeats the request's: idempotency-key-echo.hook.ts). */
  headers: Record<string, string>;
  body: string;
  /** The problem code, when the answer was an error (for logs). */
  code?: string;
}

/** Proof that one caller holds a key: complete() and release() act only for the current holder. */
export interface IdempotencyLock {
  key: string;
  fingerprint: string;
  token: string;
}

export type BeginResult =
  | { kind: 'started'; lock: IdempotencyLock }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; response: StoredResponse };

/**
 * Idempotency records, one per (tenant, Idempotency-Key). Implementations must make `begin`
 * atomic: of several concurrent begins for one key, exactly one gets `started`. A lock whose time
 * ran out may be taken by another caller; the first caller's token then no longer counts.
 */
export interface IdempotencyStore {
  /** Claims the key for a request with this fingerprint, or says why not. */
  begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult>;
  /**
   * Records the final answer of a held key, kept for `ttlMs`. False when the lock had expired and
   * another request holds the key by now (the answer is then not recorded).
   */
  complete(lock: IdempotencyLock, response: StoredResponse, ttlMs: number): Promise<boolean>;
  /**
   * Forgets a held key that has no answer recorded, so that its request may be retried (upstream
   * 5xx, timeouts). A finished record is never removed by a release.
   */
  release(lock: IdempotencyLock): Promise<void>;
}

/** Injection token of the IdempotencyStore in use. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
