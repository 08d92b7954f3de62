'use strict';

/** One autocannon run against one target, with exact latencies and an optional even rate. */
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const { Pacer } = require('./pacer');
const { Samples } = require('./stats');

/**
 * @param {object} o
 * @param {string} o.url       origin of the target, e.g. http://127.0.0.1:3000
 * @param {string} o.path
 * @param {Record<string,string>} o.headers
 * @param {string} o.body
 * @param {number} o.connections
 * @param {number} o.seconds
 * @param {number} [o.rate]    requests per second, evenly spaced; absent = as fast as possible
 * @param {boolean} [o.idempotencyKey] a fresh Idempotency-Key header on every request
 * @param {string} [o.method]  POST unless given (GET: no body)
 * @param {string[]} [o.paths] paths taken in turn, one per request, instead of `path`
 */
async function runLoad(o) {
  const pacer = o.rate ? new Pacer(o.rate) : undefined;
  const request = { method: o.method ?? 'POST', path: o.path, headers: o.headers, body: o.body };
  if (o.paths) {
    let next = 0;
    request.path = o.paths[0];
    request.setupRequest = (req) => ({ ...req, path: o.paths[next++ % o.paths.length] });
  } else if (o.idempotencyKey) {
    // setupRequest runs before each request is written: a new key each time, never a replay.
    request.setupRequest = (req) => ({
      ...req,
      headers: { ...req.headers, 'idempotency-key': `bench-${randomUUID()}` },
    });
  }
  const latencies = new Samples();
  const statusCodes = {};
  let firstAnswer = 0;
  let lastAnswer = 0;
  const started = performance.now();
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    // Durations are checked on each sample tick: 250 ms ticks allow fractional durations.
    sampleInt: 250,
    timeout: 10,
    requests: [request],
    // No overallRate (see pacer.js), so autocannon applies no latency "correction" either.
    setupClient: pacer ? (client) => pacer.attach(client) : undefined,
  });
  // Raw, per-answer times (float ms): autocannon's own histogram keeps whole milliseconds.
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    lastAnswer = performance.now();
    if (latencies.length === 0) firstAnswer = lastAnswer;
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const elapsedS = (performance.now() - started) / 1000;
  pacer?.stop();
  const [p50, p99, p999] = latencies.percentiles([50, 99, 99.9]);
  const requests = latencies.length;
  // Answers per second between the first answer and the last: connecting 400 sockets or waiting
  // 250 ms for the first slow answer is not throughput, and would weigh heavily on a short run.
  const answeringS = (lastAnswer - firstAnswer) / 1000;
  return {
    seconds: elapsedS,
    requests,
    rps: requests > 1 && answeringS > 0 ? (requests - 1) / answeringS : 0,
    latencyMs: {
      mean: latencies.mean(),
      p50,
      p99,
      p99_9: p999,
      max: latencies.percentiles([100])[0],
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    behind: pacer ? pacer.behind() : undefined,
  };
}

module.exports = { runLoad };
