import fc from 'fast-check';
import { reapReportSchema } from '../../../src/api/schema/report.js';
import { byKind, cut, fitReportToStatus, sweepTotals } from '../../../src/status/report.js';
import { compileValidator } from '../../../src/api/validate-schema.js';
import type { KindCounts, ReapReport, ReportItem } from '../../../src/core/report-types.js';
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP, REPORT_TEXT_CAP } from '../../../src/core/report-types.js';
import { REPORT_STRING_LIMITS } from '../../../src/api/schema/report.js';
import { emptyCounts } from '../../../src/core/report.js';

const validateReport = compileValidator(reapReportSchema('r.'));

const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const count = fc.nat({ max: 1_000_000 });
const counts: fc.Arbitrary<KindCounts> = fc.record({
  scanned: count,
  attributable: count,
  outOfScope: count,
  orphaned: count,
  pending: count,
  reaped: count,
  failed: count,
  skipped: count,
});
const item: fc.Arbitrary<ReportItem> = fc.record(
  {
    kind: fc.constantFrom('containers', 'networks', 'volumes', 'ipLeases'),
    name: text(3000),
    id: text(1500),
    ownerKey: text(700),
    action: fc.constantFrom('Reaped', 'WouldReap', 'Failed', 'Skipped', 'Pending'),
    reason: text(5000),
  },
  { requiredKeys: ['kind', 'name', 'id', 'action', 'reason'] },
);
const time = fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
/** Any report the core could hand over, including lists over their caps and strings of any length. */
const anyReport: fc.Arbitrary<ReapReport> = fc.record(
  {
    sweepId: text(200),
    policy: text(300),
    node: text(300),
    mode: fc.constantFrom('Reap', 'DryRun'),
    startTime: time,
    finishTime: time,
    outcome: fc.constantFrom('Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'),
    liveOwners: count,
    counts: fc.record({ containers: counts, networks: counts, volumes: counts, ipLeases: counts }),
    approvalId: text(100),
    items: fc.array(item, { maxLength: REPORT_ITEM_CAP + 5 }),
    itemsOmitted: count,
    errors: fc.array(text(3000), { maxLength: REPORT_ERROR_CAP + 5 }),
    errorsOmitted: count,
  },
  {
    requiredKeys: [
      'sweepId',
      'policy',
      'node',
      'mode',
      'startTime',
      'finishTime',
      'outcome',
      'liveOwners',
      'counts',
      'items',
      'itemsOmitted',
      'errors',
      'errorsOmitted',
    ],
  },
);

test('any report, fitted, is accepted by the status schema and loses no count', () => {
  fc.assert(
    fc.property(anyReport, (report) => {
      const fitted = fitReportToStatus(report);
      expect(validateReport(fitted, 'status.lastSweep').problems).toEqual([]);
      expect(fitted.counts).toEqual(report.counts);
      expect(fitted.items.length + fitted.itemsOmitted).toBe(report.items.length + report.itemsOmitted);
      expect(fitted.errors.length + fitted.errorsOmitted).toBe(report.errors.length + report.errorsOmitted);
      expect(fitReportToStatus(fitted)).toEqual(fitted);
    }),
    { numRuns: 150 },
  );
});

test('status takes every text the core report builder keeps, uncut', () => {
  const { itemName, itemId, ownerKey, reason, error } = REPORT_STRING_LIMITS;
  expect(Math.min(itemName, itemId, ownerKey, reason, error)).toBeGreaterThanOrEqual(REPORT_TEXT_CAP);
});

test('a report within bounds is left exactly as it is', () => {
  const report: ReapReport = {
    sweepId: '20261125t053700z-3fa9c1',
    policy: 'default',
    node: 'node-1',
    mode: 'Reap',
    startTime: '2026-11-25T05:37:00.000Z',
    finishTime: '2026-11-25T05:37:01.000Z',
    outcome: 'Completed',
    liveOwners: 2,
    counts: {
      containers: { ...emptyCounts(), scanned: 3, attributable: 2, orphaned: 1, reaped: 1 },
      networks: { ...emptyCounts() },
      volumes: { ...emptyCounts() },
      ipLeases: { ...emptyCounts() },
    },
    items: [{ kind: 'containers', name: 'lab_x', id: 'abc', ownerKey: 'u-1', action: 'Reaped', reason: 'owner gone' }],
    itemsOmitted: 0,
    errors: [],
    errorsOmitted: 0,
  };
  expect(fitReportToStatus(report)).toEqual(report);
  expect(validateReport(report, 'r').problems).toEqual([]);
});

test('totals add up every kind', () => {
  const c = (orphaned: number, reaped: number, failed: number): KindCounts => ({
    scanned: 0,
    attributable: 0,
    outOfScope: 0,
    orphaned,
    pending: 0,
    reaped,
    failed,
    skipped: 0,
  });
  expect(
    sweepTotals({
      counts: { containers: c(3, 2, 1), networks: c(1, 1, 0), volumes: c(0, 0, 0), ipLeases: c(2, 1, 1) },
    }),
  ).toEqual({ orphans: 6, reaped: 4, failed: 2 });
  const zero = c(0, 0, 0);
  expect(
    byKind({ counts: { containers: c(3, 2, 1), networks: zero, volumes: zero, ipLeases: c(2, 1, 1) } }, 'reaped'),
  ).toBe('2 containers, 1 ipLeases');
  expect(byKind({ counts: { containers: zero, networks: zero, volumes: zero, ipLeases: zero } }, 'reaped')).toBe('');
});

test.each([
  ['short', 5, 'short'],
  ['exactly', 7, 'exactly'],
  ['too long', 5, 'too …'],
  // Code points, not UTF-16 units: an emoji is one character and is never split in half.
  ['😀😀😀😀', 3, '😀😀…'],
])('cut(%j, %d) is %j', (input, max, expected) => {
  expect(cut(input, max)).toBe(expected);
  expect(Array.from(cut(input, max)).length).toBeLessThanOrEqual(max);
});
