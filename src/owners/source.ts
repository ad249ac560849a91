// Where live owners come from. The planner trusts a LiveOwners only when `synced` is true, so a
// source reports failure as data (synced false, errors) instead of an empty list.
import type { LiveOwners, OwnerRef } from '../core/model.js';
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
}

export function listingFrom(owners: readonly OwnerRef[], errors: readonly string[]): OwnerListing {
  return {
    owners,
    live: { keys: new Set(owners.map((o) => o.key)), synced: errors.length === 0, errors },
  };
}
