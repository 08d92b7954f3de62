'use strict';

/**
 * Where a request's CPU goes: runs the gateway from dist/ under `node --cpu-prof` and sorts the
 * self time of the loaded part of the profile into the parts of a request: auth, validation,
 * normalisation, mapping, client, logging, metrics...
 *
 *   npm run bench:profile [-- --seconds 10] [--redis] [--key] [--top 30] [--category fastify]
 *                        [--build .bench-builds/<name>] [--keep]
 *                        [--scenario send|webhooks|status-read|delivery] [--rate 200]
 *
 * Scenarios: `send` (default): `POST /v1/messages` saturated (fast fake Blooio, 1 recipient);
 * `webhooks`: signed Blooio webhooks into `POST /webhooks/blooio/{tenant}` at `--rate` per second,
 * open loop, the mix of `npm run bench -- --receiver` (status events for the gateway's own sends,
 * inbound messages, duplicates), sampled every 100 µs since the process is mostly idle;
 * `status-read`: `GET /v1/messages/{id}` of delivered messages, saturated; `delivery`: the
 * `webhooks` load with the tenant given two webhook endpoints (bench/endpoints.js, issue 19), so
 * the profile holds the dispatch, the queue and the deliveries too.
 *
 * The gateway runs with the pod's heap (POD_HEAP_FLAGS), as in `npm run bench`.
 * Samples taken before the load starts (boot) or after it ends (shutdown) are left out. --keep
 * leaves the .cpuprofile in the temporary directory (open it in Chrome DevTools).
 */
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { runLoad } = require('./lib/load');
const { runTool, stopAll } = require('./lib/processes');
const { POD_HEAP_FLAGS, startStack, newRedisPrefix, REDIS_URL } = require('./lib/stack');
const { requestFor } = require('./lib/requests');
const { deletePrefixedKeys } = require('./lib/redis');
const { categoriseNodes, CATEGORY_ORDER } = require('./lib/profile-categories');
const {
  deliveredMessages,
  messagesNeeded,
  runOpenLoop,
  seedMessages,
  webhookMix,
} = require('./lib/webhooks');

const {
  endpointEntries,
  ENDPOINTS,
  newEndpointSecret,
  startEndpoints,
} = require('./lib/delivery-bench');

const SCENARIOS = ['send', 'webhooks', 'status-read', 'delivery'];

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    recipients: { type: 'string', default: '1' },
    redis: { type: 'boolean', default: false },
    key: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    keep: { type: 'boolean', default: false },
    category: { type: 'string' },
    build: { type: 'string' },
    scenario: { type: 'string', default: 'send' },
    rate: { type: 'string', default: '200' },
  },
});
if (!SCENARIOS.includes(args.scenario)) {
  throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${args.scenario})`);
}

const WARMUP_SECONDS = 2;

/**
 * The load of a scenario: `warm()` (JIT, pools, sockets; thrown away) then `measure()`, which
 * answers {requests, rps, non2xx, errors}. Messages a scenario needs are sent before either.
 */
async function prepareLoad(scenario, stack, target) {
  const { url } = stack.handles[target];
  const connections = Number(args.connections);
  if (scenario === 'webhooks' || scenario === 'delivery') {
    const rate = Number(args.rate);
    const count = rate * (WARMUP_SECONDS + Number(args.seconds));
    const ids = await seedMessages(url, stack.tenant, messagesNeeded(count));
    const plan = webhookMix(count, ids, 'msg_in_profile');
    const open = async (part) => {
      const r = await runOpenLoop({ url, tenant: stack.tenant, plan: part, rate });
      return {
        requests: r.webhooks,
        rps: rate,
        non2xx: r.non204,
        errors: r.errors,
        ack: r.latencyMs,
      };
    };
    return {
      label: `receiver at ${rate} webhooks/s (open loop)`,
      warm: () => open(plan.slice(0, rate * WARMUP_SECONDS)),
      measure: () => open(plan.slice(rate * WARMUP_SECONDS)),
    };
  }
  if (scenario === 'status-read') {
    const ids = await deliveredMessages(url, stack.tenant, 100);
    const load = {
      url,
      method: 'GET',
      paths: ids.map((id) => `/v1/messages/${id}`),
      headers: { authorization: `Bearer ${stack.tenant.gatewayKey}` },
      connections,
    };
    return {
      label: 'GET /v1/messages/{id} of a delivered message, saturated',
      warm: () => runLoad({ ...load, seconds: WARMUP_SECONDS }),
      measure: () => runLoad({ ...load, seconds: Number(args.seconds) }),
    };
  }
  const request = requestFor(
    { target, recipients: Number(args.recipients), idempotencyKey: args.key },
    stack,
  );
  const load = { ...request, idempotencyKey: args.key, connections };
  return {
    label: `${args.recipients} recipient(s)${args.key ? ', Idempotency-Key' : ''}`,
    warm: () => runLoad({ ...load, seconds: WARMUP_SECONDS }),
    measure: () => runLoad({ ...load, seconds: Number(args.seconds) }),
  };
}

/** Self time per function and per category, from the samples between `fromUs` and `toUs`. */
function summarise(profile, fromUs, toUs) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const categoryOf = categoriseNodes(profile);
  const selfByNode = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i];
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
    total += delta;
  }
  const categories = new Map();
  const functions = new Map();
  for (const [id, us] of selfByNode) {
    const frame = byId.get(id).callFrame;
    const category = categoryOf.get(id);
    if (category === 'idle') {
      total -= us;
      continue;
    }
    categories.set(category, (categories.get(category) ?? 0) + us);
    const where = frame.url
      ? frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')
      : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    const entry = functions.get(name) ?? { us: 0, category };
    entry.us += us;
    functions.set(name, entry);
  }
  return { total, categories, functions };
}

function pct(part, total) {
  return `${((100 * part) / total).toFixed(1).padStart(5)}%`;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgw-profile-'));
  const profileDir = path.join(dir, 'profile');
  const target = args.redis ? 'gateway+redis' : 'gateway';
  const redisPrefix = newRedisPrefix();
  try {
    // Mostly idle at a fixed rate: finer samples than V8's default 1 ms, for enough of them.
    const openLoop = args.scenario === 'webhooks' || args.scenario === 'delivery';
    const interval = openLoop ? ['--cpu-prof-interval=100'] : [];
    let tenantOptions;
    if (args.scenario === 'delivery') {
      const secrets = Object.fromEntries(ENDPOINTS.map((name) => [name, newEndpointSecret()]));
      tenantOptions = { endpoints: endpointEntries(await startEndpoints(secrets), secrets) };
    }
    const stack = await startStack(new Set([target]), dir, {
      redisPrefix,
      tenantOptions,
      nodeArgs: [...POD_HEAP_FLAGS, '--cpu-prof', ...interval, `--cpu-prof-dir=${profileDir}`],
      main: args.build && path.resolve(args.build, 'dist', 'main.js'),
    });
    const load = await prepareLoad(args.scenario, stack, target);
    await load.warm();
    const server = stack.handles[target].server;
    const loadStart = performance.now();
    const result = await load.measure();
    const loadEnd = performance.now();
    const stoppedAt = performance.now();
    server.child.kill('SIGINT');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await stopAll();

    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8'));
    // The profile ends at exit; count back from there to the window the load ran in.
    const endUs = profile.endTime - (performance.now() - stoppedAt) * 1000;
    const fromUs = endUs - (loadEnd - loadStart) * 1000 + 250_000; // skip the first 250 ms
    const { total, categories, functions } = summarise(profile, fromUs, endUs - 100_000);

    const cpuMsPer1k = total / 1000 / (result.requests / 1000);
    const ack = result.ack
      ? `; ack p50 ${result.ack.p50.toFixed(2)} ms, p99 ${result.ack.p99.toFixed(2)} ms`
      : '';
    console.log(
      `${target}, ${args.scenario}: ${load.label}: ` +
        `${Math.round(result.rps)} req/s, ${result.requests} requests, ${result.non2xx} non-2xx, ${result.errors} errors${ack}; ` +
        `profiled CPU ${Math.round(cpuMsPer1k)} ms per 1,000 requests (main thread)\n`,
    );
    console.log('share   µs/req  part of the request');
    const order = [...categories.entries()].sort(
      (a, b) => CATEGORY_ORDER.indexOf(a[0]) - CATEGORY_ORDER.indexOf(b[0]) || b[1] - a[1],
    );
    for (const [category, us] of order) {
      const perRequest = (us / result.requests).toFixed(1).padStart(7);
      console.log(`${pct(us, total)} ${perRequest}  ${category}`);
    }
    console.log(`\ntop ${args.top} functions by self time:`);
    const top = [...functions.entries()]
      .filter(([, entry]) => !args.category || entry.category === args.category)
      .sort((a, b) => b[1].us - a[1].us);
    for (const [name, { us, category }] of top.slice(0, Number(args.top))) {
      console.log(`${pct(us, total)}  [${category}] ${name}`);
    }
    if (args.keep) console.log(`\nprofile: ${path.join(profileDir, file)}`);
  } finally {
    await stopAll();
    if (args.redis) await deletePrefixedKeys(REDIS_URL, redisPrefix).catch(() => undefined);
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

runTool(main);
