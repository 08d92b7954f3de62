'use strict';

/** Ratios to the peers, the targets, and the console table. */
const { scenarioName } = require('./scenarios');

/** `peer`'s scenario under the same load and body as `result`, for ratios. */
function peerOf(result, peer, byName) {
  if (result.target === peer) return undefined;
  return byName.get(scenarioName({ ...result, target: peer }));
}

function versus(result, peer) {
  return {
    rpsRatio: result.rps / peer.rps,
    p99DeltaMs: result.latencyMs.p99 - peer.latencyMs.p99,
  };
}

/**
 * Adds `vsReference: {rpsRatio, p99DeltaMs}` to every result that has a reference twin (the
 * issue's targets), and `vsNginx` to the gateways' results that have an nginx twin.
 */
function addRatios(results) {
  const byName = new Map(results.map((r) => [r.name, r]));
  for (const result of results) {
    const reference = peerOf(result, 'reference', byName);
    if (reference) result.vsReference = versus(result, reference);
    const nginx = result.target.startsWith('gateway') && peerOf(result, 'nginx', byName);
    if (nginx) result.vsNginx = versus(result, nginx);
  }
}

/**
 * Issue #5's targets, each {name, value, limit, op, pass}. A target whose scenarios were not run
 * (--only) has value null and pass null.
 */
function evaluateTargets(results, { poolSize }) {
  const byName = new Map(results.map((r) => [r.name, r]));
  const targets = [];
  const check = (name, value, op, limit) => {
    const known = value !== undefined && value !== null && !Number.isNaN(value);
    const pass = known ? (op === '>=' ? value >= limit : value <= limit) : null;
    targets.push({ name, value: known ? round(value, 3) : null, op, limit, pass });
  };
  const get = (target, load, recipients, idempotencyKey = false) =>
    byName.get(scenarioName({ target, load, recipients, idempotencyKey }));

  for (const [recipients, key] of [
    [1, false],
    [20, false],
    [1, true],
  ]) {
    const body = `${recipients} rcpt${key ? ' · key' : ''}`;
    for (const [target, limit] of [
      ['gateway', 0.35],
      ['gateway+redis', 0.3],
    ]) {
      const ratio = get(target, 'saturated', recipients, key)?.vsReference?.rpsRatio;
      check(`saturated · ${body}: ${target} req/s ÷ reference req/s`, ratio, '>=', limit);
    }
  }
  check(
    'rate-500 · 1 rcpt: gateway p99 − reference p99 (ms)',
    get('gateway', 'rate-500', 1)?.vsReference?.p99DeltaMs,
    '<=',
    2,
  );
  for (const target of ['gateway', 'gateway+redis']) {
    const slow = get(target, 'slow-upstream', 1);
    const prefix = `slow-upstream · 1 rcpt: ${target}`;
    check(`${prefix} non-2xx + errors`, slow && slow.non2xx + slow.errors, '<=', 0);
    check(`${prefix} p99 (ms)`, slow?.latencyMs.p99, '<=', 250 + 15);
    check(`${prefix} RSS (MB)`, slow?.rssMb, '<=', 200);
    check(`${prefix} open sockets to Blooio`, slow?.maxUpstreamSockets, '<=', poolSize);
  }
  return targets;
}

function round(value, digits) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** JSON.stringify replacer: every fraction to 3 decimals (the noise is far above that). */
const rounded = (_key, value) => (typeof value === 'number' ? round(value, 3) : value);

const fmt = (value, digits = 0) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';

const COLUMNS = [
  ['scenario', (r) => r.name, 'left'],
  ['req/s', (r) => fmt(r.rps)],
  ['p50 ms', (r) => fmt(r.latencyMs.p50, 2)],
  ['p99 ms', (r) => fmt(r.latencyMs.p99, 2)],
  ['p99.9 ms', (r) => fmt(r.latencyMs.p99_9, 2)],
  ['requests', (r) => fmt(r.requests)],
  ['non-2xx', (r) => fmt(r.non2xx)],
  ['errors', (r) => fmt(r.errors)],
  ['RSS MB', (r) => fmt(r.rssMb, 1)],
  ['CPU ms/1k', (r) => fmt(r.cpuMsPer1k, 0)],
  ['sockets', (r) => fmt(r.maxUpstreamSockets)],
  ['other CPU %', (r) => fmt(r.otherCpuPct, 0)],
  ['× ref', (r) => (r.vsReference ? fmt(r.vsReference.rpsRatio, 2) : '')],
  ['Δp99 ms', (r) => (r.vsReference ? signed(r.vsReference.p99DeltaMs) : '')],
  ['× nginx', (r) => (r.vsNginx ? fmt(r.vsNginx.rpsRatio, 2) : '')],
];

function signed(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

/** Aligned text table: text columns left, numbers right. */
function table(results) {
  const rows = results.map((r) => COLUMNS.map(([, cell]) => String(cell(r))));
  const widths = COLUMNS.map(([title], i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells) =>
    cells
      .map((cell, i) =>
        COLUMNS[i][2] === 'left' ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ');
  return [
    line(COLUMNS.map(([title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

function targetLines(targets) {
  return targets.map((t) => {
    const verdict = t.pass === null ? 'NOT RUN' : t.pass ? 'ok' : 'MISSED';
    return `  ${verdict.padEnd(7)}  ${t.name}: ${t.value ?? '–'} (target ${t.op} ${t.limit})`;
  });
}

module.exports = { addRatios, evaluateTargets, table, targetLines, round, rounded };
