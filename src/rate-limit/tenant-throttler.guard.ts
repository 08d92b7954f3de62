import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  ThrottlerGuard,
  type Resolvable,
  type ThrottlerGenerateKeyFunction,
  type ThrottlerGetTrackerFunction,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import {
  isThrottlerWindowsStorage,
  type ThrottlerWindowsStorage,
  type WindowHit,
} from './throttler-windows-storage.interface';

/** What ThrottlerGuard reads for one throttler on one route: fixed once the app has booted. */
interface WindowPlan {
  name: string;
  skipIf?: (context: ExecutionContext) => boolean;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration?: Resolvable<number>;
  ignoreUserAgents?: RegExp[];
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
}

interface PendingHit extends WindowHit {
  tracker: string;
}

/**
 * Rate limits per tenant: one budget for all of a tenant's keys and routes, whatever the caller's
 * IP. Runs after ApiKeyGuard, which sets the principal.
 *
 * canActivate is ThrottlerGuard's, with every window counted in one storage call (one Redis round
 * trip rather than one per window) and the route's decorators read once per route.
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  private windowsStorage?: ThrottlerWindowsStorage;
  private readonly routePlans = new WeakMap<object, WeakMap<object, readonly WindowPlan[]>>();

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    for (const throttler of this.throttlers) {
      // Headers are per window and per outcome; canActivate below sets none, so refuse them here.
      if (throttler.setHeaders ?? this.commonOptions.setHeaders ?? true) {
        throw new Error(
          `TenantThrottlerGuard sets no X-RateLimit headers: configure throttler "${throttler.name}" with setHeaders: false`,
        );
      }
    }
    this.windowsStorage = isThrottlerWindowsStorage(this.storageService)
      ? this.storageService
      : undefined;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const storage = this.windowsStorage;
    if (!storage) return super.canActivate(context);
    if (await this.shouldSkip(context)) return true;

    // Values are resolved for every window before counting (ThrottlerGuard resolves each window's
    // after counting the one before): the same unless a resolver throws or has side effects.
    const { req } = this.getRequestResponse(context);
    const hits: PendingHit[] = [];
    for (const window of this.routePlan(context)) {
      if (window.skipIf?.(context)) continue;
      const limit = toNumber(await resolveValue(context, window.limit), 'limit', window.name);
      const ttl = toNumber(await resolveValue(context, window.ttl), 'ttl', window.name);
      const blockDuration = toNumber(
        await resolveValue(context, window.blockDuration ?? ttl),
        'blockDuration',
        window.name,
      );
      if (
        Array.isArray(window.ignoreUserAgents) &&
        ignoredUserAgent(window.ignoreUserAgents, req)
      ) {
        continue;
      }
      const tracker = await window.getTracker(req, context);
      const key = window.generateKey(context, tracker, window.name);
      hits.push({ key, ttl, limit, blockDuration, throttlerName: window.name, tracker });
    }

    let pending = hits;
    while (pending.length > 0) {
      const blocked = await storage.incrementWindows(pending);
      if (!blocked) break;
      const hit = pending[blocked.index];
      const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = blocked.record;
      await this.throwThrottlingException(context, {
        limit: hit.limit,
        ttl: hit.ttl,
        key: hit.key,
        tracker: hit.tracker,
        totalHits,
        timeToExpire,
        isBlocked,
        timeToBlockExpire,
      });
      // Only reached if the hook returns: ThrottlerGuard then counts the windows after it.
      pending = pending.slice(blocked.index + 1);
    }
    return true;
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = (request as unknown as FastifyRequest).principal;
    if (!principal) throw new Error('TenantThrottlerGuard must run after ApiKeyGuard');
    return Promise.resolve(principal.tenant.id);
  }

  /** Not per route: a tenant's limit covers every route it calls. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const window = detail.ttl >= 60_000 ? 'minute' : 'second';
    throw new ProblemException('rate_limited', {
      detail: `This tenant may send ${detail.limit} requests per ${window}`,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(detail.timeToBlockExpire))) },
    });
  }

  /** Keyed by class and handler: an inherited handler may sit under other class decorators. */
  private routePlan(context: ExecutionContext): readonly WindowPlan[] {
    const classRef = context.getClass();
    const handler = context.getHandler();
    let plans = this.routePlans.get(classRef);
    if (!plans) {
      plans = new WeakMap();
      this.routePlans.set(classRef, plans);
    }
    let plan = plans.get(handler);
    if (!plan) {
      plan = this.readRoutePlan(context);
      plans.set(handler, plan);
    }
    return plan;
  }

  /** ThrottlerGuard's reflector lookups and fallbacks, per throttler; @SkipThrottle drops one. */
  private readRoutePlan(context: ExecutionContext): WindowPlan[] {
    const targets = [context.getHandler(), context.getClass()];
    const plan: WindowPlan[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      const read = <T>(metadataKey: string) =>
        this.reflector.getAllAndOverride<T | undefined>(metadataKey + name, targets);
      if (read<unknown>(THROTTLER_SKIP)) continue;
      plan.push({
        name,
        skipIf: throttler.skipIf || this.commonOptions.skipIf,
        limit: read<Resolvable<number>>(THROTTLER_LIMIT) ?? throttler.limit,
        ttl: read<Resolvable<number>>(THROTTLER_TTL) ?? throttler.ttl,
        blockDuration:
          read<Resolvable<number>>(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration,
        ignoreUserAgents: throttler.ignoreUserAgents ?? this.commonOptions.ignoreUserAgents,
        getTracker: (read<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER) ||
          throttler.getTracker ||
          this.commonOptions.getTracker)!,
        generateKey: (read<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR) ||
          throttler.generateKey ||
          this.commonOptions.generateKey)!,
      });
    }
    return plan;
  }
}

/** ThrottlerGuard's own (private there). */
function resolveValue(
  context: ExecutionContext,
  value: ThrottlerOptions['limit'],
): number | Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}

/** As ThrottlerGuard tests them (an absent header is tested as "undefined"). */
function ignoredUserAgent(patterns: readonly RegExp[], req: Record<string, unknown>): boolean {
  const userAgent = (req.headers as Record<string, unknown>)['user-agent'];
  return patterns.some((pattern) => pattern.test(String(userAgent)));
}

/** ThrottlerGuard's own (private there): a number, or a numeric string from configuration. */
function toNumber(value: unknown, option: string, throttlerName: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(
      `Invalid "${option}" for the "${throttlerName}" throttler: expected a number, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
}
