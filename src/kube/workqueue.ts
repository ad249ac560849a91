// A keyed work queue in the manner of client-go's: a key waits in the queue at most once, a key is
// handed to one worker at a time (a key added while it is being processed is marked dirty and handed
// out again after done()), failed keys come back after a per-key exponential backoff, and delayed adds
// coalesce to the earliest due time. Workers take keys with get() and must call done() for each.
import type { BackoffOptions } from './backoff.js';
import { KeyedBackoff } from './backoff.js';
import type { TimerHandle, Timers } from './timers.js';
import { systemTimers } from './timers.js';

export interface WorkQueueOptions {
  /** Retry delays of addRateLimited(); defaults to 500ms doubling up to 5 minutes, 10% jitter. */
  backoff?: BackoffOptions;
  timers?: Timers;
  random?: () => number;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5 * 60_000, jitter: 0.1 };

interface DelayedAdd {
  due: number;
  handle: TimerHandle;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  /** Keys that need processing: waiting in `ready`, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly waitingGetters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: KeyedBackoff;
  private readonly timers: Timers;
  private shuttingDown = false;
  private drained?: () => void;
  private readonly drainedPromise: Promise<void>;

  constructor(options: WorkQueueOptions = {}) {
    this.timers = options.timers ?? systemTimers;
    this.backoff = new KeyedBackoff(options.backoff ?? DEFAULT_QUEUE_BACKOFF, options.random);
    this.drainedPromise = new Promise((resolve) => (this.drained = resolve));
  }

  /** Keys ready to be handed out. */
  get length(): number {
    return this.ready.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // A key being processed is handed out again by done(), never to a second worker at once.
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /** Adds `key` after `delayMs`; of several pending delayed adds of one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const due = this.timers.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) this.timers.clearTimeout(pending.handle);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { due, handle });
  }

  /** Adds `key` after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const delay = this.backoff.next(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Starts `key`'s backoff over: call when it was processed successfully. */
  forget(key: string): void {
    this.backoff.reset(key);
  }

  /** Failures in a row of `key` since it was last forgotten. */
  numRequeues(key: string): number {
    return this.backoff.attempts(key);
  }

  /** The next key to process, once one is ready; undefined once the queue is shutting down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) return Promise.resolve(this.startProcessing(key));
    return new Promise((resolve) => this.waitingGetters.push(resolve));
  }

  /** Marks the end of processing `key`; a key added meanwhile is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.shuttingDown) {
      if (this.processing.size === 0) this.drained?.();
      return;
    }
    if (this.dirty.has(key)) this.enqueue(key);
  }

  /**
   * Stops handing out work (queued and delayed keys are dropped, new adds ignored) and resolves once
   * every key being processed is done.
   */
  shutDown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
      this.delayed.clear();
      this.ready.length = 0;
      this.dirty.clear();
      for (const resolve of this.waitingGetters.splice(0)) resolve(undefined);
      if (this.processing.size === 0) this.drained?.();
    }
    return this.drainedPromise;
  }

  private enqueue(key: string): void {
    const getter = this.waitingGetters.shift();
    if (getter) getter(this.startProcessing(key));
    else this.ready.push(key);
  }

  private startProcessing(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    // The reconcile about to run decides when the key comes back: an earlier scheduled return
    // (a retry, a requeue) is moot, and firing it anyway would reconcile once more for nothing.
    const pending = this.delayed.get(key);
    if (pending) {
      this.timers.clearTimeout(pending.handle);
      this.delayed.delete(key);
    }
    return key;
  }
}
