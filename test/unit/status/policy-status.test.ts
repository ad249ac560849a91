import type { Condition, ReapPolicyStatus } from '../../../src/api/types.js';
import type { Policy } from '../../../src/core/policy.js';
import type { ReapReport } from '../../../src/core/report-types.js';
import { REPORT_ITEM_CAP } from '../../../src/core/report-types.js';
import { findCondition } from '../../../src/status/conditions.js';
import type { ClaimOverlap } from '../../../src/core/owner-scope.js';
import { describeOverlaps } from '../../../src/core/owner-scope.js';
import type { SweepFacts } from '../../../src/status/policy-status.js';
import {
  addSweepToTotals,
  claimsOverlapCondition,
  emptyTotals,
  policyStatusForInvalidSpec,
  sweepConditionUpdates,
  totalsFrom,
} from '../../../src/status/policy-status.js';
import { sweptState } from '../../../src/status/node-report.js';
import { container, owners, policy, snapshot } from '../../support/builders.js';
import type { Swept } from '../../support/reports.js';
import { report, sweep, sweepFacts } from '../../support/reports.js';

const T0 = new Date('2026-11-25T10:00:00.000Z');
const T1 = new Date('2026-11-25T10:05:00.000Z');
const T2 = new Date('2026-11-25T10:10:00.000Z');
const at = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const facts = sweepFacts;

/** The facts the policy controller hands over after a sweep through the real planner. */
const factsOf = ({ plan, report: r }: Swept, p: Policy): SweepFacts => ({
  report: r,
  generation: p.generation,
  ...(plan.blocked ? { blockedDescription: plan.blocked.description } : {}),
  failedClosed: plan.failedClosed,
  overlaps: [],
});

function condition(status: ReapPolicyStatus | { conditions?: Condition[] }, type: string): Condition {
  const found = findCondition(status.conditions, type);
  if (!found) throw new Error(`no ${type} condition in ${JSON.stringify(status.conditions)}`);
  return found;
}

const summaryOf = (conditions: Condition[] | undefined) =>
  Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

// No grace, so what the planner finds orphaned is selected at once.
// The guard judges from one owner on, so a host of four owners can show it.
const eager = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { minOwnersToBlock: 1 } });
// Three of four owners gone: 75% > maxOrphanPercent 50.
const mostlyOrphaned = snapshot([
  container('live', 'A'),
  container('o1', 'gone-1'),
  container('o2', 'gone-2'),
  container('o3', 'gone-3'),
]);

describe('conditions after a sweep', () => {
  const ownersBlind = ['owners not fully visible: reaper.dev/v1alpha1 Topology is not synced'];
  const runtimeBlind = ['runtime not fully listed: listing containers: connect ENOENT /var/run/docker.sock'];
  test.each<[string, SweepFacts, Record<string, string>]>([
    [
      'a clean sweep is Ready, not Blocked, not Degraded',
      facts(report({ counts: { containers: { orphaned: 2, reaped: 2 } } })),
      {
        Ready: 'True/SweepCompleted',
        Blocked: 'False/WithinLimits',
        Degraded: 'False/OwnersAndRuntimeVisible',
        ClaimsOverlap: 'False/NoOverlap',
      },
    ],
    [
      'a clean dry run is Ready with its own reason',
      facts(report({ mode: 'DryRun', counts: { containers: { orphaned: 2, skipped: 2 } } })),
      {
        Ready: 'True/DryRunCompleted',
        Blocked: 'False/WithinLimits',
        Degraded: 'False/OwnersAndRuntimeVisible',
        ClaimsOverlap: 'False/NoOverlap',
      },
    ],
    [
      'failed removals make Ready False',
      facts(report({ outcome: 'PartiallyFailed', counts: { networks: { orphaned: 3, reaped: 2, failed: 1 } } })),
      {
        Ready: 'False/RemovalsFailed',
        Blocked: 'False/WithinLimits',
        Degraded: 'False/OwnersAndRuntimeVisible',
        ClaimsOverlap: 'False/NoOverlap',
      },
    ],
    [
      'a blocked sweep is Blocked and not Ready',
      facts(report({ outcome: 'Blocked', approvalId: 'b-0123456789ab' })),
      {
        Ready: 'False/Blocked',
        Blocked: 'True/TooManyOrphans',
        Degraded: 'False/OwnersAndRuntimeVisible',
        ClaimsOverlap: 'False/NoOverlap',
      },
    ],
    [
      'owners not visible: Degraded, Blocked left unset',
      facts(report({ outcome: 'FailedClosed' }), { failedClosed: ownersBlind }),
      { Ready: 'False/FailedClosed', Degraded: 'True/OwnersNotVisible', ClaimsOverlap: 'False/NoOverlap' },
    ],
    [
      'runtime not visible: Degraded with the runtime reason',
      facts(report({ outcome: 'FailedClosed' }), { failedClosed: runtimeBlind }),
      { Ready: 'False/FailedClosed', Degraded: 'True/RuntimeNotVisible', ClaimsOverlap: 'False/NoOverlap' },
    ],
  ])('%s', (_name, sweepFacts, expected) => {
    expect(summaryOf(sweepConditionUpdates(sweepFacts) as Condition[])).toEqual(expected);
  });

  test.each<[string, string[], string]>([
    // Names of owners come from users: a Topology called docker-lab is still an owner problem.
    [
      'an owner whose name mentions docker',
      ['owners not fully visible: Topology default/docker-lab has no owner key .spec.labId'],
      'OwnersNotVisible',
    ],
    [
      'an owner kind whose name mentions runtime',
      ['owners not fully visible: example.com/v1 RuntimeClaim is not synced'],
      'OwnersNotVisible',
    ],
    ['the runtime, without detail', ['runtime not fully listed'], 'RuntimeNotVisible'],
    ['both owners and runtime', [runtimeBlind[0]!, ownersBlind[0]!], 'OwnersAndRuntimeNotVisible'],
  ])('Degraded names what is blind: %s', (_name, failedClosed, reason) => {
    const updates = sweepConditionUpdates(facts(report({ outcome: 'FailedClosed' }), { failedClosed }));
    expect(updates.find((u) => u.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason,
      message: failedClosed.join('; '),
    });
  });

  test('messages say what happened, with the sweep id, node and counts per kind', () => {
    const done = sweepConditionUpdates(
      facts(report({ counts: { containers: { orphaned: 3, reaped: 2 }, ipLeases: { orphaned: 2, reaped: 2 } } })),
    );
    expect(done[0]!.message).toBe(
      'sweep 20261125t120000z-000001 on node-a: 5 orphans, reaped 2 containers, 2 ipLeases',
    );
    const dry = sweepConditionUpdates(
      facts(report({ mode: 'DryRun', counts: { volumes: { orphaned: 4, skipped: 4 } } })),
    );
    expect(dry[0]!.message).toBe('sweep 20261125t120000z-000001 on node-a: 4 orphans, would reap 4 volumes');
    const nothing = sweepConditionUpdates(facts(report()));
    expect(nothing[0]!.message).toMatch(/0 orphans, reaped nothing$/);
  });
});

describe("a node's report after a sweep (sweptState)", () => {
  test('a first status has all four conditions, observedGeneration everywhere, and the report', () => {
    const r = report({ counts: { containers: { scanned: 5, attributable: 4, orphaned: 2, reaped: 2 } } });
    const status = sweptState(undefined, facts(r, { generation: 7 }), T0);
    expect(status.observedGeneration).toBe(7);
    expect(status.conditions!.map((c) => c.type)).toEqual(['Ready', 'Blocked', 'Degraded', 'ClaimsOverlap']);
    for (const c of status.conditions!) {
      expect(c.observedGeneration).toBe(7);
      expect(c.lastTransitionTime).toBe(at(T0));
      expect(c.reason).toMatch(/^[A-Z][A-Za-z]*$/);
      expect(c.message).not.toBe('');
    }
    expect(status.summary).toEqual({ orphans: 2, reaped: 2, failed: 0 });
    expect(status.lastSweep).toEqual(r);
    expect(status).not.toHaveProperty('nodes');
  });

  test('a failed-closed first sweep still shows Blocked, as not evaluated', () => {
    const status = sweptState(
      undefined,
      facts(report({ outcome: 'FailedClosed' }), { failedClosed: ['owners not fully visible'] }),
      T0,
    );
    expect(summaryOf(status.conditions)).toEqual({
      Ready: 'False/FailedClosed',
      Degraded: 'True/OwnersNotVisible',
      ClaimsOverlap: 'False/NoOverlap',
      Blocked: 'False/NotEvaluated',
    });
  });

  test('lastTransitionTime moves only when a status changes; reason, message and generation follow every sweep', () => {
    const first = sweptState(undefined, facts(report()), T0);
    const again = sweptState(
      first,
      facts(report({ sweepId: 'second', counts: { containers: { orphaned: 1, reaped: 1 } } }), { generation: 2 }),
      T1,
    );
    expect(again.conditions!.map((c) => c.lastTransitionTime)).toEqual([at(T0), at(T0), at(T0), at(T0)]);
    expect(again.conditions!.map((c) => c.observedGeneration)).toEqual([2, 2, 2, 2]);
    expect(condition(again, 'Ready').message).toMatch(/^sweep second on node-a: 1 orphans, reaped 1 containers$/);

    const failed = sweptState(
      again,
      facts(report({ outcome: 'PartiallyFailed', counts: { containers: { orphaned: 1, failed: 1 } } }), {
        generation: 2,
      }),
      T2,
    );
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: at(T2) });
    expect(condition(failed, 'Blocked').lastTransitionTime).toBe(at(T0));
    expect(condition(failed, 'Degraded').lastTransitionTime).toBe(at(T0));
  });

  test('conditions someone else added are not repeated, and the order of ours is kept', () => {
    const previous: ReapPolicyStatus = {
      conditions: [
        {
          type: 'Degraded',
          status: 'False',
          lastTransitionTime: at(T0),
          reason: 'OwnersAndRuntimeVisible',
          message: '',
        },
        { type: 'Reconciling', status: 'True', lastTransitionTime: at(T0), reason: 'HandEdit', message: '' },
        { type: 'Ready', status: 'True', lastTransitionTime: at(T0), reason: 'SweepCompleted', message: '' },
      ],
    };
    const status = sweptState(previous, facts(report()), T1);
    expect(status.conditions!.map((c) => c.type)).toEqual(['Degraded', 'Ready', 'Blocked', 'ClaimsOverlap']);
    expect(condition(status, 'Ready').lastTransitionTime).toBe(at(T0));
  });

  test('the report in status is cut to the schema: items beyond the cap are counted as omitted', () => {
    const items = Array.from({ length: REPORT_ITEM_CAP + 25 }, (_, i) => ({
      kind: 'containers' as const,
      name: `c-${i}`,
      id: `id-${i}`,
      action: 'Reaped' as const,
      reason: 'owner gone',
    }));
    const status = sweptState(undefined, facts(report({ items })), T0);
    expect(status.lastSweep!.items).toHaveLength(REPORT_ITEM_CAP);
    expect(status.lastSweep!.itemsOmitted).toBe(25);
  });
});

describe('Blocked through the real planner', () => {
  const blockedSweep = () => sweep({ snapshot: mostlyOrphaned, owners: owners(['A']), policy: eager });

  test('a blocked sweep names the approval id and reaps nothing', () => {
    const blocked = blockedSweep();
    const status = sweptState(undefined, factsOf(blocked, eager), T0);
    const approvalId = blocked.report.approvalId!;
    expect(approvalId).toMatch(/^b-[0-9a-f]{12}$/);
    expect(condition(status, 'Blocked')).toMatchObject({ status: 'True', reason: 'TooManyOrphans' });
    expect(condition(status, 'Blocked').message).toContain(`reaper.dev/approve-sweep=${approvalId}`);
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Blocked' });
    expect(status.summary).toEqual({ orphans: 3, reaped: 0, failed: 0 });
  });

  test('the approval annotation clears Blocked: the same set is reaped and Blocked turns False', () => {
    const blocked = blockedSweep();
    const before = sweptState(undefined, factsOf(blocked, eager), T0);
    const approved = policy({ ...eager, approvedSweep: blocked.report.approvalId! });
    const released = sweep({ snapshot: mostlyOrphaned, owners: owners(['A']), policy: approved });
    const after = sweptState(before, factsOf(released, approved), T1);
    expect(released.report.outcome).toBe('Completed');
    expect(condition(after, 'Blocked')).toMatchObject({
      status: 'False',
      reason: 'WithinLimits',
      lastTransitionTime: at(T1),
    });
    expect(condition(after, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: at(T1) });
    expect(after.summary).toEqual({ orphans: 3, reaped: 3, failed: 0 });
  });

  test('an approval of another set does not clear Blocked', () => {
    const blocked = blockedSweep();
    const before = sweptState(undefined, factsOf(blocked, eager), T0);
    const wrong = policy({ ...eager, approvedSweep: 'b-000000000000' });
    const still = sweep({ snapshot: mostlyOrphaned, owners: owners(['A']), policy: wrong });
    const after = sweptState(before, factsOf(still, wrong), T1);
    expect(condition(after, 'Blocked')).toMatchObject({ status: 'True', lastTransitionTime: at(T0) });
  });

  test.each<[string, Partial<Policy['limits']>, string]>([
    ['a new generation that allows the share clears Blocked', { maxOrphanPercent: 80 }, 'False'],
    ['a new generation that does not keeps Blocked', { maxOrphanPercent: 60 }, 'True'],
  ])('%s', (_name, limits, blockedStatus) => {
    const blocked = blockedSweep();
    const before = sweptState(undefined, factsOf(blocked, eager), T0);
    const changed = policy({ ...eager, generation: 2, limits: { ...eager.limits, ...limits } });
    const next = sweep({ snapshot: mostlyOrphaned, owners: owners(['A']), policy: changed });
    const after = sweptState(before, factsOf(next, changed), T1);
    expect(after.observedGeneration).toBe(2);
    expect(condition(after, 'Blocked')).toMatchObject({
      status: blockedStatus,
      observedGeneration: 2,
      lastTransitionTime: blockedStatus === 'True' ? at(T0) : at(T1),
    });
  });

  test('a sweep that fails closed leaves Blocked as it was, and the next clean sweep clears Degraded', () => {
    const blocked = blockedSweep();
    const first = sweptState(undefined, factsOf(blocked, eager), T0);
    const blind = sweep({
      snapshot: mostlyOrphaned,
      owners: owners(['A'], { synced: false, errors: ['reaper.dev/v1alpha1 Topology is not synced'] }),
      policy: eager,
    });
    const second = sweptState(first, factsOf(blind, eager), T1);
    expect(blind.report.outcome).toBe('FailedClosed');
    expect(condition(second, 'Blocked')).toEqual(condition(first, 'Blocked'));
    expect(condition(second, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'OwnersNotVisible',
      lastTransitionTime: at(T1),
      message: 'owners not fully visible: reaper.dev/v1alpha1 Topology is not synced',
    });
    expect(blind.report.counts.containers.reaped).toBe(0);

    const seeing = sweep({ snapshot: mostlyOrphaned, owners: owners(['A', 'gone-1', 'gone-2']), policy: eager });
    const third = sweptState(second, factsOf(seeing, eager), T2);
    expect(summaryOf(third.conditions)).toEqual({
      Ready: 'True/SweepCompleted',
      Blocked: 'False/WithinLimits',
      Degraded: 'False/OwnersAndRuntimeVisible',
      ClaimsOverlap: 'False/NoOverlap',
    });
    expect(condition(third, 'Degraded').lastTransitionTime).toBe(at(T2));
  });
});

describe('policyStatusForInvalidSpec', () => {
  test('Ready False and Degraded True with the problems; the fleet, summary and totals stay', () => {
    const previous: ReapPolicyStatus = {
      observedGeneration: 2,
      conditions: sweptState(undefined, facts(report()), T0).conditions,
      lastSweepTime: at(T0),
      summary: { orphans: 1, reaped: 1, failed: 0 },
      fleet: { nodes: 1, ready: 1, blocked: 0, degraded: 0, stale: 0, problems: [], problemsOmitted: 0 },
    };
    const totals = { sweeps: 4, reaped: 9, failed: 0, blocked: 1 };
    const status = policyStatusForInvalidSpec(previous, 'spec.match[0].nameRegex: needs a group "key"', 3, totals, T1);
    expect(status.observedGeneration).toBe(3);
    expect(summaryOf(status.conditions)).toEqual({
      Ready: 'False/InvalidSpec',
      Blocked: 'False/WithinLimits',
      Degraded: 'True/InvalidSpec',
      Stalled: 'True/InvalidSpec',
      // An invalid policy claims nothing: whatever it overlapped before, it overlaps no one now.
      ClaimsOverlap: 'False/InvalidSpec',
    });
    expect(condition(status, 'Ready').message).toBe('nothing is swept: spec.match[0].nameRegex: needs a group "key"');
    expect(condition(status, 'Ready')).toMatchObject({ observedGeneration: 3, lastTransitionTime: at(T1) });
    expect(status.lastSweepTime).toBe(previous.lastSweepTime);
    expect(status.fleet).toEqual(previous.fleet);
    expect(status.summary).toEqual(previous.summary);
    expect(status.totals).toBe(totals);
  });

  test('without any earlier status every condition is present and nothing is made up', () => {
    const status = policyStatusForInvalidSpec(undefined, 'bad', 1, emptyTotals(), T0);
    expect(summaryOf(status.conditions)).toEqual({
      Ready: 'False/InvalidSpec',
      Degraded: 'True/InvalidSpec',
      Blocked: 'False/NotEvaluated',
      Stalled: 'True/InvalidSpec',
      ClaimsOverlap: 'False/InvalidSpec',
    });
    expect(status).not.toHaveProperty('fleet');
    expect(status).not.toHaveProperty('summary');
  });

  // Stalled is what kstatus (Flux, kpt) reads as Failed: held while the spec stays invalid, gone once a sweep runs.
  test('Stalled keeps its transition time while the spec stays invalid; conditions after a sweep drop it', () => {
    const first = policyStatusForInvalidSpec(undefined, 'bad', 1, emptyTotals(), T0);
    const again = policyStatusForInvalidSpec(first, 'bad', 1, emptyTotals(), T1);
    expect(condition(again, 'Stalled')).toMatchObject({ status: 'True', message: 'bad', lastTransitionTime: at(T0) });
    const fixed = sweptState(again, facts(report(), { generation: 2 }), T2);
    expect(summaryOf(fixed.conditions)).toEqual({
      Ready: 'True/SweepCompleted',
      Blocked: 'False/WithinLimits',
      Degraded: 'False/OwnersAndRuntimeVisible',
      ClaimsOverlap: 'False/NoOverlap',
    });
  });
});

describe('ClaimsOverlap', () => {
  const shared: ClaimOverlap = { policy: 'default', rival: 'team-b', rule: 'label reaper.dev/owner-uid' };
  const pattern: ClaimOverlap = { policy: 'default', rival: 'labs', rule: 'nameRegex ^lab_(?<key>[a-z]+)_' };
  const sharedMessage =
    'label reaper.dev/owner-uid is also claimed by policy team-b with other owners: a resource both could own ' +
    'is reaped by neither (OutOfScope in lastSweep) until the policies agree on its owners or its labels say whose it is';

  test.each<[string, ClaimOverlap[], Record<string, string>]>([
    ['no overlap', [], { status: 'False', reason: 'NoOverlap' }],
    ['a shared label key', [shared], { status: 'True', reason: 'SharedMatchRule', message: sharedMessage }],
  ])('%s', (_name, overlaps, expected) => {
    expect(claimsOverlapCondition(overlaps)).toMatchObject({ type: 'ClaimsOverlap', ...expected });
  });

  test('the message names every shared rule and the policy that shares it', () => {
    expect(describeOverlaps([shared, pattern])).toBe(
      'label reaper.dev/owner-uid is also claimed by policy team-b with other owners; ' +
        'nameRegex ^lab_(?<key>[a-z]+)_ is also claimed by policy labs with other owners: ' +
        'a resource both could own is reaped by neither (OutOfScope in lastSweep) ' +
        'until the policies agree on its owners or its labels say whose it is',
    );
    expect(claimsOverlapCondition([]).message).toBe(
      "no other policy claims this policy's label keys or name patterns with other owners",
    );
  });

  test.each<[string, SweepFacts]>([
    ['a completed sweep', facts(report(), { overlaps: [shared] })],
    ['a blocked sweep', facts(report({ outcome: 'Blocked', approvalId: 'b-0123456789ab' }), { overlaps: [shared] })],
    [
      'a sweep that failed closed',
      facts(report({ outcome: 'FailedClosed' }), { failedClosed: ['runtime not fully listed'], overlaps: [shared] }),
    ],
  ])('every sweep says whether its claims overlap: %s', (_name, sweepFacts) => {
    const updates = sweepConditionUpdates(sweepFacts);
    expect(updates.filter((u) => u.type === 'ClaimsOverlap')).toEqual([
      { type: 'ClaimsOverlap', status: 'True', reason: 'SharedMatchRule', message: sharedMessage },
    ]);
  });

  test('in status: turns True when an overlap appears, keeps its time while it lasts, turns False when it goes', () => {
    const first = sweptState(undefined, facts(report()), T0);
    expect(condition(first, 'ClaimsOverlap')).toMatchObject({ status: 'False', lastTransitionTime: at(T0) });
    const overlapping = sweptState(first, facts(report(), { overlaps: [shared] }), T1);
    expect(condition(overlapping, 'ClaimsOverlap')).toMatchObject({
      status: 'True',
      reason: 'SharedMatchRule',
      message: sharedMessage,
      lastTransitionTime: at(T1),
    });
    expect(condition(overlapping, 'Ready').lastTransitionTime).toBe(at(T0));
    const more = sweptState(overlapping, facts(report(), { overlaps: [shared, pattern] }), T2);
    expect(condition(more, 'ClaimsOverlap')).toMatchObject({ status: 'True', lastTransitionTime: at(T1) });
    expect(condition(more, 'ClaimsOverlap').message).toMatch(/policy labs/);
    const gone = sweptState(more, facts(report()), T2);
    expect(condition(gone, 'ClaimsOverlap')).toMatchObject({
      status: 'False',
      reason: 'NoOverlap',
      lastTransitionTime: at(T2),
    });
  });
});

describe('totals', () => {
  test.each<[string, ReapReport, ReturnType<typeof emptyTotals>]>([
    ['an empty sweep counts as a sweep', report(), { sweeps: 1, reaped: 0, failed: 0, blocked: 0 }],
    [
      'reaped and failed are summed over kinds',
      report({
        outcome: 'PartiallyFailed',
        counts: { containers: { reaped: 3, failed: 1 }, networks: { reaped: 2 }, ipLeases: { reaped: 4, failed: 2 } },
      }),
      { sweeps: 1, reaped: 9, failed: 3, blocked: 0 },
    ],
    [
      'a blocked sweep counts as blocked',
      report({ outcome: 'Blocked' }),
      { sweeps: 1, reaped: 0, failed: 0, blocked: 1 },
    ],
    [
      'a dry run reaps nothing, however much it would',
      report({ mode: 'DryRun', counts: { containers: { orphaned: 5, skipped: 5 } } }),
      { sweeps: 1, reaped: 0, failed: 0, blocked: 0 },
    ],
  ])('%s', (_name, r, expected) => {
    expect(addSweepToTotals(emptyTotals(), r)).toEqual(expected);
    const before = { sweeps: 10, reaped: 100, failed: 1, blocked: 2 };
    expect(addSweepToTotals(before, r)).toEqual({
      sweeps: 10 + expected.sweeps,
      reaped: 100 + expected.reaped,
      failed: 1 + expected.failed,
      blocked: 2 + expected.blocked,
    });
  });

  test.each<[string, ReapPolicyStatus | undefined, ReturnType<typeof emptyTotals>]>([
    ['no status', undefined, emptyTotals()],
    ['no totals', { observedGeneration: 1 }, emptyTotals()],
    [
      'stored totals',
      { totals: { sweeps: 3, reaped: 7, failed: 1, blocked: 2 } },
      { sweeps: 3, reaped: 7, failed: 1, blocked: 2 },
    ],
    ['some fields', { totals: { sweeps: 3 } }, { sweeps: 3, reaped: 0, failed: 0, blocked: 0 }],
    [
      'nonsense read as zero',
      { totals: { sweeps: -1, reaped: 1.5, failed: 'x', blocked: Number.MAX_VALUE } as never },
      emptyTotals(),
    ],
  ])('totalsFrom: %s', (_name, status, expected) => {
    expect(totalsFrom(status)).toEqual(expected);
  });
});
