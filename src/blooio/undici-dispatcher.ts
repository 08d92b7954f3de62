import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { ShutdownState } from '../lifecycle/shutdown-state';

/** The keep-alive connection pool to Blooio, bounded by BLOOIO_MAX_CONNECTIONS per origin. */
@Injectable()
export class UndiciDispatcher implements OnApplicationShutdown {
  readonly agent: Agent;
  private destroyed = false;

  constructor(@Inject(blooioConfig.KEY) config: BlooioConfig, shutdown: ShutdownState) {
    this.agent = new Agent({
      connections: config.maxConnections,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(config.timeoutMs, 5_000) },
    });
    shutdown.onGraceExpired(() => this.abortAll());
  }

  /** Runs once the HTTP server has drained: every call to Blooio has had its answer. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.destroyed) await this.agent.close();
  }

  /**
   * Calls still running when the grace period ends belong to requests that were cut off: nobody
   * waits for their answer, so they are aborted at once (their idempotency keys are then freed).
   */
  private abortAll(): void {
    this.destroyed = true;
    this.agent.destroy().catch(() => undefined);
  }
}
