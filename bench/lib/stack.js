'use strict';

/**
 * Starts the processes a run needs, each on its own: the fake Blooio, the reference proxy, nginx
 * (the second peer), the Nest floor, the gateway (memory stores) and the gateway with Redis, from
 * the built dist/, in parallel.
 */
const { closeSync, openSync } = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { startNginxPeer } = require('./nginx');
const { freePort, startNode, stop, waitForListening, waitForOk } = require('./processes');
const { writeTenantsFile } = require('./tenants');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'bench');
const RESULTS_DIR = path.join(BENCH, 'results');

/** Open sockets to Blooio at most, for the gateway and the reference alike. */
const POOL_SIZE = 512;

/**
 * The heap the proxies get in their pod: deploy/kubernetes/deployment.yaml's NODE_OPTIONS (a test
 * keeps the two equal). From the pod's 384Mi limit alone, Node 20 would pick the same old
 * generation but a ~1 MB semi-space (heap_size_limit 259 MB inside a 384 MiB memory cgroup; 304 MB
 * with these flags, as on the host). Without them, on this 24 GiB host, V8 allows a 4 GB heap and
 * collects lazily (bench/NOTES.md, "Memory"); `npm run bench -- --host-heap` measures that.
 */
const POD_HEAP_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=16'];
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Variables of the runner's own shell that would change what is measured (flags are nodeArgs). */
const GATEWAY_UNSET = [
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'SANDBOX_API_KEY',
  'DOCS_ENABLED',
  'NODE_OPTIONS',
];

/** The runner's own environment without `names`. */
function runnerEnvWithout(names) {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

async function startFake(tenant) {
  const server = startNode('fake-blooio', path.join(BENCH, 'fake-blooio.js'), {
    args: ['0', '0'],
    env: { FAKE_BLOOIO_KEY: tenant.blooioKey },
  });
  const port = await waitForListening(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

/**
 * A proxy that takes its settings as arguments: reference-proxy.js, or nest-floor.js (the floor of
 * a Nest gateway). The runner's own NODE_OPTIONS never reaches it: its flags are `nodeArgs`.
 */
async function startPlainProxy(script, fake, tenant, nodeArgs = []) {
  const keys = JSON.stringify({ [tenant.gatewayKey]: tenant.blooioKey });
  const server = startNode(path.basename(script, '.js'), path.join(BENCH, script), {
    nodeArgs,
    args: ['0', `${fake.url}/v2/api`, keys],
    replaceEnv: {
      ...runnerEnvWithout(['NODE_OPTIONS']),
      BLOOIO_MAX_CONNECTIONS: String(POOL_SIZE),
    },
  });
  const port = await waitForListening(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

/**
 * The gateway as production runs it; its JSON log lines go straight to a file (fd). `wrapper` runs
 * it inside another program (valgrind), which may need a longer `readyTimeoutMs`.
 */
async function startGateway(
  name,
  fake,
  tenant,
  tmpDir,
  extraEnv = {},
  nodeArgs = [],
  main = path.join(ROOT, 'dist', 'main.js'),
  { wrapper = [], readyTimeoutMs } = {},
) {
  const port = await freePort();
  const logFile = path.join(tmpDir, `${name.replace(/\W+/g, '-')}.log`);
  const fd = openSync(logFile, 'a'); // 'a': a restarted gateway adds to the same log
  let server;
  try {
    server = startNode(name, main, {
      nodeArgs,
      wrapper,
      cwd: ROOT,
      stdoutFd: fd,
      replaceEnv: {
        ...runnerEnvWithout(GATEWAY_UNSET),
        NODE_ENV: 'production',
        SANDBOX: 'false',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        TENANTS_FILE: tenant.file,
        BLOOIO_BASE_URL: `${fake.url}/v2/api`,
        BLOOIO_MAX_CONNECTIONS: String(POOL_SIZE),
        BLOOIO_TIMEOUT_MS: '10000',
        // No load balancer to wait for: stop at once when the bench restarts or ends the gateway.
        SHUTDOWN_DELAY_MS: '0',
        // The read budget (GET /v1/messages/{id}, /v1/events) far above any load, like the send's.
        RATE_LIMIT_READS_PER_SECOND: '1000000',
        ...extraEnv,
      },
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(server, `${url}/health/ready`, readyTimeoutMs);
  return { server, url, logFile };
}

/** A per-run key prefix: the cleanup deletes exactly these keys and nothing else. */
function newRedisPrefix() {
  return `bgw-bench-${randomBytes(6).toString('hex')}:`;
}

/** Starts the proxies among `targets` (the fake Blooio is `direct`), in parallel. */
async function startServers(targets, stack, tmpDir) {
  const { fake, tenant, redisPrefix, nodeArgs, main, extraEnv = {} } = stack;
  const starting = {
    reference:
      targets.has('reference') && startPlainProxy('reference-proxy.js', fake, tenant, nodeArgs),
    nginx: targets.has('nginx') && startNginxPeer(fake, tenant, tmpDir, POOL_SIZE),
    'nest-floor':
      targets.has('nest-floor') && startPlainProxy('nest-floor.js', fake, tenant, nodeArgs),
    gateway:
      targets.has('gateway') &&
      startGateway('gateway', fake, tenant, tmpDir, extraEnv, nodeArgs, main),
    'gateway+redis':
      targets.has('gateway+redis') &&
      startGateway(
        'gateway+redis',
        fake,
        tenant,
        tmpDir,
        {
          ...extraEnv,
          REDIS_URL,
          REDIS_KEY_PREFIX: redisPrefix,
        },
        nodeArgs,
        main,
      ),
  };
  const entries = Object.entries(starting).filter(([, promise]) => promise);
  const settled = await Promise.allSettled(entries.map(([, promise]) => promise));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return Object.fromEntries(entries.map(([name], i) => [name, settled[i].value]));
}

/**
 * @param {Set<string>} targets which of direct/reference/nginx/gateway/gateway+redis/nest-floor to
 *   start
 * @param {object} [options]
 * @param {string} [options.redisPrefix] the per-run Redis key prefix
 * @param {string[]} [options.nodeArgs] node flags for the proxies (the pod's heap, the profiler's
 *   --cpu-prof)
 * @param {string} [options.main] the gateway's entry point, if not dist/main.js (a saved build)
 * @param {Record<string,string>} [options.extraEnv] more variables for both gateways
 * @param {object} [options.tenantOptions] for writeTenantsFile (the tenant's webhook endpoints)
 * @returns the tenant, the fake, and one {server, url} per target
 */
async function startStack(
  targets,
  tmpDir,
  { redisPrefix = newRedisPrefix(), nodeArgs = [], main, extraEnv = {}, tenantOptions } = {},
) {
  const tenant = writeTenantsFile(tmpDir, tenantOptions);
  const fake = await startFake(tenant);
  const stack = { tenant, fake, redisPrefix, tmpDir, targets, nodeArgs, main, extraEnv };
  stack.handles = { direct: fake, ...(await startServers(targets, stack, tmpDir)) };
  return stack;
}

/**
 * Replaces the proxies with fresh processes (the fake Blooio stays): what a load leaves behind
 * (a heap grown under saturation, idempotency records, pooled sockets) must not count against the
 * next one.
 */
async function restartServers(stack) {
  const proxies = Object.entries(stack.handles).filter(([name]) => name !== 'direct');
  await Promise.all(proxies.map(([, handle]) => stop(handle.server, 10_000)));
  const targets = new Set(proxies.map(([name]) => name));
  Object.assign(stack.handles, await startServers(targets, stack, stack.tmpDir));
}

module.exports = {
  startFake,
  startGateway,
  startStack,
  restartServers,
  newRedisPrefix,
  POOL_SIZE,
  POD_HEAP_FLAGS,
  REDIS_URL,
  RESULTS_DIR,
  ROOT,
};
