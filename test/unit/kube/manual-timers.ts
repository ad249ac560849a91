// A clock that moves only when the test says so: advance() fires due callbacks in time order and lets
// the promises they start settle before it looks for the next one.
import type { TimerHandle, Timers } from '../../../src/kube/timers.js';

interface Scheduled {
  id: number;
  due: number;
  callback: () => void;
}

export class ManualTimers implements Timers {
  private current: number;
  private nextId = 1;
  private readonly scheduled = new Map<number, Scheduled>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.scheduled.set(id, { id, due: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.scheduled.delete(handle as number);
  }

  /** Pending timers, for asserting that nothing is left behind. */
  get pending(): number {
    return this.scheduled.size;
  }

  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const next = [...this.scheduled.values()]
        .filter((s) => s.due <= until)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.scheduled.delete(next.id);
      this.current = next.due;
      next.callback();
      await settle();
    }
    this.current = until;
    await settle();
  }
}

/** Lets every pending promise callback run: a real setImmediate comes after all microtasks. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
