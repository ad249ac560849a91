// Properties that must hold for any runtime and any owners, not just the cases we thought of. The
// checks restate the rules from the design independently of the planner's code paths.
import fc from 'fast-check';
import { claimOf } from '../../../src/core/attribution.js';
import { compareByAge } from '../../../src/core/execution-order.js';
import { graceStateFromRecord, graceStateToRecord } from '../../../src/core/grace.js';
import type { IpLeaseResource, PlannedItem, RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { Plan, PlanOptions } from '../../../src/core/planner.js';
import { ORPHAN_DECISIONS, planReap } from '../../../src/core/planner.js';
import { outOfScopeReason } from '../../../src/core/owner-scope.js';
import type { Policy } from '../../../src/core/policy.js';
import { protectionOf } from '../../../src/core/protection.js';
import { buildReport } from '../../../src/core/report.js';
import {
  policies as policyArbitrary,
  ownershipLabels,
  runtimeResource,
  runtimeResources,
} from '../../support/arbitraries.js';
import { MINUTE, NOW, owners, ownedBy, policy, snapshot } from '../../support/builders.js';

const ownerKeys = ['A', 'B', 'C', 'dead', 'deadbeef-0000', '0badf00d-1111', 'deadbeef'];
/** Keys no live owner ever has: their resources are orphans. */
const goneKeys = ['X', 'Y', 'Z', 'deadf00d-2222', 'lab_gone'];
const containerIds = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', '0123456789abcdef'];

// Mostly attributable, sometimes adversarial: labels and names come from anyone, so the owner label
// may be missing, empty, huge or odd, and keep may say anything. The kind and namespace labels that
// place a key in the policy's scope are mostly the policy's own, sometimes absent or another's.
const ownerLabel = fc.oneof(
  { arbitrary: fc.constantFrom(...ownerKeys, ...goneKeys), weight: 8 },
  { arbitrary: fc.constantFrom('', 'a\nb', '\u0000'), weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
  { arbitrary: fc.string({ minLength: 250, maxLength: 400 }), weight: 1 },
);
const labels = ownershipLabels({
  owner: ownerLabel,
  keep: fc.constantFrom('true', 'false', ''),
  kind: fc.oneof(
    { arbitrary: fc.constant('Topology.reaper.dev'), weight: 6 },
    { arbitrary: fc.constantFrom('Sandbox.reaper.dev', 'Topology', 'topology.reaper.dev', ''), weight: 1 },
  ),
  namespace: fc.constantFrom('labs', 'labs', 'other', ''),
  other: fc.dictionary(fc.oneof(fc.constantFrom('app', 'reaper.dev/owner-name'), fc.string()), fc.string(), {
    maxKeys: 2,
  }),
});
const name = fc.oneof(
  fc.string(),
  fc.constantFrom('lab_t_deadbeef_r1', 'lab_t_0badf00d_x', 'lab_t_zzzzzzzz_', 'lab_t_dead0000_', 'lab_t_deadf00d_y'),
  fc.constantFrom('bridge', 'host', 'none'),
);
const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 4, maxLength: 12 });
const createdAt = fc.oneof(
  { arbitrary: fc.integer({ min: 10 * MINUTE, max: 120 * MINUTE }).map((age) => NOW - age), weight: 12 },
  { arbitrary: fc.integer({ min: -2 * MINUTE, max: 10 * MINUTE }).map((age) => NOW - age), weight: 4 },
  { arbitrary: fc.constant(Number.NaN), weight: 1 },
);
const resources = runtimeResources(
  runtimeResource({
    ids: { container: fc.oneof(fc.constantFrom(...containerIds), hex), network: hex },
    volumeId: hex,
    name,
    labels,
    createdAt,
    lease: {
      ip: fc.oneof(
        { arbitrary: fc.ipV4(), weight: 6 },
        { arbitrary: fc.ipV6(), weight: 2 },
        { arbitrary: fc.constantFrom('lock', 'last_reserved_ip.0'), weight: 1 },
      ),
      network: fc.constantFrom('labnet', 'labnet', 'othernet'),
      containerId: fc.oneof({ arbitrary: fc.constantFrom(...containerIds), weight: 4 }, { arbitrary: hex, weight: 1 }),
    },
    weights: { container: 2, network: 1, volume: 1, ipLease: 2 },
  }),
  40,
);
const live = fc.subarray(ownerKeys);
// A rival of the same kind sees namespace "other" only: what it reads differently is neither's to reap.
const policies = policyArbitrary({
  minAge: fc.oneof(fc.constant(0), fc.constant(5 * MINUTE), fc.integer({ min: 0, max: 60 * MINUTE })),
  grace: fc.oneof(fc.constant(0), fc.constant(MINUTE), fc.integer({ min: 0, max: 10 * MINUTE })),
  percent: fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 100 })),
  max: fc.oneof(fc.constant(500), fc.integer({ min: 0, max: 6 })),
  byName: fc.boolean(),
  prefix: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
  disabled: fc.subarray(['containers', 'networks', 'volumes', 'ipLeases'] as const, { maxLength: 2 }),
  namespaces: fc.constantFrom([], [], [], ['labs']),
  minOwners: fc.constantFrom(1, 2, 10),
  rival: fc.constantFrom('none', 'none', 'none', 'none', 'Sandbox', 'Topology'),
  rivalNamespace: 'other',
});
const graceTime = fc.oneof(
  { arbitrary: fc.integer({ min: NOW - 60 * MINUTE, max: NOW - 10 * MINUTE }), weight: 10 },
  { arbitrary: fc.integer({ min: NOW - 10 * MINUTE, max: NOW + 5 * MINUTE }), weight: 4 },
  { arbitrary: fc.constant(Number.NaN), weight: 1 },
);
/** Grace state for some of the resources (and some that are not there any more). */
const inputs = resources.chain((rs) =>
  fc.record({
    rs: fc.constant(rs),
    keys: live,
    p: policies,
    g: fc.oneof(
      {
        // Most resources already seen before, some not, plus one that is gone from the runtime.
        arbitrary: fc
          .array(fc.option(graceTime, { freq: 4 }), { minLength: rs.length + 1, maxLength: rs.length + 1 })
          .map((times) =>
            Object.fromEntries(
              [...rs.map(resourceKey), 'container:vanished'].flatMap((key, i) =>
                times[i] === null || times[i] === undefined ? [] : [[key, times[i]]],
              ),
            ),
          ),
        weight: 6,
      },
      { arbitrary: fc.dictionary(fc.string(), graceTime, { maxKeys: 3 }), weight: 1 },
    ),
    options: fc.record({ selfContainerId: fc.constantFrom(...containerIds) }, { requiredKeys: [] }),
  }),
);

/** `g` holds `<kind>:<id>` keys, some naming no resource kind at all. */
function plan(input: {
  rs: RuntimeResource[];
  keys: string[];
  p: Policy;
  g: Record<string, number>;
  options: PlanOptions;
}): Plan {
  return planReap(snapshot(input.rs), owners(input.keys), input.p, graceStateFromRecord(input.g), NOW, input.options);
}

/** The container a lease is attributed through, when it is in the snapshot. */
function containerOf(lease: IpLeaseResource, rs: readonly RuntimeResource[]): RuntimeResource | undefined {
  return rs.find((r) => r.kind === 'container' && r.id === lease.containerId);
}

/** Enough runs that the rarer shapes (a lease selected with its container, the limit) come up. */
const runs = { numRuns: 300 };

describe('planReap properties', () => {
  test('a resource whose owner key is live is never selected', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        for (const { resource } of plan(input).selected) {
          const attributed = resource.kind === 'ipLease' ? containerOf(resource, input.rs) : resource;
          if (attributed === undefined) continue; // dangling lease: there is no owner that could be live
          const claim = claimOf(attributed, input.p)!;
          const prefix = claim.rule.type === 'name' ? claim.rule.keyPrefixLength : undefined;
          // The design's definition: a live key equals the key, or its first L characters do.
          const isLive = input.keys.some((k) =>
            prefix === undefined ? k === claim.key : k.slice(0, prefix) === claim.key,
          );
          expect(isLive).toBe(false);
        }
      }),
      runs,
    );
  });

  test('nothing younger than minAge, or of unknown age, is selected', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        for (const { resource } of plan(input).selected) {
          expect(Number.isFinite(resource.createdAt)).toBe(true);
          expect(NOW - resource.createdAt).toBeGreaterThanOrEqual(input.p.timing.minAgeMs);
        }
      }),
      runs,
    );
  });

  test('nothing foreign or out of scope is ever selected, whatever the labels and names', () => {
    /** A claim that names an owner inside the policy's scope, uncontested by its rival. */
    const inScope = (r: RuntimeResource, p: Policy) => {
      const claim = claimOf(r, p);
      return claim !== undefined && outOfScopeReason(r, claim, p) === undefined;
    };
    let outOfScope = 0;
    let selecting = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        const managed = new Set(input.p.resources.ipLeases.networks);
        const result = plan(input);
        outOfScope += result.items.filter((i) => i.decision === 'outOfScope').length;
        if (result.selected.some((i) => i.resource.kind !== 'ipLease')) selecting++;
        for (const { resource } of result.selected) {
          if (resource.kind !== 'ipLease') {
            expect(inScope(resource, input.p)).toBe(true);
            continue;
          }
          const container = containerOf(resource, input.rs);
          if (container) expect(inScope(container, input.p)).toBe(true);
          else expect(managed.has(resource.network)).toBe(true);
        }
      }),
      runs,
    );
    // Not vacuous: resources are found out of scope, and many runs still select labelled ones.
    expect(outOfScope).toBeGreaterThan(0);
    // (About one run in ten selects: blocks, minAge and grace hold back the rest.)
    expect(selecting).toBeGreaterThan(runs.numRuns / 50);
  });

  test('nothing protected is ever selected, nor the lease of a protected container', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const context = { policy: input.p, ...input.options };
        for (const { resource } of plan(input).selected) {
          expect(protectionOf(resource, context)).toBeUndefined();
          expect(resource.labels['reaper.dev/keep']).not.toBe('true');
          if (resource.kind === 'network') expect(['bridge', 'host', 'none']).not.toContain(resource.name);
          if (resource.kind === 'ipLease') {
            expect(resource.name).not.toMatch(/^(lock|last_reserved_ip)/);
            const container = containerOf(resource, input.rs);
            if (container) expect(protectionOf(container, context)).toBeUndefined();
          }
        }
      }),
      runs,
    );
  });

  test('a lease is selected only together with its container, when that container is still there', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        const selected = new Set(result.selected.map((i) => resourceKey(i.resource)));
        for (const { resource } of result.selected) {
          if (resource.kind !== 'ipLease') continue;
          const container = containerOf(resource, input.rs);
          if (container) expect(selected.has(resourceKey(container))).toBe(true);
        }
      }),
      runs,
    );
  });

  test('selected items are orphans whose grace had already elapsed in the state given', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        for (const item of result.selected) {
          const key = resourceKey(item.resource);
          expect(graceStateToRecord(result.graceState)[key]).toBeDefined();
          if (input.p.timing.gracePeriodMs === 0) continue;
          const firstSeen = input.g[key];
          expect(Number.isFinite(firstSeen) && firstSeen! <= NOW).toBe(true);
          expect(NOW - firstSeen!).toBeGreaterThanOrEqual(input.p.timing.gracePeriodMs);
        }
      }),
      runs,
    );
  });

  test('the grace state holds exactly the current orphans, first-seen times carried over', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        const orphans = result.items
          .filter((i) => ORPHAN_DECISIONS.has(i.decision))
          .map((i) => resourceKey(i.resource));
        const next = graceStateToRecord(result.graceState);
        expect(Object.keys(next).sort()).toEqual([...orphans].sort());
        for (const key of orphans) {
          const before = input.g[key];
          const usable = before !== undefined && Number.isFinite(before) && before <= NOW;
          expect(next[key]).toBe(usable ? before : NOW);
        }
      }),
      runs,
    );
  });

  test('one item per scanned resource, in execution order', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        expect(result.items.map((i) => resourceKey(i.resource)).sort()).toEqual(input.rs.map(resourceKey).sort());
        const order = ['container', 'ipLease', 'network', 'volume'];
        const kinds = result.selected.map((i) => order.indexOf(i.resource.kind));
        expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
      }),
      runs,
    );
  });

  test('the count limit holds, is used to the full, and takes the oldest first', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        const max = input.p.limits.maxDeletionsPerSweep;
        const held = result.items.filter((i) => i.decision === 'overLimit');
        expect(result.selected.length).toBeLessThanOrEqual(max);
        if (held.length > 0) expect(result.selected.length).toBe(max);
        // Leases that go with their container are ranked by it; everything else by its own age.
        const ranked = (items: readonly PlannedItem[]) =>
          items.filter((i) => i.resource.kind !== 'ipLease' || containerOf(i.resource, input.rs) === undefined);
        for (const waiting of ranked(held))
          for (const chosen of ranked(result.selected))
            expect(compareByAge(chosen.resource, waiting.resource)).toBeLessThanOrEqual(0);
      }),
      runs,
    );
  });

  test('a block holds every candidate, and only when the share is over the limit and not approved', () => {
    let blocks = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        const result = plan(input);
        if (result.blocked) {
          expect(result.selected).toEqual([]);
          // Owners, not resources: more than the share, and at least minOwnersToBlock of them.
          expect(result.blocked.ownerPercent).toBeGreaterThan(input.p.limits.maxOrphanPercent);
          expect(result.blocked.owners).toBeGreaterThanOrEqual(input.p.limits.minOwnersToBlock);
          // The owners held are the owners counted (a dangling lease names none).
          const held = new Set(
            result.items.filter((i) => i.decision === 'blocked' && i.ownerKey !== undefined).map((i) => i.ownerKey),
          );
          expect(held.size).toBe(result.blocked.owners);
          expect(result.items.some((i) => i.decision === 'blocked')).toBe(true);
          expect(result.items.every((i) => i.decision !== 'overLimit')).toBe(true);
          // Approving the id releases the block, and the same candidates then go on.
          const approved = plan({ ...input, p: { ...input.p, approvedSweep: result.blocked.approvalId } });
          expect(approved.blocked).toBeUndefined();
          blocks++;
        } else {
          expect(result.items.every((i) => i.decision !== 'blocked')).toBe(true);
        }
      }),
      runs,
    );
    // Not vacuous: random hosts do get blocked.
    expect(blocks).toBeGreaterThan(0);
  });

  test('failing closed selects nothing and keeps the grace state as it was', () => {
    fc.assert(
      fc.property(inputs, fc.constantFrom('runtime', 'owners', 'both'), (input, blind) => {
        const result = planReap(
          snapshot(input.rs, blind === 'owners' ? {} : { complete: false, errors: ['x'] }),
          owners(input.keys, blind === 'runtime' ? {} : { synced: false, errors: ['y'] }),
          input.p,
          graceStateFromRecord(input.g),
          NOW,
          input.options,
        );
        expect(result.selected).toEqual([]);
        expect(result.failedClosed.length).toBeGreaterThan(0);
        expect(result.graceState).toEqual(graceStateFromRecord(input.g));
        for (const item of result.items)
          expect(['foreign', 'outOfScope', 'protected', 'failedClosed']).toContain(item.decision);
      }),
      runs,
    );
  });

  test('dry run: the plan is the same as a real run, and its report reaps nothing', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const dry = { ...input.p, mode: 'DryRun' as const };
        const real = { ...input.p, mode: 'Reap' as const };
        const dryPlan = plan({ ...input, p: dry });
        expect(dryPlan).toEqual(plan({ ...input, p: real }));
        const report = buildReport({
          plan: dryPlan,
          outcomes: dryPlan.selected.map((i) => ({
            key: resourceKey(i.resource),
            status: 'wouldReap',
            reason: i.reason,
          })),
          policy: dry.name,
          mode: dry.mode,
          node: 'n',
          sweepId: 's',
          startedAt: NOW,
          finishedAt: NOW,
          liveOwnerCount: input.keys.length,
        });
        for (const counts of Object.values(report.counts)) expect(counts.reaped).toBe(0);
        expect(report.items.some((i) => i.action === 'Reaped')).toBe(false);
      }),
      runs,
    );
  });

  test('the same input gives the same plan, whatever order the runtime and owners were listed in', () => {
    fc.assert(
      fc.property(
        inputs.chain((input) =>
          fc.record({
            input: fc.constant(input),
            shuffled: fc.shuffledSubarray(input.rs, { minLength: input.rs.length }),
            keys: fc.shuffledSubarray(input.keys, { minLength: input.keys.length }),
          }),
        ),
        ({ input, shuffled, keys }) => {
          const a = plan(input);
          expect(plan(input)).toEqual(a);
          expect(plan({ ...input, rs: shuffled, keys })).toEqual(a);
        },
      ),
      runs,
    );
  });
});

describe('leases and their containers', () => {
  // Containers with their leases, each with its own age, grace and keep label: the shapes where a
  // lease could be freed while its container stays.
  const pairs = fc.uniqueArray(
    fc.record({
      id: fc.constantFrom(...containerIds),
      owner: fc.constantFrom(...goneKeys, 'A'),
      keep: fc.boolean(),
      containerAge: fc.integer({ min: 0, max: 60 * MINUTE }),
      leaseAge: fc.integer({ min: 0, max: 60 * MINUTE }),
      containerSeen: fc.integer({ min: 0, max: 5 * MINUTE }),
      leaseSeen: fc.integer({ min: 0, max: 5 * MINUTE }),
      ip: fc.ipV4(),
    }),
    { selector: (r) => r.id, minLength: 1, maxLength: containerIds.length },
  );
  const leaseInputs = fc.record({
    pairs,
    max: fc.integer({ min: 0, max: 8 }),
    self: fc.option(fc.constantFrom(...containerIds), { nil: undefined }),
  });

  test('a lease is never freed while its container stays, and goes with it when it can', () => {
    fc.assert(
      fc.property(leaseInputs, ({ pairs: ps, max, self }) => {
        const rs: RuntimeResource[] = ps.flatMap((p) => [
          {
            kind: 'container' as const,
            id: p.id,
            name: `c-${p.id}`,
            labels: { ...ownedBy(p.owner), ...(p.keep ? { 'reaper.dev/keep': 'true' } : {}) },
            createdAt: NOW - p.containerAge,
            state: 'running',
            networks: ['labnet'],
          },
          {
            kind: 'ipLease' as const,
            id: `labnet/${p.ip}-${p.id}`,
            name: p.ip,
            labels: {},
            createdAt: NOW - p.leaseAge,
            network: 'labnet',
            ip: p.ip,
            containerId: p.id,
          },
        ]);
        const grace = Object.fromEntries(
          ps.flatMap((p) => [
            [`container:${p.id}`, NOW - p.containerSeen],
            [`ipLease:labnet/${p.ip}-${p.id}`, NOW - p.leaseSeen],
          ]),
        );
        const p = policy({ limits: { maxDeletionsPerSweep: max, maxOrphanPercent: 100 } });
        const result = planReap(
          snapshot(rs),
          owners(['A']),
          p,
          graceStateFromRecord(grace),
          NOW,
          self ? { selfContainerId: self } : {},
        );
        const decision = new Map(result.items.map((i) => [i.resource.id, i.decision]));
        for (const pair of ps) {
          const container = decision.get(pair.id);
          const lease = decision.get(`labnet/${pair.ip}-${pair.id}`);
          if (lease === 'selected') expect(container).toBe('selected');
          if (container === 'protected') expect(lease).toBe('protected');
          if (container === 'ownerLive') expect(lease).toBe('ownerLive');
          // The lease is held back only by its own age, its own grace, or a limit that is full.
          const leaseReady = pair.leaseAge >= p.timing.minAgeMs && pair.leaseSeen >= p.timing.gracePeriodMs;
          if (container === 'selected' && leaseReady && lease !== 'selected') {
            expect(lease).toBe('overLimit');
            expect(result.selected.length).toBe(max);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
