import { WorkQueue } from '../../../src/kube/workqueue.js';
import { ManualTimers, settle } from './manual-timers.js';

const noJitter = { baseMs: 100, maxMs: 1_000, jitter: 0 };

function queue(timers = new ManualTimers()): { q: WorkQueue; timers: ManualTimers } {
  return { q: new WorkQueue({ timers, backoff: noJitter }), timers };
}

describe('WorkQueue', () => {
  test('hands keys out in order and keeps a waiting key once', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    await expect(q.get()).resolves.toBe('a');
    await expect(q.get()).resolves.toBe('b');
    expect(q.length).toBe(0);
  });

  test('a getter waiting on an empty queue gets the next key added', async () => {
    const { q } = queue();
    const next = q.get();
    q.add('late');
    await expect(next).resolves.toBe('late');
  });

  test('a key added while it is processed is not handed to a second worker, but comes back after done', async () => {
    const { q } = queue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);

    let second: string | undefined;
    void q.get().then((key) => (second = key));
    await settle();
    expect(second).toBeUndefined();

    q.done(first!);
    await settle();
    expect(second).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  test('a key not re-added while processed is not handed out again', async () => {
    const { q } = queue();
    q.add('a');
    q.done((await q.get())!);
    expect(q.length).toBe(0);
  });

  test('addAfter adds the key once its delay has passed; the earliest of several delays wins', async () => {
    const { q, timers } = queue();
    q.addAfter('a', 500);
    q.addAfter('a', 200);
    q.addAfter('a', 900);
    await timers.advance(199);
    expect(q.length).toBe(0);
    await timers.advance(1);
    expect(q.length).toBe(1);
    await timers.advance(1_000);
    expect(q.length).toBe(1);
    expect(timers.pending).toBe(0);
  });

  test('a key handed out before its delayed add is due does not come back for it: the reconcile decides', async () => {
    const { q, timers } = queue();
    q.addAfter('a', 1_000);
    q.add('a');
    await expect(q.get()).resolves.toBe('a');
    expect(timers.pending).toBe(0);
    q.done('a');
    await timers.advance(2_000);
    expect(q.length).toBe(0);
    // A requeue asked for after that reconcile comes as asked.
    q.addAfter('a', 500);
    await timers.advance(500);
    expect(q.length).toBe(1);
  });

  test('addAfter with no delay adds at once', () => {
    const { q } = queue();
    q.addAfter('a', 0);
    expect(q.length).toBe(1);
  });

  test('addRateLimited backs off exponentially up to the cap, per key, and forget starts over', () => {
    const { q } = queue();
    expect([1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('a'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.addRateLimited('b')).toBe(100);
    expect(q.numRequeues('a')).toBe(6);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(100);
  });

  test('jitter takes at most its fraction off a delay', () => {
    const timers = new ManualTimers();
    const backoff = { baseMs: 1_000, maxMs: 10_000, jitter: 0.5 };
    const lowest = new WorkQueue({ timers, backoff, random: () => 1 });
    const highest = new WorkQueue({ timers, backoff, random: () => 0 });
    expect(lowest.addRateLimited('k')).toBe(500);
    expect(highest.addRateLimited('k')).toBe(1_000);
  });

  test('shutDown hands out nothing more, drops waiting and delayed keys, and waits for keys in flight', async () => {
    const { q, timers } = queue();
    q.add('busy');
    q.add('queued');
    q.add('dropped');
    q.addAfter('later', 100);
    const busy = await q.get();
    await expect(q.get()).resolves.toBe('queued');

    let drained = false;
    const shutDown = q.shutDown().then(() => (drained = true));
    await expect(q.get()).resolves.toBeUndefined();
    expect(q.length).toBe(0);
    expect(timers.pending).toBe(0);

    q.add('new');
    expect(q.length).toBe(0);
    q.done('queued');
    await settle();
    expect(drained).toBe(false);
    q.done(busy!);
    await shutDown;
    expect(drained).toBe(true);
  });

  test('a getter waiting when the queue shuts down gets undefined', async () => {
    const { q } = queue();
    const waiting = q.get();
    await q.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    expect(q.isShuttingDown).toBe(true);
  });
});
