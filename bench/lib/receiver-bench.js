'use strict';

/**
 * `npm run bench -- --receiver` (issue 18, item 10): Blooio's webhooks into the receiver at a fixed
 * 200 events/s, open loop, in memory and with Redis, round after round; then, in the same run and
 * on the same gateways, `GET /v1/messages/{id}` of delivered messages and `POST /v1/messages`,
 * both saturated, for req/s and CPU per 1,000 requests side by side.
 */
const { mkdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runLoad } = require('./load');
const { buildInfo, describeMachine, machineInfo } = require('./machine');
const { childPids } = require('./processes');
const { cpuMs, mainThreadCpuMs, machineBusyMs, rssMb, sumCpuMs } = require('./proc-stats');
const { planOpenLoopRun } = require('./open-loop-plan');
const { probeRedis } = require('./redis');
const { rounded } = require('./report');
const { requestFor } = require('./requests');
const { LOADS } = require('./scenarios');
const { REDIS_URL, RESULTS_DIR, ROOT, newRedisPrefix, startStack } = require('./stack');
const { Samples, median } = require('./stats');
const {
  deliveredMessages,
  expectedOutcomes,
  messagesNeeded,
  runOpenLoop,
  seedMessages,
  webhookMix,
  webhookOutcomes,
} = require('./webhooks');

/** Issue 18's target: the receiver's ack p99 at 200 events/s, memory and Redis alike. */
const ACK_P99_LIMIT_MS = 20;
const RECEIVER_TARGETS = ['gateway', 'gateway+redis'];
const DURATIONS = {
  quick: { warmup: 1, measure: 3, saturatedWarmup: 1, saturatedMeasure: 2 },
  full: { warmup: 5, measure: 20, saturatedWarmup: 3, saturatedMeasure: 10 },
};
/** Delivered messages the status reads go round (each read is of a final record: no Blooio call). */
const READ_IDS = 100;

/** Measures `fn` and what the process `pid` and the rest of the machine spent meanwhile. */
async function withCost(pid, fn) {
  const ours = [process.pid, ...childPids()];
  const before = {
    cpu: cpuMs(pid),
    main: mainThreadCpuMs(pid),
    ours: sumCpuMs(ours),
    busy: machineBusyMs(),
  };
  const started = performance.now();
  const loadAverage = os.loadavg()[0];
  const result = await fn();
  const seconds = (performance.now() - started) / 1000;
  const otherMs = machineBusyMs() - before.busy - (sumCpuMs(ours) - before.ours);
  return {
    result,
    cpuMs: cpuMs(pid) - before.cpu,
    mainThreadCpuMs: mainThreadCpuMs(pid) - before.main,
    otherCpuPct: Math.max(0, (100 * otherMs) / (seconds * 1000 * os.cpus().length)),
    loadAverage1m: loadAverage,
    rssMb: rssMb(pid),
  };
}

/**
 * The gateway's own view of the same requests: `latencyMs` of its request log lines (Fastify's
 * elapsed time, from the request's arrival to its answer written) for `route`, written after byte
 * `fromOffset` of its log. What end-to-end latency has beyond it was spent outside the gateway's
 * handling: the runner's lateness, the kernel, waiting for a CPU before the request was read.
 */
async function gatewaySideLatency(logFile, fromOffset, routePart) {
  await new Promise((resolve) => setTimeout(resolve, 300)); // the log is written asynchronously
  const text = readFileSync(logFile, 'utf8').slice(fromOffset);
  const samples = new Samples();
  for (const line of text.split('\n')) {
    if (!line.includes(routePart)) continue;
    try {
      const entry = JSON.parse(line);
      if (typeof entry.latencyMs === 'number' && entry.route?.includes(routePart)) {
        samples.push(entry.latencyMs);
      }
    } catch {
      // a line cut at the end of the read
    }
  }
  const [p50, p90, p99, max] = samples.percentiles([50, 90, 99, 100]);
  return { lines: samples.length, p50, p90, p99, max };
}

async function measureReceiver(target, round, stack, durations, rate) {
  const handle = stack.handles[target];
  const count = rate * (durations.warmup + durations.measure);
  const ids = await seedMessages(handle.url, stack.tenant, messagesNeeded(count));
  const inboundPrefix = `msg_in_${target === 'gateway' ? 'mem' : 'redis'}_r${round}`;
  const plan = webhookMix(count, ids, inboundPrefix);
  const warmPlan = plan.slice(0, rate * durations.warmup);
  const measuredPlan = plan.slice(rate * durations.warmup);

  const warm = await runOpenLoop({ url: handle.url, tenant: stack.tenant, plan: warmPlan, rate });
  const before = await webhookOutcomes(handle.url);
  // Bytes, and the log is ASCII JSON (the slice below counts characters).
  const logOffset = statSync(handle.logFile).size;
  const probe = target === 'gateway+redis' ? probeRedis(REDIS_URL) : undefined;
  const cost = await withCost(handle.server.pid, () =>
    runOpenLoop({ url: handle.url, tenant: stack.tenant, plan: measuredPlan, rate }),
  );
  const redisPing = await probe?.stop();
  const after = await webhookOutcomes(handle.url);
  const inGateway = await gatewaySideLatency(handle.logFile, logOffset, '/webhooks/blooio/');
  if (handle.server.exited) throw new Error(`${target} exited during the receiver run`);
  const counted = Object.fromEntries(
    Object.keys({ ...before, ...after }).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]),
  );
  const expected = expectedOutcomes(measuredPlan);
  const r = cost.result;
  return {
    name: `${target} · receiver · ${rate}/s · round ${round}`,
    target,
    round,
    ...r,
    inGatewayMs: inGateway,
    ...(redisPing && { redisPingMs: redisPing }),
    mix: {
      status: measuredPlan.filter((p) => p.kind === 'status' && !p.duplicate).length,
      inbound: measuredPlan.filter((p) => p.kind === 'inbound' && !p.duplicate).length,
      duplicates: expected.duplicate,
    },
    outcomes: counted,
    expectedOutcomes: expected,
    outcomesAsExpected:
      (counted.accepted ?? 0) === expected.accepted &&
      (counted.duplicate ?? 0) === expected.duplicate &&
      Object.keys(counted).every((k) => k === 'accepted' || k === 'duplicate' || counted[k] === 0),
    cpuMsPer1k: cost.cpuMs / (r.webhooks / 1000),
    mainThreadCpuMsPer1k: cost.mainThreadCpuMs / (r.webhooks / 1000),
    otherCpuPct: cost.otherCpuPct,
    loadAverage1m: cost.loadAverage1m,
    rssMb: cost.rssMb,
    pass: r.non204 === 0 && r.errors === 0 && r.latencyMs.p99 <= ACK_P99_LIMIT_MS,
    warmup: {
      webhooks: warm.webhooks,
      non204: warm.non204,
      errors: warm.errors,
      p99: warm.latencyMs.p99,
    },
  };
}

async function measureSaturated(name, target, load, stack, durations) {
  const handle = stack.handles[target];
  const connections = LOADS.saturated.connections;
  await runLoad({ ...load, connections, seconds: durations.saturatedWarmup });
  const cost = await withCost(handle.server.pid, () =>
    runLoad({ ...load, connections, seconds: durations.saturatedMeasure }),
  );
  const r = cost.result;
  return {
    name: `${target} · ${name} · saturated`,
    target,
    route: name,
    connections,
    rps: r.rps,
    requests: r.requests,
    latencyMs: r.latencyMs,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuMsPer1k: cost.cpuMs / (r.requests / 1000),
    mainThreadCpuMsPer1k: cost.mainThreadCpuMs / (r.requests / 1000),
    otherCpuPct: cost.otherCpuPct,
    loadAverage1m: cost.loadAverage1m,
    rssMb: cost.rssMb,
  };
}

const fmt = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

function receiverLine(r) {
  const l = r.latencyMs;
  return (
    `  ${r.name.padEnd(40)} ack p50 ${fmt(l.p50, 2)}  p90 ${fmt(l.p90, 2)}  p99 ${fmt(l.p99, 2)}` +
    `  max ${fmt(l.max, 1)} ms (in the gateway: p99 ${fmt(r.inGatewayMs.p99, 2)}, max ${fmt(r.inGatewayMs.max, 1)};` +
    ` runner lag p99 ${fmt(r.sendLagMs.p99, 1)}` +
    `${r.redisPingMs ? `; Redis PING p99 ${fmt(r.redisPingMs.p99, 1)}, max ${fmt(r.redisPingMs.max, 1)}` : ''})` +
    `  non-204 ${r.non204}  errors ${r.errors}` +
    `  CPU ${fmt(r.cpuMsPer1k)} ms/1k  load ${fmt(r.loadAverage1m, 2)}  other CPU ${fmt(r.otherCpuPct)}%` +
    `  outcomes ${r.outcomesAsExpected ? 'as sent' : `UNEXPECTED ${JSON.stringify(r.outcomes)}`}` +
    `  ${r.pass ? 'PASS' : 'FAIL'}`
  );
}

function saturatedLine(r) {
  return (
    `  ${r.name.padEnd(40)} ${fmt(r.rps).padStart(6)} req/s  p99 ${fmt(r.latencyMs.p99, 2)} ms` +
    `  CPU ${fmt(r.cpuMsPer1k)} ms/1k (main thread ${fmt(r.mainThreadCpuMsPer1k)})` +
    `  non-2xx ${r.non2xx}  errors ${r.errors}  load ${fmt(r.loadAverage1m, 2)}  other CPU ${fmt(r.otherCpuPct)}%`
  );
}

function summary(receiver) {
  return RECEIVER_TARGETS.map((target) => {
    const rounds = receiver.filter((r) => r.target === target);
    if (rounds.length === 0) return undefined;
    const p99s = rounds.map((r) => r.latencyMs.p99);
    return {
      target,
      rounds: rounds.length,
      p50Ms: rounds.map((r) => r.latencyMs.p50),
      p90Ms: rounds.map((r) => r.latencyMs.p90),
      p99Ms: p99s,
      maxMs: rounds.map((r) => r.latencyMs.max),
      p99MedianMs: median(p99s),
      non204: rounds.reduce((s, r) => s + r.non204, 0),
      errors: rounds.reduce((s, r) => s + r.errors, 0),
      passedRounds: rounds.filter((r) => r.pass).length,
      pass: rounds.every((r) => r.pass),
    };
  }).filter(Boolean);
}

async function runReceiverBench(options, tmpDir, cleanupState) {
  const { mode, durations, rate, targets, root } = await planOpenLoopRun(
    options,
    RECEIVER_TARGETS,
    DURATIONS,
  );
  const machine = machineInfo();
  const build = buildInfo(root);
  console.log(
    `blooio-gateway receiver bench, ${mode} mode: ${rate} webhooks/s open loop, ` +
      `${durations.warmup} s warm-up + ${durations.measure} s measured, ${options.rounds} round(s); ` +
      `targets ${targets.join(', ')}`,
  );
  console.log(`machine: ${describeMachine(machine)}`);
  console.log(
    `gateway: ${path.relative(ROOT, root) || '.'}/dist built ${build.distBuiltAt}; checkout at ${build.gitHeadAtRun}`,
  );
  console.log(`node flags: ${options.nodeArgs.join(' ') || 'none'}\n`);

  const redisPrefix = newRedisPrefix();
  if (targets.includes('gateway+redis')) cleanupState.redisPrefix = redisPrefix;
  const stack = await startStack(new Set(targets), tmpDir, {
    redisPrefix,
    nodeArgs: options.nodeArgs,
    main: path.join(root, 'dist', 'main.js'),
  });

  const receiver = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const r = await measureReceiver(target, round, stack, durations, rate);
      receiver.push(r);
      console.log(receiverLine(r));
    }
  }
  console.log('');
  const saturated = [];
  for (const target of targets) {
    const handle = stack.handles[target];
    const send = requestFor({ target, recipients: 1 }, stack);
    saturated.push(await measureSaturated('POST /v1/messages', target, send, stack, durations));
    console.log(saturatedLine(saturated[saturated.length - 1]));
    const ids = await deliveredMessages(handle.url, stack.tenant, READ_IDS);
    const read = {
      url: handle.url,
      method: 'GET',
      paths: ids.map((id) => `/v1/messages/${id}`),
      headers: { authorization: `Bearer ${stack.tenant.gatewayKey}` },
    };
    saturated.push(await measureSaturated('GET /v1/messages/{id}', target, read, stack, durations));
    console.log(saturatedLine(saturated[saturated.length - 1]));
  }

  const verdicts = summary(receiver);
  console.log(`\nreceiver ack p99 at ${rate}/s (target ≤ ${ACK_P99_LIMIT_MS} ms), per round:`);
  for (const v of verdicts) {
    console.log(
      `  ${v.pass ? 'PASS' : 'FAIL'}  ${v.target.padEnd(14)} p99 ${v.p99Ms.map((p) => fmt(p, 2)).join(' / ')} ms` +
        ` (median ${fmt(v.p99MedianMs, 2)}), max ${v.maxMs.map((m) => fmt(m, 1)).join(' / ')} ms,` +
        ` ${v.passedRounds}/${v.rounds} rounds, non-204 ${v.non204}, errors ${v.errors}`,
    );
  }
  const report = {
    issue: 18,
    scenario: 'receiver',
    date: new Date().toISOString(),
    mode,
    machine,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    build,
    settings: {
      rate,
      durationsSeconds: durations,
      rounds: options.rounds,
      ackP99LimitMs: ACK_P99_LIMIT_MS,
      nodeFlags: options.nodeArgs,
    },
    receiver,
    saturated,
    verdicts,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'receiver.json');
  writeFileSync(file, `${JSON.stringify(report, rounded, 2)}\n`);
  console.log(`\nwrote ${path.relative(ROOT, file)}`);

  const broken = [
    ...receiver.filter((r) => r.errors || r.non204 || !r.outcomesAsExpected),
    ...saturated.filter((r) => r.errors || r.non2xx),
  ];
  if (broken.length > 0) {
    console.log(
      `FAILED: errors, non-2xx answers or unexpected outcomes in ${broken.map((r) => r.name).join('; ')}`,
    );
    return 1;
  }
  const missed = verdicts.filter((v) => !v.pass);
  if (missed.length > 0) {
    console.log(
      `ack p99 target MISSED for ${missed.map((v) => v.target).join(', ')}${options.strict ? ' (--strict: failing)' : ''}`,
    );
    return options.strict ? 1 : 0;
  }
  console.log('no errors; the ack p99 target met in every round');
  return 0;
}

module.exports = { runReceiverBench, ACK_P99_LIMIT_MS };
