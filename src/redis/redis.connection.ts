import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import { redisConfig, type RedisConfig } from '../config/redis.config';
import { InFlightWork } from '../lifecycle/in-flight-work';
import { GatewayMetrics } from '../metrics/gateway.metrics';

/** How long boot waits for a first connection; past it the gateway starts not ready. */
const FIRST_CONNECT_WAIT_MS = 2_000;

/**
 * The one Redis connection of this process, when REDIS_URL is set. It never blocks boot and never
 * queues commands while disconnected (`enableOfflineQueue: false`): a command then fails at once,
 * the request is refused with 503, and readiness says why, while ioredis keeps reconnecting.
 */
@Injectable()
export class RedisConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly client?: Redis;
  private readonly logger = new Logger(RedisConnection.name);
  private up = false;
  private failureReported = false;
  private closing = false;

  constructor(
    @Inject(redisConfig.KEY) private readonly config: RedisConfig,
    metrics: GatewayMetrics,
    private readonly work: InFlightWork,
  ) {
    if (!config.url) return;
    metrics.observeRedis(() => this.ping());
    this.client = new Redis(config.url.reveal(), {
      keyPrefix: config.keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: config.commandTimeoutMs,
      connectTimeout: Math.max(config.commandTimeoutMs, 2_000),
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    });
    this.client.on('ready', () => this.markUp());
    this.client.on('close', () => this.markDown('connection closed'));
    this.client.on('error', (error: Error) => this.markDown(this.config.url!.scrub(error.message)));
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Connected and answering commands now. */
  get ready(): boolean {
    return this.client?.status === 'ready';
  }

  /** Round trip to Redis, bounded by the command timeout; false when it does not answer. */
  async ping(): Promise<boolean> {
    if (!this.client || !this.ready) return false;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.client || this.ready) return;
    // Resolved by the first 'ready' or 'error' (a refused connection need not hold boot up).
    const client = this.client;
    const connected = new Promise<boolean>((resolve) => {
      client.once('ready', () => resolve(true));
      client.once('error', () => resolve(false));
    });
    const gaveUp = new Promise<boolean>((resolve) => {
      setTimeout(resolve, FIRST_CONNECT_WAIT_MS, false).unref();
    });
    if (!(await Promise.race([connected, gaveUp]))) {
      this.logger.warn('Redis does not answer yet; not ready until it does');
    }
  }

  /**
   * After the HTTP server has drained, and after the idempotency records still being written
   * (requests cut by the grace period free their keys as their calls to Blooio are aborted).
   */
  async onApplicationShutdown(): Promise<void> {
    if (!this.client || this.client.status === 'end') return;
    await this.work.settled(this.config.commandTimeoutMs * 2);
    this.closing = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.failureReported = false;
    this.logger.log('Redis connected');
  }

  /** Logged once per outage (or failed first connection), not on every reconnection attempt. */
  private markDown(reason: string): void {
    if (this.closing) return;
    if (this.up) {
      this.up = false;
      this.failureReported = true;
      this.logger.warn({ reason }, 'Redis connection lost; requests needing it answer 503');
    } else if (!this.failureReported) {
      this.failureReported = true;
      this.logger.warn({ reason }, 'Redis cannot be reached; requests needing it answer 503');
    }
  }
}
