// An owner deletion sweeps a policy on this agent only when this agent holds something the owner's
// key claims (docs/design.md §4). On a fleet every agent sees every deletion; the agents that hold
// nothing of that owner look at their own runtime (one local listing, shared by a burst of
// deletions) and stay quiet: no sweep, no write. Their periodic sweeps still come. When the runtime
// is followed through the engine's events, that look costs no listing and comes almost at once.
import type { RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { sumOverKinds } from '../src/core/report-types.js';
import type { Logger } from '../src/observe/logger.js';
import type { KubeObjectLike } from '../src/owners/owner-objects.js';
import { toOwnerRef } from '../src/owners/owner-objects.js';
import { foundIndexFor } from '../src/status/owner-status.js';
import type { ManagingPolicy } from './policy-registry.js';

export interface DeletionTriggerOptions {
  /** How long a burst of deletions gathers before this agent looks. */
  readonly delayMs: number;
  /**
   * How long when the runtime can be read fresh without listing the engine (`runtimeFresh`, the
   * agent's view that follows Docker's events): looking is then a read of memory, so a burst need
   * not gather to share one listing, and the sweeps it starts coalesce in the policy queue anyway.
   */
  readonly freshDelayMs?: number;
  readonly runtimeFresh?: () => boolean;
  /** A runtime snapshot of the policy taken no earlier than `at` (epoch ms). */
  readonly snapshotSince: (policy: Policy, at: number) => Promise<RuntimeSnapshot>;
  /** The policy as it is now (with its rivals); undefined once it is gone or invalid. */
  readonly policyNamed: (name: string) => Policy | undefined;
  readonly sweep: (policyName: string) => void;
  readonly now: () => number;
  readonly logger: Logger;
}

interface Pending {
  /** Owner keys deleted in this burst; undefined when one had no key: sweep anyway. */
  keys: Set<string> | undefined;
  /** When the first deletion of the burst was seen: the snapshot must be newer. */
  readonly since: number;
}

export class DeletionTrigger {
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: DeletionTriggerOptions) {}

  /** An owner object was deleted; `managing` are the policies that manage it. */
  ownerDeleted(object: KubeObjectLike, managing: readonly ManagingPolicy[]): void {
    if (this.stopped) return;
    for (const { policy, ownerKind } of managing) {
      const ref = toOwnerRef(object, ownerKind);
      let entry = this.pending.get(policy.name);
      if (!entry) {
        entry = { keys: new Set(), since: this.options.now() };
        this.pending.set(policy.name, entry);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.decide(policy.name);
        }, this.delay());
        timer.unref();
        this.timers.add(timer);
      }
      if (typeof ref === 'string') entry.keys = undefined;
      else entry.keys?.add(ref.key);
    }
  }

  private delay(): number {
    const { delayMs, freshDelayMs, runtimeFresh } = this.options;
    return freshDelayMs !== undefined && runtimeFresh?.() ? Math.min(delayMs, freshDelayMs) : delayMs;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private async decide(name: string): Promise<void> {
    const entry = this.pending.get(name);
    this.pending.delete(name);
    const policy = this.options.policyNamed(name);
    if (!entry || !policy || this.stopped) return;
    if (entry.keys === undefined) return this.options.sweep(name);
    try {
      const snapshot = await this.options.snapshotSince(policy, entry.since);
      // A runtime not fully listed cannot say it holds nothing: the sweep will fail closed and say why.
      if (!snapshot.complete || holdsAny(snapshot, policy, entry.keys)) return this.options.sweep(name);
      this.options.logger.debug('owners deleted, none of whose resources this agent holds: no sweep', {
        policy: name,
        owners: entry.keys.size,
      });
    } catch (err) {
      this.options.logger.warn('could not tell whether this agent holds what deleted owners claimed; sweeping', {
        policy: name,
        error: (err as Error).message,
      });
      if (!this.stopped) this.options.sweep(name);
    }
  }
}

/** Whether the snapshot holds anything the policy attributes to one of these owner keys. */
export function holdsAny(snapshot: RuntimeSnapshot, policy: Policy, keys: ReadonlySet<string>): boolean {
  const index = foundIndexFor(snapshot, policy);
  for (const key of keys) {
    const found = index.found(key);
    if (sumOverKinds((kind) => found[kind]) > 0) return true;
  }
  return false;
}
