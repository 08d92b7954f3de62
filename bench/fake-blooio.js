'use strict';

/**
 * A stand-in for Blooio's send route, as cheap as possible so that it does not steal CPU from the
 * process under test: plain node:http, no framework, no body parsing, one timer per response.
 *
 *   node bench/fake-blooio.js [port] [latencyMs]     (or PORT, LATENCY_MS, FAKE_BLOOIO_KEY)
 *
 * POST /v2/api/chats/:chatId/messages  202 {"message_id":"msg_<n>","status":"queued"}
 * PUT  /__control   {"latencyMs": 250}  change the latency of every later answer
 * GET  /__stats     {requests, openConnections, maxOpenConnections}
 * POST /__stats/reset
 *
 * maxOpenConnections is the peak number of open sockets that carried a send since the last reset:
 * the runner's control calls never count, nor do idle kept-alive sockets of a process measured
 * earlier (the reference's pool while the gateway is measured). openConnectionsAll counts every
 * open socket that ever carried a send, newConnections the sockets opened since the reset.
 */
const http = require('node:http');

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
let latencyMs = Number(process.argv[3] ?? process.env.LATENCY_MS ?? 0);
// When set, the only Blooio key accepted (as Blooio would refuse any other); else any Bearer.
const expectedAuth = process.env.FAKE_BLOOIO_KEY ? `Bearer ${process.env.FAKE_BLOOIO_KEY}` : null;

const PREFIX = '/v2/api/chats/';
const SUFFIX = '/messages';
const JSON_HEADERS = { 'content-type': 'application/json' };

let counter = 0;
let requests = 0;
let epoch = 0; // bumped by each reset
let openConnections = 0; // sockets of this epoch still open
let maxOpenConnections = 0;
let openConnectionsAll = 0;
let newConnections = 0; // sockets opened since the reset (a pool that churns shows here)

function countSocket(socket) {
  if (socket.benchEpoch === epoch) return;
  if (socket.benchEpoch === undefined) {
    openConnectionsAll += 1;
    newConnections += 1;
    socket.once('close', () => {
      openConnectionsAll -= 1;
      if (socket.benchEpoch === epoch) openConnections -= 1;
    });
  }
  socket.benchEpoch = epoch;
  openConnections += 1;
  if (openConnections > maxOpenConnections) maxOpenConnections = openConnections;
}

function send(res, status, body) {
  res.writeHead(status, JSON_HEADERS);
  res.end(body);
}

function answerMessage(req, res) {
  const auth = req.headers.authorization;
  if (expectedAuth ? auth !== expectedAuth : !auth?.startsWith('Bearer ')) {
    send(res, 401, '{"error":"unauthorized","message":"Invalid API key","status":401}');
    return;
  }
  counter += 1;
  const chatId = decodeURIComponent(req.url.slice(PREFIX.length, -SUFFIX.length));
  let body = `{"message_id":"msg_${counter}","status":"queued"`;
  if (chatId.includes(',')) {
    const participants = JSON.stringify(chatId.split(','));
    body += `,"group_id":"grp_bench","group_created":false,"participants":${participants}`;
  }
  body += '}';
  if (latencyMs > 0) setTimeout(send, latencyMs, res, 202, body);
  else send(res, 202, body);
}

function readJson(req, callback) {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (text += chunk));
  req.on('end', () => {
    try {
      callback(JSON.parse(text || '{}'));
    } catch {
      callback(undefined);
    }
  });
}

const server = http.createServer((req, res) => {
  const { method, url } = req;
  if (method === 'POST' && url.startsWith(PREFIX) && url.endsWith(SUFFIX)) {
    requests += 1;
    countSocket(req.socket);
    // The body is not needed: drain it and answer once it is in, as a real server would.
    req.resume();
    req.on('end', () => answerMessage(req, res));
    return;
  }
  if (method === 'GET' && url === '/__stats') {
    const stats = {
      requests,
      openConnections,
      maxOpenConnections,
      openConnectionsAll,
      newConnections,
      latencyMs,
    };
    send(res, 200, JSON.stringify(stats));
    return;
  }
  if (method === 'POST' && url === '/__stats/reset') {
    requests = 0;
    epoch += 1;
    openConnections = 0;
    maxOpenConnections = 0;
    newConnections = 0;
    req.resume();
    send(res, 200, '{}');
    return;
  }
  if (method === 'PUT' && url === '/__control') {
    readJson(req, (body) => {
      if (!body || !Number.isFinite(body.latencyMs) || body.latencyMs < 0) {
        send(res, 400, '{"error":"latencyMs must be a number >= 0"}');
        return;
      }
      latencyMs = body.latencyMs;
      send(res, 200, JSON.stringify({ latencyMs }));
    });
    return;
  }
  req.resume();
  send(res, 404, '{"error":"not_found","status":404}');
});

// Clients keep sockets alive for 30 s (undici, autocannon): never close one under them.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`fake-blooio listening on http://127.0.0.1:${server.address().port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
