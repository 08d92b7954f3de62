// A replica that only runs delivery jobs, for the kill -9 tests of the BullMQ queue: it runs the
// built BullmqEventDeliveryQueue (dist/) on one lane, prints `ran <event id> <attempt>` when an
// attempt starts, and never finishes one (HOLD), so that the parent can kill it mid-delivery.
// Env: DIST, REDIS_URL, PREFIX, STALLED_MS, CONCURRENCY.
const { join } = require('node:path');
const { BullmqEventDeliveryQueue } = require(
  join(process.env.DIST, 'events', 'delivery', 'bullmq-event-delivery.queue.js'),
);

const queue = new BullmqEventDeliveryQueue({
  url: process.env.REDIS_URL,
  prefix: process.env.PREFIX,
  finishedRetentionMs: 60_000,
  stalledMs: Number(process.env.STALLED_MS),
});
const lane = { tenantId: 'acme', endpointId: 'crm' };
queue
  .start(
    [lane],
    (job, attempt) => {
      process.stdout.write(`ran ${job.eventId} ${attempt}\n`);
      return new Promise(() => undefined);
    },
    Number(process.env.CONCURRENCY),
  )
  .then(() => process.stdout.write('started\n'));
