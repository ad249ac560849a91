// Teardown through a finalizer (design §3): when an owner that carries reaper's finalizer is deleted,
// its resources are reaped at once, before the owner disappears. A teardown is an ordinary plan over
// a snapshot narrowed to what the owner's key claims, under a policy without waits or the
// blast-radius guard: the owner's deletion is the operator's explicit request, and everything else
// on the host is out of the plan's sight.
import type { Claim } from './attribution.js';
import { LiveKeyIndex, attributeResources } from './attribution.js';
import type { LiveOwners, RuntimeSnapshot } from './model.js';
import type { Policy } from './policy.js';

/** The resources of `snapshot` that `ownerKey` claims under the policy's rules (leases through their container). */
export function snapshotOfOwner(snapshot: RuntimeSnapshot, policy: Policy, ownerKey: string): RuntimeSnapshot {
  const ours = new LiveKeyIndex(new Set([ownerKey]), policy.match);
  const attributions = attributeResources(snapshot.resources, policy);
  const resources = snapshot.resources.filter((_, index) => {
    const attribution = attributions[index];
    // Dangling leases have no owner key: they are the periodic sweep's to judge, not a teardown's.
    return attribution?.type === 'claim' && ours.isLive(attribution as Claim);
  });
  return { ...snapshot, resources };
}

/** The policy a teardown plans with: no minimum age, no grace period, no share or count limit. */
export function teardownPolicy(policy: Policy): Policy {
  return {
    ...policy,
    timing: { ...policy.timing, minAgeMs: 0, gracePeriodMs: 0 },
    limits: { ...policy.limits, maxOrphanPercent: 100, maxDeletionsPerSweep: Number.MAX_SAFE_INTEGER },
  };
}

/**
 * The owners a teardown plans against: every live owner but the one being torn down. A resource
 * whose claim also fits another live owner (a shared name prefix) stays: when in doubt, it is live.
 * Only right when no other live owner has the very same key: a field key (`.spec.labId`) two owners
 * share would go with this one. Where the owner objects are at hand, leave the object out instead.
 */
export function ownersBesides(live: LiveOwners, ownerKey: string): LiveOwners {
  const keys = new Set(live.keys);
  keys.delete(ownerKey);
  return { ...live, keys };
}
