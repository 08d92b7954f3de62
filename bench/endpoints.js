'use strict';

/**
 * Tenant webhook endpoints for the delivery bench (issue 19): one process, one plain node:http
 * server per endpoint name, each recording when every delivery arrived, by its `webhook-id`.
 *
 *   node bench/endpoints.js a b      prints "endpoints listening on a=http://127.0.0.1:<port> b=…"
 *
 * POST <any path>                    a delivery: its arrival time is taken when its headers are in
 *                                    (epoch ms, sub-ms: performance.timeOrigin + now), then it is
 *                                    answered 204, unless the endpoint hangs (no answer, ever: the
 *                                    gateway's timeout ends it)
 * PUT  /__control {"hang": true}     hang from now on (false: answer again; hung requests stay)
 * GET  /__arrivals                   {"<webhook-id>": [ms, …], …} since the last reset
 * POST /__reset                      forget the arrivals
 *
 * The first delivery that carries a `webhook-signature` has it checked against the endpoint's
 * secret (ENDPOINT_SECRET_<NAME>, Standard Webhooks: HMAC-SHA256 over "<id>.<timestamp>.<body>"
 * keyed with the base64 after whsec_), so a run that measured unsigned or wrongly signed
 * deliveries says so: `signature` in /__arrivals' answer header `x-signature-check`.
 */
const { createHmac, timingSafeEqual } = require('node:crypto');
const http = require('node:http');

const names = process.argv.slice(2);
if (names.length === 0) throw new Error('give endpoint names, e.g. a b');

const nowMs = () => performance.timeOrigin + performance.now();

function verify(secret, id, timestamp, body, header) {
  if (!secret || !header) return 'unchecked';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const part of header.split(' ')) {
    const [version, value] = part.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return 'valid';
  }
  return 'invalid';
}

function endpoint(name) {
  const secret = process.env[`ENDPOINT_SECRET_${name.toUpperCase()}`];
  let arrivals = new Map();
  let hang = false;
  let signature = 'none seen';
  let requests = 0;
  const hung = new Set();
  const server = http.createServer((req, res) => {
    const at = nowMs();
    if (req.url === '/__arrivals' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-signature-check': signature });
      res.end(JSON.stringify({ requests, arrivals: Object.fromEntries(arrivals) }));
      return;
    }
    if (req.url === '/__reset' && req.method === 'POST') {
      arrivals = new Map();
      requests = 0;
      req.resume();
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/__control' && req.method === 'PUT') {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        hang = JSON.parse(text).hang === true;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hang }));
      });
      return;
    }
    requests += 1;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') {
      const list = arrivals.get(id);
      if (list) list.push(at);
      else arrivals.set(id, [at]);
    }
    const check = signature === 'none seen' && req.headers['webhook-signature'];
    const chunks = [];
    req.on('data', (chunk) => check && chunks.push(chunk));
    req.on('end', () => {
      if (check) {
        const body = Buffer.concat(chunks).toString('utf8');
        signature = verify(secret, id, req.headers['webhook-timestamp'], body, check);
      }
      if (hang) {
        hung.add(res);
        res.once('close', () => hung.delete(res));
        return;
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`${name}=http://127.0.0.1:${server.address().port}`),
    );
  });
}

Promise.all(names.map(endpoint)).then((urls) => {
  process.stdout.write(`endpoints listening on ${urls.join(' ')}\n`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
