'use strict';

/**
 * Instructions per request of gateway builds, counted by valgrind's callgrind: the same build, load
 * and inputs give the same count whatever else the machine is doing, where CPU time on a shared
 * 2-core machine moves by 10-40 % between runs. For judging a change "within noise" when timings
 * cannot (bench/NOTES.md). Slow: each build boots under valgrind (about a minute).
 *
 *   npm run bench:instructions -- <dir A> <dir B> [...] [--requests 2000] [--warmup 3000]
 *                                 [--connections 10] [--rounds 1] [--redis] [--key]
 *
 * Each <dir> holds a build inside this repository (its dist/ and package.json), as for bench:ab.
 * Counting starts after the warm-up (V8 has compiled the hot code by then) and stops before
 * shutdown, so boot and exit are left out. `main thread` is the event loop; `all threads` adds
 * V8's helpers (concurrent GC and compilers) and libuv's pool.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const { randomUUID } = require('node:crypto');
const { measureBuildsInRounds } = require('./lib/build-rounds');
const { runTool, stop } = require('./lib/processes');
const { requestFor } = require('./lib/requests');
const { median } = require('./lib/stats');
const { POD_HEAP_FLAGS, REDIS_URL, startGateway } = require('./lib/stack');

const { values: args, positionals: dirs } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    recipients: { type: 'string', default: '1' },
    redis: { type: 'boolean', default: false },
    key: { type: 'boolean', default: false },
  },
});

/** Exactly `amount` requests (a count, not a duration: the count is what is compared). */
async function send(load, amount) {
  const request = { method: 'POST', path: load.path, headers: load.headers, body: load.body };
  if (args.key) {
    request.setupRequest = (req) => ({
      ...req,
      headers: { ...req.headers, 'idempotency-key': `bench-${randomUUID()}` },
    });
  }
  const result = await autocannon({
    url: load.url,
    connections: Number(args.connections),
    amount,
    timeout: 60,
    requests: [request],
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${failed} of ${amount} requests failed`);
}

/**
 * callgrind's `totals:` per thread, thread 1 (the main thread) first, summed over the process's
 * dumps (`cg.<pid>.<dump>-<thread>`, and `cg.<pid>-<thread>` written at exit).
 */
function threadTotals(dir, pid) {
  const byThread = new Map();
  for (const name of readdirSync(dir)) {
    const file = new RegExp(`^cg\\.${pid}(?:\\.\\d+)?-(\\d+)$`).exec(name);
    if (!file) continue;
    const totals = /^totals:\s+(\d+)/m.exec(readFileSync(path.join(dir, name), 'utf8'));
    const thread = Number(file[1]);
    byThread.set(thread, (byThread.get(thread) ?? 0) + (totals ? Number(totals[1]) : 0));
  }
  return [...byThread.entries()].sort(([a], [b]) => a - b).map(([, total]) => total);
}

async function measure(dir, stack, round) {
  const outDir = mkdtempSync(path.join(stack.tmpDir, 'cg-'));
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    '--smc-check=all-non-file', // V8 writes and rewrites its machine code
    '--separate-threads=yes',
    '--instr-atstart=no', // boot and warm-up run uncounted (and faster)
    `--callgrind-out-file=${path.join(outDir, 'cg.%p')}`,
    `--vgdb-prefix=${path.join(outDir, 'vgdb')}`, // callgrind_control's channel, found by this path
  ];
  const env = args.redis ? { REDIS_URL, REDIS_KEY_PREFIX: stack.redisPrefix } : {};
  const name = `${path.basename(dir)}-${round}`;
  const gateway = await startGateway(
    name,
    stack.fake,
    stack.tenant,
    stack.tmpDir,
    env,
    POD_HEAP_FLAGS,
    path.resolve(dir, 'dist', 'main.js'),
    { wrapper, readyTimeoutMs: 300_000 },
  );
  const pid = gateway.server.pid;
  // vgdb names its channel after $USER and $HOST, and the gateway's HOST is its listen address.
  const control = (...flags) =>
    execFileSync(
      'callgrind_control',
      [`--vgdb-prefix=${path.join(outDir, 'vgdb')}`, ...flags, String(pid)],
      { env: { ...process.env, HOST: '127.0.0.1' }, stdio: 'ignore' },
    );
  try {
    const target = args.redis ? 'gateway+redis' : 'gateway';
    const load = requestFor(
      { target, recipients: Number(args.recipients) },
      { ...stack, handles: { [target]: gateway } },
    );
    await send(load, Number(args.warmup));
    control('--instr=on');
    await send(load, Number(args.requests));
    control('--instr=off');
    control('--dump');
  } finally {
    await stop(gateway.server, 60_000);
  }
  const totals = threadTotals(outDir, pid);
  const perRequest = (n) => n / Number(args.requests);
  return {
    main: perRequest(totals[0] ?? 0),
    all: perRequest(totals.reduce((sum, n) => sum + n, 0)),
  };
}

const thousands = (n) => `${(n / 1000).toFixed(0).padStart(6)}k`;

async function main() {
  if (dirs.length < 1) throw new Error('give one or more build directories (see the header)');
  execFileSync('valgrind', ['--version']); // fails early, with the reason, when it is missing
  const results = await measureBuildsInRounds({
    dirs,
    rounds: Number(args.rounds),
    redis: args.redis,
    tmpPrefix: 'bgw-instr-',
    measure,
    report: (round, dir, r) =>
      console.log(
        `round ${round} ${dir.padEnd(30)} instructions per request: main thread ` +
          `${thousands(r.main)}, all threads ${thousands(r.all)}`,
      ),
  });
  console.log('\nmedian of the rounds:');
  const base = median(results.get(dirs[0]).map((r) => r.main));
  for (const [dir, list] of results) {
    const mainCount = median(list.map((r) => r.main));
    const change =
      dir === dirs[0]
        ? ''
        : ` (${mainCount >= base ? '+' : ''}${((100 * (mainCount - base)) / base).toFixed(1)}%)`;
    console.log(
      `${dir.padEnd(30)} main thread ${thousands(mainCount)}${change}, all threads ${thousands(median(list.map((r) => r.all)))}`,
    );
  }
}

runTool(main);
