'use strict';

/**
 * A/B of gateway builds in one run: each build is started fresh, warmed up and measured in turn,
 * round after round (A B A B...), under the same saturated load, so that a noisy machine moves
 * both alike. The numbers for bench/NOTES.md.
 *
 *   npm run bench:ab -- <dir A> <dir B> [...] [--rounds 3] [--seconds 8] [--redis] [--key]
 *   npm run bench:ab -- <dir> '<dir>::--max-semi-space-size=32,LOG_LEVEL=warn'   (other flags, env)
 *
 * Each <dir> holds a build inside this repository, e.g. .bench-builds/before (its dist/ and
 * package.json), so that it finds node_modules: `npm run bench:ab -- --save before` makes one.
 * Every build runs with the pod's heap (POD_HEAP_FLAGS); an entry's own flags come after them, and
 * win.
 */
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { runLoad } = require('./lib/load');
const { cpuMs, mainThreadCpuMs } = require('./lib/proc-stats');
const { measureBuildsInRounds } = require('./lib/build-rounds');
const { runTool, stop } = require('./lib/processes');
const { median } = require('./lib/stats');
const { requestFor } = require('./lib/requests');
const { POD_HEAP_FLAGS, REDIS_URL, ROOT, startGateway } = require('./lib/stack');

const BUILDS = path.join(ROOT, '.bench-builds');

const { values: args, positionals: dirs } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    recipients: { type: 'string', default: '1' },
    redis: { type: 'boolean', default: false },
    key: { type: 'boolean', default: false },
    save: { type: 'string' },
  },
});

/** `dir` or `dir::--flag,NAME=value`: the same build, with other node flags or variables. */
function parseEntry(entry) {
  const [dir, extras = ''] = entry.split('::');
  const tokens = extras ? extras.split(',') : [];
  const env = Object.fromEntries(
    tokens.filter((t) => !t.startsWith('--')).map((t) => t.split(/=(.*)/s, 2)),
  );
  return { dir, nodeArgs: tokens.filter((t) => t.startsWith('--')), env };
}

async function measure(entry, stack, round) {
  const { dir, nodeArgs, env: entryEnv } = parseEntry(entry);
  const target = args.redis ? 'gateway+redis' : 'gateway';
  const env = {
    ...(args.redis && { REDIS_URL, REDIS_KEY_PREFIX: stack.redisPrefix }),
    ...entryEnv,
  };
  const name = `${path.basename(dir)}-${round}`;
  const gateway = await startGateway(
    name,
    stack.fake,
    stack.tenant,
    stack.tmpDir,
    env,
    [...POD_HEAP_FLAGS, ...nodeArgs], // an entry's own flags come last and win
    path.resolve(dir, 'dist', 'main.js'),
  );
  try {
    const request = requestFor(
      { target, recipients: Number(args.recipients) },
      { ...stack, handles: { [target]: gateway } },
    );
    const load = { ...request, idempotencyKey: args.key, connections: Number(args.connections) };
    await runLoad({ ...load, seconds: 2 });
    const pid = gateway.server.pid;
    const [before, mainBefore] = [cpuMs(pid), mainThreadCpuMs(pid)];
    const result = await runLoad({ ...load, seconds: Number(args.seconds) });
    const cpu = cpuMs(pid) - before;
    const mainCpu = mainThreadCpuMs(pid) - mainBefore;
    if (result.non2xx || result.errors) {
      throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    const thousands = result.requests / 1000;
    return {
      rps: result.rps,
      p99: result.latencyMs.p99,
      cpuPer1k: cpu / thousands,
      mainCpuPer1k: mainCpu / thousands,
    };
  } finally {
    await stop(gateway.server, 10_000);
  }
}

async function main() {
  if (args.save) {
    // Laid out like the repository (dist/ beside package.json), which the build reads at boot.
    const to = path.join(BUILDS, args.save);
    rmSync(to, { recursive: true, force: true });
    cpSync(path.join(ROOT, 'dist'), path.join(to, 'dist'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(to, 'package.json'));
    console.log(`saved dist/ as ${path.relative(ROOT, to)}`);
    return;
  }
  if (dirs.length < 2) throw new Error('give two or more build directories (see the header)');
  const results = await measureBuildsInRounds({
    dirs,
    rounds: Number(args.rounds),
    redis: args.redis,
    tmpPrefix: 'bgw-ab-',
    measure,
    report: (round, dir, r) =>
      console.log(
        `round ${round} ${dir.padEnd(30)} ${Math.round(r.rps).toString().padStart(6)} req/s ` +
          `p99 ${r.p99.toFixed(1).padStart(6)} ms  ${Math.round(r.cpuPer1k)} CPU ms/1k ` +
          `(main thread ${Math.round(r.mainCpuPer1k)})`,
      ),
  });
  console.log('\nmedian of the rounds:');
  const base = median(results.get(dirs[0]).map((r) => r.rps));
  for (const [dir, list] of results) {
    const rps = median(list.map((r) => r.rps));
    const cpu = median(list.map((r) => r.cpuPer1k));
    const mainCpu = median(list.map((r) => r.mainCpuPer1k));
    const change =
      dir === dirs[0]
        ? ''
        : ` (${rps >= base ? '+' : ''}${Math.round((100 * (rps - base)) / base)}%)`;
    console.log(
      `${dir.padEnd(30)} ${Math.round(rps).toString().padStart(6)} req/s${change}, ${Math.round(cpu)} CPU ms/1k (main thread ${Math.round(mainCpu)})`,
    );
  }
}

runTool(main);
