// Where live owners come from: the API server listed afresh (the CLI, every re-check), a directory of
// manifests, the controller's informer caches. The planner trusts a LiveOwners only when `synced` is
// true, so a source reports failure as data (synced false, errors) instead of an empty list.
import type { LiveOwners, OwnerRef, PlannedItem } from '../core/model.js';
import type { OwnerLookup, SeenOwners } from '../core/owner-lookup.js';
import { ownerLookups } from '../core/owner-lookup.js';
import type { Policy } from '../core/policy.js';

export interface OwnerListing {
  readonly live: LiveOwners;
  /** Distinct live owners: the blast-radius guard's measure and the report's. */
  readonly count: number;
  /** Live owners per kind, where the source counts them (for metrics). */
  readonly byKind?: ReadonlyMap<string, number>;
}

export interface OwnerSource {
  /** Every live owner of every kind the policy names. Never throws. */
  list(policy: Policy): Promise<OwnerListing>;
  /**
   * The fresh look right before deleting, never from a cache: which owners are live now, for
   * `candidates` (what would be removed). `seen` tells where owners were last seen (ownerLookups),
   * so that the look can read those objects rather than list. Never throws.
   */
  recheck(policy: Policy, candidates: readonly PlannedItem[], seen?: SeenOwners): Promise<LiveOwners>;
}

export function listingFrom(owners: readonly OwnerRef[], errors: readonly string[]): OwnerListing {
  return {
    live: { keys: new Set(owners.map((o) => o.key)), synced: errors.length === 0, errors },
    count: owners.length,
  };
}

/** A source that can also read single owners, each on its own. */
export interface OwnerReader {
  list(policy: Policy): Promise<OwnerListing>;
  /**
   * Which of the named owners are live; undefined when the source cannot tell that way. The object
   * of uid `deleting` counts as gone once its deletion is under way. Never throws.
   */
  read(lookups: readonly OwnerLookup[], deleting?: string): Promise<LiveOwners | undefined>;
}

/** Past this many distinct owners, one listing costs less than reading each. */
export const MAX_OWNER_READS = 50;

/**
 * The re-check of a source that can read single owners: the candidates' owners read one by one
 * when their labels name each one object (and there are few), otherwise a fresh listing.
 */
export async function readOrList(
  source: OwnerReader,
  policy: Policy,
  candidates: readonly PlannedItem[],
  seen?: SeenOwners,
): Promise<LiveOwners> {
  const lookups = ownerLookups(policy, candidates, seen);
  if (lookups && lookups.length <= MAX_OWNER_READS) {
    const read = await source.read(lookups);
    if (read) return read;
  }
  return (await source.list(policy)).live;
}
