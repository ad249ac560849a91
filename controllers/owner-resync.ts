// Owner status follows the runtime (status.resources.*.found) without recomputing every owner on a
// timer: each snapshot the runtime view adopts is compared with the one it replaces, and only owners
// whose found counts changed are queued. A timer keeps the view fresh, one Docker listing per policy
// and interval, so an idle controller with thousands of owners does next to nothing.
import type * as k8s from '@kubernetes/client-node';
import { ownerKeyFromObject } from '../src/core/attribution.js';
import type { RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { describeError } from '../src/kube/api-errors.js';
import type { InformerTarget } from '../src/kube/informer.js';
import type { Logger } from '../src/observe/logger.js';
import { namespaceSelected } from '../src/owners/owner-objects.js';
import type { FoundChanges } from './owner-status.js';
import { foundIndexFor } from './owner-status.js';

export interface OwnerResyncOptions {
  /** The owner kinds that have a status reaper keeps (Topology, Sandbox). */
  readonly isStatusKind: (target: InformerTarget) => boolean;
  /** The cached objects of an owner kind. */
  readonly ownersOf: (target: InformerTarget) => readonly k8s.KubernetesObject[];
  readonly enqueue: (target: InformerTarget, object: k8s.KubernetesObject) => void;
  readonly validPolicies: () => readonly Policy[];
  /** Refreshes the runtime view for a policy; a snapshot it adopts comes back through `onSnapshot`. */
  readonly refresh: (policy: Policy) => Promise<unknown>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * The owners to queue after a snapshot of `policy`: those of its status kinds whose key's found counts
 * changed, or all of them when there is nothing to compare with (the first snapshot, a new generation).
 */
export function ownersToRequeue(
  policy: Policy,
  changes: FoundChanges | 'all',
  isStatusKind: (target: InformerTarget) => boolean,
  ownersOf: (target: InformerTarget) => readonly k8s.KubernetesObject[],
): { target: InformerTarget; object: k8s.KubernetesObject }[] {
  if (changes !== 'all' && changes.empty) return [];
  const queued: { target: InformerTarget; object: k8s.KubernetesObject }[] = [];
  for (const ownerKind of policy.owners) {
    const target = { apiVersion: ownerKind.apiVersion, kind: ownerKind.kind };
    if (!isStatusKind(target)) continue;
    for (const object of ownersOf(target)) {
      if (!object.metadata?.name || !namespaceSelected(ownerKind, object.metadata.namespace)) continue;
      if (changes === 'all') {
        queued.push({ target, object });
        continue;
      }
      const key = ownerKeyFromObject(object, ownerKind.key);
      if (key !== undefined && changes.touches(key)) queued.push({ target, object });
    }
  }
  return queued;
}

/** The found counts a snapshot changed against the one before, or 'all' when they cannot be compared. */
export function foundChangesBetween(
  policy: Policy,
  next: RuntimeSnapshot,
  previous: RuntimeSnapshot | undefined,
): FoundChanges | 'all' | 'none' {
  // An incomplete listing writes no counts (the last ones stand), so it changes nothing to follow.
  if (!next.complete) return 'none';
  if (!previous?.complete) return 'all';
  return foundIndexFor(next, policy).changesSince(foundIndexFor(previous, policy));
}

export class OwnerResync {
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly logger: Logger;

  constructor(private readonly options: OwnerResyncOptions) {
    this.logger = options.logger.child('owner-resync');
  }

  /** The runtime view's listener. Never throws: a sweep that just remembered its snapshot must go on. */
  readonly onSnapshot = (policy: Policy, next: RuntimeSnapshot, previous: RuntimeSnapshot | undefined): void => {
    try {
      const changes = foundChangesBetween(policy, next, previous);
      if (changes === 'none') return;
      const { isStatusKind, ownersOf, enqueue } = this.options;
      const queued = ownersToRequeue(policy, changes, isStatusKind, ownersOf);
      for (const { target, object } of queued) enqueue(target, object);
      if (queued.length > 0)
        this.logger.debug('owners whose found counts changed', { policy: policy.name, queued: queued.length });
    } catch (err) {
      this.logger.error('could not follow a runtime change into owner status', {
        policy: policy.name,
        error: describeError(err),
      });
    }
  };

  start(): void {
    this.timer ??= setInterval(() => void this.refreshAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refreshAll(): Promise<void> {
    // A listing slower than the interval (a huge or hung engine) does not pile up behind itself.
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const policy of this.options.validPolicies()) {
        if (!policy.owners.some((o) => this.options.isStatusKind(o))) continue;
        try {
          await this.options.refresh(policy);
        } catch (err) {
          this.logger.debug('runtime listing for owner status failed', {
            policy: policy.name,
            error: describeError(err),
          });
        }
      }
    } finally {
      this.refreshing = false;
    }
  }
}
