import type { SweepEvent } from '../../../src/status/sweep-events.js';
import { sweepEvents } from '../../../src/status/sweep-events.js';
import type { Plan } from '../../../src/core/planner.js';
import type { ReapReport } from '../../../src/core/report-types.js';
import { REPORT_ITEM_CAP } from '../../../src/core/report-types.js';
import { container, lease, owners, policy, snapshot } from '../../support/builders.js';
import { report, sweep } from '../../support/reports.js';

const noPlanProblems: Pick<Plan, 'blocked' | 'failedClosed'> = { failedClosed: [] };
const where = 'sweep 20261125t120000z-000001 on node-a';

const brief = (events: SweepEvent[]) => events.map((e) => `${e.type}/${e.reason}×${e.count}`);

describe('one event per reason, whatever the number of items', () => {
  test.each<[string, ReapReport, Pick<Plan, 'blocked' | 'failedClosed'>, SweepEvent[]]>([
    ['a sweep that found nothing says nothing', report(), noPlanProblems, []],
    [
      'reaped items of every kind make one Reaped event with the counts',
      report({
        counts: {
          containers: { orphaned: 3, reaped: 3 },
          ipLeases: { orphaned: 3, reaped: 3 },
          networks: { orphaned: 1, reaped: 1 },
        },
      }),
      noPlanProblems,
      [{ type: 'Normal', reason: 'Reaped', message: `${where} reaped 3 containers, 1 networks, 3 ipLeases`, count: 7 }],
    ],
    [
      'a dry run says what it would reap',
      report({ mode: 'DryRun', counts: { volumes: { orphaned: 2, skipped: 2 } } }),
      noPlanProblems,
      [{ type: 'Normal', reason: 'WouldReap', message: `${where} (DryRun) would reap 2 volumes`, count: 2 }],
    ],
    [
      'a reap that skipped items (running under Skip) makes no WouldReap event',
      report({ counts: { containers: { orphaned: 2, skipped: 2 } } }),
      noPlanProblems,
      [],
    ],
    [
      'failures make one Warning next to what was reaped, citing the failed item',
      report({
        outcome: 'PartiallyFailed',
        counts: { containers: { orphaned: 4, reaped: 2, failed: 2 } },
        items: [
          { kind: 'containers', name: 'c-1', id: '1', action: 'Failed', reason: 'device or resource busy' },
          { kind: 'containers', name: 'c-2', id: '2', action: 'Failed', reason: 'timeout' },
        ],
      }),
      noPlanProblems,
      [
        { type: 'Normal', reason: 'Reaped', message: `${where} reaped 2 containers`, count: 2 },
        {
          type: 'Warning',
          reason: 'ReapFailed',
          message: `${where}: 2 containers failed to be removed; first: c-1: device or resource busy`,
          count: 2,
        },
      ],
    ],
    [
      'a blocked sweep says how to approve it',
      report({ outcome: 'Blocked', approvalId: 'b-0123456789ab', counts: { containers: { orphaned: 9, skipped: 9 } } }),
      { failedClosed: [] },
      [
        {
          type: 'Warning',
          reason: 'SweepBlocked',
          message: `${where}: approve with reaper.dev/approve-sweep=b-0123456789ab`,
          count: 1,
        },
      ],
    ],
    [
      'a blocked dry run is only blocked: it would not reap anything',
      report({
        mode: 'DryRun',
        outcome: 'Blocked',
        approvalId: 'b-1',
        counts: { containers: { orphaned: 9, skipped: 9 } },
      }),
      { failedClosed: [] },
      [
        {
          type: 'Warning',
          reason: 'SweepBlocked',
          message: `${where}: approve with reaper.dev/approve-sweep=b-1`,
          count: 1,
        },
      ],
    ],
    [
      'a sweep that failed closed says why',
      report({ outcome: 'FailedClosed' }),
      { failedClosed: ['owners not fully visible: a', 'runtime not fully listed: b'] },
      [
        {
          type: 'Warning',
          reason: 'FailedClosed',
          message: `${where} reaped nothing: owners not fully visible: a; runtime not fully listed: b`,
          count: 1,
        },
      ],
    ],
  ])('%s', (_name, r, plan, expected) => {
    expect(sweepEvents(r, plan)).toEqual(expected);
  });

  test('a warning about the host is not cited as the cause of a failed removal', () => {
    const r = report({
      outcome: 'PartiallyFailed',
      counts: { networks: { orphaned: 1, failed: 1 } },
      items: [
        { kind: 'networks', name: 'lab-net', id: 'n1', action: 'Failed', reason: 'network has active endpoints' },
      ],
      errors: ['labnet/.lock.tmp: not a lease file, passed over'],
    });
    const [failed] = sweepEvents(r, noPlanProblems);
    expect(failed!.message).toBe(
      `${where}: 1 networks failed to be removed; first: lab-net: network has active endpoints`,
    );
  });

  test('with the failed items cut from the report, the first error stands in', () => {
    const r = report({
      outcome: 'PartiallyFailed',
      counts: { containers: { orphaned: 1, failed: 1 } },
      errors: ['cannot reach Docker'],
    });
    expect(sweepEvents(r, noPlanProblems)[0]!.message).toMatch(/; first: cannot reach Docker$/);
  });
});

describe('through the real planner', () => {
  const eager = policy({
    timing: { minAgeMs: 0, gracePeriodMs: 0 },
    limits: { maxOrphanPercent: 100, maxDeletionsPerSweep: 100_000 },
  });
  // Each orphaned owner had a container with one IP lease.
  const host = (n: number) =>
    snapshot(
      Array.from({ length: n }, (_, i) => [
        container(`c${i}`, `gone-${i}`),
        lease(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `c${i}`),
      ]).flat(),
    );

  test('thousands of reaped items make one event that counts them all', () => {
    const { plan, report: r } = sweep({ snapshot: host(3000), owners: owners([]), policy: eager });
    expect(r.items).toHaveLength(REPORT_ITEM_CAP);
    const events = sweepEvents(r, plan);
    expect(brief(events)).toEqual(['Normal/Reaped×6000']);
    expect(events[0]!.message).toBe('sweep 20261125t120000z-abcdef on node-a reaped 3000 containers, 3000 ipLeases');
  });

  test('thousands of failures make one warning beside one Reaped event', () => {
    const { plan, report: r } = sweep({
      snapshot: host(2000),
      owners: owners([]),
      policy: eager,
      outcome: (key) =>
        key.startsWith('container:') && Number(key.slice('container:c'.length)) % 4 === 0
          ? { status: 'failed', reason: 'removal of container in progress' }
          : { status: 'reaped' },
    });
    const events = sweepEvents(r, plan);
    expect(brief(events)).toEqual(['Normal/Reaped×3500', 'Warning/ReapFailed×500']);
    expect(events[1]!.message).toMatch(
      /: 500 containers failed to be removed; first: c-c\d+: removal of container in progress$/,
    );
  });

  test('a blocked plan gives its own description, approval id included', () => {
    const guarded = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } });
    const { plan, report: r } = sweep({ snapshot: host(10), owners: owners([]), policy: guarded });
    const events = sweepEvents(r, plan);
    expect(brief(events)).toEqual(['Warning/SweepBlocked×1']);
    expect(events[0]!.message).toContain(plan.blocked!.description);
    expect(events[0]!.message).toContain(`reaper.dev/approve-sweep=${r.approvalId}`);
  });

  test('a dry run of thousands makes one WouldReap event', () => {
    const dry = policy({ ...eager, mode: 'DryRun' });
    const { plan, report: r } = sweep({ snapshot: host(1500), owners: owners([]), policy: dry });
    expect(brief(sweepEvents(r, plan))).toEqual(['Normal/WouldReap×3000']);
  });
});
