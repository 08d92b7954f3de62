'use strict';

/** The scenario run: each scenario warmed up, then measured, one process under load at a time. */
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { readStats, resetStats, setLatency } = require('./fake-control');
const { runLoad } = require('./load');
const { buildInfo, describeMachine, machineInfo } = require('./machine');
const { nginxMissing } = require('./nginx');
const { childPids } = require('./processes');
const { cpuMs, sumCpuMs, rssMb, clockTicksPerSecond, machineBusyMs } = require('./proc-stats');
const { redisAnswers } = require('./redis');
const { addRatios, evaluateTargets, rounded, table, targetLines } = require('./report');
const { requestFor } = require('./requests');
const { DURATIONS, buildScenarios } = require('./scenarios');
const {
  POOL_SIZE,
  REDIS_URL,
  RESULTS_DIR,
  ROOT,
  newRedisPrefix,
  restartServers,
  startStack,
} = require('./stack');

async function measureScenario(scenario, stack, durations) {
  const handle = stack.handles[scenario.target];
  const pid = handle.server.pid;
  const request = requestFor(scenario, stack);
  const slow = scenario.load === 'slow-upstream';
  const load = {
    ...request,
    connections: scenario.connections,
    rate: scenario.rate,
    idempotencyKey: scenario.idempotencyKey,
  };
  await setLatency(stack.fake.url, scenario.latencyMs);

  const warmup = await runLoad({
    ...load,
    seconds: slow ? durations.slowWarmup : durations.warmup,
  });
  await resetStats(stack.fake.url);
  const ours = [process.pid, ...childPids()];
  const oursBefore = sumCpuMs(ours);
  const busyBefore = machineBusyMs();
  const cpuBefore = cpuMs(pid);
  const measured = await runLoad({
    ...load,
    seconds: slow ? durations.slowMeasure : durations.measure,
  });
  const cpuAfter = cpuMs(pid);
  const otherMs = machineBusyMs() - busyBefore - (sumCpuMs(ours) - oursBefore);
  const rss = rssMb(pid);
  const upstream = await readStats(stack.fake.url);
  if (handle.server.exited) throw new Error(`${handle.server.name} exited during ${scenario.name}`);

  return {
    name: scenario.name,
    target: scenario.target,
    load: scenario.load,
    recipients: scenario.recipients,
    idempotencyKey: scenario.idempotencyKey,
    connections: scenario.connections,
    offeredRate: scenario.rate ?? null,
    upstreamLatencyMs: scenario.latencyMs,
    ...measured,
    rssMb: rss,
    cpuMsPer1k: measured.requests ? (cpuAfter - cpuBefore) / (measured.requests / 1000) : null,
    // Share of the machine's CPU (all cores) that went to processes other than ours: noise.
    otherCpuPct: Math.max(0, (100 * otherMs) / (measured.seconds * 1000 * os.cpus().length)),
    maxUpstreamSockets: upstream.maxOpenConnections,
    newUpstreamSockets: upstream.newConnections,
    upstreamRequests: upstream.requests,
    warmup: {
      seconds: warmup.seconds,
      requests: warmup.requests,
      non2xx: warmup.non2xx,
      errors: warmup.errors,
    },
  };
}

function progressLine(r) {
  let flags = r.non2xx || r.errors ? `  <-- non-2xx ${r.non2xx}, errors ${r.errors}` : '';
  if (r.warmup.non2xx || r.warmup.errors) {
    flags += `  (warm-up: non-2xx ${r.warmup.non2xx}, errors ${r.warmup.errors})`;
  }
  return (
    `  ${r.name.padEnd(40)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.latencyMs.p99.toFixed(2)} ms` +
    `  ${r.requests} requests${flags}`
  );
}

async function runBench(options, tmpDir, cleanupState) {
  const mode = options.quick ? 'quick' : 'full';
  const durations = DURATIONS[mode];
  const nginxAbsent = options.nginx ? nginxMissing() : 'left out (--no-nginx)';
  let scenarios = buildScenarios({ nginx: !nginxAbsent });
  if (options.only) {
    const pattern = new RegExp(options.only, 'i');
    scenarios = scenarios.filter((s) => pattern.test(s.name));
    if (scenarios.length === 0) throw new Error(`--only ${options.only}: no scenario matches`);
  }
  const targets = new Set(scenarios.map((s) => s.target));
  if (targets.has('gateway+redis') && !(await redisAnswers(REDIS_URL))) {
    throw new Error(
      `Redis at ${REDIS_URL} does not answer (gateway+redis needs it; --only can skip it)`,
    );
  }

  const machine = machineInfo();
  const build = buildInfo(ROOT);
  console.log(`blooio-gateway bench, ${mode} mode, ${scenarios.length} scenarios`);
  console.log(`machine: ${describeMachine(machine)}`);
  if (nginxAbsent) console.log(`nginx peer: ${nginxAbsent}`);
  console.log(
    `gateway: dist/ built ${build.distBuiltAt}; checkout at ${build.gitHeadAtRun}` +
      `${build.srcUncommittedChangesAtRun ? ' + uncommitted src/ changes' : ''}`,
  );
  console.log(
    `pool: BLOOIO_MAX_CONNECTIONS=${POOL_SIZE} (gateway and reference); CLK_TCK=${clockTicksPerSecond()}`,
  );
  console.log(
    `node flags (every proxy): ${options.nodeArgs.join(' ') || 'none (V8 default heap)'}`,
  );
  console.log(
    `durations: warm-up ${durations.warmup} s + ${durations.measure} s measured ` +
      `(slow upstream ${durations.slowWarmup} s + ${durations.slowMeasure} s)\n`,
  );

  const redisPrefix = newRedisPrefix();
  if (targets.has('gateway+redis')) cleanupState.redisPrefix = redisPrefix; // before any key exists
  const stack = await startStack(targets, tmpDir, { redisPrefix, nodeArgs: options.nodeArgs });
  const pids = Object.entries(stack.handles)
    .filter(([name]) => name !== 'direct')
    .map(([name, h]) => `${name} ${h.server.pid}`);
  console.log(`started: fake-blooio ${stack.fake.server.pid}, ${pids.join(', ')}`);

  const results = [];
  let load;
  for (const scenario of scenarios) {
    if (scenario.load !== load && scenario.fresh && results.length > 0) {
      console.log(`  (fresh processes for ${scenario.load})`);
      await restartServers(stack);
    }
    load = scenario.load;
    const result = await measureScenario(scenario, stack, durations);
    results.push(result);
    console.log(progressLine(result));
  }
  await setLatency(stack.fake.url, 0);

  addRatios(results);
  const evaluated = evaluateTargets(results, { poolSize: POOL_SIZE });
  const failures = results.filter((r) => r.non2xx > 0 || r.errors > 0).map((r) => r.name);
  const missed = evaluated.filter((t) => t.pass === false).map((t) => t.name);

  console.log(`\n${table(results)}\n`);
  console.log('RSS and CPU are those of the process under load (the fake Blooio for direct).');
  console.log(
    `sockets: peak open sockets to the fake Blooio that carried a send; pool ${POOL_SIZE}.`,
  );
  console.log("× ref: req/s ÷ the reference's under the same load and body; Δp99: p99 − its p99.");
  console.log("× nginx: the same ratio to the nginx peer's (not a target; the issue's check).\n");
  const noisy = results.filter((r) => r.otherCpuPct > 10).map((r) => r.name);
  if (noisy.length > 0) {
    console.log(`NOISY: other processes used over 10% of the CPU during: ${noisy.join('; ')}\n`);
  }
  console.log('targets (issue #5):');
  for (const line of targetLines(evaluated)) console.log(line);

  const report = {
    issue: 5,
    date: new Date().toISOString(),
    mode,
    only: options.only ?? null,
    machine,
    build,
    settings: {
      poolSize: POOL_SIZE,
      blooioTimeoutMs: 10_000,
      logLevel: 'info',
      nodeFlags: options.nodeArgs,
      nginxPeer: nginxAbsent ?? 'measured',
      clockTicksPerSecond: clockTicksPerSecond(),
      durationsSeconds: durations,
    },
    scenarios: results,
    targets: evaluated,
    failures,
    missedTargets: missed,
    noisyScenarios: noisy,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, rounded, 2)}\n`);
  console.log(`\nwrote ${path.relative(ROOT, file)}`);

  if (failures.length > 0) {
    console.log(`FAILED: non-2xx answers or errors in ${failures.join('; ')}`);
    return 1;
  }
  if (missed.length > 0) {
    console.log(`${missed.length} target(s) MISSED${options.strict ? ' (--strict: failing)' : ''}`);
    return options.strict ? 1 : 0;
  }
  console.log('no errors; every target met');
  return 0;
}

module.exports = { runBench };
