'use strict';

/**
 * npm run bench [-- --quick] [-- --soak [--soak-seconds N]] [-- --only <regex>] [-- --strict]
 *               [-- --host-heap] [-- --no-nginx]
 * npm run bench -- --receiver [--rounds 3] [--receiver-seconds 20] [--rate 200] [--only gateway]
 * npm run bench -- --delivery [--rounds 3] [--receiver-seconds 20] [--rate 200] [--only gateway]
 *   (--receiver and --delivery: [--build <dir>] measures <dir>/dist, a build as bench:ab keeps one)
 *
 * Measures the built gateway (dist/) against a fake Blooio and a minimal reference proxy, each in
 * its own process. See bench/README.md. Builds nothing: run `npm run build` first.
 */
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { killAllNow, stopAll } = require('./lib/processes');
const { deletePrefixedKeys } = require('./lib/redis');
const { runBench } = require('./lib/run-bench');
const { runReceiverBench } = require('./lib/receiver-bench');
const { runDeliveryBench } = require('./lib/delivery-bench');
const { runSoak } = require('./lib/soak');
const { POD_HEAP_FLAGS, REDIS_URL, ROOT } = require('./lib/stack');

const USAGE = `usage: npm run bench [-- --quick] [-- --only <regex>] [-- --strict] [-- --host-heap] [-- --no-nginx]
       npm run bench -- --soak [--soak-seconds N] [--strict] [--host-heap]
       npm run bench -- --receiver [--rounds N] [--receiver-seconds N] [--rate N] [--only <regex>] [--quick] [--strict]
       npm run bench -- --delivery [--rounds N] [--receiver-seconds N] [--rate N] [--only <regex>] [--quick] [--strict]
       (--receiver, --delivery: --build <dir> measures <dir>/dist/main.js instead of dist/)`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      'soak-seconds': { type: 'string', default: '300' },
      receiver: { type: 'boolean', default: false },
      delivery: { type: 'boolean', default: false },
      build: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      'receiver-seconds': { type: 'string' },
      rate: { type: 'string', default: '200' },
      only: { type: 'string' },
      strict: { type: 'boolean', default: false },
      'host-heap': { type: 'boolean', default: false },
      'no-nginx': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const soakSeconds = Number(values['soak-seconds']);
  if (!Number.isFinite(soakSeconds) || soakSeconds < 10) {
    throw new Error('--soak-seconds must be a number of seconds, at least 10');
  }
  const rounds = Number(values.rounds);
  const rate = Number(values.rate);
  const receiverSeconds = values['receiver-seconds'] && Number(values['receiver-seconds']);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error('--rounds must be a whole number, at least 1');
  if (!Number.isInteger(rate) || rate < 1 || rate > 5000)
    throw new Error('--rate must be 1 to 5000 webhooks/s');
  if (receiverSeconds !== undefined && !(receiverSeconds >= 1)) {
    throw new Error('--receiver-seconds must be a number of seconds, at least 1');
  }
  // The proxies run with their pod's heap unless --host-heap asks for V8's default on this host.
  const nodeArgs = values['host-heap'] ? [] : POD_HEAP_FLAGS;
  return {
    ...values,
    soakSeconds,
    rounds,
    rate,
    receiverSeconds,
    nodeArgs,
    nginx: !values['no-nginx'],
  };
}

/** What the cleanup must undo; filled in as things are created. */
const state = { tmpDir: undefined, redisPrefix: undefined, keepTmp: false, interrupted: false };
let cleaning;

/** Stops every child, deletes this run's Redis keys and temporary files. Runs once. */
function cleanup() {
  cleaning ??= (async () => {
    await stopAll();
    if (state.redisPrefix) {
      try {
        const deleted = await deletePrefixedKeys(REDIS_URL, state.redisPrefix);
        console.log(`deleted ${deleted} Redis keys under ${state.redisPrefix}`);
      } catch (error) {
        console.error(`could not delete Redis keys under ${state.redisPrefix}*: ${error.message}`);
      }
    }
    if (state.tmpDir && !state.keepTmp) rmSync(state.tmpDir, { recursive: true, force: true });
    if (state.tmpDir && state.keepTmp) console.error(`gateway logs kept in ${state.tmpDir}`);
  })();
  return cleaning;
}

async function main() {
  let options;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (!existsSync(path.join(options.build ?? ROOT, 'dist', 'main.js'))) {
    console.error('dist/main.js is missing: run `npm run build` first (the bench builds nothing).');
    return 1;
  }
  state.tmpDir = mkdtempSync(path.join(os.tmpdir(), 'blooio-bench-'));
  const code = options.soak
    ? await runSoak(options, state.tmpDir)
    : options.receiver
      ? await runReceiverBench(options, state.tmpDir, state)
      : options.delivery
        ? await runDeliveryBench(options, state.tmpDir, state)
        : await runBench(options, state.tmpDir, state);
  if (code !== 0 && !state.interrupted) state.keepTmp = true;
  return code;
}

process.on('exit', killAllNow); // if anything escaped the cleanup, never leave a child behind
process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping the servers');
  state.interrupted = true;
  cleanup().finally(() => process.exit(130));
});
process.once('SIGTERM', () => {
  state.interrupted = true;
  cleanup().finally(() => process.exit(143));
});

main()
  .catch((error) => {
    if (state.interrupted) return 130; // the servers were stopped under the run: not a failure
    console.error(`bench failed: ${error.stack ?? error}`);
    state.keepTmp = true;
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
