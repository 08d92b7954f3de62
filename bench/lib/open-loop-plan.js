'use strict';

const path = require('node:path');
const { redisAnswers } = require('./redis');
const { REDIS_URL, ROOT } = require('./stack');

/**
 * What an open-loop bench (--receiver, --delivery) runs, from its command line: the durations of
 * its mode, the rate, the gateways `--only` leaves (Redis must answer when one needs it) and the
 * build measured (`--build`, else this checkout's dist/).
 */
async function planOpenLoopRun(options, allTargets, durationsByMode) {
  const mode = options.quick ? 'quick' : 'full';
  const durations = { ...durationsByMode[mode] };
  if (options.receiverSeconds) durations.measure = options.receiverSeconds;
  const targets = options.only
    ? allTargets.filter((target) => new RegExp(options.only, 'i').test(target))
    : allTargets;
  if (targets.length === 0) {
    throw new Error(`--only ${options.only}: matches neither gateway nor gateway+redis`);
  }
  if (targets.includes('gateway+redis') && !(await redisAnswers(REDIS_URL))) {
    throw new Error(
      `Redis at ${REDIS_URL} does not answer (gateway+redis needs it; --only gateway skips it)`,
    );
  }
  const root = options.build ? path.resolve(options.build) : ROOT;
  return { mode, durations, rate: options.rate, targets, root };
}

module.exports = { planOpenLoopRun };
