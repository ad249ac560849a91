// The live owners of a policy as the informer caches hold them (design §4: a sweep costs no owner
// LIST). A cache that is not synced, or whose watch is failing, makes the listing unsynced, so the
// planner fails closed and says which kind it could not see.
import type { LiveOwners, PlannedItem } from '../src/core/model.js';
import type { SeenOwners } from '../src/core/owner-lookup.js';
import type { Policy } from '../src/core/policy.js';
import { describeTarget } from '../src/kube/informer.js';
import { namespaceSelected, toOwnerRef } from '../src/owners/owner-objects.js';
import type { KubeObjectLike } from '../src/owners/owner-objects.js';
import type { OwnerListing, OwnerSource } from '../src/owners/source.js';
import { targetOf } from './policy-registry.js';
import type { OwnerCaches } from './reconciler-ports.js';

/**
 * The controller's owners: listed from the informer caches, re-checked by `fresh`, never by a cache
 * (the API server read again, or for a teardown the owner being torn down read again).
 */
export class InformerOwnerSource implements OwnerSource {
  constructor(
    private readonly informers: OwnerCaches,
    private readonly fresh: Pick<OwnerSource, 'recheck'>,
    private readonly options: InformerOwnersOptions = {},
  ) {}

  list(policy: Policy): Promise<InformerOwners> {
    return Promise.resolve(ownersFromInformers(policy, this.informers, this.options));
  }

  recheck(policy: Policy, candidates: readonly PlannedItem[], seen?: SeenOwners): Promise<LiveOwners> {
    return this.fresh.recheck(policy, candidates, seen ?? this.options.seen?.(policy));
  }
}

export interface InformerOwners extends OwnerListing {
  /** Live owners per kind, for metrics. */
  readonly byKind: ReadonlyMap<string, number>;
  /** Some informer has not finished its first list and has not failed either: wait rather than sweep. */
  readonly starting: boolean;
}

export interface InformerOwnersOptions {
  /**
   * Leave this object out: the owner being torn down. Its key stays live when another owner has it
   * too (a field key two owners share), which dropping the key from the live set would not tell.
   */
  readonly besidesUid?: string;
  /** Where the policy's owners were last seen, for the re-check to read rather than list. */
  readonly seen?: (policy: Policy) => SeenOwners;
}

/**
 * The last listing per policy, kept with what it was listed from: the policy's generation and owner
 * kinds, and each cache's revision. Nodes report what owners hold every resync and sweeps list their
 * owners, so an agent whose caches did not change since would otherwise walk every owner again for
 * the same answer (at 20,000 owners, the largest share of an idle agent's JavaScript in a profile).
 */
const lastListings = new WeakMap<
  OwnerCaches,
  Map<string, { readonly basis: string; readonly owners: InformerOwners }>
>();

export function ownersFromInformers(
  policy: Policy,
  informers: OwnerCaches,
  options: InformerOwnersOptions = {},
): InformerOwners {
  // A teardown's listing (one owner left out) is its own; a cache without a revision cannot say it is unchanged.
  const basis = options.besidesUid === undefined ? listingBasis(policy, informers) : undefined;
  if (basis === undefined) return listOwners(policy, informers, options);
  let listings = lastListings.get(informers);
  if (!listings) lastListings.set(informers, (listings = new Map()));
  const last = listings.get(policy.name);
  if (last?.basis === basis) return last.owners;
  const owners = listOwners(policy, informers, options);
  listings.set(policy.name, { basis, owners });
  return owners;
}

function listingBasis(policy: Policy, informers: OwnerCaches): string | undefined {
  const revisions: number[] = [];
  for (const ownerKind of policy.owners) {
    const revision = informers.get(targetOf(ownerKind))?.revision;
    if (revision === undefined) return undefined;
    revisions.push(revision);
  }
  return `${policy.generation}|${revisions.join(',')}|${JSON.stringify(policy.owners)}`;
}

function listOwners(policy: Policy, informers: OwnerCaches, options: InformerOwnersOptions): InformerOwners {
  const keys = new Set<string>();
  const errors: string[] = [];
  // Owner objects, not entries: two entries of the policy may select the same object.
  const seen = new Set<string>();
  const byKind = new Map<string, number>();
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
    // A kind seen with no owners says 0, so its live-owner gauge drops when the last one goes.
    if (!byKind.has(ownerKind.kind)) byKind.set(ownerKind.kind, 0);
    for (const object of informer.list() as readonly KubeObjectLike[]) {
      if (!namespaceSelected(ownerKind, object.metadata?.namespace)) continue;
      if (options.besidesUid !== undefined && object.metadata?.uid === options.besidesUid) continue;
      const ref = toOwnerRef(object, ownerKind);
      if (typeof ref === 'string') {
        errors.push(ref);
        continue;
      }
      keys.add(ref.key);
      const identity = `${ref.apiVersion}|${ref.kind}|${ref.uid ?? `${ref.namespace ?? ''}/${ref.name}`}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      byKind.set(ownerKind.kind, (byKind.get(ownerKind.kind) ?? 0) + 1);
    }
  }
  return { live: { keys, synced: errors.length === 0, errors }, count: seen.size, byKind, starting };
}
