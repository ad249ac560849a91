// planReap without its large-host algorithms, kept as the reference the optimised planner must
// agree with (planner.reference.test.ts): plain code can be checked by reading. Deliberately the
// plain way: a comparison sort into execution order, maps from container ids to claims and to
// planned items, one pass building every item. The decisions' rules themselves (claimOf,
// outOfScopeReason, protectionOf, grace, blast radius) are the real ones: what is compared is the
// planner's bookkeeping around them.
import type { Attribution } from '../../../src/core/attribution.js';
import { LiveKeyIndex, claimOf } from '../../../src/core/attribution.js';
import { blastRadiusBlock } from '../../../src/core/blast-radius.js';
import { formatDuration } from '../../../src/core/duration-format.js';
import { outOfScopeReason } from '../../../src/core/owner-scope.js';
import { compareByAge } from '../../../src/core/execution-order.js';
import { firstSeenOrphaned, graceElapsed, graceStateFromRecord } from '../../../src/core/grace.js';
import type {
  Decision,
  GraceState,
  LiveOwners,
  PlannedItem,
  ResourceKind,
  RuntimeResource,
  RuntimeSnapshot,
} from '../../../src/core/model.js';
import { RESOURCE_KINDS, resourceKey } from '../../../src/core/model.js';
import type { Plan, PlanOptions } from '../../../src/core/planner.js';
import type { Policy } from '../../../src/core/policy.js';
import { protectionOf } from '../../../src/core/protection.js';

function sortForExecution<T extends RuntimeResource>(resources: readonly T[]): T[] {
  const byKind = new Map<ResourceKind, T[]>(RESOURCE_KINDS.map((kind) => [kind, []]));
  const unknown: T[] = [];
  for (const resource of resources) (byKind.get(resource.kind) ?? unknown).push(resource);
  return [...RESOURCE_KINDS.flatMap((kind) => byKind.get(kind)!.sort(compareByAge)), ...unknown.sort(compareByAge)];
}

function attributeResources(resources: readonly RuntimeResource[], policy: Policy): (Attribution | undefined)[] {
  const attributions = new Array<Attribution | undefined>(resources.length);
  const containerClaims = new Map<string, Attribution | undefined>();
  resources.forEach((resource, index) => {
    if (resource.kind === 'ipLease') return;
    const claim = claimOf(resource, policy);
    // A claim the policy may not judge (another kind or namespace, or contested by a rival).
    const outOfScope = claim === undefined ? undefined : outOfScopeReason(resource, claim, policy);
    const attribution: Attribution | undefined =
      outOfScope === undefined ? claim : { type: 'outOfScope', key: claim!.key, reason: outOfScope };
    attributions[index] = attribution;
    if (resource.kind === 'container') containerClaims.set(resource.id, attribution);
  });
  const managedLeaseNetworks = new Set(policy.resources.ipLeases.networks);
  resources.forEach((resource, index) => {
    if (resource.kind !== 'ipLease') return;
    if (containerClaims.has(resource.containerId)) attributions[index] = containerClaims.get(resource.containerId);
    else if (managedLeaseNetworks.has(resource.network)) attributions[index] = { type: 'dangling' };
  });
  return attributions;
}

export function referencePlanReap(
  snapshot: RuntimeSnapshot,
  liveOwners: LiveOwners,
  policy: Policy,
  graceState: GraceState,
  now: number,
  options: PlanOptions = {},
): Plan {
  const resources = sortForExecution(snapshot.resources);
  const attributions = attributeResources(resources, policy);
  const failedClosed = failClosedReasons(snapshot, liveOwners);
  const live = new LiveKeyIndex(liveOwners.keys, policy.match);
  const protection = { policy, ...(options.selfContainerId ? { selfContainerId: options.selfContainerId } : {}) };
  const failedClosedReason = failedClosed.length > 0 ? failedClosedItemReason(snapshot, liveOwners) : undefined;
  const { minAgeMs, gracePeriodMs } = policy.timing;

  const items: PlannedItem[] = [];
  const containerItems = new Map<string, number>();
  const nextGrace: Record<string, number> = {};
  const candidates: number[] = [];
  let attributable = 0;
  let orphaned = 0;

  resources.forEach((resource, index) => {
    const attribution = attributions[index];
    const container = resource.kind === 'ipLease' ? items[containerItems.get(resource.containerId) ?? -1] : undefined;
    const ownerKey = attribution?.type === 'claim' ? attribution.key : undefined;
    const item = ((): PlannedItem => {
      if (attribution === undefined) return planned(resource, 'foreign', 'no match rule attributes it', undefined);
      if (attribution.type === 'outOfScope')
        return planned(resource, 'outOfScope', attribution.reason, attribution.key);
      const protectedBecause =
        protectionOf(resource, protection) ??
        (container?.decision === 'protected' ? `its container is protected: ${container.reason}` : undefined);
      if (protectedBecause !== undefined) return planned(resource, 'protected', protectedBecause, ownerKey);
      if (failedClosedReason !== undefined) return planned(resource, 'failedClosed', failedClosedReason, ownerKey);
      if (attribution.type === 'claim' && live.isLive(attribution))
        return planned(resource, 'ownerLive', `owner ${attribution.key} is live`, ownerKey);

      const key = resourceKey(resource);
      const firstSeen = firstSeenOrphaned(graceState, resource, now);
      nextGrace[key] = firstSeen;
      orphaned++;
      const gone = ownerKey === undefined ? 'its container is gone' : `owner ${ownerKey} is not live`;
      const age = now - resource.createdAt;
      if (!(age >= minAgeMs)) {
        const created = Number.isFinite(age) ? `created ${formatDuration(age)} ago` : 'creation time unknown';
        return planned(resource, 'tooYoung', `${gone}; ${created}, minAge ${formatDuration(minAgeMs)}`, ownerKey);
      }
      const orphanedFor = `orphaned for ${formatDuration(now - firstSeen)}`;
      if (!graceElapsed(firstSeen, now, gracePeriodMs))
        return planned(
          resource,
          'inGrace',
          `${gone}; ${orphanedFor} of gracePeriod ${formatDuration(gracePeriodMs)}`,
          ownerKey,
        );
      if (container !== undefined && container.decision !== 'selected') {
        const waits = `waits for its container ${container.resource.name} (${container.decision})`;
        return planned(resource, 'inGrace', `${gone}; ${waits}`, ownerKey);
      }
      candidates.push(index);
      return planned(resource, 'selected', `${gone}; ${orphanedFor}`, ownerKey);
    })();
    items.push(item);
    if (resource.kind === 'container') containerItems.set(resource.id, index);
    // Attributable: what the policy could ever reap, so neither foreign, nor out of its scope, nor protected.
    if (!['foreign', 'outOfScope', 'protected'].includes(item.decision)) attributable++;
  });

  if (failedClosed.length > 0) {
    return { items, selected: [], graceState: new Map(graceState), failedClosed, orphanPercent: 0 };
  }
  const orphanPercent = attributable === 0 ? 0 : (orphaned / attributable) * 100;
  const settling = options.settlingOwners ?? new Set<string>();
  const judged = candidates.filter((index) => {
    const key = items[index]!.ownerKey;
    if (key === undefined || !settling.has(key)) return true;
    const reason = `its owner went in a burst of ${settling.size} deletions still arriving; judged once it ends`;
    items[index] = redecided(items[index]!, 'inGrace', reason);
    return false;
  });
  const burst = judged.length < candidates.length ? { waitingForBurst: candidates.length - judged.length } : {};
  const blocked = blastRadiusBlock({
    policy,
    liveOwners: options.liveOwnerCount ?? liveOwners.keys.size,
    waves: options.deletionWaves ?? [],
    // A dangling lease names no owner: nothing for the guard to count.
    candidateOwnerKeys: new Set(
      judged.map((index) => items[index]!.ownerKey).filter((key): key is string => key !== undefined),
    ),
    candidates: judged.length,
  });
  if (blocked) {
    for (const index of judged) items[index] = redecided(items[index]!, 'blocked', blocked.description);
    return {
      items,
      selected: [],
      graceState: graceStateFromRecord(nextGrace),
      failedClosed,
      blocked,
      orphanPercent,
      ...burst,
    };
  }
  applyDeletionLimit(items, judged, policy.limits.maxDeletionsPerSweep, containerItems);
  return {
    items,
    selected: items.filter((item) => item.decision === 'selected'),
    graceState: graceStateFromRecord(nextGrace),
    failedClosed,
    orphanPercent,
    ...burst,
  };
}

function planned(
  resource: RuntimeResource,
  decision: Decision,
  reason: string,
  ownerKey: string | undefined,
): PlannedItem {
  return ownerKey === undefined ? { resource, decision, reason } : { resource, decision, reason, ownerKey };
}

function redecided(item: PlannedItem, decision: Decision, reason: string): PlannedItem {
  return planned(item.resource, decision, reason, item.ownerKey);
}

function failClosedReasons(snapshot: RuntimeSnapshot, owners: LiveOwners): string[] {
  const reasons: string[] = [];
  if (!snapshot.complete) {
    if (snapshot.errors.length === 0) reasons.push('runtime not fully listed');
    for (const error of snapshot.errors) reasons.push(`runtime not fully listed: ${error}`);
  }
  if (!owners.synced) {
    if (owners.errors.length === 0) reasons.push('owners not fully visible');
    for (const error of owners.errors) reasons.push(`owners not fully visible: ${error}`);
  }
  return reasons;
}

function failedClosedItemReason(snapshot: RuntimeSnapshot, owners: LiveOwners): string {
  const blind = [
    ...(snapshot.complete ? [] : ['runtime not fully listed']),
    ...(owners.synced ? [] : ['owners not fully visible']),
  ];
  return `${blind.join(' and ')}: nothing is reaped`;
}

/** The limit as a plain sort of the units (a container with its leases) by the container's age. */
function applyDeletionLimit(
  items: PlannedItem[],
  candidates: readonly number[],
  maxDeletions: number,
  containerItems: ReadonlyMap<string, number>,
): void {
  if (candidates.length <= maxDeletions) return;
  const units: number[] = [];
  const leasesOf = new Map<number, number[]>();
  for (const index of candidates) {
    const resource = items[index]!.resource;
    const container = resource.kind === 'ipLease' ? containerItems.get(resource.containerId) : undefined;
    if (container === undefined) units.push(index);
    else if (items[container]!.decision === 'selected')
      leasesOf.set(container, [...(leasesOf.get(container) ?? []), index]);
    else items[index] = redecided(items[index]!, 'overLimit', 'waits for its container');
  }
  units.sort((a, b) => compareByAge(items[a]!.resource, items[b]!.resource) || a - b);
  const reason = `over maxDeletionsPerSweep ${maxDeletions}: waits for the next sweep`;
  let chosen = 0;
  for (const unit of units) {
    for (const index of [unit, ...(leasesOf.get(unit) ?? [])]) {
      if (chosen < maxDeletions) chosen++;
      else items[index] = redecided(items[index]!, 'overLimit', reason);
    }
  }
}
