// The last look before deleting (design §3.5): the plan's candidates are re-planned against a fresh
// read of the owners, and only those that are still orphans go ahead.
import type { LiveOwners, PlannedItem, RuntimeSnapshot } from './model.js';
import type { RuntimeResource } from './model.js';
import { resourceKey } from './model.js';
import type { Plan } from './planner.js';
import { planReap } from './planner.js';
import type { Policy } from './policy.js';

/** How a dropped item's reason starts when the fresh read could not tell whether its owner is gone. */
export const UNCONFIRMED_REASON = 'could not confirm the owner is gone';

export interface Confirmation {
  readonly confirmed: readonly PlannedItem[];
  readonly dropped: readonly { readonly item: PlannedItem; readonly reason: string }[];
}

export function confirmOrphans(
  plan: Plan,
  snapshot: RuntimeSnapshot,
  freshOwners: LiveOwners,
  policy: Policy,
  now: number,
): Confirmation {
  if (plan.selected.length === 0) return { confirmed: [], dropped: [] };
  // The guards already ran on the plan; the fresh plan only answers "still an orphan?".
  const unguarded: Policy = {
    ...policy,
    limits: { ...policy.limits, maxOrphanPercent: 100, maxDeletionsPerSweep: Number.MAX_SAFE_INTEGER },
    timing: { ...policy.timing, gracePeriodMs: 0 },
  };
  const fresh = planReap(candidatesOf(plan.selected, snapshot), freshOwners, unguarded, plan.graceState, now);
  if (fresh.failedClosed.length > 0) {
    const reason = `${UNCONFIRMED_REASON}: ${fresh.failedClosed.join('; ')}`;
    return { confirmed: [], dropped: plan.selected.map((item) => ({ item, reason })) };
  }
  const freshDecisions = new Map(fresh.items.map((i) => [resourceKey(i.resource), i]));
  const confirmed: PlannedItem[] = [];
  const dropped: { item: PlannedItem; reason: string }[] = [];
  for (const item of plan.selected) {
    const again = freshDecisions.get(resourceKey(item.resource));
    if (again?.decision === 'selected') confirmed.push(item);
    else dropped.push({ item, reason: `re-check: ${again?.reason ?? 'no longer planned'}` });
  }
  return { confirmed, dropped };
}

/**
 * The part of the snapshot the candidates' decisions read: the candidates, and the containers of
 * candidate leases (a lease is judged by its container). Every other resource is decided on its own,
 * so planning these alone decides each candidate as planning the whole snapshot would, in time
 * linear in the candidates rather than in everything the host holds.
 */
export function candidatesOf(selected: readonly PlannedItem[], snapshot: RuntimeSnapshot): RuntimeSnapshot {
  const leaseContainers = new Set<string>();
  for (const { resource } of selected) if (resource.kind === 'ipLease') leaseContainers.add(resource.containerId);
  const resources: RuntimeResource[] = selected.map((item) => item.resource);
  const included = new Set(resources);
  for (const resource of snapshot.resources) {
    if (resource.kind === 'container' && leaseContainers.has(resource.id) && !included.has(resource))
      resources.push(resource);
  }
  return { ...snapshot, resources };
}
