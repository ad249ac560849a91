// Runs the selected items of a plan (design §3.5–§3.6): re-check the owners fresh, then remove with
// bounded concurrency, each item once what it depends on is done: containers first; a lease after
// its own container is really gone; networks and volumes after every container. One item's failure
// is recorded and the sweep goes on; an engine that goes away yields failed items, never a crash.
import pLimit from 'p-limit';
import { confirmOrphans } from '../core/confirm.js';
import type { LiveOwners, PlannedItem, RuntimeSnapshot } from '../core/model.js';
import type { ResourceKind } from '../core/model.js';
import { resourceKey } from '../core/model.js';
import type { ItemOutcome } from '../core/outcome.js';
import { isRemoved } from '../core/outcome.js';
import type { Plan } from '../core/planner.js';
import type { Policy } from '../core/policy.js';
import type { Backends } from './backend.js';

export interface ExecuteInput {
  readonly plan: Plan;
  readonly snapshot: RuntimeSnapshot;
  readonly policy: Policy;
  readonly backends: Backends;
  /** A fresh read of the owners, bypassing any cache. */
  readonly recheckOwners: () => Promise<LiveOwners>;
  readonly now: () => number;
  /** Aborting starts no new removal; items in flight finish. */
  readonly signal?: AbortSignal | undefined;
  readonly onItemDone?: ((outcome: ItemOutcome) => void) | undefined;
}

export interface ExecuteResult {
  readonly outcomes: ItemOutcome[];
  readonly errors: string[];
}

export async function executePlan(input: ExecuteInput): Promise<ExecuteResult> {
  const { plan, policy } = input;
  if (plan.selected.length === 0) return { outcomes: [], errors: [] };
  const outcomes: ItemOutcome[] = [];
  const record = (outcome: ItemOutcome) => {
    outcomes.push(outcome);
    input.onItemDone?.(outcome);
  };

  if (policy.mode === 'DryRun') {
    for (const item of plan.selected)
      record({ key: resourceKey(item.resource), status: 'wouldReap', reason: item.reason });
    return { outcomes, errors: [] };
  }

  let fresh: LiveOwners;
  try {
    fresh = await input.recheckOwners();
  } catch (err) {
    fresh = { keys: new Set(), synced: false, errors: [(err as Error).message] };
  }
  const { confirmed, dropped } = confirmOrphans(plan, input.snapshot, fresh, policy, input.now());
  for (const { item, reason } of dropped) record({ key: resourceKey(item.resource), status: 'skipped', reason });
  const errors = fresh.synced ? [] : fresh.errors.map((e) => `re-check of owners failed: ${e}`);

  await removeInOrder(confirmed, input, record);
  return { outcomes, errors };
}

/**
 * Removes the confirmed items with bounded concurrency, each as soon as what it depends on is done
 * (design §3.6): containers at once; a lease once its own container's removal has ended (or at once
 * when its container is not being removed); networks and volumes once every container's removal
 * has ended, a network because an attached container, stopped or not, still names it, a volume
 * because a container may still mount it. Leases, networks and volumes do not wait for one another:
 * a lease is an address in the CNI store, not a Docker object.
 */
async function removeInOrder(
  confirmed: readonly PlannedItem[],
  input: ExecuteInput,
  record: (outcome: ItemOutcome) => void,
): Promise<void> {
  const limit = pLimit(Math.max(1, input.policy.limits.concurrency));
  const containersInSnapshot = new Map<string, string>();
  for (const r of input.snapshot.resources) if (r.kind === 'container') containersInSnapshot.set(r.id, r.name);
  const containerOutcomes = new Map<string, ItemOutcome>();
  const containerRemovals = new Map<string, Promise<unknown>>();
  const ofKind = (kind: ResourceKind) => confirmed.filter((item) => item.resource.kind === kind);

  for (const item of ofKind('container')) {
    const removal = limit(() => removeOne(item, input)).then((outcome) => {
      containerOutcomes.set(item.resource.id, outcome);
      record(outcome);
    });
    containerRemovals.set(item.resource.id, removal);
  }
  const containersDone = Promise.all(containerRemovals.values());
  const leases = ofKind('ipLease').map(async (item) => {
    const containerId = item.resource.kind === 'ipLease' ? item.resource.containerId : undefined;
    await (containerId === undefined ? undefined : containerRemovals.get(containerId));
    const held = leaseHeld(item, containersInSnapshot, containerOutcomes);
    record(
      held
        ? { key: resourceKey(item.resource), status: 'skipped', reason: held }
        : await limit(() => removeOne(item, input)),
    );
  });
  const afterContainers = [...ofKind('network'), ...ofKind('volume')].map(async (item) => {
    await containersDone;
    record(await limit(() => removeOne(item, input)));
  });
  await Promise.all([containersDone, ...leases, ...afterContainers]);
}

/**
 * Why a lease must stay, if it must: its container was in the snapshot and has not been removed
 * by this sweep (skipped as running, failed, or not selected). Freeing the address of a container
 * that is still there would hand it to a second container. A lease whose container was already
 * gone at the snapshot (dangling) may go.
 */
function leaseHeld(
  item: PlannedItem,
  containersInSnapshot: ReadonlyMap<string, string>,
  containerOutcomes: ReadonlyMap<string, ItemOutcome>,
): string | undefined {
  if (item.resource.kind !== 'ipLease') return undefined;
  const containerId = item.resource.containerId;
  const name = containersInSnapshot.get(containerId);
  if (name === undefined) return undefined;
  const outcome = containerOutcomes.get(containerId);
  if (outcome && isRemoved(outcome)) return undefined;
  return outcome
    ? `kept with its container ${name}, which was not removed (${outcome.status}: ${outcome.reason})`
    : `kept with its container ${name}, which this sweep does not remove`;
}

async function removeOne(item: PlannedItem, input: ExecuteInput): Promise<ItemOutcome> {
  const key = resourceKey(item.resource);
  if (input.signal?.aborted) return { key, status: 'skipped', reason: 'shutting down: not started' };
  const backend = input.backends[item.resource.kind];
  if (!backend) return { key, status: 'skipped', reason: `no backend for ${item.resource.kind}s` };
  try {
    const result = await backend.remove(item.resource);
    return { key, ...result };
  } catch (err) {
    return { key, status: 'failed', reason: (err as Error).message };
  }
}
