import { parse } from 'yaml';
import { renderReport } from '../../../src/cli/render-report.js';
import { emptyCounts } from '../../../src/core/report.js';
import type { KindCounts, ReapReport } from '../../../src/core/report-types.js';

const zero: KindCounts = emptyCounts();

const report: ReapReport = {
  sweepId: 's-1',
  policy: 'default',
  node: 'n1',
  mode: 'Reap',
  startTime: '2026-11-25T00:00:00Z',
  finishTime: '2026-11-25T00:00:01Z',
  outcome: 'Completed',
  liveOwners: 3,
  counts: {
    containers: { ...zero, scanned: 12, attributable: 10, orphaned: 2, reaped: 2 },
    networks: zero,
    volumes: zero,
    ipLeases: zero,
  },
  items: [
    { kind: 'containers', name: 'evil\u001b[2Jname', id: 'abc', ownerKey: 'k', action: 'Reaped', reason: 'gone' },
  ],
  itemsOmitted: 4,
  errors: [],
  errorsOmitted: 0,
};

test('json and yaml carry the report unchanged', () => {
  expect(JSON.parse(renderReport(report, 'json'))).toEqual(report);
  expect(parse(renderReport(report, 'yaml'))).toEqual(report);
});

test('the table shows counts per kind, the items, and what was omitted', () => {
  const text = renderReport(report, 'table');
  expect(text).toMatch(/^containers\s+12\s+10\s+0\s+2\s+0\s+2\s+0\s+0$/m);
  expect(text).toContain('and 4 more items');
  expect(text).toMatch(/^Reaped\s+containers\s+evil\?\[2Jname\s+k\s+gone$/m);
});

test('terminal control characters from runtime names never reach the table', () => {
  expect(renderReport(report, 'table')).not.toContain('\u001b');
});
