// How a sweep is wired, the same whoever starts it (the CLI, the policy controller, a teardown):
// what one process's sweeps share (its node, clock, shutdown and own container) is built once, and
// each sweep adds where its runtime and owners come from.
import type { LiveOwners, PlannedItem } from '../core/model.js';
import { ownerLookups } from '../core/owner-lookup.js';
import type { Policy } from '../core/policy.js';
import { withDeadline } from '../kube/timers.js';
import type { OwnerSource } from '../owners/source.js';
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
}

/** What one sweep brings to its host's: its runtime, its owners, and what it is told as it goes. */
export type SweepSources = Omit<SweepEnvironment, keyof SweepHost>;

export function sweepEnvironment(host: SweepHost, sources: SweepSources): SweepEnvironment {
  return { ...host, ...sources };
}

/** The live owners as the source lists them, with how many there are. */
export function ownersListedBy(source: OwnerSource): SweepEnvironment['listOwners'] {
  return async (policy) => {
    const listing = await source.list(policy);
    return { live: listing.live, count: listing.owners.length };
  };
}

/** Past this many distinct owners, one listing costs less than reading each. */
export const MAX_OWNER_READS = 50;

/**
 * The re-check right before deleting, never from a cache: the candidates' owners read one by one
 * when their labels name each one object (and there are few), otherwise a fresh listing. Past
 * `timeoutMs` it fails, and a re-check that fails reaps nothing.
 */
export function freshRecheck(source: OwnerSource, timeoutMs?: number): SweepEnvironment['recheckOwners'] {
  const recheck = async (policy: Policy, candidates: readonly PlannedItem[]): Promise<LiveOwners> => {
    const lookups = source.read ? ownerLookups(policy, candidates) : undefined;
    if (lookups && lookups.length <= MAX_OWNER_READS) {
      const read = await source.read!(lookups);
      if (read) return read;
    }
    return (await source.list(policy)).live;
  };
  return (policy, candidates) => {
    const fresh = recheck(policy, candidates);
    return timeoutMs === undefined ? fresh : withDeadline(fresh, timeoutMs, 'the re-check of owners');
  };
}
