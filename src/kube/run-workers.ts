// Workers that drain a WorkQueue through a reconciler: at most `concurrency` keys at once, one
// reconcile per key at a time (the queue guarantees it). A reconciler that throws gets its key back
// after the key's backoff; one that returns requeueAfterMs gets it back after that delay.
import type { Logger } from '../observe/logger.js';
import { describeError } from './api-errors.js';
import type { WorkQueue } from './workqueue.js';

export interface ReconcileResult {
  /** Reconcile this key again after this delay, e.g. the next sweep interval. */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

export interface RunWorkersOptions {
  concurrency: number;
  logger: Logger;
}

/** Runs the workers until the queue shuts down; resolves when all of them have returned. */
export async function runWorkers(queue: WorkQueue, reconcile: Reconciler, options: RunWorkersOptions): Promise<void> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new Error(`worker concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const workers = Array.from({ length: options.concurrency }, () => work(queue, reconcile, options.logger));
  await Promise.all(workers);
}

async function work(queue: WorkQueue, reconcile: Reconciler, logger: Logger): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const result = await reconcile(key);
      queue.forget(key);
      if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const retryInMs = queue.addRateLimited(key);
      logger.warn('reconcile failed; retrying after backoff', {
        key,
        error: describeError(err),
        failures: queue.numRequeues(key),
        retryInMs,
      });
    } finally {
      queue.done(key);
    }
  }
}
