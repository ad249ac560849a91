import type { FoundEntry } from '../../../src/status/node-report.js';
import {
  heldWaveRecords,
  nodeReportStatus,
  ownersListing,
  recallWaves,
  reportChanged,
  sweptState,
} from '../../../src/status/node-report.js';
import { approvalIdFor } from '../../../src/core/blast-radius.js';
import { FoundIndex } from '../../../src/status/owner-status.js';
import type { SweepFacts } from '../../../src/status/policy-status.js';
import { emptyTotals } from '../../../src/status/policy-status.js';
import { REPORT_ITEM_CAP } from '../../../src/core/report-types.js';
import { container, policy, snapshot } from '../../support/builders.js';
import { report, sweepFacts } from '../../support/reports.js';

const T0 = new Date('2026-11-25T10:00:00.999Z');
const T1 = new Date('2026-11-25T10:05:00.000Z');

const facts = (extra: Partial<SweepFacts> = {}): SweepFacts => sweepFacts(report(), { generation: 3, ...extra });

const entry = (key: string, containers: number, keyPrefixLength?: number): FoundEntry => ({
  key,
  ...(keyPrefixLength !== undefined ? { keyPrefixLength } : {}),
  counts: { containers, networks: 0, volumes: 0, ipLeases: 0 },
});

describe('sweptState', () => {
  test('the sweep’s generation, every condition, the report fitted to status, and its totals', () => {
    const items = Array.from({ length: REPORT_ITEM_CAP + 5 }, (_, i) => ({
      kind: 'containers' as const,
      name: `c${i}`,
      id: `c${i}`,
      action: 'Reaped' as const,
      reason: 'gone',
    }));
    const swept = sweptState(
      undefined,
      facts({ report: report({ items, counts: { containers: { orphaned: 55, reaped: 55 } } }) }),
      T0,
    );
    expect(swept.observedGeneration).toBe(3);
    expect(swept.conditions.map((c) => `${c.type}/${c.status}`)).toEqual([
      'Ready/True',
      'Blocked/False',
      'Degraded/False',
      'ClaimsOverlap/False',
    ]);
    expect(swept.lastSweep.items).toHaveLength(REPORT_ITEM_CAP);
    expect(swept.lastSweep.itemsOmitted).toBe(5);
    expect(swept.summary).toEqual({ orphans: 55, reaped: 55, failed: 0 });
  });

  test('the conditions keep their transition time while their status holds', () => {
    const first = sweptState(undefined, facts(), T0);
    const second = sweptState(first, facts({ report: report({ sweepId: 'next' }) }), T1);
    expect(second.conditions.map((c) => c.lastTransitionTime)).toEqual(
      first.conditions.map((c) => c.lastTransitionTime),
    );
    const blind = sweptState(second, facts({ report: report({ outcome: 'FailedClosed' }), failedClosed: ['x'] }), T1);
    expect(blind.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: '2026-11-25T10:05:00Z',
    });
  });
});

describe('ownersListing', () => {
  test('live owners first, then by key; empty entries left out', () => {
    const listing = ownersListing([entry('b', 1), entry('orphan', 2), entry('a', 1), entry('none', 0)], (e) =>
      ['a', 'b'].includes(e.key),
    );
    expect(listing.owners.map((o) => o.key)).toEqual(['a', 'b', 'orphan']);
    expect(listing.ownersOmitted).toBe(0);
  });

  test('past the cap the rest are counted and summed, never dropped silently', () => {
    const listing = ownersListing([entry('a', 1), entry('b', 2), entry('c', 3), entry('d', 4)], () => false, 2);
    expect(listing.owners.map((o) => o.key)).toEqual(['a', 'b']);
    expect(listing.ownersOmitted).toBe(2);
    expect(listing.omittedCounts).toEqual({ containers: 7, networks: 0, volumes: 0, ipLeases: 0 });
  });

  test('a prefix key says its length', () => {
    const listing = ownersListing([entry('ab12', 1, 4)], () => true);
    expect(listing.owners).toEqual([
      { key: 'ab12', keyPrefixLength: 4, containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
    ]);
  });

  test('from a real snapshot through the found index', () => {
    const index = new FoundIndex(
      snapshot([container('a1', 'A'), container('a2', 'A'), container('b1', 'B')]),
      policy(),
    );
    const listing = ownersListing(index.entries(), (e) => e.key === 'B');
    expect(listing.owners).toEqual([
      { key: 'B', containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
      { key: 'A', containers: 2, networks: 0, volumes: 0, ipLeases: 0 },
    ]);
  });
});

describe('nodeReportStatus and reportChanged', () => {
  test('the heartbeat alone is no change; anything else is', () => {
    const swept = sweptState(undefined, facts(), T0);
    const owners = ownersListing([entry('a', 1)], () => true);
    const first = nodeReportStatus(swept, emptyTotals(), owners, T0);
    expect(first.lastHeartbeatTime).toBe('2026-11-25T10:00:00Z');
    const heartbeat = nodeReportStatus(swept, emptyTotals(), owners, T1);
    expect(reportChanged(first, heartbeat)).toBe(false);
    const grown = nodeReportStatus(
      swept,
      emptyTotals(),
      ownersListing([entry('a', 2)], () => true),
      T1,
    );
    expect(reportChanged(first, grown)).toBe(true);
    expect(reportChanged(undefined, first)).toBe(true);
  });

  test('before any sweep or listing, a report says only its heartbeat and totals', () => {
    expect(nodeReportStatus(undefined, emptyTotals(), undefined, T0)).toEqual({
      lastHeartbeatTime: '2026-11-25T10:00:00Z',
      totals: emptyTotals(),
    });
  });
});

describe('held waves in the report', () => {
  const wave = (prefix: string, n: number, lastAt: number) => ({
    keys: Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`),
    firstAt: lastAt - 2_000,
    lastAt,
  });
  const big = wave('doomed-', 800, Date.parse('2026-11-25T10:00:02Z'));
  const mine = new Set(['doomed-0007', 'doomed-0100', 'live-1']);

  test('keep the approval id every node names and only this node’s orphans; recalled, they block the same', () => {
    const records = heldWaveRecords('p', [big, wave('none-', 20, 0)], mine);
    expect(records).toEqual([
      {
        approvalId: approvalIdFor('p', big.keys),
        owners: 800,
        firstTime: '2026-11-25T10:00:00.000Z',
        lastTime: '2026-11-25T10:00:02.000Z',
        ownerKeys: ['doomed-0007', 'doomed-0100'],
      },
    ]);
    const [recalled] = recallWaves(records);
    expect(recalled).toEqual({
      keys: ['doomed-0007', 'doomed-0100'],
      firstAt: big.firstAt,
      lastAt: big.lastAt,
      recalled: { owners: 800, approvalId: approvalIdFor('p', big.keys) },
    });
    // Kept again after the restart, the wave is the one it was.
    expect(heldWaveRecords('p', [recalled!], mine)).toEqual(records);
  });

  test('a record that is not usable is dropped, not trusted', () => {
    const good = heldWaveRecords('p', [big], mine)[0]!;
    expect(
      recallWaves([
        { ...good, lastTime: 'yesterday' },
        { ...good, ownerKeys: [] },
      ]),
    ).toEqual([]);
  });

  test('a sweep that could not tell keeps the waves held before it', () => {
    const held = heldWaveRecords('p', [big], mine);
    const first = sweptState(undefined, facts({ heldWaves: held }), T0);
    expect(first.heldWaves).toEqual(held);
    expect(sweptState(first, facts(), T1).heldWaves).toEqual(held);
    expect(sweptState(first, facts({ heldWaves: [] }), T1)).not.toHaveProperty('heldWaves');
  });
});
