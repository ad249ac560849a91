// The owner deletions this agent saw, per policy, for the guard to find mass deletions in
// (src/core/deletion-wave.ts). Every agent watches the same owners, so every agent keeps the same
// log, and the waves it finds are the same on every node. Kept for an hour: long enough for the
// sweeps a deletion triggers, and for a policy change to judge the last hour's waves anew.
import type { OwnerDeletion } from '../src/core/deletion-wave.js';
import type { KubeObjectLike } from '../src/owners/owner-objects.js';
import { toOwnerRef } from '../src/owners/owner-objects.js';
import type { ManagingPolicy } from './policy-registry.js';

export const DELETION_RETENTION_MS = 60 * 60_000;
/** Per policy; beyond it the oldest go first. A day of a deletion every second fits, many times over. */
const MAX_DELETIONS_PER_POLICY = 200_000;

export class OwnerDeletionLog {
  // Per policy: owner key -> when its deletion was seen. A Map keeps insertion order, oldest first.
  private readonly byPolicy = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number) {}

  /** An owner object was deleted; `managing` are the policies that manage it. */
  ownerDeleted(object: KubeObjectLike, managing: readonly ManagingPolicy[]): void {
    const at = this.now();
    for (const { policy, ownerKind } of managing) {
      const ref = toOwnerRef(object, ownerKind);
      // An owner without a key claims nothing, so no resource of it can be reaped: nothing to judge.
      if (typeof ref === 'string') continue;
      let log = this.byPolicy.get(policy.name);
      if (!log) this.byPolicy.set(policy.name, (log = new Map()));
      log.delete(ref.key); // deleted again: it moves to the end, as of now
      log.set(ref.key, at);
      if (log.size > MAX_DELETIONS_PER_POLICY) log.delete(log.keys().next().value!);
    }
  }

  /** The deletions of the last hour for this policy. */
  recent(policyName: string): OwnerDeletion[] {
    const log = this.byPolicy.get(policyName);
    if (!log) return [];
    const since = this.now() - DELETION_RETENTION_MS;
    for (const [key, at] of log) {
      if (at >= since) break;
      log.delete(key);
    }
    return [...log].map(([key, at]) => ({ key, at }));
  }

  forget(policyName: string): void {
    this.byPolicy.delete(policyName);
  }
}
