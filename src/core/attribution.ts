// Who owns a runtime resource, by the policy's match rules (docs/design.md §1). Keys come from labels
// and names that anyone can write, so a key that does not look like a key, or not like a key any of
// the policy's owner kinds could have (owner-key-shape.ts), attributes nothing; and a key that could
// name an owner outside the policy's scope is out of scope (owner-scope.ts): the policy cannot judge it.
import type {
  ContainerResource,
  IpLeaseResource,
  Labels,
  NetworkResource,
  RuntimeResource,
  VolumeResource,
} from './model.js';
import type { OwnerKeyShapes } from './owner-key-shape.js';
import { isWellFormedOwnerKey, ownerKeyShapes } from './owner-key-shape.js';
import { outOfScopeReason } from './owner-scope.js';
import type { MatchRule, OwnerKeyRule, Policy } from './policy.js';
import { keyByRule } from './rule-key.js';

export { MAX_OWNER_KEY_LENGTH, isWellFormedOwnerKey } from './owner-key-shape.js';
export { MAX_MATCHED_NAME_LENGTH } from './rule-key.js';

/** An owner key some match rule extracted, and the rule (which says how the key is compared). */
export interface Claim {
  readonly type: 'claim';
  readonly key: string;
  readonly rule: MatchRule;
  /**
   * Set when attribution already found the key among the live owners' (an Attributor given them,
   * a rule without keyPrefixLength): the planner's liveness check need not look it up again.
   */
  readonly knownLive?: true;
}

/** A claim whose key could name an owner the policy cannot see: never judged, reported with why. */
export interface OutOfScope {
  readonly type: 'outOfScope';
  readonly key: string;
  readonly reason: string;
}

/**
 * How a resource of the snapshot is attributed: `undefined` is foreign. `dangling` is a lease whose
 * container is gone, in a network the policy manages: it belongs to the policy, and no owner could
 * be live for it.
 */
export type Attribution = Claim | OutOfScope | { readonly type: 'dangling' };

type ScopedPolicy = Pick<Policy, 'match' | 'owners' | 'rivals'>;

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

/** `accepted` holds keys known to pass shapes.whole: such a key of a whole-key rule needs no test. */
function claimWith(
  resource: { name: string; labels: Labels },
  rules: readonly MatchRule[],
  shapes: OwnerKeyShapes,
  accepted: ReadonlySet<string> = NO_KEYS,
): Claim | undefined {
  for (const rule of rules) {
    const key = keyByRule(resource, rule);
    if (key === undefined) continue;
    if (prefixLengthOf(rule) === undefined && accepted.has(key)) return { type: 'claim', key, rule, knownLive: true };
    if (shapes.accepts(key, rule)) return { type: 'claim', key, rule };
  }
  return undefined;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * The live keys `whole` accepts, per set of live keys and shape test. Most claims name a live owner,
 * and one lookup here is cheaper than testing the key's shape each sweep again. Kept while the set
 * lives: an agent's live keys stay one set until its owners change.
 */
const liveKeysByShape = new WeakMap<ReadonlySet<string>, WeakMap<(key: string) => boolean, ReadonlySet<string>>>();

function liveKeysOfShape(keys: ReadonlySet<string>, whole: (key: string) => boolean): ReadonlySet<string> {
  let byShape = liveKeysByShape.get(keys);
  if (!byShape) liveKeysByShape.set(keys, (byShape = new WeakMap()));
  let shaped = byShape.get(whole);
  if (!shaped) {
    const accepted = [...keys].filter(whole);
    shaped = accepted.length === keys.size ? keys : new Set(accepted);
    byShape.set(whole, shaped);
  }
  return shaped;
}

/** The claim, checked against the policy's scope: undefined is foreign. */
function scopedClaim(
  resource: { name: string; labels: Labels },
  policy: ScopedPolicy,
  shapes: OwnerKeyShapes,
  accepted: ReadonlySet<string>,
): Claim | OutOfScope | undefined {
  const claim = claimWith(resource, policy.match, shapes, accepted);
  if (claim === undefined) return undefined;
  const reason = outOfScopeReason(resource, claim, policy);
  return reason === undefined ? claim : { type: 'outOfScope', key: claim.key, reason };
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
  const leases = new LeasesByContainerId(resources, 0, resources.length);
  if (leases.empty) return containers;
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind === 'container') leases.link(resource.id, index, containers);
  }
  return containers;
}

/**
 * The leases of a range of a list, by the container id they name. Keyed by the leases' container
 * ids, not all containers': a host has fewer leases than containers, and most hosts none. Each id
 * maps to its last lease, and each lease to the one before it of the same id: no list per id.
 */
export class LeasesByContainerId {
  private readonly lastLease = new Map<string, number>();
  private previousLease: Int32Array | undefined;

  constructor(resources: readonly RuntimeResource[], start: number, end: number) {
    for (let index = start; index < end; index++) {
      const resource = resources[index]!;
      if (resource.kind !== 'ipLease') continue;
      const previous = this.lastLease.get(resource.containerId);
      if (previous !== undefined) (this.previousLease ??= new Int32Array(resources.length).fill(-1))[index] = previous;
      this.lastLease.set(resource.containerId, index);
    }
  }

  get empty(): boolean {
    return this.lastLease.size === 0;
  }

  /** Points every lease naming `containerId` at the container at `index` of the list. */
  link(containerId: string, index: number, containers: Int32Array): void {
    if (this.empty) return;
    for (let lease = this.lastLease.get(containerId) ?? -1; lease >= 0; lease = this.previousLease?.[lease] ?? -1)
      containers[lease] = index;
  }
}

/**
 * Attribution of every resource, index for index. A lease is attributed through its container: it
 * inherits the claim of a container in the same list (and is foreign with a foreign container); a
 * lease whose container is not in the list is dangling when its network is one the policy manages,
 * else foreign. `containers` is leaseContainers(resources), when the caller already has it.
 */
export function attributeResources(
  resources: readonly RuntimeResource[],
  policy: AttributedPolicy,
  containers: Int32Array = leaseContainers(resources),
): (Attribution | undefined)[] {
  const attributor = new Attributor(policy);
  const attributions = new Array<Attribution | undefined>(resources.length);
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind !== 'ipLease') attributions[index] = attributor.claim(resource);
  }
  for (let index = 0; index < resources.length; index++) {
    const resource = resources[index]!;
    if (resource.kind === 'ipLease') attributions[index] = attributor.lease(resource, attributions, containers[index]!);
  }
  return attributions;
}

type AttributedPolicy = ScopedPolicy & Pick<Policy, 'resources'>;

const DANGLING: Attribution = Object.freeze({ type: 'dangling' });

/**
 * One policy's attribution of single resources, with what it needs gathered once. Given the live
 * owners' keys, it attributes the same way, faster.
 */
export class Attributor {
  private readonly shapes: OwnerKeyShapes;
  private readonly acceptedKeys: ReadonlySet<string>;
  private readonly managedLeaseNetworks: ReadonlySet<string>;

  constructor(
    private readonly policy: AttributedPolicy,
    liveKeys?: ReadonlySet<string>,
  ) {
    this.shapes = ownerKeyShapes(policy.owners);
    this.acceptedKeys = liveKeys ? liveKeysOfShape(liveKeys, this.shapes.whole) : NO_KEYS;
    this.managedLeaseNetworks = new Set(policy.resources.ipLeases.networks);
  }

  /** A container's, network's or volume's claim, checked against the policy's scope: undefined is foreign. */
  claim(resource: ContainerResource | NetworkResource | VolumeResource): Claim | OutOfScope | undefined {
    return scopedClaim(resource, this.policy, this.shapes, this.acceptedKeys);
  }

  /** A lease's, given the attributions so far and the index of its container (-1: not in the list). */
  lease(
    resource: IpLeaseResource,
    attributions: readonly (Attribution | undefined)[],
    container: number,
  ): Attribution | undefined {
    if (container >= 0) return attributions[container];
    return this.managedLeaseNetworks.has(resource.network) ? DANGLING : undefined;
  }
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

  isLive(claim: Pick<Claim, 'key' | 'rule' | 'knownLive'>): boolean {
    if (claim.knownLive === true) return true;
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
