import { setTimeout as sleep } from 'node:timers/promises';
import { MockAgent } from 'undici';
import { AttemptDeadline } from './attempt-deadline';

describe('AttemptDeadline', () => {
  it('aborts once when its time is up', async () => {
    const deadline = new AttemptDeadline(20);
    const heard = jest.fn();
    deadline.on('abort', heard);
    expect(deadline.aborted).toBe(false);
    await sleep(60);
    expect(deadline.aborted).toBe(true);
    deadline.abort();
    expect(heard).toHaveBeenCalledTimes(1);
  });

  it('never fires once cleared', async () => {
    const deadline = new AttemptDeadline(20);
    const heard = jest.fn();
    deadline.on('abort', heard);
    deadline.clear();
    await sleep(60);
    expect(deadline.aborted).toBe(false);
    expect(heard).not.toHaveBeenCalled();
  });

  it('aborts an undici request in flight, and undici lets go of its listener when a call ends', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const origin = agent.get('http://blooio.test');
    origin.intercept({ path: '/slow', method: 'POST' }).reply(202, 'late').delay(5_000);
    origin.intercept({ path: '/fast', method: 'POST' }).reply(202, 'ok');

    const fast = new AttemptDeadline(1_000);
    const answer = await agent.request({
      origin: 'http://blooio.test',
      path: '/fast',
      method: 'POST',
      signal: fast,
    });
    await answer.body.text();
    fast.clear();
    await sleep(10); // undici lets go of the listener when the body stream closes, a tick later
    expect(fast.listenerCount('abort')).toBe(0);

    const slow = new AttemptDeadline(30);
    const startedAt = Date.now();
    await expect(
      agent.request({ origin: 'http://blooio.test', path: '/slow', method: 'POST', signal: slow }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await agent.close();
  });
});
