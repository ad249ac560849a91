// How a sweep is wired, the same whoever starts it (the CLI, the policy controller, a teardown):
// what one process's sweeps share (its node, clock, shutdown, own container and re-check deadline)
// is built once, and each sweep adds where its runtime and owners come from.
import type { SweepEnvironment } from './run-sweep.js';

/** What every sweep of one process shares. */
export interface SweepHost {
  /** The node reports name. */
  readonly node: string;
  readonly now: () => number;
  readonly random: () => number;
  /** Aborted on shutdown: the sweep in flight starts no new removal. */
  readonly signal?: AbortSignal | undefined;
  /** reaper's own container, never reaped. */
  readonly selfContainerId?: string | undefined;
  /** The re-check of owners gives up after this long (an unanswered re-check reaps nothing). */
  readonly recheckTimeoutMs?: number | undefined;
}

/** What one sweep brings to its host's: its runtime, its owners, and what it is told as it goes. */
export type SweepSources = Omit<SweepEnvironment, keyof SweepHost>;

export function sweepEnvironment(host: SweepHost, sources: SweepSources): SweepEnvironment {
  return { ...host, ...sources };
}
