import { silentLogger } from '../../../src/observe/logger.js';
import type { ReconcileResult } from '../../../src/kube/run-workers.js';
import { runWorkers } from '../../../src/kube/run-workers.js';
import { WorkQueue } from '../../../src/kube/workqueue.js';
import { ManualTimers, settle } from './manual-timers.js';

/** A reconcile call the test finishes by hand. */
interface Call {
  key: string;
  finish(result?: ReconcileResult | Error): void;
}

function harness(concurrency: number) {
  const timers = new ManualTimers();
  const q = new WorkQueue({ timers, backoff: { baseMs: 100, maxMs: 400, jitter: 0 } });
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const activeKeys = new Set<string>();
  const workers = runWorkers(
    q,
    (key) =>
      new Promise<ReconcileResult | void>((resolve, reject) => {
        if (activeKeys.has(key)) throw new Error(`${key} reconciled twice at once`);
        activeKeys.add(key);
        active++;
        maxActive = Math.max(maxActive, active);
        calls.push({
          key,
          finish: (result) => {
            active--;
            activeKeys.delete(key);
            if (result instanceof Error) reject(result);
            else resolve(result);
          },
        });
      }),
    { concurrency, logger: silentLogger },
  );
  return { q, timers, calls, workers, maxActive: () => maxActive };
}

const open = (calls: Call[]) => calls.length;

describe('runWorkers', () => {
  test('never runs more reconciles at once than its concurrency', async () => {
    const h = harness(2);
    for (const key of ['a', 'b', 'c', 'd']) h.q.add(key);
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b']);
    h.calls[0]!.finish();
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b', 'c']);
    h.calls[1]!.finish();
    h.calls[2]!.finish();
    await settle();
    h.calls[3]!.finish();
    await settle();
    expect(h.maxActive()).toBe(2);
    await h.q.shutDown();
    await h.workers;
  });

  test('a key enqueued during its reconcile runs again after it, not beside it', async () => {
    const h = harness(3);
    h.q.add('a');
    await settle();
    h.q.add('a');
    h.q.add('a');
    await settle();
    expect(open(h.calls)).toBe(1);
    h.calls[0]!.finish();
    await settle();
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'a']);
    h.calls[1]!.finish();
    await settle();
    expect(open(h.calls)).toBe(2);
    await h.q.shutDown();
    await h.workers;
  });

  test('a throw requeues the key after a growing backoff; success resets it', async () => {
    const h = harness(1);
    h.q.add('a');
    await settle();
    h.calls[0]!.finish(new Error('boom'));
    await h.timers.advance(99);
    expect(open(h.calls)).toBe(1);
    await h.timers.advance(1);
    expect(open(h.calls)).toBe(2);

    h.calls[1]!.finish(new Error('boom again'));
    await h.timers.advance(199);
    expect(open(h.calls)).toBe(2);
    await h.timers.advance(1);
    expect(open(h.calls)).toBe(3);

    h.calls[2]!.finish();
    await settle();
    expect(h.q.numRequeues('a')).toBe(0);
    await h.timers.advance(10_000);
    expect(open(h.calls)).toBe(3);
    await h.q.shutDown();
    await h.workers;
  });

  test('requeueAfterMs brings the key back after that delay', async () => {
    const h = harness(1);
    h.q.add('policy');
    await settle();
    h.calls[0]!.finish({ requeueAfterMs: 30_000 });
    await h.timers.advance(29_999);
    expect(open(h.calls)).toBe(1);
    await h.timers.advance(1);
    expect(open(h.calls)).toBe(2);
    h.calls[1]!.finish();
    await h.q.shutDown();
    await h.workers;
  });

  test('shutDown waits for reconciles in flight, then the workers return', async () => {
    const h = harness(2);
    h.q.add('a');
    h.q.add('b');
    h.q.add('c');
    await settle();
    let shutDown = false;
    const stopping = h.q.shutDown().then(() => (shutDown = true));
    let workersDone = false;
    void h.workers.then(() => (workersDone = true));
    await settle();
    expect(shutDown).toBe(false);
    h.calls[0]!.finish();
    await settle();
    expect(shutDown).toBe(false);
    h.calls[1]!.finish(new Error('late failure is not retried'));
    await stopping;
    await settle();
    expect(workersDone).toBe(true);
    expect(h.calls.map((c) => c.key)).toEqual(['a', 'b']);
    expect(h.timers.pending).toBe(0);
  });

  test('rejects a concurrency that is not a positive integer', async () => {
    await expect(
      runWorkers(new WorkQueue(), async () => undefined, { concurrency: 0, logger: silentLogger }),
    ).rejects.toThrow(/positive integer/);
  });
});
