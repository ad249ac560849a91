// Where live owners come from. The planner trusts a LiveOwners only when `synced` is true, so a
// source reports failure as data (synced false, errors) instead of an empty list.
import type { LiveOwners, OwnerRef } from '../core/model.js';
import type { OwnerLookup } from '../core/owner-lookup.js';
import type { Policy } from '../core/policy.js';

export interface OwnerListing {
  readonly owners: readonly OwnerRef[];
  readonly live: LiveOwners;
}

export interface OwnerSource {
  /** e.g. "cluster" or "directory examples/owners". */
  readonly description: string;
  /** Every live owner of every kind the policy names. Never throws. */
  list(policy: Policy): Promise<OwnerListing>;
  /**
   * Which of the named owners are live, each read on its own (cheaper than a listing for a few);
   * undefined when the source cannot tell that way. Never throws.
   */
  read?(lookups: readonly OwnerLookup[]): Promise<LiveOwners | undefined>;
}

export function listingFrom(owners: readonly OwnerRef[], errors: readonly string[]): OwnerListing {
  return {
    owners,
    live: { keys: new Set(owners.map((o) => o.key)), synced: errors.length === 0, errors },
  };
}
