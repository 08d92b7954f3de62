import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { idempotencyConfig, type IdempotencyConfig } from '../config/idempotency.config';
import { InFlightWork } from '../lifecycle/in-flight-work';
import { resolveProblem, type ResolvedProblem } from '../problems/problem.mapper';
import { ProblemException } from '../problems/problem.exception';
import { renderProblem } from '../problems/problem.renderer';
import {
  IDEMPOTENCY_STORE,
  type IdempotencyLock,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency-store.interface';
import { IDEMPOTENT_REPLAYED_HEADER } from './idempotency.constants';

/** Stored headers are lower case, as Fastify writes them. */
const REPLAYED_FIELD = IDEMPOTENT_REPLAYED_HEADER.toLowerCase();

export interface IdempotentCall {
  tenantId: string;
  /** The caller's Idempotency-Key. */
  key: string;
  /** Digest of the normalised request: the same key with another request is refused. */
  fingerprint: string;
  requestId: string;
}

/** A lock outlives the send it guards (deadline plus retries' last answer), then frees itself. */
const LOCK_MARGIN_MS = 5_000;

/**
 * The gateway's own idempotency records (the IETF Idempotency-Key draft as Stripe applies it):
 * per tenant and key, the first answer is kept and replayed; a different request with the same
 * key is refused; a second call while the first is running is told to wait.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(idempotencyConfig.KEY) private readonly config: IdempotencyConfig,
    @Inject(blooioConfig.KEY) private readonly blooio: BlooioConfig,
    private readonly work: InFlightWork,
  ) {}

  /** Tracked, so that shutdown lets the record be finished before Redis closes. */
  run(call: IdempotentCall, send: () => Promise<StoredResponse>): Promise<StoredResponse> {
    return this.work.track(this.runOnce(call, send));
  }

  private async runOnce(
    call: IdempotentCall,
    send: () => Promise<StoredResponse>,
  ): Promise<StoredResponse> {
    const recordKey = recordKeyOf(call.tenantId, call.key);
    const begun = await this.store.begin(
      recordKey,
      call.fingerprint,
      this.blooio.timeoutMs + LOCK_MARGIN_MS,
    );
    switch (begun.kind) {
      case 'replay':
        return replayOf(begun.response);
      case 'mismatch':
        throw new ProblemException('idempotency_key_reused', {
          detail: 'This Idempotency-Key was already used with a different request',
        });
      case 'in_flight':
        throw new ProblemException('idempotency_key_in_use', {
          detail: 'A request with this Idempotency-Key is still being processed',
          headers: { 'retry-after': '1' },
        });
    }

    const { lock } = begun;
    const ttlMs = this.config.ttlSeconds * 1_000;
    let response: StoredResponse;
    try {
      response = await send();
    } catch (error) {
      const problem = resolveProblem(error);
      if (isFinal(problem)) {
        // Recorded as the filter will render it, so the replay is the same bytes.
        const rendered = renderProblem(problem, call.requestId);
        await this.settle(lock, () =>
          this.record(lock, { ...rendered, code: problem.code }, ttlMs),
        );
      } else {
        await this.settle(lock, () => this.store.release(lock));
      }
      throw error;
    }
    await this.settle(lock, () => this.record(lock, response, ttlMs));
    return response;
  }

  private async record(lock: IdempotencyLock, response: StoredResponse, ttlMs: number) {
    if (!(await this.store.complete(lock, response, ttlMs))) {
      this.logger.warn(
        'idempotency lock expired before the answer was recorded; another request holds the key',
      );
    }
  }

  /**
   * Finishes a record without letting the store decide the answer: the send's outcome stands. If the
   * store fails, the key is freed (best effort) rather than left locked; a retry is then sent again
   * with the same upstream key, which Blooio recognises.
   */
  private async settle(lock: IdempotencyLock, finish: () => Promise<void>): Promise<void> {
    try {
      await finish();
    } catch (error) {
      this.logger.warn({ err: error }, 'idempotency store failed; the key is released');
      await this.store.release(lock).catch(() => undefined);
    }
  }
}

/**
 * The recorded answer again, body byte for byte. A success says 200, not 202 (DESIGN.md §2: the
 * message was accepted earlier, not now); an error keeps its status.
 */
function replayOf(response: StoredResponse): StoredResponse {
  const success = response.status >= 200 && response.status < 300;
  return {
    ...response,
    status: success ? 200 : response.status,
    headers: { ...response.headers, [REPLAYED_FIELD]: 'true' },
  };
}

/**
 * Final answers are recorded, as the issue asks: Blooio's refusals, its quota 429s and a failed
 * message. What the gateway would itself retry frees the key instead: 5xx and timeouts (Blooio may
 * not have seen the request) and a 429 without a quota code (a moment's rate limit: nothing was
 * sent, and the same key must work after the Retry-After it carries).
 */
function isFinal(problem: ResolvedProblem): boolean {
  if (problem.code === 'upstream_rate_limited') return problem.upstream?.code !== undefined;
  return problem.status < 500;
}

/** Bounded and free of the caller's raw key, so store keys stay short whatever was sent. */
function recordKeyOf(tenantId: string, key: string): string {
  return `${tenantId}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
