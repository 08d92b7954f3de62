'use strict';

/**
 * Which Redis commands one request makes, seen by Redis itself (MONITOR), per kind of request:
 * a send, a status event for a recorded message, the same event again (a duplicate), an inbound
 * message, and a status read of a delivered message. Starts one gateway with REDIS_URL and a
 * fresh prefix, and deletes that prefix's keys at the end.
 *
 *   npm run bench:redis-calls [-- --endpoints] [--build <dir>]
 *
 * --endpoints gives the tenant two webhook endpoints (bench/endpoints.js, issue 19): each status
 * event's window then lasts until both deliveries arrived, and holds the delivery queue's and
 * stores' commands too (a BullMQ worker's own polling included). --build measures <dir>/dist.
 *
 * Only the commands of the gateway's own connections count (found by the prefix of their keys);
 * MULTI … EXEC and pipelines are one round trip each, which the table shows apart.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');
const { runTool, stopAll } = require('./lib/processes');
const { deletePrefixedKeys } = require('./lib/redis');
const { REDIS_URL, newRedisPrefix, startStack } = require('./lib/stack');
const { parseArgs } = require('node:util');
const { inboundEvent, poolFor, postWebhook, seedMessages, statusEvent } = require('./lib/webhooks');
const {
  arrivals,
  endpointEntries,
  ENDPOINTS,
  newEndpointSecret,
  startEndpoints,
} = require('./lib/delivery-bench');

const { values: args } = parseArgs({
  options: { endpoints: { type: 'boolean', default: false }, build: { type: 'string' } },
});

/** Commands sent by the client, a MULTI … EXEC block counting once (ioredis sends it as one write). */
function roundTrips(commands) {
  let trips = 0;
  let inMulti = false;
  for (const c of commands) {
    if (c.lua) continue;
    if (c.name === 'MULTI') inMulti = true;
    if (!inMulti) trips += 1;
    if (c.name === 'EXEC') {
      inMulti = false;
      trips += 1;
    }
  }
  return trips;
}

/** Waits for Redis to print what the last request caused (MONITOR lines arrive asynchronously). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgw-redis-calls-'));
  const redisPrefix = newRedisPrefix();
  const monitorClient = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    let endpoints;
    let tenantOptions;
    if (args.endpoints) {
      const secrets = Object.fromEntries(ENDPOINTS.map((name) => [name, newEndpointSecret()]));
      endpoints = await startEndpoints(secrets);
      tenantOptions = { endpoints: endpointEntries(endpoints, secrets) };
    }
    const stack = await startStack(new Set(['gateway+redis']), dir, {
      redisPrefix,
      tenantOptions,
      main: args.build && path.resolve(args.build, 'dist', 'main.js'),
    });
    /** Until every endpoint has had `count` deliveries (no endpoints: at once). */
    const delivered = async (count) => {
      if (!endpoints) return;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const seen = await Promise.all(ENDPOINTS.map((name) => arrivals(endpoints.urls[name])));
        if (seen.every((s) => s.requests >= count) || Date.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const { url } = stack.handles['gateway+redis'];
    const tenant = stack.tenant;
    const pool = poolFor(url, 1);
    // One request of each kind first, so that scripts are loaded and connections open.
    const [warmId] = await seedMessages(url, tenant, 1, 1);
    await postWebhook(pool, tenant, statusEvent('message.sent', warmId, tenant));
    await delivered(1);

    await monitorClient.connect();
    const monitor = await monitorClient.monitor();
    const gatewaySources = new Set();
    let lines = [];
    monitor.on('monitor', (_time, args, source) => {
      if (args.some((arg) => String(arg).includes(redisPrefix))) gatewaySources.add(source);
      lines.push({ source, args });
    });
    const take = async () => {
      await settle();
      const mine = lines.filter((line) => gatewaySources.has(line.source));
      lines = [];
      return mine.map(({ args, source }) => {
        const [name, ...rest] = args;
        const keys = rest.filter((arg) => String(arg).startsWith(redisPrefix));
        const text = `${String(name).toUpperCase()}${keys.length ? ` ${keys.map((k) => k.slice(redisPrefix.length)).join(' ')}` : ''}`;
        return { text, name: String(name).toUpperCase(), lua: source === 'lua' };
      });
    };
    await settle();
    lines = [];

    const steps = [];
    const [id] = await seedMessages(url, tenant, 1, 1);
    steps.push(['POST /v1/messages (1 recipient, no key)', await take()]);
    const also = endpoints ? ', delivered to 2 endpoints' : '';
    await postWebhook(pool, tenant, statusEvent('message.delivered', id, tenant));
    await delivered(2);
    steps.push([`webhook message.delivered (recorded message)${also}`, await take()]);
    await postWebhook(pool, tenant, statusEvent('message.delivered', id, tenant));
    await delivered(2);
    steps.push(['the same webhook again (duplicate)', await take()]);
    await postWebhook(pool, tenant, inboundEvent(`msg_in_calls_${Date.now()}`, tenant));
    await delivered(3);
    steps.push([`webhook message.received (inbound)${also}`, await take()]);
    const { body } = await pool.request({
      method: 'GET',
      path: `/v1/messages/${id}`,
      headers: { authorization: `Bearer ${tenant.gatewayKey}` },
    });
    await body.text();
    steps.push(['GET /v1/messages/{id} (delivered)', await take()]);
    await pool.close();

    for (const [name, commands] of steps) {
      const trips = roundTrips(commands);
      const inScripts = commands.filter((c) => c.lua).length;
      console.log(
        `${name}: ${trips} round trip(s), ${commands.length - inScripts} command(s) sent, ${inScripts} run inside scripts`,
      );
      for (const c of commands) console.log(`    ${c.lua ? '    (script) ' : ''}${c.text}`);
    }
  } finally {
    monitorClient.disconnect();
    await stopAll();
    await deletePrefixedKeys(REDIS_URL, redisPrefix).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

runTool(main);
