// Time as the kube plumbing sees it. Injected so queues, informers, electors and recorders can be
// driven by a fake clock in tests; the system timers look the globals up on each call, so jest's
// fake timers apply to them too.
export type TimerHandle = unknown;

export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms` on the given timers, or at once when the signal aborts. */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      timers.clearTimeout(handle);
      resolve();
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles as `promise` does, or rejects once `ms` has passed first, naming `what` (the work itself
 * goes on: use it where the answer no longer matters after the deadline).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string, timers = systemTimers): Promise<T> {
  return new Promise((resolve, reject) => {
    const handle = timers.setTimeout(() => reject(new Error(`${what} got no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        timers.clearTimeout(handle);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(handle);
        reject(err);
      },
    );
  });
}

/** Whether `promise` settled (either way) within `ms`. */
export function settlesWithin(promise: Promise<unknown>, ms: number, timers = systemTimers): Promise<boolean> {
  return withDeadline(
    promise.then(
      () => true,
      () => true,
    ),
    ms,
    'work',
    timers,
  ).catch(() => false);
}
