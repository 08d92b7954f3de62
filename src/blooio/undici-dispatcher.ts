import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';

/** The keep-alive connection pool to Blooio, bounded by BLOOIO_MAX_CONNECTIONS per origin. */
@Injectable()
export class UndiciDispatcher implements OnApplicationShutdown {
  readonly agent: Agent;

  constructor(@Inject(blooioConfig.KEY) config: BlooioConfig) {
    this.agent = new Agent({
      connections: config.maxConnections,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(config.timeoutMs, 5_000) },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
