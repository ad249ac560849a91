// fast-check arbitraries for the planner's inputs, shared by the property tests: runtime resources
// of every kind from the parts each test chooses (ids, names, labels, ages), the ownership labels,
// and a policy from a handful of choices. The tests pick the values; the shapes are made here, by
// the builders of builders.ts, so a generated resource is one the planner tests would write.
import fc from 'fast-check';
import type { RuntimeResource } from '../../src/core/model.js';
import { resourceKey } from '../../src/core/model.js';
import type { MatchRule, Policy, Rival } from '../../src/core/policy.js';
import { container, lease, nameRule, network, policy, rivalOf, volume } from './builders.js';

export interface ResourceParts {
  /** Ids of containers, networks and volumes. */
  readonly ids: { readonly container: fc.Arbitrary<string>; readonly network: fc.Arbitrary<string> };
  /** A volume's id; its name is the same unless `volumeName` is given. */
  readonly volumeId: fc.Arbitrary<string>;
  readonly volumeName?: fc.Arbitrary<string>;
  readonly name: fc.Arbitrary<string>;
  readonly labels: fc.Arbitrary<Record<string, string>>;
  readonly createdAt: fc.Arbitrary<number>;
  readonly lease: {
    readonly ip: fc.Arbitrary<string>;
    readonly network: fc.Arbitrary<string>;
    readonly containerId: fc.Arbitrary<string>;
  };
  /** How often each kind comes up (default: alike). */
  readonly weights?: { container: number; network: number; volume: number; ipLease: number };
}

/** One runtime resource of any kind; a lease carries no labels (it is attributed through its container). */
export function runtimeResource(parts: ResourceParts): fc.Arbitrary<RuntimeResource> {
  const weights = parts.weights ?? { container: 1, network: 1, volume: 1, ipLease: 1 };
  const { name, labels, createdAt } = parts;
  return fc.oneof(
    {
      arbitrary: fc
        .record({ id: parts.ids.container, name, labels, createdAt })
        .map(({ id, ...extra }): RuntimeResource => container(id, undefined, extra)),
      weight: weights.container,
    },
    {
      arbitrary: fc
        .record({ id: parts.ids.network, name, labels, createdAt })
        .map(({ id, ...extra }): RuntimeResource => network(id, undefined, extra)),
      weight: weights.network,
    },
    {
      arbitrary: fc
        .record({ id: parts.volumeId, name: parts.volumeName ?? fc.constant(undefined), labels, createdAt })
        .map(({ id, name: volumeName, ...extra }): RuntimeResource =>
          volume(id, undefined, { ...extra, name: volumeName ?? id }),
        ),
      weight: weights.volume,
    },
    {
      arbitrary: fc
        .record({ ...parts.lease, createdAt })
        .map((r): RuntimeResource => lease(r.ip, r.containerId, r.network, { createdAt: r.createdAt })),
      weight: weights.ipLease,
    },
  );
}

/** A runtime: resources with distinct keys, as an engine lists them. */
export function runtimeResources(
  resource: fc.Arbitrary<RuntimeResource>,
  maxLength: number,
): fc.Arbitrary<RuntimeResource[]> {
  return fc.uniqueArray(resource, { selector: resourceKey, maxLength });
}

/**
 * The ownership labels of a resource (owner key, keep, owner kind, owner namespace), each present
 * or not, on top of `other` labels.
 */
export function ownershipLabels(parts: {
  readonly owner: fc.Arbitrary<string>;
  readonly keep: fc.Arbitrary<string>;
  readonly kind: fc.Arbitrary<string>;
  readonly namespace: fc.Arbitrary<string>;
  readonly other?: fc.Arbitrary<Record<string, string>>;
}): fc.Arbitrary<Record<string, string>> {
  const { other = fc.constant({}), ...optional } = parts;
  return fc
    .record({ ...optional, other }, { requiredKeys: ['other'] })
    .map(({ owner, keep, kind, namespace, other: rest }) => ({
      ...rest,
      ...(owner !== undefined ? { 'reaper.dev/owner-uid': owner } : {}),
      ...(keep !== undefined ? { 'reaper.dev/keep': keep } : {}),
      ...(kind !== undefined ? { 'reaper.dev/owner-kind': kind } : {}),
      ...(namespace !== undefined ? { 'reaper.dev/owner-namespace': namespace } : {}),
    }));
}

const RESOURCE_KINDS = ['containers', 'networks', 'volumes', 'ipLeases'] as const;

export interface PolicyChoices {
  readonly minAge: fc.Arbitrary<number>;
  readonly grace: fc.Arbitrary<number>;
  readonly percent: fc.Arbitrary<number>;
  readonly max: fc.Arbitrary<number>;
  readonly minOwners: fc.Arbitrary<number>;
  /** Whether a name rule comes before the label rule. */
  readonly byName: fc.Arbitrary<boolean>;
  /** The name rule's key prefix length. */
  readonly prefix: fc.Arbitrary<number | undefined>;
  /** Resource kinds turned off. */
  readonly disabled: fc.Arbitrary<(typeof RESOURCE_KINDS)[number][]>;
  /** The namespaces of the fixture policy's owners. */
  readonly namespaces: fc.Arbitrary<string[]>;
  /**
   * Another policy with the same match rules: none, one of other owners (it contests what it reads
   * differently), or one of the same kind in `rivalNamespace` only.
   */
  readonly rival: fc.Arbitrary<'none' | 'Sandbox' | 'Topology'>;
  readonly rivalNamespace: string;
}

/** The fixture policy (builders.ts) with random timing, limits, rules, kinds, namespaces and rival. */
export function policies(choices: PolicyChoices): fc.Arbitrary<Policy> {
  const { rivalNamespace, ...arbitraries } = choices;
  return fc.record(arbitraries).map((p): Policy => {
    const defaults = policy();
    const match: MatchRule[] = p.byName
      ? [nameRule('^lab_t_(?<key>[0-9a-z]{8})_', p.prefix), { type: 'label', label: 'reaper.dev/owner-uid' }]
      : [{ type: 'label', label: 'reaper.dev/owner-uid' }];
    const rivals: Rival[] =
      p.rival === 'none' ? [] : [rivalOf(p.rival, p.rival === 'Topology' ? [rivalNamespace] : [], match)];
    const resources = Object.fromEntries(
      RESOURCE_KINDS.map((kind) => [kind, { ...defaults.resources[kind], enabled: !p.disabled.includes(kind) }]),
    ) as unknown as Policy['resources'];
    return policy({
      owners: defaults.owners.map((o) => ({ ...o, namespaces: p.namespaces })),
      match,
      rivals,
      resources,
      timing: { minAgeMs: p.minAge, gracePeriodMs: p.grace },
      limits: { maxOrphanPercent: p.percent, minOwnersToBlock: p.minOwners, maxDeletionsPerSweep: p.max },
    });
  });
}
