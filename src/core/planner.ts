// planReap: the whole decision of a sweep as a pure function (design §3.2–§3.4). Every scanned
// resource gets a decision and a reason; only `selected` items may be removed.
import type { Claim } from './attribution.js';
import { LiveKeyIndex, claimOf } from './attribution.js';
import { formatDuration } from './duration-format.js';
import type {
  Decision,
  GraceState,
  LiveOwners,
  PlannedItem,
  ResourceKind,
  RuntimeResource,
  RuntimeSnapshot,
} from './model.js';
import { RESOURCE_KINDS, resourceKey } from './model.js';
import type { Policy } from './policy.js';
import { protectionOf } from './protection.js';
import { stableHash } from './stable-hash.js';

export interface PlanOptions {
  /** reaper's own container id (or its 12-character prefix), never reaped. */
  readonly selfContainerId?: string;
}

export interface BlastRadiusBlock {
  /** Deterministic for the set of candidates: approving it approves exactly this set. */
  readonly approvalId: string;
  readonly orphaned: number;
  readonly attributable: number;
  readonly orphanPercent: number;
}

export interface Plan {
  /** One entry per scanned resource, in execution order of kinds, oldest first. */
  readonly items: readonly PlannedItem[];
  /** What may be removed, in execution order: containers, leases, networks, volumes; oldest first. */
  readonly selected: readonly PlannedItem[];
  /** Grace bookkeeping to keep for the next sweep. */
  readonly graceState: GraceState;
  /** Non-empty when owners or runtime were not fully visible: nothing is selected. */
  readonly failedClosed: readonly string[];
  readonly blocked?: BlastRadiusBlock;
  /** Orphans as a percentage of attributable, unprotected resources. */
  readonly orphanPercent: number;
}

const KIND_ORDER: Record<ResourceKind, number> = Object.fromEntries(RESOURCE_KINDS.map((k, i) => [k, i])) as Record<
  ResourceKind,
  number
>;

export function compareForExecution(a: RuntimeResource, b: RuntimeResource): number {
  return (
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** Orphaned decisions: attributable, unprotected, and no live owner. */
export const ORPHAN_DECISIONS: ReadonlySet<Decision> = new Set([
  'tooYoung',
  'inGrace',
  'overLimit',
  'blocked',
  'selected',
]);

export function planReap(
  snapshot: RuntimeSnapshot,
  liveOwners: LiveOwners,
  policy: Policy,
  graceState: GraceState,
  now: number,
  options: PlanOptions = {},
): Plan {
  const resources = [...snapshot.resources].sort(compareForExecution);
  const claims = claimResources(resources, policy);
  const live = new LiveKeyIndex(liveOwners.keys);
  const failedClosed = [
    ...(snapshot.complete ? [] : snapshot.errors.map((e) => `runtime not fully listed: ${e}`)),
    ...(liveOwners.synced ? [] : liveOwners.errors.map((e) => `owners not fully visible: ${e}`)),
  ];
  if (failedClosed.length === 0 && !snapshot.complete) failedClosed.push('runtime not fully listed');
  if (failedClosed.length === 0 && !liveOwners.synced) failedClosed.push('owners not fully visible');

  const nextGrace: Record<string, number> = {};
  const items: PlannedItem[] = [];
  const candidates: number[] = [];
  let attributable = 0;
  let orphaned = 0;

  for (const resource of resources) {
    const claim = claims.get(resource);
    const ownerKey = claim === 'dangling' ? undefined : claim?.key;
    const item = (decision: Decision, reason: string): PlannedItem =>
      ownerKey === undefined ? { resource, decision, reason } : { resource, decision, reason, ownerKey };

    if (claim === undefined) {
      items.push(item('foreign', 'no match rule attributes it'));
      continue;
    }
    const protection = protectionOf(resource, { policy, selfContainerId: options.selfContainerId });
    if (protection !== undefined) {
      items.push(item('protected', protection));
      continue;
    }
    attributable++;
    if (failedClosed.length > 0) {
      items.push(item('failedClosed', 'owners or runtime not fully visible: nothing is reaped'));
      continue;
    }
    if (claim !== 'dangling' && live.isLive(claim)) {
      items.push(item('ownerLive', `owner ${claim.key} is live`));
      continue;
    }
    orphaned++;
    const key = resourceKey(resource);
    const firstSeen = Math.min(graceState[key] ?? now, now);
    nextGrace[key] = firstSeen;
    const gone = claim === 'dangling' ? 'its container is gone' : `owner ${claim.key} is not live`;
    const age = now - resource.createdAt;
    if (age < policy.timing.minAgeMs) {
      items.push(
        item(
          'tooYoung',
          `${gone}; created ${formatDuration(age)} ago, minAge ${formatDuration(policy.timing.minAgeMs)}`,
        ),
      );
      continue;
    }
    const orphanedFor = now - firstSeen;
    if (orphanedFor < policy.timing.gracePeriodMs) {
      items.push(
        item(
          'inGrace',
          `${gone}; orphaned for ${formatDuration(orphanedFor)} of gracePeriod ${formatDuration(policy.timing.gracePeriodMs)}`,
        ),
      );
      continue;
    }
    candidates.push(items.length);
    items.push(item('selected', gone));
  }

  if (failedClosed.length > 0) {
    return { items, selected: [], graceState: { ...graceState }, failedClosed, orphanPercent: 0 };
  }

  const orphanPercent = attributable === 0 ? 0 : (orphaned / attributable) * 100;
  const blocked = blastRadius(items, candidates, orphaned, attributable, orphanPercent, policy);
  if (blocked) {
    const reason = `${orphaned} of ${attributable} attributable resources are orphans (${orphanPercent.toFixed(1)}% > maxOrphanPercent ${policy.limits.maxOrphanPercent}); approve with reaper.dev/approve-sweep=${blocked.approvalId}`;
    for (const index of candidates) items[index] = { ...items[index]!, decision: 'blocked', reason };
    return { items, selected: [], graceState: nextGrace, failedClosed, blocked, orphanPercent };
  }

  // Over the per-sweep limit the oldest go first; the rest wait for the next sweep.
  const byAge = [...candidates].sort((a, b) => {
    const x = items[a]!.resource;
    const y = items[b]!.resource;
    return x.createdAt - y.createdAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  });
  for (const index of byAge.slice(policy.limits.maxDeletionsPerSweep)) {
    items[index] = {
      ...items[index]!,
      decision: 'overLimit',
      reason: `over maxDeletionsPerSweep ${policy.limits.maxDeletionsPerSweep}: waits for the next sweep`,
    };
  }
  const selected = items.filter((i) => i.decision === 'selected');
  return { items, selected, graceState: nextGrace, failedClosed, orphanPercent };
}

function blastRadius(
  items: readonly PlannedItem[],
  candidates: readonly number[],
  orphaned: number,
  attributable: number,
  orphanPercent: number,
  policy: Policy,
): BlastRadiusBlock | undefined {
  if (candidates.length === 0 || orphanPercent <= policy.limits.maxOrphanPercent) return undefined;
  const keys = candidates.map((i) => resourceKey(items[i]!.resource)).sort();
  const approvalId = `b-${stableHash(`${policy.name}\n${keys.join('\n')}`).slice(0, 12)}`;
  if (policy.approvedSweep === approvalId) return undefined;
  return { approvalId, orphaned, attributable, orphanPercent };
}

/**
 * Claims for every resource. A lease is attributed through its container: it inherits the claim of
 * a container in the snapshot (and is foreign with a foreign container); a lease whose container is
 * gone is dangling, attributable only in a network the policy manages, with no owner to be live.
 */
function claimResources(
  resources: readonly RuntimeResource[],
  policy: Policy,
): Map<RuntimeResource, Claim | 'dangling'> {
  const claims = new Map<RuntimeResource, Claim | 'dangling'>();
  const containers = new Map<string, RuntimeResource>();
  for (const resource of resources) {
    if (resource.kind === 'container') containers.set(resource.id, resource);
    if (resource.kind !== 'ipLease') {
      const claim = claimOf(resource, policy.match);
      if (claim) claims.set(resource, claim);
    }
  }
  const managedLeaseNetworks = new Set(policy.resources.ipLeases.networks);
  for (const resource of resources) {
    if (resource.kind !== 'ipLease') continue;
    const container = containers.get(resource.containerId);
    if (container) {
      const claim = claims.get(container);
      if (claim) claims.set(resource, claim);
    } else if (managedLeaseNetworks.has(resource.network)) {
      claims.set(resource, 'dangling');
    }
  }
  return claims;
}
