// Reconciles of a key at most once a period: a key asked for sooner waits in the queue until its
// period is up (asks meanwhile coalesce), so a burst of events makes one reconcile, not a stream.
import type { ReconcileResult, Reconciler } from './run-workers.js';
import type { WorkQueue } from './workqueue.js';

export class PacedQueue {
  private readonly lastStarted = new Map<string, number>();

  constructor(
    private readonly queue: WorkQueue,
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {}

  /** Asks for a reconcile of `key`: now, or when its period since the last one is up. */
  add(key: string): void {
    const wait = this.waitFor(key);
    if (wait > 0) this.queue.addAfter(key, wait);
    else this.queue.add(key);
  }

  /** Wraps a reconciler: records when each key starts, and never asks back sooner than a period. */
  paced(reconcile: Reconciler): Reconciler {
    return async (key: string): Promise<ReconcileResult | void> => {
      this.lastStarted.set(key, this.now());
      const result = await reconcile(key);
      if (result?.requeueAfterMs === undefined) return result;
      return { requeueAfterMs: Math.max(result.requeueAfterMs, this.periodMs) };
    };
  }

  forget(key: string): void {
    this.lastStarted.delete(key);
  }

  private waitFor(key: string): number {
    const last = this.lastStarted.get(key);
    return last === undefined ? 0 : last + this.periodMs - this.now();
  }
}
