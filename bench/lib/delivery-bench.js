'use strict';

/**
 * `npm run bench -- --delivery` (issue 19, item 9): Blooio's webhooks in at a fixed 200 events/s
 * (the receiver bench's mix, open loop) and the tenant's two endpoints answering them: each event
 * is pushed to endpoint A and endpoint B (local HTTP servers, bench/endpoints.js, that record when
 * each `webhook-id` arrived). Latency = arrival at the endpoint − the moment the Blooio webhook that
 * caused it was due. Healthy rounds first, then one round where A hangs (never answers: the
 * gateway's timeout ends each attempt), in which B's latency must not move.
 */
const { randomBytes } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildInfo, describeMachine, machineInfo } = require('./machine');
const { startNode, stop } = require('./processes');
const { cpuMs, machineBusyMs, rssMb, sumCpuMs } = require('./proc-stats');
const { childPids } = require('./processes');
const { planOpenLoopRun } = require('./open-loop-plan');
const { rounded } = require('./report');
const { RESULTS_DIR, ROOT, newRedisPrefix, startStack } = require('./stack');
const { Samples, median } = require('./stats');
const { messagesNeeded, runOpenLoop, seedMessages, webhookMix } = require('./webhooks');

const TARGETS = ['gateway', 'gateway+redis'];
/** Issue 19's targets, healthy endpoints: webhook in → endpoint answered, p99. */
const P99_LIMIT_MS = { gateway: 100, 'gateway+redis': 250 };
/** B's p99 while A hangs may exceed its healthy p99 by at most this (the noise of one run here). */
const B_UNCHANGED_SLACK_MS = 20;
const DURATIONS = {
  quick: { warmup: 1, measure: 3, drain: 5 },
  full: { warmup: 5, measure: 20, drain: 15 },
};
const ENDPOINTS = ['a', 'b'];

/** Standard Webhooks secret: whsec_ + base64 of 32 random bytes (the tenant schema's rule). */
const newEndpointSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

async function startEndpoints(secrets) {
  const env = { ...process.env };
  for (const name of ENDPOINTS) env[`ENDPOINT_SECRET_${name.toUpperCase()}`] = secrets[name];
  const server = startNode('endpoints', path.join(ROOT, 'bench', 'endpoints.js'), {
    args: ENDPOINTS,
    replaceEnv: env,
  });
  const urls = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('endpoints did not start in 10 s')), 10_000);
    server.child.stdout.setEncoding('utf8');
    server.child.stdout.on('data', (chunk) => {
      text += chunk;
      const line = /endpoints listening on (.*)\n/.exec(text);
      if (!line) return;
      clearTimeout(timer);
      server.child.stdout.resume();
      resolve(Object.fromEntries(line[1].split(' ').map((pair) => pair.split(/=(.*)/s, 2))));
    });
    server.child.once('exit', () => reject(new Error(`endpoints exited\n${server.stderrTail()}`)));
  });
  return { server, urls };
}

async function control(url, body) {
  const response = await fetch(`${url}/__control`, { method: 'PUT', body: JSON.stringify(body) });
  await response.text();
}

async function reset(url) {
  (await fetch(`${url}/__reset`, { method: 'POST' })).body?.cancel();
}

async function arrivals(url) {
  const response = await fetch(`${url}/__arrivals`);
  const json = await response.json();
  return { ...json, signature: response.headers.get('x-signature-check') };
}

/** Per endpoint: arrival − due of each expected event's first delivery, and what never came. */
function endpointLatency(expected, seen) {
  const samples = new Samples(expected.size);
  let missing = 0;
  let repeated = 0;
  for (const [id, dueEpochMs] of expected) {
    const times = seen.arrivals[id];
    if (!times) {
      missing += 1;
      continue;
    }
    if (times.length > 1) repeated += 1;
    samples.push(times[0] - dueEpochMs);
  }
  const [p50, p90, p99, max] = samples.percentiles([50, 90, 99, 100]);
  return {
    expected: expected.size,
    delivered: samples.length,
    missing,
    deliveredMoreThanOnce: repeated,
    requests: seen.requests,
    signature: seen.signature,
    latencyMs: { p50, p90, p99, max },
  };
}

async function waitForDeliveries(url, expected, drainSeconds) {
  const deadline = Date.now() + drainSeconds * 1000;
  for (;;) {
    const seen = await arrivals(url);
    const done = [...expected.keys()].every((id) => seen.arrivals[id]);
    if (done || Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function measureRound(target, round, hangA, stack, endpoints, durations, rate, eventId) {
  const handle = stack.handles[target];
  const count = rate * (durations.warmup + durations.measure);
  const ids = await seedMessages(handle.url, stack.tenant, messagesNeeded(count));
  const label = `${target === 'gateway' ? 'mem' : 'redis'}_r${round}${hangA ? 'h' : ''}`;
  const plan = webhookMix(count, ids, `msg_dl_${label}`);
  await control(endpoints.urls.a, { hang: hangA });
  await runOpenLoop({
    url: handle.url,
    tenant: stack.tenant,
    plan: plan.slice(0, rate * durations.warmup),
    rate,
  });
  await Promise.all(ENDPOINTS.map((name) => reset(endpoints.urls[name])));
  const expected = new Map(); // webhook-id → epoch ms its Blooio webhook was due
  const ours = [process.pid, ...childPids()];
  const before = { cpu: cpuMs(handle.server.pid), ours: sumCpuMs(ours), busy: machineBusyMs() };
  const started = performance.now();
  const ack = await runOpenLoop({
    url: handle.url,
    tenant: stack.tenant,
    plan: plan.slice(rate * durations.warmup),
    rate,
    onSent: (item, event, dueAt) => {
      const id = eventId(stack.tenant.id, { messageId: event.message_id, event: event.event });
      if (!expected.has(id)) expected.set(id, performance.timeOrigin + dueAt);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMs(handle.server.pid) - before.cpu;
  const otherMs = machineBusyMs() - before.busy - (sumCpuMs(ours) - before.ours);
  const seenB = await waitForDeliveries(endpoints.urls.b, expected, durations.drain);
  const seenA = hangA
    ? await arrivals(endpoints.urls.a)
    : await waitForDeliveries(endpoints.urls.a, expected, 2);
  await control(endpoints.urls.a, { hang: false });
  const a = endpointLatency(expected, seenA);
  const b = endpointLatency(expected, seenB);
  return {
    name: `${target} · 2 endpoints${hangA ? ' · A hangs' : ''} · round ${round}`,
    target,
    round,
    endpointAHangs: hangA,
    events: expected.size,
    ack: {
      latencyMs: ack.latencyMs,
      non204: ack.non204,
      errors: ack.errors,
      sendLagMs: ack.sendLagMs,
    },
    endpoints: { a, b },
    cpuMsPer1kEvents: cpu / (ack.webhooks / 1000),
    otherCpuPct: Math.max(0, (100 * otherMs) / (seconds * 1000 * os.cpus().length)),
    loadAverage1m: os.loadavg()[0],
    rssMb: rssMb(handle.server.pid),
  };
}

const fmt = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

function line(r) {
  const ep = (name, e) =>
    `${name}: p50 ${fmt(e.latencyMs.p50, 1)} p90 ${fmt(e.latencyMs.p90, 1)} p99 ${fmt(e.latencyMs.p99, 1)} max ${fmt(e.latencyMs.max, 1)} ms` +
    ` (${e.delivered}/${e.expected}${e.deliveredMoreThanOnce ? `, ${e.deliveredMoreThanOnce} twice+` : ''}, signature ${e.signature})`;
  return (
    `  ${r.name.padEnd(44)} ${ep('A', r.endpoints.a)}  ${ep('B', r.endpoints.b)}` +
    `  ack p50 ${fmt(r.ack.latencyMs.p50, 1)} p99 ${fmt(r.ack.latencyMs.p99, 1)} ms, non-204 ${r.ack.non204}, errors ${r.ack.errors}` +
    `  CPU ${fmt(r.cpuMsPer1kEvents)} ms/1k  load ${fmt(r.loadAverage1m, 2)}  other CPU ${fmt(r.otherCpuPct)}%`
  );
}

function verdicts(results) {
  const out = [];
  for (const target of TARGETS) {
    const healthy = results.filter((r) => r.target === target && !r.endpointAHangs);
    const hung = results.filter((r) => r.target === target && r.endpointAHangs);
    if (healthy.length === 0) continue;
    const p99s = healthy.flatMap((r) => [r.endpoints.a.latencyMs.p99, r.endpoints.b.latencyMs.p99]);
    const complete = healthy.every(
      (r) => r.endpoints.a.missing === 0 && r.endpoints.b.missing === 0,
    );
    const limit = P99_LIMIT_MS[target];
    out.push({
      target,
      name: `healthy: p99 (A and B, every round) ≤ ${limit} ms, every event delivered`,
      values: p99s,
      pass: complete && p99s.every((p) => p <= limit),
    });
    if (hung.length > 0) {
      const healthyB = median(healthy.map((r) => r.endpoints.b.latencyMs.p99));
      const hungB = hung.map((r) => r.endpoints.b.latencyMs.p99);
      out.push({
        target,
        name: `A hangs: B's p99 ≤ its healthy median p99 (${fmt(healthyB, 1)} ms) + ${B_UNCHANGED_SLACK_MS} ms and ≤ ${limit} ms, every event delivered to B`,
        values: hungB,
        pass:
          hung.every((r) => r.endpoints.b.missing === 0) &&
          hungB.every((p) => p <= healthyB + B_UNCHANGED_SLACK_MS && p <= limit),
      });
    }
  }
  return out;
}

async function runDeliveryBench(options, tmpDir, cleanupState) {
  const { mode, durations, rate, targets, root } = await planOpenLoopRun(
    options,
    TARGETS,
    DURATIONS,
  );
  // The gateway's own event id: the `webhook-id` of every delivery of an event.
  const { deriveEventId } = require(
    path.join(root, 'dist', 'blooio-webhooks', 'blooio-event.id.js'),
  );
  const machine = machineInfo();
  const build = buildInfo(root);
  console.log(
    `blooio-gateway delivery bench, ${mode} mode: ${rate} Blooio webhooks/s in, 2 endpoints out, ` +
      `${durations.warmup} s warm-up + ${durations.measure} s measured, ${options.rounds} healthy round(s) + 1 with A hanging`,
  );
  console.log(`machine: ${describeMachine(machine)}`);
  console.log(
    `gateway: ${path.relative(ROOT, root) || '.'}/dist built ${build.distBuiltAt}; checkout at ${build.gitHeadAtRun}\n`,
  );

  const secrets = Object.fromEntries(ENDPOINTS.map((name) => [name, newEndpointSecret()]));
  const endpoints = await startEndpoints(secrets);
  const redisPrefix = newRedisPrefix();
  if (targets.includes('gateway+redis')) cleanupState.redisPrefix = redisPrefix;
  const stack = await startStack(new Set(targets), tmpDir, {
    redisPrefix,
    nodeArgs: options.nodeArgs,
    main: path.join(root, 'dist', 'main.js'),
    tenantOptions: { endpoints: endpointEntries(endpoints, secrets) },
  });

  const results = [];
  for (const target of targets) {
    for (let round = 1; round <= options.rounds + 1; round++) {
      const hangA = round > options.rounds;
      const r = await measureRound(
        target,
        round,
        hangA,
        stack,
        endpoints,
        durations,
        rate,
        deriveEventId,
      );
      results.push(r);
      console.log(line(r));
    }
    // Its hung deliveries to A are still being retried: they must not cost the next gateway CPU.
    await stop(stack.handles[target].server, 10_000);
  }
  const evaluated = verdicts(results);
  console.log('\ntargets (issue 19):');
  for (const v of evaluated) {
    console.log(
      `  ${v.pass ? 'PASS' : 'FAIL'}  ${v.target}: ${v.name}: ${v.values.map((p) => fmt(p, 1)).join(' / ')} ms`,
    );
  }
  const report = {
    issue: 19,
    scenario: 'delivery',
    date: new Date().toISOString(),
    mode,
    machine,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    build,
    settings: {
      rate,
      durationsSeconds: durations,
      rounds: options.rounds,
      p99LimitsMs: P99_LIMIT_MS,
      nodeFlags: options.nodeArgs,
    },
    results,
    targets: evaluated,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'delivery.json');
  writeFileSync(file, `${JSON.stringify(report, rounded, 2)}\n`);
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
  const broken = results.filter((r) => r.ack.errors || r.ack.non204);
  if (broken.length > 0) {
    console.log(
      `FAILED: receiver errors or non-204 answers in ${broken.map((r) => r.name).join('; ')}`,
    );
    return 1;
  }
  const missed = evaluated.filter((v) => !v.pass);
  if (missed.length > 0) {
    console.log(`${missed.length} target(s) MISSED${options.strict ? ' (--strict: failing)' : ''}`);
    return options.strict ? 1 : 0;
  }
  console.log('every target met');
  return 0;
}

/** The tenant file's `webhooks:` for the endpoints' servers, one secret each. */
function endpointEntries(endpoints, secrets) {
  return ENDPOINTS.map((name) => ({
    id: `endpoint-${name}`,
    url: `${endpoints.urls[name]}/hooks/imessage`,
    secrets: [secrets[name]],
  }));
}

module.exports = {
  runDeliveryBench,
  startEndpoints,
  newEndpointSecret,
  endpointEntries,
  arrivals,
  ENDPOINTS,
};
