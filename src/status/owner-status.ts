// What the summary writer says in a Topology's or Sandbox's status: the Managed condition, and in
// status.resources how many containers, networks, volumes and IP leases its spec asks for and how
// many the runtime holds that the policy attributes to it. An agent counts per owner key on its node
// (FoundIndex, into its ReapNodeReport); the summary writer sums the nodes' counts (fleet-summary.ts)
// and shapes them here. Pure: the data comes in.
import { MAX_FOUND_ON_NODES } from '../api/schema/owners.js';
import type {
  Condition,
  ExpectedFound,
  NodeResourceCounts,
  OwnerStatus,
  ResourceCounts,
  SandboxSpec,
  TopologySpec,
} from '../api/types.js';
import type { Claim } from '../core/attribution.js';
import { attributeResources } from '../core/attribution.js';
import type { ResourceKind, RuntimeSnapshot } from '../core/model.js';
import type { Policy } from '../core/policy.js';
import { REPORT_KIND } from '../core/report.js';
import { REPORT_KINDS, perKind } from '../core/report-types.js';
import type { ConditionUpdate } from './conditions.js';
import { setConditions } from './conditions.js';

/** Written by the summary writer: which policies manage the owner. */
export const CONDITION_MANAGED = 'Managed';
/** Written by the agent that tore the owner down through its finalizer. */
export const CONDITION_TORN_DOWN = 'TornDown';

export type { ResourceCounts };
export type OwnerResources = NonNullable<OwnerStatus['resources']>;

const zero = (): ResourceCounts => perKind(() => 0);

/** What the spec asks for; volumes are not declared by either kind, so they have no expectation. */
export function expectedResources(
  kind: string,
  spec: unknown,
  policy: Pick<Policy, 'resources'>,
): Partial<ResourceCounts> {
  const leases = policy.resources.ipLeases.enabled;
  if (kind === 'Topology') {
    const topology = (spec ?? {}) as TopologySpec;
    const nodes = Array.isArray(topology.nodes) ? topology.nodes : [];
    const networks = Array.isArray(topology.networks) ? topology.networks : [];
    const attachments = nodes.reduce((n, node) => n + (Array.isArray(node?.networks) ? node.networks.length : 0), 0);
    return { containers: nodes.length, networks: networks.length, ...(leases ? { ipLeases: attachments } : {}) };
  }
  if (kind === 'Sandbox') {
    const sandbox = (spec ?? {}) as SandboxSpec;
    const networks = typeof sandbox.network === 'string' && sandbox.network !== '' ? 1 : 0;
    return { containers: 1, networks, ...(leases ? { ipLeases: networks } : {}) };
  }
  return {};
}

/**
 * How many resources of each kind every owner key claims in one snapshot. Built once per snapshot
 * and policy; a lookup then costs one map read per rule prefix length.
 */
export class FoundIndex {
  private readonly byLength = new Map<number | undefined, Map<string, ResourceCounts>>();

  constructor(snapshot: RuntimeSnapshot, policy: Policy) {
    const attributions = attributeResources(snapshot.resources, policy);
    snapshot.resources.forEach((resource, index) => {
      const attribution = attributions[index];
      if (attribution?.type !== 'claim') return;
      const { key, rule } = attribution as Claim;
      const length = rule.type === 'name' ? rule.keyPrefixLength : undefined;
      let counts = this.byLength.get(length);
      if (!counts) this.byLength.set(length, (counts = new Map()));
      const indexKey = length === undefined ? key : key.slice(0, length);
      let perKind = counts.get(indexKey);
      if (!perKind) counts.set(indexKey, (perKind = zero()));
      perKind[REPORT_KIND[resource.kind as ResourceKind]]++;
    });
  }

  /** The index keys whose counts differ from `before`'s (an index of the same policy, older snapshot). */
  changesSince(before: FoundIndex): FoundChanges {
    const changed = new Map<number | undefined, Set<string>>();
    const note = (length: number | undefined, key: string) => {
      let keys = changed.get(length);
      if (!keys) changed.set(length, (keys = new Set()));
      keys.add(key);
    };
    for (const length of new Set([...this.byLength.keys(), ...before.byLength.keys()])) {
      const now = this.byLength.get(length) ?? new Map<string, ResourceCounts>();
      const then = before.byLength.get(length) ?? new Map<string, ResourceCounts>();
      for (const [key, counts] of now) if (!sameCounts(counts, then.get(key))) note(length, key);
      for (const key of then.keys()) if (!now.has(key)) note(length, key);
    }
    return new FoundChanges(changed);
  }

  /** Every index key with its counts; keyPrefixLength is set for keys a name rule cut to a prefix. */
  *entries(): Generator<{ key: string; keyPrefixLength?: number; counts: ResourceCounts }> {
    for (const [length, counts] of this.byLength) {
      for (const [key, perKind] of counts)
        yield { key, ...(length !== undefined ? { keyPrefixLength: length } : {}), counts: perKind };
    }
  }

  found(ownerKey: string): ResourceCounts {
    const total = zero();
    for (const [length, counts] of this.byLength) {
      const entry = counts.get(length === undefined ? ownerKey : ownerKey.slice(0, length));
      if (!entry) continue;
      for (const kind of REPORT_KINDS) total[kind] += entry[kind];
    }
    return total;
  }
}

/** Which owner keys' found counts a newer snapshot changed (FoundIndex.changesSince). */
export class FoundChanges {
  constructor(private readonly byLength: ReadonlyMap<number | undefined, ReadonlySet<string>>) {}

  get empty(): boolean {
    return this.byLength.size === 0;
  }

  /** Whether an owner with this key may read differently now: one map read per rule prefix length. */
  touches(ownerKey: string): boolean {
    for (const [length, keys] of this.byLength) {
      if (keys.has(length === undefined ? ownerKey : ownerKey.slice(0, length))) return true;
    }
    return false;
  }
}

function sameCounts(a: ResourceCounts, b: ResourceCounts | undefined): boolean {
  return b !== undefined && REPORT_KINDS.every((kind) => a[kind] === b[kind]);
}

const foundIndexes = new WeakMap<RuntimeSnapshot, Map<string, FoundIndex>>();

/** One index per snapshot and policy, shared by every owner reconciled against that snapshot. */
export function foundIndexFor(snapshot: RuntimeSnapshot, policy: Policy): FoundIndex {
  let perPolicy = foundIndexes.get(snapshot);
  if (!perPolicy) foundIndexes.set(snapshot, (perPolicy = new Map()));
  // Rivals change what the policy may count: a resource another policy contests is nobody's.
  const key = `${policy.name}|${policy.generation}|${(policy.rivals ?? []).map((r) => r.name).join(',')}`;
  let index = perPolicy.get(key);
  if (!index) perPolicy.set(key, (index = new FoundIndex(snapshot, policy)));
  return index;
}

/** status.resources from what is expected and what was found. */
export function ownerResources(expected: Partial<ResourceCounts>, found: ResourceCounts): OwnerResources {
  return perKind((kind): ExpectedFound => ({
    ...(expected[kind] !== undefined ? { expected: expected[kind] } : {}),
    found: found[kind],
  }));
}

/** What the fleet holds of an owner: in all, and on each node that holds some (the most first). */
export interface FleetFound {
  readonly total: ResourceCounts;
  readonly byNode: readonly NodeResourceCounts[];
}

/** The policies managing an owner, the first the one whose summary writes its status. */
export type Managing = readonly { readonly policy: Pick<Policy, 'name' | 'teardown' | 'resources'> }[];

/**
 * The part of an owner's status the summary writer writes: Managed, and status.resources (and where)
 * once some node has counted (`found`); before that nothing is known and the last counts stand.
 */
export function ownerSummaryStatus(
  previous: OwnerStatus | undefined,
  owner: { readonly kind: string; readonly spec: unknown; readonly generation: number | undefined },
  managing: Managing,
  found: FleetFound | undefined,
  now: Date,
): OwnerStatus {
  const { generation } = owner;
  const first = managing[0];
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: managedConditions(previous, managing, generation, now),
    ...(found && first
      ? {
          resources: ownerResources(expectedResources(owner.kind, owner.spec, first.policy), found.total),
          ...(found.byNode.length > 0 ? { foundOnNodes: found.byNode.slice(0, MAX_FOUND_ON_NODES) } : {}),
          ...(found.byNode.length > MAX_FOUND_ON_NODES
            ? { foundOnNodesOmitted: found.byNode.length - MAX_FOUND_ON_NODES }
            : {}),
        }
      : {}),
  };
}

/** The part of an owner's status the summary writer writes, as the owner has it now. */
export function summaryPart(status: OwnerStatus | undefined): OwnerStatus {
  return {
    ...(status?.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    ...(status?.conditions ? { conditions: status.conditions.filter((c) => c.type === CONDITION_MANAGED) } : {}),
    ...(status?.resources ? { resources: status.resources } : {}),
    ...(status?.foundOnNodes ? { foundOnNodes: status.foundOnNodes } : {}),
    ...(status?.foundOnNodesOmitted !== undefined ? { foundOnNodesOmitted: status.foundOnNodesOmitted } : {}),
  };
}

/** Managed: which policies manage the owner, and whether one tears it down through a finalizer. */
function managedConditions(
  status: OwnerStatus | undefined,
  managing: Managing,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const managed: ConditionUpdate = {
    type: CONDITION_MANAGED,
    status: 'True',
    // One policy asking for Finalizer is enough for the finalizer to be on.
    reason: managing.some((m) => m.policy.teardown === 'Finalizer') ? 'TeardownByFinalizer' : 'SweptWhenGone',
    message: `managed by ReapPolicy ${managing.map((m) => m.policy.name).join(', ')}`,
  };
  const previous = (status?.conditions ?? []).filter((c) => c.type === CONDITION_MANAGED);
  return setConditions(previous, [managed], generation, now);
}
