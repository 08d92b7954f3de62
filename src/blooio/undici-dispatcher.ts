import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { ShutdownState } from '../lifecycle/shutdown-state';

/** The keep-alive connection pool to Blooio, bounded by BLOOIO_MAX_CONNECTIONS per origin. */
@Injectable()
export class UndiciDispatcher implements OnApplicationShutdown {
  readonly agent: Agent;

  constructor(
    @Inject(blooioConfig.KEY) config: BlooioConfig,
    private readonly shutdown: ShutdownState,
  ) {
    this.agent = new Agent({
      connections: config.maxConnections,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(config.timeoutMs, 5_000) },
    });
  }

  /**
   * Runs once the HTTP server has drained. Calls still running then belong to requests the grace
   * period cut off: nobody waits for their answer, so they are aborted rather than awaited.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.shutdown.graceExpired) await this.agent.destroy();
    else await this.agent.close();
  }
}
