import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { ProblemException } from '../problems/problem.exception';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownHealthIndicator } from './shutdown.health';
import { TenantsHealthIndicator } from './tenants.health';

/** Probes for orchestrators: no auth, no rate limit. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tenants: TenantsHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ operationId: 'liveness', summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ description: 'The process is running, shutting down included' })
  live(): HealthCheckResult {
    // Not through Terminus: from its beforeApplicationShutdown on it throws 503 for every check,
    // and a liveness probe failing during a graceful shutdown would only get the pod killed.
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'readiness',
    summary: 'Readiness: 200 when the gateway can serve traffic',
    description:
      '503 while Redis (when configured) does not answer, and from the moment shutdown begins.',
  })
  @ApiOkResponse({ description: 'Configuration loaded and dependencies answering' })
  @ApiProblemResponses({ 503: ['not_ready'] })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.shutdown.check(),
        () => this.tenants.check(),
        () => this.redis.check(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new ProblemException('not_ready', {
        detail: 'A dependency of the gateway is not ready',
        extensions: { checks: (error.getResponse() as HealthCheckResult).details },
      });
    }
  }
}
