// `reaper apply`'s plan (design §3): the items a reviewed plan selected, each verified against the
// snapshot taken now. Only a resource still there and unchanged goes ahead (to the re-check of its
// owner, as any sweep's); one that changed or vanished is not the resource that was reviewed, and is
// skipped and reported.
import { NO_GRACE } from './grace.js';
import type { PlannedItem, RuntimeResource, RuntimeSnapshot } from './model.js';
import { resourceKey } from './model.js';
import type { ItemOutcome } from './outcome.js';
import type { Plan } from './planner.js';
import { compareText } from './text-order.js';

/** One item of a reviewed plan, as `reaper plan` wrote it. */
export interface ReviewedItem {
  readonly resource: RuntimeResource;
  readonly reason: string;
  readonly ownerKey?: string;
}

export function planFromReview(snapshot: RuntimeSnapshot, reviewed: readonly ReviewedItem[]): Plan {
  // A resource missing from an incomplete listing may be there still: as in any sweep, reap nothing.
  const failedClosed = snapshot.complete ? [] : [...snapshot.errors];
  const fresh = new Map(snapshot.resources.map((r) => [resourceKey(r), r]));
  const items: PlannedItem[] = [];
  const selected: PlannedItem[] = [];
  const skipped: ItemOutcome[] = [];
  for (const planned of reviewed) {
    const key = resourceKey(planned.resource);
    const now = fresh.get(key);
    const item: PlannedItem = {
      resource: now ?? planned.resource,
      decision: failedClosed.length > 0 ? 'failedClosed' : 'selected',
      reason: planned.reason,
      ...(planned.ownerKey !== undefined ? { ownerKey: planned.ownerKey } : {}),
    };
    items.push(item);
    if (failedClosed.length > 0) continue;
    const change = now ? differences(planned.resource, now) : 'no longer present';
    if (change) skipped.push({ key, status: 'skipped', reason: `changed since the plan: ${change}` });
    else selected.push(item);
  }
  return { items, selected, skipped, graceState: NO_GRACE, failedClosed, orphanPercent: 0 };
}

/** What makes a resource no longer the one that was reviewed; undefined when it is the same. */
function differences(before: RuntimeResource, after: RuntimeResource): string | undefined {
  if (before.name !== after.name) return `name is now ${after.name}`;
  if (before.createdAt !== after.createdAt) return 'recreated';
  if (JSON.stringify(sorted(before.labels)) !== JSON.stringify(sorted(after.labels))) return 'labels changed';
  if (before.kind === 'ipLease' && after.kind === 'ipLease' && before.containerId !== after.containerId) {
    return 'leased to another container';
  }
  return undefined;
}

function sorted(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => compareText(a, b));
}
