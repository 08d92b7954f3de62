import { ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { PACKAGE_VERSION } from './common/package-info';
import { answerClientError, answerFrameworkError } from './http/edge-errors';
import { registerHostHeaderCheck } from './http/host-header.hook';
import { registerJsonBodyParser } from './http/json-body.parser';
import { registerLingeringClose } from './http/lingering-close';
import { registerMethodNotAllowed } from './http/method-not-allowed.hook';
import { ObjectPrototypeKeysPipe } from './http/object-prototype-keys.pipe';
import { requestIdFor } from './http/request-id';
import {
  appConfig,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type AppConfig,
} from './config/app.config';
import { serveOpenApiJson } from './openapi/openapi-json.route';
import { createOpenApiDocument } from './openapi/openapi.document';
import { registerDrainingConnectionClose } from './lifecycle/draining.hook';
import { ShutdownState } from './lifecycle/shutdown-state';
import { GatewayMetrics } from './metrics/gateway.metrics';
import { registerIdempotencyKeyEcho } from './idempotency/idempotency-key-echo.hook';
import { registerHttpMetrics } from './http/http-metrics.hook';
import { flattenValidationErrors } from './problems/field-message';
import { ProblemDetailsFilter } from './problems/problem-details.filter';
import { ProblemException } from './problems/problem.exception';
import { ApiKeyGuard } from './tenants/api-key.guard';
import { registerEarlyAuthentication } from './tenants/early-authentication.hook';
import { createRequestLogger } from './logging/logger';
import {
  registerUndeliverableAnswerLog,
  RequestLogController,
} from './logging/request-log.controller';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

/**
 * Options for NestFactory.create / createNestApplication. Nest's own body parsers stay off:
 * setupApp() registers the only one (JSON objects), so forms and text are 415, not parsed.
 */
export const NEST_APPLICATION_OPTIONS = { bodyParser: false, abortOnError: false } as const;

export interface AdapterOptions {
  bodyLimitBytes: number;
  /** REQUEST_TIMEOUT_MS: the whole request (headers and body) must arrive within it. */
  requestTimeoutMs?: number;
  /** KEEP_ALIVE_TIMEOUT_MS: an idle keep-alive connection is closed after it. */
  keepAliveTimeoutMs?: number;
  logger: Logger;
}

/** The Fastify instance: body limit, request ids, and the pino logger (one JSON line per request). */
export function createFastifyAdapter(options: AdapterOptions): FastifyAdapter {
  const requestLog = new RequestLogController(createRequestLogger(options.logger));
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    // Slow clients (headers or body trickled, a connection that never sends) are cut after
    // requestTimeout with a 408 (answerClientError). Node checks every connectionsCheckingInterval
    // (30 s by default, which would double the bound), so check often: it is a walk of a list.
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 4))),
      // A missing or repeated Host is answered as a problem (host-header.hook.ts), not Node's bare 400.
      requireHostHeader: false,
    },
    loggerInstance: options.logger,
    logController: requestLog,
    genReqId: requestIdFor,
    requestIdHeader: false,
    // While shutting down, a request that still arrives on an open connection is served, not
    // refused with Fastify's own (non-problem) 503: readiness already steers traffic away.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  registerUndeliverableAnswerLog(adapter.getInstance(), requestLog);
  return adapter;
}

/**
 * Everything the gateway wires around its modules, shared by main.ts and the e2e tests so that
 * tests exercise exactly what runs: errors, validation, content types, request log, docs.
 */
export async function setupApp(app: NestFastifyApplication): Promise<void> {
  const config = app.get<AppConfig>(appConfig.KEY);
  const fastify = app.getHttpAdapter().getInstance();

  registerJsonBodyParser(fastify);

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  registerHostHeaderCheck(fastify);
  registerLingeringClose(fastify);
  registerIdempotencyKeyEcho(fastify);
  registerMethodNotAllowed(fastify);
  registerDrainingConnectionClose(fastify, app.get(ShutdownState));
  registerHttpMetrics(fastify, app.get(GatewayMetrics));
  registerEarlyAuthentication(fastify, app.get(ApiKeyGuard));

  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(
    new ObjectPrototypeKeysPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One message per field: the first broken rule says what to fix.
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => ProblemException.validation(flattenValidationErrors(errors)),
    }),
  );

  if (config.docsEnabled) {
    const document = createOpenApiDocument(app, PACKAGE_VERSION);
    SwaggerModule.setup(DOCS_PATH, app, document, {
      // The JSON is served by serveOpenApiJson: the committed file's bytes.
      raw: ['yaml'],
      jsonDocumentUrl: OPENAPI_JSON_PATH,
      yamlDocumentUrl: `${DOCS_PATH}/openapi.yaml`,
      customSiteTitle: 'blooio-gateway API',
      swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
    });
    serveOpenApiJson(app, OPENAPI_JSON_PATH, document);
  }
  await app.init();
}
