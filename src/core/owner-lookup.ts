// Which owner object each of a sweep's candidates names, when that is exactly one object (design
// §3.5). The re-check right before deleting can then read those few objects instead of listing every
// owner: what it asks is only "is this candidate's owner still there?".
import type { PlannedItem } from './model.js';
import { coversNamespace, groupKindOf } from './owner-scope.js';
import type { OwnerKind, Policy } from './policy.js';
import { OWNER_KIND_LABEL, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from './policy.js';

/** One owner object to read, and the key the candidates gave it. */
export interface OwnerLookup {
  readonly key: string;
  readonly owner: OwnerKind;
  /** Absent for a cluster-scoped owner. */
  readonly namespace?: string;
  readonly name: string;
}

/** Where an owner was when last seen, e.g. the object whose deletion the agent watched. */
export interface OwnerSeen {
  readonly owner: Pick<OwnerKind, 'apiVersion' | 'kind'>;
  readonly namespace?: string;
  readonly name: string;
}

/** The object last seen with this owner key, if one was. */
export type SeenOwners = (key: string) => OwnerSeen | undefined;

/**
 * One lookup per distinct owner key of the candidates, or undefined when some key cannot be pinned
 * to one object of one of the policy's kinds (no name label, a kind the labels do not settle, a key
 * prefix that stands for many owners): then only a listing can answer. A uid key the labels do not
 * pin is pinned by `seen`, the object last seen with that uid: a uid is one object's for good and
 * its name never changes, so that object, read again, says whether the uid is live.
 */
export function ownerLookups(
  policy: Pick<Policy, 'owners' | 'match'>,
  candidates: readonly PlannedItem[],
  seen?: SeenOwners,
): OwnerLookup[] | undefined {
  // A key prefix stands for every owner whose key starts with it: one object cannot answer for it.
  if (policy.match.some((rule) => rule.type === 'name' && rule.keyPrefixLength !== undefined)) return undefined;
  const byKey = new Map<string, OwnerLookup>();
  const unpinned = new Set<string>();
  for (const item of candidates) {
    const key = item.ownerKey;
    if (key === undefined) return undefined;
    if (byKey.has(key)) continue;
    const lookup =
      pin(policy.owners, key, item.resource.labels) ?? pinSeen(policy.owners, key, item.resource.labels, seen);
    if (lookup) {
      byKey.set(key, lookup);
      unpinned.delete(key);
    } else {
      // A lease carries no labels: its key may still be pinned by its container.
      unpinned.add(key);
    }
  }
  return unpinned.size === 0 ? [...byKey.values()] : undefined;
}

function pin(
  owners: readonly OwnerKind[],
  key: string,
  labels: Readonly<Record<string, string>> | undefined,
): OwnerLookup | undefined {
  const statedKind = labels?.[OWNER_KIND_LABEL];
  const kinds = owners.filter((owner) => statedKind === undefined || groupKindOf(owner) === statedKind);
  const found: OwnerLookup[] = [];
  for (const owner of kinds) {
    const place = placeOf(owner, key, labels);
    if (!place) continue;
    if (!coversNamespace(owner, place.namespace)) continue;
    found.push({ key, owner, ...place });
  }
  // The same kind listed twice (two namespace lists) reads one object; two kinds could be either.
  const distinct = new Set(
    found.map((f) => `${groupKindOf(f.owner)}|${f.namespace ?? ''}|${f.name}|${JSON.stringify(f.owner.key)}`),
  );
  return distinct.size === 1 ? found[0] : undefined;
}

/**
 * The lookup of a uid key by the object last seen with it, when the policy reads that kind by uid in
 * that namespace and the resource's labels, where they state a kind or namespace, agree.
 */
function pinSeen(
  owners: readonly OwnerKind[],
  key: string,
  labels: Readonly<Record<string, string>> | undefined,
  seen: SeenOwners | undefined,
): OwnerLookup | undefined {
  const object = seen?.(key);
  if (!object) return undefined;
  const kind = groupKindOf(object.owner);
  const statedKind = labels?.[OWNER_KIND_LABEL];
  const statedNamespace = labels?.[OWNER_NAMESPACE_LABEL];
  if (statedKind !== undefined && statedKind !== kind) return undefined;
  if (statedNamespace !== undefined && statedNamespace !== object.namespace) return undefined;
  // Only a uid is one object's for good: a name or a field value may be taken again by another.
  const owner = owners.find(
    (o) =>
      o.key.type === 'uid' &&
      o.apiVersion === object.owner.apiVersion &&
      o.kind === object.owner.kind &&
      coversNamespace(o, object.namespace),
  );
  if (!owner) return undefined;
  return { key, owner, ...(object.namespace === undefined ? {} : { namespace: object.namespace }), name: object.name };
}

function placeOf(
  owner: OwnerKind,
  key: string,
  labels: Readonly<Record<string, string>> | undefined,
): { namespace?: string; name: string } | undefined {
  if (owner.key.type === 'name') {
    const slash = key.indexOf('/');
    if (slash < 0) return key === '' ? undefined : { name: key };
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    return namespace === '' || name === '' || name.includes('/') ? undefined : { namespace, name };
  }
  const name = labels?.[OWNER_NAME_LABEL];
  if (name === undefined || name === '') return undefined;
  const namespace = labels?.[OWNER_NAMESPACE_LABEL];
  return namespace === undefined || namespace === '' ? { name } : { namespace, name };
}
