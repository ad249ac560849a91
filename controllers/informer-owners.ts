// The live owners of a policy as the informer caches hold them (design §4: a sweep costs no owner
// LIST). A cache that is not synced, or whose watch is failing, makes the listing unsynced, so the
// planner fails closed and says which kind it could not see.
import type { LiveOwners } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import type { DynamicInformerSet } from '../src/kube/informer-set.js';
import { describeTarget } from '../src/kube/informer.js';
import { namespaceSelected, toOwnerRef } from '../src/owners/owner-objects.js';
import type { KubeObjectLike } from '../src/owners/owner-objects.js';
import { targetOf } from './policy-registry.js';

export interface InformerOwners {
  readonly live: LiveOwners;
  readonly count: number;
  /** Live owners per kind, for metrics. */
  readonly byKind: ReadonlyMap<string, number>;
  /** Some informer has not finished its first list and has not failed either: wait rather than sweep. */
  readonly starting: boolean;
}

export function ownersFromInformers(policy: Policy, informers: DynamicInformerSet): InformerOwners {
  const keys = new Set<string>();
  const errors: string[] = [];
  const byKind = new Map<string, number>();
  let count = 0;
  let starting = false;
  for (const ownerKind of policy.owners) {
    const target = targetOf(ownerKind);
    const informer = informers.get(target);
    const state = informer?.state();
    if (!informer || !state) {
      errors.push(`no informer for ${describeTarget(target)}`);
      continue;
    }
    if (!state.synced || !state.healthy) {
      if (!state.synced && state.lastError === undefined) starting = true;
      errors.push(
        `${describeTarget(target)} is ${state.synced ? 'not following the API server' : 'not synced'}` +
          (state.lastError ? `: ${state.lastError}` : ''),
      );
      continue;
    }
    let ofKind = 0;
    for (const object of informer.list() as readonly KubeObjectLike[]) {
      if (!namespaceSelected(ownerKind, object.metadata?.namespace)) continue;
      const ref = toOwnerRef(object, ownerKind);
      if (typeof ref === 'string') {
        errors.push(ref);
        continue;
      }
      keys.add(ref.key);
      ofKind++;
    }
    count += ofKind;
    byKind.set(ownerKind.kind, (byKind.get(ownerKind.kind) ?? 0) + ofKind);
  }
  return { live: { keys, synced: errors.length === 0, errors }, count, byKind, starting };
}
