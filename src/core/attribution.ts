// Who owns a runtime resource, by the policy's match rules (design §1). Keys come from labels and
// names that anyone can write, so a key that does not look like a key, or not like a key any of the
// policy's owner kinds could have (owner-key-shape.ts), attributes nothing.
import type { ContainerResource, Labels, NetworkResource, RuntimeResource, VolumeResource } from './model.js';
import type { OwnerKeyShapes } from './owner-key-shape.js';
import { isWellFormedOwnerKey, ownerKeyShapes } from './owner-key-shape.js';
import type { MatchRule, OwnerKeyRule, Policy } from './policy.js';

export { MAX_OWNER_KEY_LENGTH, isWellFormedOwnerKey } from './owner-key-shape.js';

/** Names are matched only up to this length: longer ones are not names any platform writes. */
export const MAX_MATCHED_NAME_LENGTH = 1024;

/** An owner key some match rule extracted, and the rule (which says how the key is compared). */
export interface Claim {
  readonly type: 'claim';
  readonly key: string;
  readonly rule: MatchRule;
}

/**
 * How a resource of the snapshot is attributed: `undefined` is foreign. `dangling` is a lease whose
 * container is gone, in a network the policy manages: it belongs to the policy, and no owner could
 * be live for it.
 */
export type Attribution = Claim | { readonly type: 'dangling' };

/**
 * The claim of the first rule that extracts a well-formed key of a shape the policy's owner kinds
 * could have, or undefined (foreign). A rule that extracts any other key attributes nothing, as if
 * it had not matched, and the next rule is tried.
 */
export function claimOf(
  resource: { name: string; labels: Labels },
  policy: Pick<Policy, 'match' | 'owners'>,
): Claim | undefined {
  return claimWith(resource, policy.match, ownerKeyShapes(policy.owners));
}

function claimWith(
  resource: { name: string; labels: Labels },
  rules: readonly MatchRule[],
  shapes: OwnerKeyShapes,
): Claim | undefined {
  for (const rule of rules) {
    const key = rule.type === 'label' ? labelValue(resource.labels, rule.label) : nameKey(resource.name, rule);
    if (key !== undefined && shapes.accepts(key, rule)) return { type: 'claim', key, rule };
  }
  return undefined;
}

/**
 * The owner key of a container, network or volume under the policy's match rules; undefined when
 * it is foreign. Leases have no key of their own: see attributeResources.
 */
export function ownerKeyOf(
  resource: ContainerResource | NetworkResource | VolumeResource,
  policy: Pick<Policy, 'match' | 'owners'>,
): string | undefined {
  return claimOf(resource, policy)?.key;
}

/**
 * For each lease, the index in the same list of the container it names; -1 when that container is
 * not in the list, and for every other kind. With two containers of the same id, the later one counts.
 */
export function leaseContainers(resources: readonly RuntimeResource[]): Int32Array {
  const containers = new Int32Array(resources.length).fill(-1);
  // Keyed by the leases' container ids, not all containers': a host has fewer leases than
  // containers, and most hosts none.
  const leasesOf = new Map<string, number[]>();
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind !== 'ipLease') continue;
    const leases = leasesOf.get(resource.containerId);
    if (leases) leases.push(index);
    else leasesOf.set(resource.containerId, [index]);
  }
  if (leasesOf.size === 0) return containers;
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind !== 'container') continue;
    for (const lease of leasesOf.get(resource.id) ?? []) containers[lease] = index;
  }
  return containers;
}

/**
 * Attribution of every resource, index for index. A lease is attributed through its container: it
 * inherits the claim of a container in the same list (and is foreign with a foreign container); a
 * lease whose container is not in the list is dangling when its network is one the policy manages,
 * else foreign. `containers` is leaseContainers(resources), when the caller already has it.
 */
export function attributeResources(
  resources: readonly RuntimeResource[],
  policy: Pick<Policy, 'match' | 'owners' | 'resources'>,
  containers: Int32Array = leaseContainers(resources),
): (Attribution | undefined)[] {
  const shapes = ownerKeyShapes(policy.owners);
  const attributions = new Array<Attribution | undefined>(resources.length);
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind !== 'ipLease') attributions[index] = claimWith(resource, policy.match, shapes);
  }
  const managedLeaseNetworks = new Set(policy.resources.ipLeases.networks);
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind !== 'ipLease') continue;
    const container = containers[index]!;
    if (container >= 0) attributions[index] = attributions[container];
    else if (managedLeaseNetworks.has(resource.network)) attributions[index] = { type: 'dangling' };
  }
  return attributions;
}

function labelValue(labels: Labels, label: string): string | undefined {
  return Object.hasOwn(labels, label) ? labels[label] : undefined;
}

function nameKey(name: string, rule: Extract<MatchRule, { type: 'name' }>): string | undefined {
  // test() is about twice as fast as a matcher, and most names on a mixed host do not match.
  if (name.length > MAX_MATCHED_NAME_LENGTH || !rule.regex.test(name)) return undefined;
  const matcher = rule.regex.matcher(name);
  if (!matcher.find()) return undefined;
  const key: unknown = matcher.group('key');
  return typeof key === 'string' ? key : undefined;
}

/**
 * Answers "is this claim's owner live?" in one lookup. A name rule with keyPrefixLength L compares
 * the first L characters of the extracted key with the first L characters of every live key; the
 * prefix sets are built once, when the index is made.
 */
export class LiveKeyIndex {
  private readonly prefixSets = new Map<number, Set<string>>();

  constructor(
    private readonly keys: ReadonlySet<string>,
    rules: readonly MatchRule[],
  ) {
    for (const rule of rules) {
      const length = prefixLengthOf(rule);
      if (length === undefined || this.prefixSets.has(length)) continue;
      // Keys shorter than L count whole: when in doubt, an owner is live.
      const prefixes = new Set<string>();
      for (const key of keys) prefixes.add(key.slice(0, length));
      this.prefixSets.set(length, prefixes);
    }
  }

  isLive(claim: Pick<Claim, 'key' | 'rule'>): boolean {
    const length = prefixLengthOf(claim.rule);
    if (length === undefined) return this.keys.has(claim.key);
    const prefixes = this.prefixSets.get(length);
    // A rule the index was not built for: compare the slow way rather than call the owner gone.
    if (prefixes === undefined)
      return [...this.keys].some((key) => key.slice(0, length) === claim.key.slice(0, length));
    // A key already no longer than L is its own prefix: no new string to hash.
    return prefixes.has(claim.key.length <= length ? claim.key : claim.key.slice(0, length));
  }
}

function prefixLengthOf(rule: MatchRule): number | undefined {
  return rule.type === 'name' ? rule.keyPrefixLength : undefined;
}

/** An owner object's key under the policy's key rule; undefined when the object does not have one. */
export function ownerKeyFromObject(object: unknown, rule: OwnerKeyRule): string | undefined {
  const metadata = fieldAt(object, ['metadata']);
  let key: unknown;
  switch (rule.type) {
    case 'uid':
      key = fieldAt(metadata, ['uid']);
      break;
    case 'name': {
      const name = fieldAt(metadata, ['name']);
      const namespace = fieldAt(metadata, ['namespace']);
      if (typeof name !== 'string') return undefined;
      key = typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name;
      break;
    }
    case 'field':
      key = fieldAt(object, rule.path);
      break;
  }
  if (typeof key === 'number' && Number.isFinite(key)) key = String(key);
  return typeof key === 'string' && isWellFormedOwnerKey(key) ? key : undefined;
}

/** The value at a path of own properties (never the prototype's), or undefined. */
function fieldAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
