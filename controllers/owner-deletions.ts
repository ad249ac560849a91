// The owner deletions this agent saw, per policy, for the guard to find mass deletions in
// (src/core/deletion-wave.ts). Every agent watches the same owners, so every agent keeps the same
// log, and the waves it finds are the same on every node. Kept for an hour: long enough for the
// sweeps a deletion triggers, and for a policy change to judge the last hour's waves anew.
import type { OwnerDeletion } from '../src/core/deletion-wave.js';
import type { OwnerSeen } from '../src/core/owner-lookup.js';
import type { KubeObjectLike } from '../src/owners/owner-objects.js';
import { toOwnerRef } from '../src/owners/owner-objects.js';
import type { ManagingPolicy } from './policy-registry.js';

export const DELETION_RETENTION_MS = 60 * 60_000;
/** Per policy; beyond it the oldest go first. A day of a deletion every second fits, many times over. */
const MAX_DELETIONS_PER_POLICY = 200_000;
/**
 * The objects of the latest deletions kept per policy, for the re-checks of the sweeps they
 * trigger (seconds later); a sweep that finds none of its owners here lists them instead.
 */
const MAX_OBJECTS_SEEN_PER_POLICY = 1_000;

export class OwnerDeletionLog {
  // Per policy: owner key -> when its deletion was seen. A Map keeps insertion order, oldest first.
  private readonly byPolicy = new Map<string, Map<string, number>>();
  // Per policy: uid key -> the object deleted with it, the latest last.
  private readonly objectsByPolicy = new Map<string, Map<string, OwnerSeen>>();

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
      const name = object.metadata?.name;
      if (ownerKind.key.type !== 'uid' || !name) continue;
      let objects = this.objectsByPolicy.get(policy.name);
      if (!objects) this.objectsByPolicy.set(policy.name, (objects = new Map()));
      objects.delete(ref.key);
      const namespace = object.metadata?.namespace;
      objects.set(ref.key, { owner: ownerKind, ...(namespace ? { namespace } : {}), name });
      if (objects.size > MAX_OBJECTS_SEEN_PER_POLICY) objects.delete(objects.keys().next().value!);
    }
  }

  /** The object deleted with this uid key, among the policy's latest deletions. */
  seen(policyName: string, key: string): OwnerSeen | undefined {
    return this.objectsByPolicy.get(policyName)?.get(key);
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
    this.objectsByPolicy.delete(policyName);
  }
}
