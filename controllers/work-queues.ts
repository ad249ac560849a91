// The process's work queues: policies to sweep (one sweep at a time), owners to reconcile, this
// node's reports to write, and policies whose fleet summary to write, paced. Shutdown drains them
// in order.
import { PacedQueue } from '../src/kube/paced-queue.js';
import { WorkQueue } from '../src/kube/workqueue.js';

export class WorkQueues {
  readonly policies = new WorkQueue();
  readonly owners = new WorkQueue();
  readonly reports = new WorkQueue();
  readonly summaries = new WorkQueue();
  /** The summary queue, at most one summary of a policy per period. */
  readonly paced: PacedQueue;

  constructor(
    private readonly summarizing: boolean,
    summaryPeriodMs: number,
    now: () => number,
  ) {
    this.paced = new PacedQueue(this.summaries, summaryPeriodMs, now);
  }

  /** Asks for the policy's fleet summary; nothing in a process that does not write summaries. */
  summarizeSoon(policy: string | undefined): void {
    if (this.summarizing && policy) this.paced.add(policy);
  }

  /** The report queue drains after the policy queue: the last sweeps' reports are still written. */
  async drain(): Promise<void> {
    await Promise.all([this.policies.shutDown(), this.owners.shutDown(), this.summaries.shutDown()]);
    await this.reports.shutDown();
  }
}
