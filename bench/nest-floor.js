'use strict';

/**
 * The floor of a Nest gateway: what the reference proxy does, built the way the issue asks the
 * gateway to be built, and nothing more. Nest 11 on Fastify, the gateway's ValidationPipe options
 * on a three-field DTO, @nestjs/axios's instance with the gateway's own lean transport and undici
 * adapter (from dist/). No auth guard (a map lookup, as in the reference), no phone parsing, rate
 * limit, idempotency, logs or metrics. Measured next to the gateway, it says how much of the gap
 * to the reference is the framework's and how much is the gateway's checks. Plain JS (the bench
 * builds nothing), so the decorators are applied by hand.
 *
 *   node bench/nest-floor.js <port> <upstream base URL> '<{"gatewayKey":"blooioKey"}>'
 *   (BLOOIO_MAX_CONNECTIONS bounds the pool like the gateway's)
 */
require('reflect-metadata');
const path = require('node:path');
const { HttpModule, HttpService } = require('@nestjs/axios');
const common = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { IsArray, IsString } = require('class-validator');
const { Agent } = require('undici');

const dist = path.resolve(__dirname, '..', 'dist', 'blooio');
const { createUndiciAdapter } = require(path.join(dist, 'undici.adapter.js'));
const { keepOnlyTransport } = require(path.join(dist, 'lean-axios.js'));

const port = Number(process.argv[2] ?? 0);
const base = process.argv[3];
const keys = new Map(Object.entries(JSON.parse(process.argv[4])));
const agent = new Agent({
  connections: Number(process.env.BLOOIO_MAX_CONNECTIONS ?? 128),
  keepAliveTimeout: 30_000,
});

class SendDto {}
IsArray()(SendDto.prototype, 'recipients');
IsString()(SendDto.prototype, 'text');
IsString()(SendDto.prototype, 'sender');

class MessagesController {
  constructor(http) {
    this.axios = keepOnlyTransport(http.axiosRef);
  }

  async send(body, authorization) {
    const blooioKey = keys.get(/^Bearer (.+)$/.exec(authorization ?? '')?.[1]);
    if (!blooioKey) throw new common.UnauthorizedException();
    const response = await this.axios.request({
      url: `${base}/chats/${encodeURIComponent(body.recipients.join(','))}/messages`,
      method: 'POST',
      headers: { authorization: `Bearer ${blooioKey}`, 'content-type': 'application/json' },
      data: JSON.stringify({ text: body.text, from_number: body.sender }),
      responseType: 'text',
      validateStatus: () => true,
    });
    // Like the reference: Blooio's refusal is passed on, so that the bench counts it as non-2xx.
    if (response.status >= 300) throw new common.HttpException(response.data, response.status);
    return response.data;
  }
}
const sendDescriptor = Object.getOwnPropertyDescriptor(MessagesController.prototype, 'send');
Reflect.defineMetadata(
  'design:paramtypes',
  [SendDto, String],
  MessagesController.prototype,
  'send',
);
common.Body()(MessagesController.prototype, 'send', 0);
common.Headers('authorization')(MessagesController.prototype, 'send', 1);
common.Header('content-type', 'application/json')(
  MessagesController.prototype,
  'send',
  sendDescriptor,
);
common.HttpCode(202)(MessagesController.prototype, 'send', sendDescriptor);
common.Post('v1/messages')(MessagesController.prototype, 'send', sendDescriptor);
Reflect.defineMetadata('design:paramtypes', [HttpService], MessagesController);
common.Controller()(MessagesController);

class FloorModule {}
common.Module({
  imports: [HttpModule.register({ adapter: createUndiciAdapter(agent) })],
  controllers: [MessagesController],
})(FloorModule);

async function main() {
  const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
  app.useGlobalPipes(
    new common.ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  await app.listen(port, '127.0.0.1');
  const { port: bound } = app.getHttpServer().address();
  process.stdout.write(`nest-floor listening on http://127.0.0.1:${bound}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
