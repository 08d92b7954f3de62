'use strict';

/**
 * Blooio's webhooks into the gateway's receiver (`POST /webhooks/blooio/{tenantId}`, DESIGN §11),
 * as Blooio sends them: its flat `WebhookEventPayload`, signed `X-Blooio-Signature: t=<unix s>,
 * v1=<hex HMAC-SHA256(key = the secret string's bytes, message = "<t>.<raw body>")>`, offered at a
 * constant rate (open loop), each answer timed from the moment it was due.
 */
const { createHmac } = require('node:crypto');
const { Pool } = require('undici');
const { Samples } = require('./stats');
const { recipientList } = require('./scenarios');

const TEXT = 'Your order #1234 has shipped and will arrive on Thursday.';
const CONTACT = recipientList(1)[0];
const STATUS_EVENTS = ['message.sent', 'message.delivered', 'message.read'];
const STATUS_OF = {
  'message.sent': 'sent',
  'message.delivered': 'delivered',
  'message.read': 'read',
};
const TIME_FIELD = {
  'message.sent': 'sent_at',
  'message.delivered': 'delivered_at',
  'message.read': 'read_at',
};

/** `X-Blooio-Signature` for `body` (a string) at `nowMs`, the way Blooio's docs compute it. */
function blooioSignatureHeader(secret, body, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  const v1 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** A status event for one of the gateway's sends (`message.sent`, `.delivered`, `.read`). */
function statusEvent(type, messageId, tenant, nowMs = Date.now()) {
  return {
    event: type,
    message_id: messageId,
    external_id: CONTACT,
    internal_id: tenant.sender,
    status: STATUS_OF[type],
    protocol: 'imessage',
    timestamp: nowMs,
    is_group: false,
    [TIME_FIELD[type]]: nowMs,
  };
}

/** A contact's reply to the tenant's number (`internal_id`, its inbound number). */
function inboundEvent(messageId, tenant, nowMs = Date.now()) {
  return {
    event: 'message.received',
    message_id: messageId,
    external_id: CONTACT,
    internal_id: tenant.sender,
    status: 'received',
    protocol: 'imessage',
    timestamp: nowMs,
    is_group: false,
    sender: CONTACT,
    text: 'Thanks, got it! See you Thursday.',
  };
}

/** One keep-alive pool per target (undici, like the gateway's own client). */
function poolFor(url, connections = 64) {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
}

/**
 * Sends `count` messages through the gateway (`POST /v1/messages`, 1 recipient), `concurrency`
 * at a time, and answers their Blooio message ids: the gateway recorded each before it answered.
 */
async function seedMessages(url, tenant, count, concurrency = 16) {
  const pool = poolFor(url, concurrency);
  const body = JSON.stringify({ recipients: [CONTACT], text: TEXT, sender: tenant.sender });
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${tenant.gatewayKey}`,
  };
  const ids = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const { statusCode, body: answer } = await pool.request({
        method: 'POST',
        path: '/v1/messages',
        headers,
        body,
      });
      const json = await answer.json();
      if (statusCode !== 202)
        throw new Error(`seeding a send: ${statusCode} ${JSON.stringify(json)}`);
      ids.push(...(json.messageIds ?? [json.messageId]));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return ids;
}

/** Posts one signed webhook and answers its status (for set-up steps, not measured). */
async function postWebhook(pool, tenant, event) {
  const body = JSON.stringify(event);
  const { statusCode, body: answer } = await pool.request({
    method: 'POST',
    path: `/webhooks/blooio/${tenant.id}`,
    headers: {
      'content-type': 'application/json',
      'x-blooio-signature': blooioSignatureHeader(tenant.blooioSigningSecret, body),
    },
    body,
  });
  await answer.text();
  return statusCode;
}

/**
 * `count` messages sent through the gateway, then delivered (a signed `message.delivered` each,
 * answered 204), checked on the first: `GET /v1/messages/{id}` answers `delivered`, a final
 * status, so that reading it never calls Blooio. Answers their ids.
 */
async function deliveredMessages(url, tenant, count) {
  const ids = await seedMessages(url, tenant, count);
  const pool = poolFor(url, 8);
  try {
    for (const id of ids) {
      const status = await postWebhook(pool, tenant, statusEvent('message.delivered', id, tenant));
      if (status !== 204) throw new Error(`delivering ${id}: the receiver answered ${status}`);
    }
    const { statusCode, body } = await pool.request({
      method: 'GET',
      path: `/v1/messages/${ids[0]}`,
      headers: { authorization: `Bearer ${tenant.gatewayKey}` },
    });
    const json = await body.json();
    if (statusCode !== 200 || json.status !== 'delivered') {
      throw new Error(`GET /v1/messages/${ids[0]}: ${statusCode} ${JSON.stringify(json)}`);
    }
  } finally {
    await pool.close();
  }
  return ids;
}

/**
 * The traffic of one receiver run, `count` webhooks in the order they are due: of every 20, 13
 * status events for the gateway's own sends (each message `sent`, then `delivered`, then `read`,
 * in blocks of 50 messages so that a message's three events are some 0.4 s apart, as Blooio's
 * are), 6 inbound `message.received` for the tenant's number (fresh ids), and 1 duplicate: an
 * event sent a little earlier, again (Blooio's retry, or a second replica's delivery).
 * `messageIds` must hold at least ceil(13/20 × count / 3) ids; `inboundPrefix` keeps inbound ids
 * of different runs apart.
 */
function webhookMix(count, messageIds, inboundPrefix) {
  const plan = [];
  const statusQueue = [];
  for (let block = 0; block * 50 < messageIds.length; block++) {
    const ids = messageIds.slice(block * 50, block * 50 + 50);
    for (const type of STATUS_EVENTS)
      for (const id of ids) statusQueue.push({ kind: 'status', type, id });
  }
  let inbound = 0;
  for (let i = 0; i < count; i++) {
    const slot = i % 20;
    if (slot === 19 && plan.length > 10) {
      // The same event as 10 slots before: a duplicate within ~50 ms at 200/s.
      plan.push({ ...plan[plan.length - 10], duplicate: true });
    } else if (slot % 3 === 2) {
      plan.push({ kind: 'inbound', id: `${inboundPrefix}_${inbound++}` });
    } else {
      const next = statusQueue.shift();
      if (!next)
        throw new Error(
          `webhookMix: ${messageIds.length} message ids are too few for ${count} events`,
        );
      plan.push(next);
    }
  }
  return plan;
}

/** How many message ids `webhookMix(count)` uses. */
function messagesNeeded(count) {
  const statusSlots = Math.ceil((count * 13) / 20) + 20;
  return Math.ceil(statusSlots / 3 / 50) * 50 + 50;
}

/**
 * Offers `plan` to the receiver at `rate` webhooks/s, open loop: webhook i is due at start + i/rate
 * whatever became of the ones before it, and its latency is counted from that moment (so a stall
 * of the gateway shows in every webhook that fell due during it, not just the one it held up:
 * no coordinated omission). Each is signed when it is sent. Answers latencies (ms, due → answer
 * read), the send lag (due → handed to the socket pool: the runner's own lateness), status codes,
 * and errors.
 */
async function runOpenLoop({ url, tenant, plan, rate, connections = 64, onSent }) {
  const pool = poolFor(url, connections);
  const path = `/webhooks/blooio/${tenant.id}`;
  const latencies = new Samples(plan.length);
  const lag = new Samples(plan.length);
  const statusCodes = {};
  const errorMessages = {};
  let errors = 0;
  let settled = 0;
  const intervalMs = 1000 / rate;
  const start = performance.now() + 5;
  const startWall = Date.now() + 5;
  let issued = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));

  const send = (i) => {
    const item = plan[i];
    const dueAt = start + i * intervalMs;
    const nowMs = startWall + i * intervalMs;
    const event =
      item.kind === 'status'
        ? statusEvent(item.type, item.id, tenant, nowMs)
        : inboundEvent(item.id, tenant, nowMs);
    const body = JSON.stringify(event);
    const headers = {
      'content-type': 'application/json',
      'x-blooio-signature': blooioSignatureHeader(tenant.blooioSigningSecret, body),
    };
    lag.push(performance.now() - dueAt);
    onSent?.(item, event, dueAt);
    pool
      .request({ method: 'POST', path, headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 })
      .then(async ({ statusCode, body: answer }) => {
        await answer.dump();
        latencies.push(performance.now() - dueAt);
        statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      })
      .catch((error) => {
        errors += 1;
        errorMessages[error.code ?? error.message] =
          (errorMessages[error.code ?? error.message] ?? 0) + 1;
      })
      .finally(() => {
        settled += 1;
        if (settled === plan.length) resolveDone();
      });
  };
  const pump = () => {
    const due = Math.min(plan.length, Math.floor((performance.now() - start) / intervalMs) + 1);
    while (issued < due) send(issued++);
    if (issued === plan.length) clearInterval(timer);
  };
  // 1 ms: the finest timer Node has; a late tick sends everything that fell due since.
  const timer = setInterval(pump, 1);
  await done;
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  const [p50, p90, p99, p999, max] = latencies.percentiles([50, 90, 99, 99.9, 100]);
  const [lagP99, lagMax] = lag.percentiles([99, 100]);
  const non204 = Object.entries(statusCodes)
    .filter(([code]) => code !== '204')
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    offeredRate: rate,
    webhooks: plan.length,
    seconds,
    latencyMs: { mean: latencies.mean(), p50, p90, p99, p99_9: p999, max },
    sendLagMs: { p99: lagP99, max: lagMax },
    statusCodes,
    non204,
    errors,
    errorMessages,
  };
}

/** `bgw_webhooks_received_total` of the gateway's /metrics, summed by outcome. */
async function webhookOutcomes(url) {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const outcomes = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('bgw_webhooks_received_total{')) continue;
    const outcome = /outcome="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (outcome) outcomes[outcome] = (outcomes[outcome] ?? 0) + value;
  }
  return outcomes;
}

/** What the receiver should have counted for `plan`: each event once, each repeat a duplicate. */
function expectedOutcomes(plan) {
  const duplicate = plan.filter((item) => item.duplicate).length;
  return { accepted: plan.length - duplicate, duplicate };
}

module.exports = {
  CONTACT,
  blooioSignatureHeader,
  statusEvent,
  inboundEvent,
  poolFor,
  seedMessages,
  postWebhook,
  deliveredMessages,
  webhookMix,
  messagesNeeded,
  runOpenLoop,
  webhookOutcomes,
  expectedOutcomes,
};
