// The optimised planner against the plain one it replaced (reference-planner.ts): the same items,
// decisions, reasons, order, selection, grace state and block, on random hosts shaped to hit the
// optimised paths: many equal creation times, unknown ones, leases listed before, after and without
// their container, containers sharing an id, protected containers with leases, tight count limits,
// blocks, and failing closed; and claims in and out of the policy's scope (kind and namespace labels
// present, absent or naming another kind or namespace; policies restricted to a namespace; rivals).
import fc from 'fast-check';
import { NO_GRACE, graceStateFromRecord } from '../../../src/core/grace.js';
import type { GraceState, RuntimeResource } from '../../../src/core/model.js';
import { DECISIONS, resourceKey } from '../../../src/core/model.js';
import type { PlanOptions } from '../../../src/core/planner.js';
import { planReap } from '../../../src/core/planner.js';
import { policies as policyArbitrary, ownershipLabels, runtimeResource } from '../../support/arbitraries.js';
import { MINUTE, NOW, owners, ownedBy, policy, snapshot } from '../../support/builders.js';
import { referencePlanReap } from './reference-planner.js';

const keys = ['A', 'B', 'C', 'gone1', 'gone2', 'deadbeef', 'dead'];
const ids = ['c1', 'c2', 'c3', 'c4', 'x', '0123456789ab'];
const labels = ownershipLabels({
  owner: fc.constantFrom(...keys, '', 'a\nb'),
  keep: fc.constantFrom('true', 'false'),
  // Mostly the fixture policy's own kind; sometimes another, or the kind without its group.
  kind: fc.constantFrom('Topology.reaper.dev', 'Topology.reaper.dev', 'Sandbox.reaper.dev', 'Topology'),
  namespace: fc.constantFrom('labs', 'labs', 'other'),
});
// Few distinct times, so that ties are the rule, plus unknown and future ones.
const createdAt = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 4 }).map((n) => NOW - n * 20 * MINUTE), weight: 8 },
  { arbitrary: fc.constantFrom(Number.NaN, NOW + MINUTE, NOW - 0.5), weight: 1 },
);
const name = fc.constantFrom('lab_t_deadbeef_1', 'lab_t_0badf00d_2', 'bridge', 'n1', 'c-x');
const id = fc.constantFrom(...ids);
// Not unique: containers may share an id.
const resource = runtimeResource({
  ids: { container: id, network: id },
  volumeId: id,
  volumeName: name,
  name,
  labels,
  createdAt,
  lease: {
    containerId: fc.constantFrom(...ids, 'missing'),
    network: fc.constantFrom('labnet', 'othernet'),
    ip: fc.oneof(fc.ipV4(), fc.constant('lock')),
  },
  weights: { container: 3, network: 1, volume: 1, ipLease: 3 },
});

// A rival of the same kind in one namespace only reads alike where the namespace is stated.
const policies = policyArbitrary({
  minAge: fc.constantFrom(0, 5 * MINUTE, 30 * MINUTE),
  grace: fc.constantFrom(0, MINUTE, 10 * MINUTE),
  percent: fc.constantFrom(100, 100, 50, 10),
  minOwners: fc.constantFrom(1, 2, 10),
  max: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 5 })),
  byName: fc.boolean(),
  prefix: fc.constant(4),
  disabled: fc.subarray(['containers', 'networks', 'volumes', 'ipLeases'] as const, { maxLength: 1 }),
  namespaces: fc.constantFrom([], [], ['labs']),
  rival: fc.constantFrom('none', 'none', 'Sandbox', 'Topology'),
  rivalNamespace: 'labs',
});

const inputs = fc.array(resource, { maxLength: 40 }).chain((resources) =>
  fc.record({
    resources: fc.constant(resources),
    live: fc.subarray(keys),
    policy: policies,
    grace: fc
      .array(fc.option(fc.integer({ min: NOW - 30 * MINUTE, max: NOW + MINUTE }), { freq: 2 }), {
        minLength: resources.length,
        maxLength: resources.length,
      })
      .map((times): GraceState => {
        const state: Record<string, number> = {};
        resources.forEach((r, i) => {
          if (times[i] !== null && times[i] !== undefined) state[resourceKey(r)] = times[i];
        });
        return graceStateFromRecord(state);
      }),
    options: fc.record(
      {
        selfContainerId: fc.constantFrom('0123456789ab', 'c1'),
        liveOwnerCount: fc.integer({ min: 0, max: 20 }),
        deletionWaves: fc.array(
          fc.subarray(keys, { minLength: 1 }).map((wave) => ({ keys: [...wave].sort(), firstAt: NOW, lastAt: NOW })),
          { maxLength: 2 },
        ),
        settlingOwners: fc.subarray(keys).map((owners) => new Set(owners)),
      },
      { requiredKeys: [] },
    ),
    blind: fc.constantFrom('none', 'none', 'none', 'runtime', 'owners'),
  }),
);

test('planReap agrees with the reference planner on random hosts', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(inputs, (input) => {
      const args = [
        snapshot(input.resources, input.blind === 'runtime' ? { complete: false, errors: ['x'] } : {}),
        owners(input.live, input.blind === 'owners' ? { synced: false, errors: ['y'] } : {}),
        input.policy,
        input.grace,
        NOW,
        input.options as PlanOptions,
      ] as const;
      const plan = planReap(...args);
      expect(plan).toEqual(referencePlanReap(...args));
      for (const item of plan.items) seen.add(item.decision);
    }),
    { numRuns: 2000 },
  );
  // Not vacuous: the hosts reach every decision, in scope and out of it.
  expect([...seen].sort()).toEqual([...DECISIONS].sort());
});

test('the same also when every resource is a candidate and the limit cuts through containers and leases', () => {
  const containers = ids.map((id, i): RuntimeResource => ({
    kind: 'container',
    id,
    name: `c-${id}`,
    labels: ownedBy('gone1'),
    createdAt: NOW - (60 - (i % 3)) * MINUTE,
    state: 'exited',
    networks: [],
  }));
  const leases = ids.flatMap((id, i) =>
    [0, 1].map((n): RuntimeResource => ({
      kind: 'ipLease',
      id: `labnet/10.0.${i}.${n}`,
      name: `10.0.${i}.${n}`,
      labels: {},
      createdAt: NOW - 50 * MINUTE,
      network: 'labnet',
      ip: `10.0.${i}.${n}`,
      containerId: id,
    })),
  );
  for (let max = 0; max <= containers.length + leases.length; max++) {
    const args = [
      snapshot([...leases, ...containers]),
      owners([]),
      policy({ timing: { gracePeriodMs: 0 }, limits: { maxDeletionsPerSweep: max, maxOrphanPercent: 100 } }),
      NO_GRACE,
      NOW,
    ] as const;
    expect(planReap(...args)).toEqual(referencePlanReap(...args));
  }
});
