// What a Topology's or Sandbox's status.resources says: how many containers, networks, volumes and
// IP leases its spec asks for, and how many the runtime holds that the policy attributes to it.
// Pure: the snapshot and policy come in.
import type { ExpectedFound, OwnerStatus, SandboxSpec, TopologySpec } from '../src/api/types.js';
import type { Claim } from '../src/core/attribution.js';
import { attributeResources } from '../src/core/attribution.js';
import type { ResourceKind, RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { REPORT_KIND } from '../src/core/report.js';
import type { ReportKind } from '../src/core/report-types.js';

export type ResourceCounts = Record<ReportKind, number>;
export type OwnerResources = NonNullable<OwnerStatus['resources']>;

const zero = (): ResourceCounts => ({ containers: 0, networks: 0, volumes: 0, ipLeases: 0 });

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

  found(ownerKey: string): ResourceCounts {
    const total = zero();
    for (const [length, counts] of this.byLength) {
      const perKind = counts.get(length === undefined ? ownerKey : ownerKey.slice(0, length));
      if (!perKind) continue;
      for (const kind of Object.keys(total) as ReportKind[]) total[kind] += perKind[kind];
    }
    return total;
  }
}

/** status.resources from what is expected and what was found. */
export function ownerResources(expected: Partial<ResourceCounts>, found: ResourceCounts): OwnerResources {
  const entry = (kind: ReportKind): ExpectedFound => ({
    ...(expected[kind] !== undefined ? { expected: expected[kind] } : {}),
    found: found[kind],
  });
  return {
    containers: entry('containers'),
    networks: entry('networks'),
    volumes: entry('volumes'),
    ipLeases: entry('ipLeases'),
  };
}
