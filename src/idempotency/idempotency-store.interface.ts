/** The answer a send gave, kept so that a replay can give it again byte for byte. */
export interface StoredResponse {
  status: number;
  /** Headers that belong to the answer (content type, Idempotency-Key); never X-Request-Id. */
  headers: Record<string, string>;
  body: string;
  /** The problem code, when the answer was an error (for logs). */
  code?: string;
}

export type BeginResult =
  | { kind: 'started' }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; response: StoredResponse };

/**
 * Idempotency records, one per (tenant, Idempotency-Key). Implementations must make `begin`
 * atomic: of several concurrent begins for one key, exactly one gets `started`.
 */
export interface IdempotencyStore {
  /** Claims the key for a request with this fingerprint, or says why not. */
  begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult>;
  /** Records the final answer of the claimed key, kept for `ttlMs`. */
  complete(key: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Forgets a claimed key whose request may be retried (upstream 5xx, timeouts). */
  release(key: string): Promise<void>;
}

/** Injection token of the IdempotencyStore in use. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
