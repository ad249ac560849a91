// Properties that must hold for any runtime and any owners, not just the cases we thought of.
import fc from 'fast-check';
import type { RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import { planReap } from '../../../src/core/planner.js';
import { claimOf } from '../../../src/core/attribution.js';
import { MINUTE, NOW, nameRule, owners, policy, snapshot } from './fixtures.js';

const ownerKeys = ['A', 'B', 'C', 'deadbeef-0000', '0badf00d-1111'];

// Labels and names from anyone: the owner label may be missing, empty, huge, odd, or a real key.
const labelValue = fc.oneof(
  fc.constantFrom(...ownerKeys),
  fc.string(),
  fc.string({ minLength: 300, maxLength: 400 }),
  fc.constant(''),
);
const labels = fc.dictionary(
  fc.oneof(fc.constantFrom('reaper.dev/owner-uid', 'reaper.dev/keep', 'app', 'reaper.dev/owner-name'), fc.string()),
  labelValue,
  { maxKeys: 4 },
);
const name = fc.oneof(
  fc.string(),
  fc.constantFrom('lab_t_deadbeef_r1', 'lab_t_0badf00d_x', 'lab_t_zzzzzzzz_', 'bridge', 'host'),
);
const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 4, maxLength: 12 });
const age = fc.integer({ min: 0, max: 120 * MINUTE });

const resource: fc.Arbitrary<RuntimeResource> = fc.oneof(
  fc.record({ id: hex, name, labels, age }).map((r): RuntimeResource => ({
    kind: 'container',
    id: r.id,
    name: r.name,
    labels: r.labels,
    createdAt: NOW - r.age,
    state: 'exited',
    networks: [],
  })),
  fc.record({ id: hex, name, labels, age }).map((r): RuntimeResource => ({
    kind: 'network',
    id: r.id,
    name: r.name,
    labels: r.labels,
    createdAt: NOW - r.age,
    driver: 'bridge',
    containerIds: [],
  })),
  fc.record({ ip: fc.ipV4(), container: hex, age }).map((r): RuntimeResource => ({
    kind: 'ipLease',
    id: `labnet/${r.ip}`,
    name: r.ip,
    labels: {},
    createdAt: NOW - r.age,
    network: 'labnet',
    ip: r.ip,
    containerId: r.container,
  })),
);

const resources = fc.uniqueArray(resource, { selector: (r) => resourceKey(r), maxLength: 40 });
const live = fc.subarray(ownerKeys);
const policies = fc
  .record({
    minAge: fc.integer({ min: 0, max: 60 * MINUTE }),
    grace: fc.integer({ min: 0, max: 10 * MINUTE }),
    percent: fc.integer({ min: 1, max: 100 }),
    max: fc.integer({ min: 0, max: 50 }),
    byName: fc.boolean(),
  })
  .map((p) =>
    policy({
      match: p.byName
        ? [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8), { type: 'label', label: 'reaper.dev/owner-uid' }]
        : [{ type: 'label', label: 'reaper.dev/owner-uid' }],
      timing: { minAgeMs: p.minAge, gracePeriodMs: p.grace },
      limits: { maxOrphanPercent: p.percent, maxDeletionsPerSweep: p.max },
    }),
  );
const grace = fc.dictionary(fc.string(), fc.integer({ min: NOW - 60 * MINUTE, max: NOW }));

describe('planReap properties', () => {
  test('a resource whose owner key is live is never selected', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, (rs, keys, p, g) => {
        const plan = planReap(snapshot(rs), owners(keys), p, g, NOW);
        const byId = new Map(rs.map((r) => [r.id, r]));
        for (const item of plan.selected) {
          const r = item.resource;
          const claimed = r.kind === 'ipLease' ? byId.get(r.containerId) : r;
          if (claimed === undefined) continue; // dangling lease: no owner that could be live
          const claim = claimOf(claimed, p.match)!;
          const prefix = claim.rule.type === 'name' ? claim.rule.keyPrefixLength : undefined;
          const live = keys.some((k) => (prefix === undefined ? k === claim.key : k.slice(0, prefix) === claim.key));
          expect(live).toBe(false);
        }
      }),
    );
  });

  test('nothing younger than minAge is selected', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, (rs, keys, p, g) => {
        const plan = planReap(snapshot(rs), owners(keys), p, g, NOW);
        for (const item of plan.selected)
          expect(NOW - item.resource.createdAt).toBeGreaterThanOrEqual(p.timing.minAgeMs);
      }),
    );
  });

  test('nothing that no rule attributes is ever selected, and nothing protected', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, (rs, keys, p, g) => {
        const plan = planReap(snapshot(rs), owners(keys), p, g, NOW);
        const byId = new Map(rs.map((r) => [r.id, r]));
        for (const { resource } of plan.selected) {
          expect(resource.labels['reaper.dev/keep']).not.toBe('true');
          if (resource.kind === 'network') expect(['bridge', 'host', 'none']).not.toContain(resource.name);
          if (resource.kind === 'ipLease') {
            const owner = byId.get(resource.containerId);
            if (owner) expect(claimOf(owner, p.match)).toBeDefined();
          } else {
            expect(claimOf(resource, p.match)).toBeDefined();
          }
        }
      }),
    );
  });

  test('selected items are orphans, within the count limit, and the grace state covers only the snapshot', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, (rs, keys, p, g) => {
        const plan = planReap(snapshot(rs), owners(keys), p, g, NOW);
        expect(plan.selected.length).toBeLessThanOrEqual(p.limits.maxDeletionsPerSweep);
        const present = new Set(rs.map(resourceKey));
        for (const key of Object.keys(plan.graceState)) expect(present.has(key)).toBe(true);
        for (const item of plan.selected) expect(plan.graceState[resourceKey(item.resource)]).toBeDefined();
      }),
    );
  });

  test('failing closed selects nothing whatever the input', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, fc.boolean(), (rs, keys, p, g, runtimeBlind) => {
        const plan = runtimeBlind
          ? planReap(snapshot(rs, { complete: false, errors: ['x'] }), owners(keys), p, g, NOW)
          : planReap(snapshot(rs), owners(keys, { synced: false, errors: ['x'] }), p, g, NOW);
        expect(plan.selected).toEqual([]);
      }),
    );
  });

  test('the same input gives the same plan, whatever order the runtime listed it in', () => {
    fc.assert(
      fc.property(resources, live, policies, grace, (rs, keys, p, g) => {
        const a = planReap(snapshot(rs), owners(keys), p, g, NOW);
        const b = planReap(snapshot([...rs].reverse()), owners([...keys].reverse()), p, g, NOW);
        expect(b).toEqual(a);
      }),
    );
  });
});
