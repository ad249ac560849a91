import type { FleetFacts, NodeExists, StandingRules } from '../../../src/status/fleet-summary.js';
import {
  FleetFoundIndex,
  fleetStatus,
  lastReaps,
  liveNodeProblem,
  reportStanding,
  reportsToRemove,
} from '../../../src/status/fleet-summary.js';
import { sweptState } from '../../../src/status/node-report.js';
import type { SweepFacts } from '../../../src/status/policy-status.js';
import { policyStatusForInvalidSpec } from '../../../src/status/policy-status.js';
import type { Condition, OwnerCounts, ReapNodeReport } from '../../../src/api/types.js';
import { findCondition } from '../../../src/status/conditions.js';
import { report, sweepFacts } from '../../support/reports.js';

const T0 = new Date('2026-11-25T12:00:00.000Z');
const MIN = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const rules: StandingRules = { staleAfterMs: 15 * MIN, removeAfterMs: 30 * MIN };

const facts = sweepFacts;

/** A node's report as its agent writes it: heartbeat `ageMs` before T0, swept with `sweep`. */
function nodeReport(
  node: string,
  options: {
    ageMs?: number;
    sweep?: SweepFacts;
    nodeOwner?: boolean;
    owners?: OwnerCounts[];
    ownersOmitted?: number;
    totals?: { sweeps: number; reaped: number; failed: number; blocked: number };
  } = {},
): ReapNodeReport {
  const swept = options.sweep ? sweptState(undefined, options.sweep, T0) : undefined;
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapNodeReport',
    metadata: {
      name: `default.${node}`,
      creationTimestamp: at(-60 * MIN),
      ...(options.nodeOwner
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: `uid-${node}` }] }
        : {}),
    },
    spec: { policy: 'default', node },
    status: {
      ...(swept ?? {}),
      lastHeartbeatTime: at(-(options.ageMs ?? 0)),
      totals: options.totals ?? { sweeps: 1, reaped: 0, failed: 0, blocked: 0 },
      ...(options.owners ? { owners: options.owners } : {}),
      ...(options.ownersOmitted ? { ownersOmitted: options.ownersOmitted } : {}),
    },
  };
}

const clean = facts(report());
const blocked = facts(report({ outcome: 'Blocked', approvalId: 'b-1' }), {
  blockedDescription: 'approve with reaper.dev/approve-sweep=b-1',
});
const blind = facts(report({ outcome: 'FailedClosed' }), {
  failedClosed: ['runtime not fully listed: docker: connection refused'],
});
const failing = facts(report({ outcome: 'PartiallyFailed', counts: { containers: { failed: 1 } } }));

const allExist: NodeExists = () => true;
const noneKnown: NodeExists = () => undefined;
const noneExist: NodeExists = () => false;

const fleet = (reports: ReapNodeReport[], extra: Partial<FleetFacts> = {}): FleetFacts => ({
  generation: 1,
  mode: 'Reap',
  overlaps: [],
  reports,
  nodeExists: allExist,
  rules,
  ...extra,
});

const summaryOf = (conditions: Condition[] | undefined) =>
  Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('reportStanding', () => {
  test.each<[string, ReapNodeReport, NodeExists, string]>([
    ['fresh, Node exists', nodeReport('a', { nodeOwner: true }), allExist, 'live'],
    ['fresh, no Node object and none named (an agent outside Kubernetes)', nodeReport('a'), noneExist, 'live'],
    ['fresh, Nodes not known yet', nodeReport('a', { nodeOwner: true }), noneKnown, 'live'],
    ['old heartbeat, Node exists', nodeReport('a', { nodeOwner: true, ageMs: 20 * MIN }), allExist, 'stale'],
    [
      'its Node was deleted: the garbage collector is about to take it',
      nodeReport('a', { nodeOwner: true }),
      noneExist,
      'gone',
    ],
    ['no Node, heartbeat past stale but not past removal', nodeReport('a', { ageMs: 20 * MIN }), noneExist, 'stale'],
    ['no Node, heartbeat past removal', nodeReport('a', { ageMs: 31 * MIN }), noneExist, 'gone'],
    ['Node exists, however old: its agent may come back', nodeReport('a', { ageMs: 300 * MIN }), allExist, 'stale'],
    [
      'Nodes unknown, however old: nothing is judged gone blind',
      nodeReport('a', { ageMs: 300 * MIN }),
      noneKnown,
      'stale',
    ],
  ])('%s', (_name, r, exists, expected) => {
    expect(reportStanding(r, exists, T0.getTime(), rules)).toBe(expected);
  });
});

describe('reportsToRemove', () => {
  test('only reports whose Node is known absent and whose heartbeat is past removal', () => {
    const reports = [
      nodeReport('gone-long', { ageMs: 31 * MIN }),
      nodeReport('gone-owned-long', { nodeOwner: true, ageMs: 31 * MIN }),
      nodeReport('gone-recent', { nodeOwner: true, ageMs: 1 * MIN }),
      nodeReport('hostless-fresh', { ageMs: 1 * MIN }),
      nodeReport('present-old', { ageMs: 300 * MIN }),
    ];
    const exists: NodeExists = (node) => node === 'present-old';
    expect(reportsToRemove(reports, exists, T0.getTime(), rules).map((r) => r.spec.node)).toEqual([
      'gone-long',
      'gone-owned-long',
    ]);
    expect(reportsToRemove(reports, noneKnown, T0.getTime(), rules)).toEqual([]);
  });
});

describe('liveNodeProblem', () => {
  test.each<[string, ReapNodeReport, number, string | undefined]>([
    ['a clean sweep of the current generation', nodeReport('a', { sweep: clean }), 1, undefined],
    ['blocked', nodeReport('a', { sweep: blocked }), 1, 'Blocked'],
    ['failed closed', nodeReport('a', { sweep: blind }), 1, 'Degraded'],
    ['removals failed', nodeReport('a', { sweep: failing }), 1, 'RemovalsFailed'],
    ['a clean sweep of an older generation', nodeReport('a', { sweep: clean }), 2, 'OldGeneration'],
    ['no sweep yet', nodeReport('a'), 1, 'NotSwept'],
  ])('%s', (_name, r, generation, reason) => {
    expect(liveNodeProblem(r, generation)?.reason).toBe(reason);
  });
});

describe('fleetStatus', () => {
  test('every live node clean: Ready, the counts, and the summary summed over nodes', () => {
    const reaping = facts(
      report({
        finishTime: at(-1000),
        counts: { containers: { orphaned: 2, reaped: 2 } },
        items: [{ kind: 'containers', name: 'c1', id: 'c1', ownerKey: 'k', action: 'Reaped', reason: 'gone' }],
      }),
    );
    const status = fleetStatus(
      undefined,
      fleet([
        nodeReport('a', { sweep: reaping, totals: { sweeps: 3, reaped: 2, failed: 0, blocked: 0 } }),
        nodeReport('b', { sweep: facts(report({ counts: { networks: { orphaned: 1, reaped: 1 } } })) }),
      ]),
      T0,
    );
    expect(summaryOf(status.conditions)).toEqual({
      Ready: 'True/SweepCompleted',
      Blocked: 'False/WithinLimits',
      Degraded: 'False/OwnersAndRuntimeVisible',
      ClaimsOverlap: 'False/NoOverlap',
    });
    expect(findCondition(status.conditions, 'Ready')!.message).toBe('2 nodes swept generation 1 cleanly');
    expect(status.observedGeneration).toBe(1);
    expect(status.fleet).toEqual({
      nodes: 2,
      ready: 2,
      blocked: 0,
      degraded: 0,
      stale: 0,
      problems: [],
      problemsOmitted: 0,
    });
    expect(status.summary).toEqual({ orphans: 3, reaped: 3, failed: 0 });
    expect(status.totals).toEqual({ sweeps: 4, reaped: 2, failed: 0, blocked: 0 });
    expect(status.lastSweepTime).toBe(report().finishTime);
    expect(status.lastReaps).toEqual([
      { node: 'a', finishTime: at(-1000), kind: 'containers', name: 'c1', ownerKey: 'k' },
    ]);
  });

  test.each<
    [string, ReapNodeReport[], Record<string, string>, Partial<NonNullable<ReturnType<typeof fleetStatus>['fleet']>>]
  >([
    [
      'one node blocked: the policy is Blocked and names the node and how to approve',
      [nodeReport('a', { sweep: clean }), nodeReport('b', { sweep: blocked })],
      { Ready: 'False/Blocked', Blocked: 'True/TooManyOrphans', Degraded: 'False/OwnersAndRuntimeVisible' },
      { nodes: 2, ready: 1, blocked: 1 },
    ],
    [
      'one node blind: Degraded with that node’s own reason',
      [nodeReport('a', { sweep: blind }), nodeReport('b', { sweep: clean })],
      { Ready: 'False/FailedClosed', Blocked: 'False/WithinLimits', Degraded: 'True/RuntimeNotVisible' },
      { nodes: 2, ready: 1, degraded: 1 },
    ],
    [
      'a stale node is not live: the live ones decide Ready, and Degraded says some stopped reporting',
      [nodeReport('a', { sweep: clean }), nodeReport('b', { sweep: clean, ageMs: 20 * MIN })],
      { Ready: 'True/SweepCompleted', Blocked: 'False/WithinLimits', Degraded: 'True/NodesStale' },
      { nodes: 2, ready: 1, stale: 1 },
    ],
    [
      'a node whose Node was deleted counts for nothing',
      [nodeReport('a', { sweep: clean }), nodeReport('gone', { sweep: blocked, nodeOwner: true })],
      { Ready: 'True/SweepCompleted', Blocked: 'False/WithinLimits', Degraded: 'False/OwnersAndRuntimeVisible' },
      { nodes: 1, ready: 1, blocked: 0 },
    ],
    [
      'no reports: not Ready, nothing made up',
      [],
      { Ready: 'False/NoNodeReports', Blocked: 'False/WithinLimits', Degraded: 'False/OwnersAndRuntimeVisible' },
      { nodes: 0, ready: 0 },
    ],
  ])('%s', (_name, reports, conditions, counts) => {
    const exists: NodeExists = (node) => node !== 'gone';
    const status = fleetStatus(undefined, fleet(reports, { nodeExists: exists }), T0);
    expect(summaryOf(status.conditions)).toMatchObject(conditions);
    expect(status.fleet).toMatchObject(counts);
  });

  test('the Blocked message carries the node’s own message, with the approval id', () => {
    const status = fleetStatus(undefined, fleet([nodeReport('b', { sweep: blocked })]), T0);
    expect(findCondition(status.conditions, 'Blocked')!.message).toBe('b: approve with reaper.dev/approve-sweep=b-1');
    expect(status.fleet!.problems).toEqual([
      { node: 'b', reason: 'Blocked', message: 'approve with reaper.dev/approve-sweep=b-1' },
    ]);
  });

  test('problems are capped at 5, blocked and degraded first, and the rest counted', () => {
    const reports = [
      ...['n1', 'n2', 'n3', 'n4'].map((n) => nodeReport(n, { sweep: failing })),
      nodeReport('z-blocked', { sweep: blocked }),
      nodeReport('y-blind', { sweep: blind }),
      nodeReport('x-stale', { sweep: clean, ageMs: 20 * MIN }),
    ];
    const status = fleetStatus(undefined, fleet(reports), T0);
    expect(status.fleet!.problems.map((p) => `${p.node}/${p.reason}`)).toEqual([
      'z-blocked/Blocked',
      'y-blind/Degraded',
      'x-stale/Stale',
      'n1/RemovalsFailed',
      'n2/RemovalsFailed',
    ]);
    expect(status.fleet!.problemsOmitted).toBe(2);
    expect(findCondition(status.conditions, 'Ready')!.message).toMatch(
      /^6 of 6 nodes not ready: z-blocked: .*; and 3 more/,
    );
  });

  test('observedGeneration is the generation every live node has swept', () => {
    const reports = [nodeReport('a', { sweep: facts(report(), { generation: 2 }) }), nodeReport('b', { sweep: clean })];
    const status = fleetStatus({ observedGeneration: 1 }, fleet(reports, { generation: 2 }), T0);
    expect(status.observedGeneration).toBe(1);
    expect(summaryOf(status.conditions)).toMatchObject({ Ready: 'False/NodesNotReady' });
    expect(findCondition(status.conditions, 'Ready')!.observedGeneration).toBe(2);
  });

  test('lastTransitionTime moves only when a condition’s status changes; a sweep drops Stalled', () => {
    const invalid = policyStatusForInvalidSpec(
      undefined,
      'bad',
      1,
      { sweeps: 0, reaped: 0, failed: 0, blocked: 0 },
      T0,
    );
    const later = new Date(T0.getTime() + 5 * MIN);
    const first = fleetStatus(invalid, fleet([nodeReport('a', { sweep: clean })]), later);
    expect(first.conditions!.map((c) => c.type)).not.toContain('Stalled');
    expect(findCondition(first.conditions, 'Ready')!.lastTransitionTime).toBe(at(5 * MIN));
    expect(findCondition(first.conditions, 'Blocked')!.lastTransitionTime).toBe(at(0));
    const again = fleetStatus(first, fleet([nodeReport('a', { sweep: clean })]), new Date(T0.getTime() + 9 * MIN));
    expect(again.conditions).toEqual(first.conditions);
  });

  test('DryRun reads as DryRunCompleted, and overlaps are reported', () => {
    const overlaps = [{ policy: 'default', rival: 'team-b', rule: 'label reaper.dev/owner-uid' }];
    const status = fleetStatus(undefined, fleet([nodeReport('a', { sweep: clean })], { mode: 'DryRun', overlaps }), T0);
    expect(summaryOf(status.conditions)).toMatchObject({
      Ready: 'True/DryRunCompleted',
      ClaimsOverlap: 'True/SharedMatchRule',
    });
  });
});

describe('lastReaps', () => {
  test('newest first across nodes, only what was reaped, capped', () => {
    const reaped = (node: string, finish: number, names: string[]) =>
      nodeReport(node, {
        sweep: facts(
          report({
            finishTime: at(finish),
            items: [
              ...names.map((name) => ({
                kind: 'containers' as const,
                name,
                id: name,
                action: 'Reaped' as const,
                reason: '',
              })),
              { kind: 'networks', name: 'held', id: 'held', action: 'Skipped', reason: 'in use' },
            ],
          }),
        ),
      });
    const reaps = lastReaps([reaped('a', -2000, ['a1', 'a2']), reaped('b', -1000, ['b1'])], 2);
    expect(reaps.map((r) => `${r.node}/${r.name}`)).toEqual(['b/b1', 'a/a1']);
  });
});

describe('FleetFoundIndex', () => {
  const counts = (key: string, containers: number, extra: Partial<OwnerCounts> = {}): OwnerCounts => ({
    key,
    containers,
    networks: 1,
    volumes: 0,
    ipLeases: containers,
    ...extra,
  });

  test('an owner with resources on two nodes has both counted', () => {
    const index = new FleetFoundIndex([
      nodeReport('a', { owners: [counts('uid-1', 2), counts('uid-2', 1)] }),
      nodeReport('b', { owners: [counts('uid-1', 3)] }),
    ]);
    expect(index.found('uid-1')).toEqual({ containers: 5, networks: 2, volumes: 0, ipLeases: 5 });
    expect(index.found('uid-2')).toEqual({ containers: 1, networks: 1, volumes: 0, ipLeases: 1 });
    expect(index.found('uid-3')).toEqual({ containers: 0, networks: 0, volumes: 0, ipLeases: 0 });
    expect(index.incomplete).toEqual([]);
    // Where: the node holding most first.
    expect(index.foundByNode('uid-1')).toEqual([
      { node: 'b', containers: 3, networks: 1, volumes: 0, ipLeases: 3 },
      { node: 'a', containers: 2, networks: 1, volumes: 0, ipLeases: 2 },
    ]);
    expect(index.foundByNode('uid-3')).toEqual([]);
  });

  test('a prefix key from a name rule counts for every owner key it starts', () => {
    const index = new FleetFoundIndex([
      nodeReport('a', { owners: [counts('ab12', 1, { keyPrefixLength: 4 })], ownersOmitted: 3 }),
    ]);
    expect(index.found('ab12cdef').containers).toBe(1);
    expect(index.found('ab13cdef').containers).toBe(0);
    expect(index.incomplete).toEqual(['a']);
  });
});
