import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { AttemptDeadline } from './attempt-deadline';
import type { Secret } from '../common/secret';
import {
  BlooioClient,
  type BlooioMessageStatusResult,
  type BlooioSendCommand,
  type BlooioSendResult,
} from './blooio.client';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import {
  BlooioCircuitOpenError,
  BlooioError,
  BlooioHttpError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from './blooio.errors';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';
import { backoffDelayMs, isRetryable, isUpstreamFailure, retryAfterMs } from './retry-policy';
import { outcomeOf } from './upstream-outcome';
import type { UpstreamTrace } from './upstream-trace';

export type BlooioSendRequest = BlooioSendCommand & {
  tenantId: string;
  /** Filled in as the send goes: attempts made, Blooio's last status (for the request log). */
  trace?: UpstreamTrace;
};

/**
 * The deadline fires this much before BLOOIO_TIMEOUT_MS, so that the 504 itself (written after it)
 * still reaches the caller within BLOOIO_TIMEOUT_MS of the send.
 */
const ANSWER_MARGIN_MS = 25;

export interface BlooioSendReport extends BlooioSendResult {
  attempts: number;
}

/** Asks Blooio where one of the tenant's messages is (`GET …/messages/{id}/status`). */
export interface BlooioStatusRequest {
  tenantId: string;
  apiKey: Secret;
  chatId: string;
  messageId: string;
  requestId?: string;
  trace?: UpstreamTrace;
}

export interface BlooioStatusReport extends BlooioMessageStatusResult {
  attempts: number;
}

/** One HTTP exchange with Blooio, within the deadline it is given. */
type Attempt<T> = (deadline: AttemptDeadline) => Promise<{ status: number; body: T }>;

/**
 * Sends one message safely: every attempt with the same Idempotency-Key, retried only where
 * DESIGN.md §5 allows, never past the deadline, through the tenant's own circuit breaker. The
 * breaker judges whole calls: one send that failed after its retries is one failure. Status reads
 * (§10) go through the same policies and the same breaker: a Blooio that fails reads is down for
 * sends too.
 */
@Injectable()
export class BlooioSender {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly client: BlooioClient,
    @Inject(blooioConfig.KEY) private readonly config: BlooioConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    metrics.observeCircuits(() => this.circuitStates());
  }

  send(request: BlooioSendRequest): Promise<BlooioSendReport> {
    return this.guarded(request.tenantId, () =>
      this.withRetries(request.tenantId, request.trace, (deadline) =>
        this.client.sendMessage(request, deadline),
      ),
    );
  }

  /** A message's status as Blooio has it: the same deadline, retries and breaker as a send. */
  status(request: BlooioStatusRequest): Promise<BlooioStatusReport> {
    return this.guarded(request.tenantId, () =>
      this.withRetries(request.tenantId, request.trace, (deadline) =>
        this.client.getMessageStatus(
          request.chatId,
          request.messageId,
          request.apiKey,
          deadline,
          request.requestId,
        ),
      ),
    );
  }

  private async guarded<T>(tenantId: string, call: () => Promise<T>): Promise<T> {
    const breaker = this.breakerFor(tenantId);
    const ticket = breaker.tryAcquire();
    if (ticket === undefined) {
      this.metrics.circuitRejections.inc({ tenant: tenantId });
      throw new BlooioCircuitOpenError(breaker.retryInMs);
    }
    try {
      const report = await call();
      breaker.recordSuccess(ticket);
      return report;
    } catch (error) {
      // Blooio answered (a refusal, a quota): it is up, whatever it said.
      if (isUpstreamFailure(error)) breaker.recordFailure(ticket);
      else breaker.recordSuccess(ticket);
      throw error;
    }
  }

  /** One breaker per tenant, so one tenant's failing account never pauses another's. */
  breakerFor(tenantId: string): CircuitBreaker {
    let breaker = this.breakers.get(tenantId);
    if (!breaker) {
      breaker = new CircuitBreaker({
        failureThreshold: this.config.breakerFailureThreshold,
        cooldownMs: this.config.breakerCooldownMs,
      });
      this.breakers.set(tenantId, breaker);
    }
    return breaker;
  }

  private *circuitStates(): Iterable<[string, CircuitState]> {
    for (const [tenant, breaker] of this.breakers) yield [tenant, breaker.state];
  }

  private async withRetries<T>(
    tenant: string,
    trace: UpstreamTrace = { attempts: 0 },
    attemptOnce: Attempt<T>,
  ): Promise<{ status: number; body: T; attempts: number }> {
    const budgetMs = Math.max(1, this.config.timeoutMs - ANSWER_MARGIN_MS);
    const deadlineAt = Date.now() + budgetMs;

    for (let attempt = 0; ; attempt += 1) {
      // One timer per attempt, cleared when it ends: whichever comes first of the attempt's own
      // timeout and the send's deadline.
      const remainingMs = deadlineAt - Date.now();
      const endsAtDeadline = this.config.attemptTimeoutMs >= remainingMs;
      const deadline = new AttemptDeadline(
        Math.max(1, Math.min(this.config.attemptTimeoutMs, remainingMs)),
      );
      const startedAt = performance.now();
      trace.attempts = attempt + 1;
      try {
        const { status, body } = await attemptOnce(deadline);
        trace.status = status;
        this.metrics.observeUpstream(tenant, 'accepted', elapsedSeconds(startedAt));
        return { status, body, attempts: attempt + 1 };
      } catch (error) {
        if (error instanceof BlooioHttpError || error instanceof BlooioUnreadableResponseError) {
          trace.status = error.status;
        }
        this.metrics.observeUpstream(tenant, outcomeOf(error), elapsedSeconds(startedAt));
        if (deadline.aborted && endsAtDeadline) throw new BlooioTimeoutError();
        if (
          !(error instanceof BlooioError) ||
          !isRetryable(error) ||
          attempt >= this.config.maxRetries
        )
          throw error;
        const delay =
          retryAfterMs(error) ??
          backoffDelayMs(attempt, this.config.retryBaseDelayMs, this.config.retryMaxDelayMs);
        // A wait that would end past the deadline cannot help: answer with what Blooio said.
        if (Date.now() + delay >= deadlineAt) throw error;
        this.metrics.upstreamRetries.inc({ tenant });
        await sleep(delay);
      } finally {
        deadline.clear();
      }
    }
  }
}

const elapsedSeconds = (since: number) => (performance.now() - since) / 1_000;
