// Runs the selected items of a plan (design §3.5–§3.6): re-check the owners fresh, then remove
// kind by kind — containers, their leases, networks, volumes — each kind with bounded concurrency.
// A lease goes only after its container is really gone. One item's failure is recorded and the
// sweep goes on; an engine that goes away yields failed items, never a crash.
import pLimit from 'p-limit';
import { confirmOrphans } from '../core/confirm.js';
import type { LiveOwners, PlannedItem, RuntimeSnapshot } from '../core/model.js';
import { RESOURCE_KINDS, resourceKey } from '../core/model.js';
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

  const limit = pLimit(Math.max(1, policy.limits.concurrency));
  const containerOutcomes = new Map<string, ItemOutcome>();
  const containersInSnapshot = new Map<string, string>();
  for (const r of input.snapshot.resources) if (r.kind === 'container') containersInSnapshot.set(r.id, r.name);
  for (const kind of RESOURCE_KINDS) {
    const phase = confirmed.filter((item) => item.resource.kind === kind);
    await Promise.all(
      phase.map((item) =>
        limit(async () => {
          const held = kind === 'ipLease' ? leaseHeld(item, containersInSnapshot, containerOutcomes) : undefined;
          const outcome = held
            ? { key: resourceKey(item.resource), status: 'skipped' as const, reason: held }
            : await removeOne(item, input);
          if (kind === 'container') containerOutcomes.set(item.resource.id, outcome);
          record(outcome);
        }),
      ),
    );
  }
  return { outcomes, errors };
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
