import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import type { BlooioEvent } from '../src/blooio-webhooks/blooio-event';
import { RedisWaitingEvents } from '../src/blooio-webhooks/redis-waiting-events';
import { type WaitingEvent, WaitingEventsFullError } from '../src/blooio-webhooks/waiting-events';
import { RedisMessageRecordStore } from '../src/message-records/redis-message-record.store';
import { blooioKeyIdOf } from '../src/tenants/tenant';
import { bearer } from './support/gateway';
import { outboundRecord } from './support/message-record.fixture';
import { type RunningProcess, startGatewayProcess } from './support/process';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import {
  BLOOIO_KEYS,
  KEYS,
  TEST_TENANT_ENV,
  testTenantsDocument,
  WEBHOOK_SECRETS,
} from './support/tenants.fixture';

jest.setTimeout(60_000);

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > end) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const waitingEvent = (i: number): WaitingEvent => ({
  tenantId: 'acme',
  eventId: `evt_${String(i).padStart(26, 'a')}`,
  event: { event: 'message.sent', messageId: `msg_w${i}` } as BlooioEvent,
  firstReceivedAtMs: Date.now(),
  storeRetries: 12,
});

describeWithRedis('waiting events in Redis (e2e, real Redis)', () => {
  const prefix = uniqueKeyPrefix();
  const connections: Redis[] = [];
  const stores: RedisWaitingEvents[] = [];
  const store = (options: ConstructorParameters<typeof RedisWaitingEvents>[2] = {}) => {
    const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
    connections.push(redis);
    const waiting = new RedisWaitingEvents(redis, undefined, { pollMs: 20, ...options });
    stores.push(waiting);
    return waiting;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const redis of connections.splice(0)) redis.disconnect();
    await deleteKeys(prefix);
  });

  it('hands each due event to exactly one of two replicas, and keeps none once done', async () => {
    const [a, b] = [store(), store()];
    const seen: string[] = [];
    const handler = (by: string) => (waiting: WaitingEvent) => {
      seen.push(`${by}:${waiting.eventId}`);
      return Promise.resolve({ again: false as const });
    };
    for (let i = 0; i < 150; i += 1) await a.wait(waitingEvent(i), 0);
    // The same event waiting already adds nothing.
    await b.wait(waitingEvent(0), 0);
    expect(await b.count()).toBe(150);
    // Both replicas poll at once from now on.
    a.handle(handler('a'));
    b.handle(handler('b'));
    await waitFor(async () => seen.length >= 150 && (await a.count()) === 0, 10_000);
    await sleep(200);
    const ids = seen.map((s) => s.split(':')[1]);
    expect(ids).toHaveLength(150);
    expect(new Set(ids).size).toBe(150);
    const keys = await connections[0].keys(`${prefix}whwait*`);
    expect(keys).toEqual([]);
  });

  it('waits until due, then keeps an event waiting again when told, with what the handler changed', async () => {
    const waiting = store();
    const handled: WaitingEvent[] = [];
    waiting.handle((event) => {
      handled.push(event);
      return Promise.resolve(
        handled.length === 1
          ? { again: true, afterMs: 300, waiting: { ...event, storeRetries: 3 } }
          : { again: false },
      );
    });
    const startedAt = Date.now();
    await waiting.wait(waitingEvent(1), 300);
    await waitFor(() => Promise.resolve(handled.length === 2), 5_000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(550);
    expect(handled.map((e) => e.storeRetries)).toEqual([12, 3]);
    expect(await waiting.count()).toBe(0);
  });

  it('refuses a new event past the cap (for all replicas), but not one already waiting', async () => {
    const [a, b] = [store({ cap: 3 }), store({ cap: 3 })];
    a.handle(() => Promise.resolve({ again: false }));
    b.handle(() => Promise.resolve({ again: false }));
    for (let i = 0; i < 3; i += 1) await (i % 2 ? a : b).wait(waitingEvent(i), 60_000);
    await expect(b.wait(waitingEvent(1), 60_000)).resolves.toBeUndefined();
    await expect(a.wait(waitingEvent(9), 60_000)).rejects.toBeInstanceOf(WaitingEventsFullError);
    expect(await b.count()).toBe(3);
  });

  it('hands an event claimed by a replica that died on to another once the lease ends', async () => {
    const dead = store({ leaseMs: 500 });
    let claimed = 0;
    // Claims it and never finishes: the process "died" mid re-check.
    dead.handle(() => {
      claimed += 1;
      return new Promise<never>(() => undefined);
    });
    await dead.wait(waitingEvent(7), 0);
    await waitFor(() => Promise.resolve(claimed === 1), 5_000);
    await dead.close();
    const survivor = store({ leaseMs: 500 });
    const handled: string[] = [];
    survivor.handle((event) => {
      handled.push(event.eventId);
      return Promise.resolve({ again: false });
    });
    await waitFor(() => Promise.resolve(handled.length === 1), 5_000);
    expect(handled).toEqual([waitingEvent(7).eventId]);
  });
});

describeWithRedis(
  'an event waiting for its record survives its replica (e2e, two processes)',
  () => {
    const prefix = uniqueKeyPrefix();
    const processes: RunningProcess[] = [];

    async function replica(): Promise<{ url: string; process: RunningProcess }> {
      const started = await startGatewayProcess(testTenantsDocument(), {
        ...TEST_TENANT_ENV,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
      });
      processes.push(started.process);
      return started;
    }

    afterAll(async () => {
      for (const child of processes) if (child.child.exitCode === null) child.child.kill('SIGKILL');
      await Promise.all(processes.map((child) => child.exited));
      await deleteKeys(prefix);
    });

    it('is routed by replica B after replica A, which answered 204, was killed with SIGKILL', async () => {
      const [a, b] = [await replica(), await replica()];
      const messageId = `msg_survives${Date.now().toString(36)}`;
      const body = JSON.stringify({
        event: 'message.sent',
        message_id: messageId,
        external_id: '+15551234567',
        status: 'sent',
        protocol: 'imessage',
        timestamp: Date.now(),
        internal_id: '+15550001111',
        is_group: false,
      });
      const t = Math.floor(Date.now() / 1000);
      const v1 = createHmac('sha256', WEBHOOK_SECRETS.acme).update(`${t}.${body}`).digest('hex');
      // Blooio's event beats the record of the send: A answers 204 and keeps it waiting…
      const answer = await fetch(`${a.url}/webhooks/blooio/acme`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-blooio-signature': `t=${t},v1=${v1}` },
        body,
      });
      expect(answer.status).toBe(204);
      // …and dies before its first re-check (2 s after receipt).
      a.process.child.kill('SIGKILL');
      await a.process.exited;

      // The record is written (the send that caused the event, finishing late).
      const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
      try {
        const records = new RedisMessageRecordStore(redis, 600_000);
        await records.save(
          outboundRecord({
            tenantId: 'acme',
            messageId,
            blooioKeyId: blooioKeyIdOf(BLOOIO_KEYS.acme),
          }),
        );
        // B routes it within the re-check window: acme's event, and its record moved on.
        const eventsOnB = async () => {
          const page = await fetch(`${b.url}/v1/events?messageId=${messageId}`, {
            headers: bearer(KEYS.acmeRotated),
          });
          return ((await page.json()) as { data: { type: string }[] }).data.map((e) => e.type);
        };
        await waitFor(async () => (await eventsOnB()).length > 0, 15_000);
        expect(await eventsOnB()).toEqual(['message.sent']);
        expect((await records.find('acme', messageId))?.status).toBe('sent');
      } finally {
        redis.disconnect();
      }
    });
  },
);
