'use strict';

/**
 * Sorts a CPU profile's frames into the parts of a request. Node internals and native functions
 * (JSON.stringify, createHash, timers...) count for the nearest caller that belongs to the gateway
 * or a library, so that "auth" includes the SHA-256 it asks for; what no such caller reaches (the
 * HTTP parser, socket writes, the event loop) stays under Node.
 */

/** [category, test on the frame's url] for the gateway's code (dist/) and its libraries. */
const OWNED = [
  ['auth', /\/dist\/tenants\//],
  [
    'validation',
    /class-validator|class-transformer|validation\.pipe|\/dist\/messages\/(dto|validation)\//,
  ],
  ['validation', /\/dist\/messages\/(idempotency-key\.pipe|message-rules)/],
  ['normalisation', /libphonenumber-js|\/dist\/messages\/recipients/],
  ['mapping', /\/dist\/messages\/(blooio-message\.mapper|outbound-message)/],
  ['controller + service', /\/dist\/messages\//],
  ['receiver: signature, parse, route', /\/dist\/blooio-webhooks\//],
  ['message records', /\/dist\/message-records\//],
  ['event log + delivery', /\/dist\/events\//],
  ['rate limit', /@nestjs\/throttler|\/dist\/rate-limit\//],
  ['idempotency', /\/dist\/idempotency\//],
  ['queue: bullmq', /node_modules\/(bullmq|@nestjs\/bullmq|msgpackr|cron-parser)\//],
  ['redis', /ioredis|redis-parser|\/dist\/redis\//],
  ['client: axios', /node_modules\/axios\/|@nestjs\/axios/],
  ['client: undici', /node_modules\/undici\/|node:internal\/deps\/undici/],
  ['client: ours', /\/dist\/blooio\//],
  ['logging', /pino|sonic-boom|fast-redact|thread-stream|\/dist\/logging\//],
  ['metrics', /prom-client|\/dist\/metrics\//],
  ['gateway hooks + problems', /\/dist\/(http|problems|lifecycle|app\.setup)/],
  ['nest', /@nestjs\/|rxjs|reflect-metadata/],
  ['fastify', /fastify|find-my-way|avvio|light-my-request|secure-json-parse|fast-json-stringify/],
  ['other library', /node_modules\//],
  ['gateway: other', /\/dist\//],
];

/** Node's own code, where no gateway or library frame called it. */
const NODE = [
  [
    'node: http + sockets',
    /node:_http|node:http|node:internal\/http|node:net|node:internal\/stream|node:stream|node:internal\/net/,
  ],
  [
    'node: timers + microtasks',
    /node:internal\/timers|node:timers|task_queues|node:internal\/process/,
  ],
  ['node: other', /^node:/],
];

const SPECIAL = new Map([
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'node: native (program)'],
  ['(idle)', 'idle'],
  ['(root)', 'idle'],
]);

const CATEGORY_ORDER = [
  'auth',
  'validation',
  'normalisation',
  'mapping',
  'controller + service',
  'receiver: signature, parse, route',
  'message records',
  'event log + delivery',
  'rate limit',
  'idempotency',
  'queue: bullmq',
  'redis',
  'client: axios',
  'client: undici',
  'client: ours',
  'logging',
  'metrics',
  'gateway hooks + problems',
  'gateway: other',
  'nest',
  'fastify',
  'other library',
  'node: http + sockets',
  'node: timers + microtasks',
  'node: other',
  'node: native',
  'node: native (program)',
  'garbage collection',
];

function ownedCategory(url) {
  for (const [category, test] of OWNED) if (test.test(url)) return category;
  return undefined;
}

function nodeCategory(frame) {
  const special = SPECIAL.get(frame.functionName);
  if (special) return special;
  for (const [category, test] of NODE) if (test.test(frame.url)) return category;
  return 'node: native';
}

/**
 * @param profile a parsed .cpuprofile
 * @returns Map from node id to its category
 */
function categoriseNodes(profile) {
  const parentOf = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owner = new Map(); // node id -> owned category of it or its nearest owned ancestor, or null
  const ownerOf = (id) => {
    if (owner.has(id)) return owner.get(id);
    const path = [];
    let current = id;
    let found = null;
    while (current !== undefined) {
      if (owner.has(current)) {
        found = owner.get(current);
        break;
      }
      path.push(current);
      const own = ownedCategory(byId.get(current).callFrame.url);
      if (own) {
        found = own;
        break;
      }
      current = parentOf.get(current);
    }
    for (const visited of path) owner.set(visited, found);
    // the frame that matched owns itself; frames between it and `id` inherit it (set above)
    return found;
  };
  const categories = new Map();
  for (const node of profile.nodes) {
    const special = SPECIAL.get(node.callFrame.functionName);
    categories.set(node.id, special ?? ownerOf(node.id) ?? nodeCategory(node.callFrame));
  }
  return categories;
}

module.exports = { categoriseNodes, CATEGORY_ORDER };
