'use strict';

/**
 * What is measured. Not the full cross product: every target under the three loads with one
 * recipient, and for the proxies (reference, nginx, gateway, gateway+redis) the two costs that
 * only they pay: a 20-recipient chat and an Idempotency-Key on every request. The floor of a Nest
 * gateway (nest-floor.js) is measured saturated with one recipient: how much of the gap is the
 * framework's. nginx (a second peer, bench/lib/nginx.js) is left out where it is not installed.
 */

const TARGETS = ['direct', 'reference', 'nginx', 'gateway', 'gateway+redis'];
const PROXIES = ['reference', 'nginx', 'gateway', 'gateway+redis'];

/**
 * connections: autocannon sockets; rate: evenly spaced req/s (absent = as fast as possible);
 * fresh: the proxies are restarted before this load, so that its RSS and sockets are its own.
 */
const LOADS = {
  saturated: { latencyMs: 0, connections: 100 },
  'rate-500': { latencyMs: 0, connections: 50, rate: 500 },
  // 1,000 req/s × 250 ms = 250 sends in flight; 400 sockets leave room for the slow tail.
  'slow-upstream': { latencyMs: 250, connections: 400, rate: 1000, fresh: true },
};

/** Seconds per run: the warm-up run is thrown away, the measured one follows at once. */
const DURATIONS = {
  quick: { warmup: 0.5, measure: 1, slowWarmup: 1, slowMeasure: 1.5 },
  full: { warmup: 3, measure: 10, slowWarmup: 3, slowMeasure: 10 },
};

function scenarioName({ target, load, recipients, idempotencyKey }) {
  const parts = [target, load, `${recipients} rcpt`];
  if (idempotencyKey) parts.push('key');
  return parts.join(' · ');
}

/** Ordered by load (the fake's latency changes once), then target, so like sits next to like. */
function buildScenarios({ nginx = true } = {}) {
  const list = [];
  const add = (target, load, recipients, idempotencyKey) => {
    if (target === 'nginx' && !nginx) return;
    list.push({ target, load, recipients, idempotencyKey, ...LOADS[load] });
  };
  for (const t of TARGETS) add(t, 'saturated', 1, false);
  add('nest-floor', 'saturated', 1, false);
  for (const t of TARGETS) add(t, 'saturated', 20, false); // direct: the floor for a group chat
  for (const t of PROXIES) add(t, 'saturated', 1, true);
  for (const t of TARGETS) add(t, 'rate-500', 1, false);
  for (const t of TARGETS) add(t, 'slow-upstream', 1, false);
  return list.map((s) => ({ ...s, name: scenarioName(s) }));
}

/**
 * The recipients: distinct, E.164 (the first is the 1-recipient case), in a real area code
 * (+1 212 555 01xx, the range set aside for fiction). A +1 555 number matches no NANP country, so
 * libphonenumber tries the patterns of all 25 before giving up: 3× the cost of a real number.
 */
function recipientList(count) {
  return Array.from({ length: count }, (_, i) => `+1212555${String(100 + i).padStart(4, '0')}`);
}

module.exports = { TARGETS, LOADS, DURATIONS, buildScenarios, recipientList, scenarioName };
