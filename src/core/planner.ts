// planReap: the whole decision of a sweep as a pure function (design §3.2–§3.4). Every scanned
// resource gets a decision and a reason; only `selected` items may be removed. The plan does not
// read policy.mode: a DryRun sweep plans exactly what a Reap sweep would, and the executor is what
// deletes nothing.
import type { Attribution } from './attribution.js';
import { Attributor, LeasesByContainerId, LiveKeyIndex } from './attribution.js';
import type { BlastRadiusBlock } from './blast-radius.js';
import { blastRadiusBlock } from './blast-radius.js';
import type { DeletionWave } from './deletion-wave.js';
import { formatDuration } from './duration-format.js';
import { compareByAge, executionOrder } from './execution-order.js';
import { GraceStateBuilder, firstSeenOrphaned, graceElapsed } from './grace.js';
import type {
  Decision,
  GraceState,
  LiveOwners,
  PlannedItem,
  ResourceKind,
  RuntimeResource,
  RuntimeSnapshot,
} from './model.js';
import type { ItemOutcome } from './outcome.js';
import type { Policy } from './policy.js';
import type { ProtectionContext } from './protection.js';
import { protectionOf } from './protection.js';

export type { BlastRadiusBlock } from './blast-radius.js';

export interface PlanOptions {
  /** reaper's own container id (or its 12-character prefix, as in HOSTNAME), never reaped. */
  readonly selfContainerId?: string;
  /** Distinct live owners in the policy's scope, cluster-wide; the guard's measure. Default: live keys. */
  readonly liveOwnerCount?: number;
  /** Waves of owner deletions the agent holds (deletion-wave.ts); none in a one-shot CLI run. */
  readonly deletionWaves?: readonly DeletionWave[] | undefined;
  /** Owners of a burst of deletions still arriving (deletion-wave.ts settlingOwners): judged once it ends. */
  readonly settlingOwners?: ReadonlySet<string> | undefined;
}

export interface Plan {
  /** One entry per scanned resource, in execution order of kinds, oldest first. */
  readonly items: readonly PlannedItem[];
  /** What may be removed, in execution order: containers, leases, networks, volumes; oldest first. */
  readonly selected: readonly PlannedItem[];
  /**
   * Grace bookkeeping to keep for the next sweep: an entry for every resource orphaned now (with
   * its first-seen time carried over), none for anything else. Unchanged when failing closed.
   */
  readonly graceState: GraceState;
  /** Non-empty when owners or runtime were not fully visible: nothing is selected. */
  readonly failedClosed: readonly string[];
  readonly blocked?: BlastRadiusBlock;
  /** Candidates held back (in grace) until a burst of owner deletions still arriving has ended. */
  readonly waitingForBurst?: number;
  /** Orphans as a percentage of attributable, unprotected resources (0 when failing closed). */
  readonly orphanPercent: number;
  /** Items held back before execution, with why (a reviewed item changed since); reported as skipped. */
  readonly skipped?: readonly ItemOutcome[];
}

/** Attributable and unprotected: what the policy could ever reap. (Compared, not a set lookup: it runs per resource.) */
function isAttributable(decision: Decision): boolean {
  return decision !== 'foreign' && decision !== 'outOfScope' && decision !== 'protected';
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
  const order = executionOrder(snapshot.resources);
  const resources = order.sorted;
  const leases = order.runOf('ipLease');
  // Containers sort before leases, so a lease's container is always planned before the lease.
  const leasesByContainer = new LeasesByContainerId(resources, leases.start, leases.end);
  const containers = new Int32Array(resources.length).fill(-1);
  const containerRun = order.runOf('container');
  // A pass of its own, before the decisions: the lease map stays in cache for the whole pass instead
  // of competing with everything else the decision loop reads, and a tight loop of lookups lets the
  // CPU overlap their misses.
  for (let index = containerRun.start; index < containerRun.end; index++)
    leasesByContainer.link(resources[index]!.id, index, containers);
  const attributor = new Attributor(policy, liveOwners.keys);
  /** The containers' attributions, which their leases inherit. */
  const attributions = new Array<Attribution | undefined>(containerRun.end);
  const failedClosed = failClosedReasons(snapshot, liveOwners);
  const sweep: SweepContext = {
    now,
    live: new LiveKeyIndex(liveOwners.keys, policy.match),
    protection: { policy, ...(options.selfContainerId ? { selfContainerId: options.selfContainerId } : {}) },
    failedClosedReason: failedClosed.length > 0 ? failedClosedItemReason(snapshot, liveOwners) : undefined,
    minAgeMs: policy.timing.minAgeMs,
    gracePeriodMs: policy.timing.gracePeriodMs,
    minAgeText: formatDuration(policy.timing.minAgeMs),
    gracePeriodText: formatDuration(policy.timing.gracePeriodMs),
    orphanedForText: memoized(formatDuration),
  };

  const items: PlannedItem[] = [];
  const nextGrace = new GraceStateBuilder();
  const candidates: number[] = [];
  let attributable = 0;
  let orphaned = 0;

  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    let attribution: Attribution | undefined;
    let container: PlannedItem | undefined;
    if (resource.kind === 'ipLease') {
      const containerIndex = containers[index]!;
      attribution = attributor.lease(resource, attributions, containerIndex);
      container = containerIndex >= 0 ? items[containerIndex] : undefined;
    } else {
      attribution = attributor.claim(resource);
      if (resource.kind === 'container') attributions[index] = attribution;
    }
    let item = ownership(resource, attribution, container, sweep);
    if (item === undefined) {
      // An orphan: its grace clock starts (or keeps running) whatever else holds it back.
      const firstSeen = firstSeenOrphaned(graceState, resource, now);
      nextGrace.set(resource, firstSeen);
      item = timing(resource, attribution!, container, firstSeen, sweep);
      orphaned++;
      if (item.decision === 'selected') candidates.push(index);
    }
    items.push(item);
    if (isAttributable(item.decision)) attributable++;
  }

  if (failedClosed.length > 0) {
    return { items, selected: [], graceState: new Map(graceState), failedClosed, orphanPercent: 0 };
  }

  const orphanPercent = attributable === 0 ? 0 : (orphaned / attributable) * 100;
  const judged =
    options.settlingOwners && options.settlingOwners.size > 0
      ? waitForBurst(items, candidates, options.settlingOwners)
      : candidates;
  const burst = judged.length < candidates.length ? { waitingForBurst: candidates.length - judged.length } : {};
  const candidateOwnerKeys = new Set<string>();
  for (const index of judged) {
    const key = items[index]!.ownerKey;
    if (key !== undefined) candidateOwnerKeys.add(key);
  }
  const blocked = blastRadiusBlock({
    policy,
    liveOwners: options.liveOwnerCount ?? liveOwners.keys.size,
    waves: options.deletionWaves ?? [],
    candidateOwnerKeys,
    candidates: judged.length,
  });
  if (blocked) {
    for (const index of judged) items[index] = redecided(items[index]!, 'blocked', blocked.description);
    return { items, selected: [], graceState: nextGrace.state, failedClosed, blocked, orphanPercent, ...burst };
  }

  applyDeletionLimit(items, judged, policy.limits.maxDeletionsPerSweep, containers);
  // Only candidates can still be selected, and they are in execution order already.
  const selected = judged.map((index) => items[index]!).filter((item) => item.decision === 'selected');
  return { items, selected, graceState: nextGrace.state, failedClosed, orphanPercent, ...burst };
}

interface SweepContext {
  readonly now: number;
  readonly live: LiveKeyIndex;
  readonly protection: ProtectionContext;
  /** Set when failing closed: every attributable, unprotected resource gets it. */
  readonly failedClosedReason: string | undefined;
  readonly minAgeMs: number;
  readonly gracePeriodMs: number;
  readonly minAgeText: string;
  readonly gracePeriodText: string;
  /** Orphans first seen in the same sweep share one text. */
  readonly orphanedForText: (ms: number) => string;
}

function memoized(format: (ms: number) => string): (ms: number) => string {
  const texts = new Map<number, string>();
  return (ms) => {
    let text = texts.get(ms);
    if (text === undefined) texts.set(ms, (text = format(ms)));
    return text;
  };
}

/**
 * The decisions that do not depend on time, in this order: foreign, protected, failed closed, owner
 * live. Undefined means an orphan. `container` is the planned item of a lease's container, when
 * that container is in the snapshot.
 */
function ownership(
  resource: RuntimeResource,
  attribution: Attribution | undefined,
  container: PlannedItem | undefined,
  sweep: SweepContext,
): PlannedItem | undefined {
  if (attribution === undefined) return planned(resource, 'foreign', 'no match rule attributes it', undefined);
  if (attribution.type === 'outOfScope') return planned(resource, 'outOfScope', attribution.reason, attribution.key);
  const ownerKey = attribution.type === 'claim' ? attribution.key : undefined;

  const protection =
    protectionOf(resource, sweep.protection) ??
    // A lease is in use by its container: keeping the container keeps its address.
    (container?.decision === 'protected' ? `its container is protected: ${container.reason}` : undefined);
  if (protection !== undefined) return planned(resource, 'protected', protection, ownerKey);

  if (sweep.failedClosedReason !== undefined)
    return planned(resource, 'failedClosed', sweep.failedClosedReason, ownerKey);

  if (attribution.type !== 'claim') return undefined;
  // A lease's claim is its container's, and the container, neither protected nor failed closed
  // (else the lease would be too), has been judged by it: its decision answers for the lease.
  if (container !== undefined)
    return container.decision === 'ownerLive' ? planned(resource, 'ownerLive', container.reason, ownerKey) : undefined;
  return sweep.live.isLive(attribution)
    ? planned(resource, 'ownerLive', `owner ${attribution.key} is live`, ownerKey)
    : undefined;
}

/** An orphan's decision before the sweep-wide guards: too young, in grace, or selected. */
function timing(
  resource: RuntimeResource,
  attribution: Attribution,
  container: PlannedItem | undefined,
  firstSeen: number,
  sweep: SweepContext,
): PlannedItem {
  const ownerKey = attribution.type === 'claim' ? attribution.key : undefined;
  const gone = ownerKey === undefined ? 'its container is gone' : `owner ${ownerKey} is not live`;
  const age = sweep.now - resource.createdAt;
  // Negated so that an unknown creation time (NaN) counts as too young.
  if (!(age >= sweep.minAgeMs)) {
    const created = Number.isFinite(age) ? `created ${formatDuration(age)} ago` : 'creation time unknown';
    return planned(resource, 'tooYoung', `${gone}; ${created}, minAge ${sweep.minAgeText}`, ownerKey);
  }

  const orphanedFor = `orphaned for ${sweep.orphanedForText(sweep.now - firstSeen)}`;
  if (!graceElapsed(firstSeen, sweep.now, sweep.gracePeriodMs))
    return planned(resource, 'inGrace', `${gone}; ${orphanedFor} of gracePeriod ${sweep.gracePeriodText}`, ownerKey);

  // A lease goes only with its container: freeing the address of a container that stays would
  // hand it to a second container. (Same key, so the container is an orphan too: it is waiting.)
  if (container !== undefined && container.decision !== 'selected') {
    const waits = `waits for its container ${container.resource.name} (${container.decision})`;
    return planned(resource, 'inGrace', `${gone}; ${waits}`, ownerKey);
  }
  return planned(resource, 'selected', `${gone}; ${orphanedFor}`, ownerKey);
}

function planned(
  resource: RuntimeResource,
  decision: Decision,
  reason: string,
  ownerKey: string | undefined,
): PlannedItem {
  return ownerKey === undefined ? { resource, decision, reason } : { resource, decision, reason, ownerKey };
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

/** The same item with a sweep-wide guard's decision. */
/** Candidates whose owner went in a burst still arriving wait (in grace) until it has ended. */
function waitForBurst(items: PlannedItem[], candidates: readonly number[], settling: ReadonlySet<string>): number[] {
  const reason = `its owner went in a burst of ${settling.size} deletions still arriving; judged once it ends`;
  return candidates.filter((index) => {
    const key = items[index]!.ownerKey;
    if (key === undefined || !settling.has(key)) return true;
    items[index] = redecided(items[index]!, 'inGrace', reason);
    return false;
  });
}

function redecided(item: PlannedItem, decision: Decision, reason: string): PlannedItem {
  return planned(item.resource, decision, reason, item.ownerKey);
}

/**
 * Over maxDeletionsPerSweep the oldest go first and the rest wait for the next sweep. A container
 * and its leases are one unit, ranked by the container's age, the leases right after it while
 * there is room: a lease never goes without its container, and no slot is spent on one that must
 * stay.
 */
function applyDeletionLimit(
  items: PlannedItem[],
  candidates: readonly number[],
  maxDeletions: number,
  containers: Int32Array,
): void {
  if (candidates.length <= maxDeletions) return;
  // Candidates are in execution order, so each kind's run is already oldest first.
  const runs = new Map<ResourceKind, number[]>();
  const leasesOf = new Map<number, number[]>();
  for (const index of candidates) {
    const resource = items[index]!.resource;
    const container = containers[index]!;
    if (container < 0) {
      const run = runs.get(resource.kind);
      if (run) run.push(index);
      else runs.set(resource.kind, [index]);
    } else if (items[container]!.decision === 'selected') {
      const leases = leasesOf.get(container);
      if (leases) leases.push(index);
      else leasesOf.set(container, [index]);
    } else {
      // Planning already holds such a lease in grace; kept here so the limit can never free one alone.
      items[index] = redecided(items[index]!, 'overLimit', 'waits for its container');
    }
  }
  const reason = `over maxDeletionsPerSweep ${maxDeletions}: waits for the next sweep`;
  let chosen = 0;
  for (const unit of mergeOldestFirst([...runs.values()], (a, b) =>
    compareByAge(items[a]!.resource, items[b]!.resource),
  )) {
    for (const index of [unit, ...(leasesOf.get(unit) ?? [])]) {
      if (chosen < maxDeletions) chosen++;
      else items[index] = redecided(items[index]!, 'overLimit', reason);
    }
  }
}

/** Merges runs that are each sorted: linear in the total for the handful of runs (one per kind). */
function* mergeOldestFirst(runs: readonly number[][], compare: (a: number, b: number) => number): Generator<number> {
  const next = runs.map(() => 0);
  for (;;) {
    let best = -1;
    for (let r = 0; r < runs.length; r++) {
      if (next[r]! >= runs[r]!.length) continue;
      if (best === -1 || compare(runs[r]![next[r]!]!, runs[best]![next[best]!]!) < 0) best = r;
    }
    if (best === -1) return;
    yield runs[best]![next[best]!++]!;
  }
}
