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
  /**
   * Which of `keys` belong to a live owner right now, read fresh (no cache): the last look before
   * deleting. Throws when it cannot tell; the caller then deletes nothing.
   */
  liveKeysNow(policy: Policy, keys: readonly string[]): Promise<ReadonlySet<string>>;
}

export function listingFrom(owners: readonly OwnerRef[], errors: readonly string[]): OwnerListing {
  return {
    owners,
    live: { keys: new Set(owners.map((o) => o.key)), synced: errors.length === 0, errors },
  };
}

/** The fresh re-check in terms of a full fresh listing: correct for any source, cheap for small ones. */
export async function liveKeysByRelisting(
  source: OwnerSource,
  policy: Policy,
  keys: readonly string[],
): Promise<ReadonlySet<string>> {
  const { live } = await source.list(policy);
  if (!live.synced) throw new Error(`cannot confirm owners are gone: ${live.errors.join('; ')}`);
  return new Set(keys.filter((k) => live.keys.has(k)));
}
