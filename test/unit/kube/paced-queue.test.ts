import { PacedQueue } from '../../../src/kube/paced-queue.js';
import { WorkQueue } from '../../../src/kube/workqueue.js';
import { ManualTimers } from './manual-timers.js';

function setup(periodMs = 10_000) {
  const timers = new ManualTimers();
  const queue = new WorkQueue({ timers });
  const paced = new PacedQueue(queue, periodMs, () => timers.now());
  return { timers, queue, paced };
}

/** Takes the next key, runs the reconciler, and hands the key back. */
async function runOne(queue: WorkQueue, reconcile: (key: string) => Promise<unknown>) {
  const key = (await queue.get())!;
  await reconcile(key);
  queue.done(key);
  return key;
}

test('the first ask runs at once; asks within the period wait for it, and coalesce', async () => {
  const { timers, queue, paced } = setup();
  const run = paced.paced(async () => undefined);
  paced.add('p');
  expect(queue.length).toBe(1);
  await runOne(queue, run);
  paced.add('p');
  paced.add('p');
  expect(queue.length).toBe(0);
  await timers.advance(9_999);
  expect(queue.length).toBe(0);
  await timers.advance(1);
  expect(queue.length).toBe(1);
});

test('keys are paced apart from each other', async () => {
  const { queue, paced } = setup();
  const run = paced.paced(async () => undefined);
  paced.add('p');
  await runOne(queue, run);
  paced.add('q');
  expect(queue.length).toBe(1);
});

test('a reconcile never asks back sooner than a period', async () => {
  const { paced } = setup(10_000);
  expect(await paced.paced(async () => ({ requeueAfterMs: 1 }))('p')).toEqual({ requeueAfterMs: 10_000 });
  expect(await paced.paced(async () => ({ requeueAfterMs: 60_000 }))('p')).toEqual({ requeueAfterMs: 60_000 });
  expect(await paced.paced(async () => undefined)('p')).toBeUndefined();
});

test('a forgotten key runs at once again', async () => {
  const { queue, paced } = setup();
  const run = paced.paced(async () => undefined);
  paced.add('p');
  await runOne(queue, run);
  paced.forget('p');
  paced.add('p');
  expect(queue.length).toBe(1);
});
