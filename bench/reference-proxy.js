'use strict';

/**
 * The reference peer: the least a proxy must do to stand where the gateway stands. Map a gateway
 * key to a Blooio key, build the chatId, forward on kept-alive sockets. No Nest, no validation.
 *
 *   node bench/reference-proxy.js <port> <upstream base URL> '<{"gatewayKey":"blooioKey"}>'
 *   (or PORT, BLOOIO_BASE_URL, REFERENCE_KEYS; BLOOIO_MAX_CONNECTIONS bounds the pool like the gateway's)
 */
const fastify = require('fastify');
const { Pool } = require('undici');

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const base = new URL(process.argv[3] ?? process.env.BLOOIO_BASE_URL);
const keys = new Map(Object.entries(JSON.parse(process.argv[4] ?? process.env.REFERENCE_KEYS)));
const connections = Number(process.env.BLOOIO_MAX_CONNECTIONS ?? 128);
const pool = new Pool(base.origin, { connections, keepAliveTimeout: 30_000 });

const app = fastify({ logger: false });

app.post('/v1/messages', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const blooioKey = token && keys.get(token);
  if (!blooioKey) return reply.code(401).send({ code: 'unauthenticated' });
  const { recipients, text, sender } = request.body;
  const headers = { authorization: `Bearer ${blooioKey}`, 'content-type': 'application/json' };
  const idempotencyKey = request.headers['idempotency-key'];
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const upstream = await pool.request({
    method: 'POST',
    path: `${base.pathname}/chats/${encodeURIComponent(recipients.join(','))}/messages`,
    headers,
    body: JSON.stringify({ text, from_number: sender }),
  });
  const body = await upstream.body.text();
  const status =
    upstream.statusCode >= 200 && upstream.statusCode < 300 ? 202 : upstream.statusCode;
  return reply.code(status).type('application/json').send(body);
});

app.listen({ port, host: '127.0.0.1' }).then(() => {
  process.stdout.write(
    `reference-proxy listening on http://127.0.0.1:${app.server.address().port}\n`,
  );
});
