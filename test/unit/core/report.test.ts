import { resourceKey } from '../../../src/core/model.js';
import type { ItemOutcome } from '../../../src/core/outcome.js';
import { planReap } from '../../../src/core/planner.js';
import { buildReport, newSweepId } from '../../../src/core/report.js';
import { REPORT_ITEM_CAP } from '../../../src/core/report-types.js';
import { NOW, container, network, owners, policy, snapshot } from './fixtures.js';

const reapNow = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxOrphanPercent: 100 } });

function report(plan: ReturnType<typeof planReap>, outcomes: ItemOutcome[]) {
  return buildReport({
    plan,
    outcomes,
    policy: 'default',
    mode: 'Reap',
    node: 'node-1',
    sweepId: 's1',
    startedAt: NOW,
    finishedAt: NOW + 1500,
    liveOwnerCount: 1,
  });
}

test('counts per kind follow the plan and the outcomes', () => {
  const plan = planReap(
    snapshot([
      container('c1', 'gone'),
      container('c2', 'gone'),
      container('c3', 'A'),
      container('x'),
      network('n1', 'gone'),
    ]),
    owners(['A']),
    reapNow,
    {},
    NOW,
  );
  const r = report(plan, [
    { key: 'container:c1', status: 'reaped', reason: '' },
    { key: 'container:c2', status: 'failed', reason: 'device busy' },
    { key: 'network:n1', status: 'alreadyGone', reason: '' },
  ]);
  expect(r.counts.containers).toEqual({
    scanned: 4,
    attributable: 3,
    orphaned: 2,
    pending: 0,
    reaped: 1,
    failed: 1,
    skipped: 0,
  });
  expect(r.counts.networks).toMatchObject({ scanned: 1, orphaned: 1, reaped: 1 });
  expect(r.outcome).toBe('PartiallyFailed');
  expect(r.items[0]).toMatchObject({ action: 'Failed', name: 'c-c2', reason: 'device busy' });
  expect(r.finishTime).toBe('2026-11-25T12:00:01.500Z');
});

test('the item list is capped but the counts are not', () => {
  const many = Array.from({ length: 300 }, (_, i) => container(`c${i}`, 'gone'));
  const plan = planReap(snapshot(many), owners([]), reapNow, {}, NOW);
  const r = report(
    plan,
    plan.selected.map((i) => ({ key: resourceKey(i.resource), status: 'reaped', reason: '' })),
  );
  expect(r.counts.containers.reaped).toBe(300);
  expect(r.items).toHaveLength(REPORT_ITEM_CAP);
  expect(r.itemsOmitted).toBe(300 - REPORT_ITEM_CAP);
  expect(JSON.stringify(r).length).toBeLessThan(20_000);
});

test('a blocked sweep reports its approval id and counts the blocked items as skipped', () => {
  const plan = planReap(
    snapshot([container('c1', 'gone'), container('c2', 'gone'), container('c3', 'A')]),
    owners(['A']),
    policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    {},
    NOW,
  );
  const r = report(plan, []);
  expect(r.outcome).toBe('Blocked');
  expect(r.approvalId).toBe(plan.blocked!.approvalId);
  expect(r.counts.containers).toMatchObject({ orphaned: 2, skipped: 2, reaped: 0 });
});

test('failing closed is reported with its reasons', () => {
  const plan = planReap(
    snapshot([container('c1', 'gone')]),
    owners([], { synced: false, errors: ['watch failed'] }),
    reapNow,
    {},
    NOW,
  );
  const r = report(plan, []);
  expect(r.outcome).toBe('FailedClosed');
  expect(r.errors).toEqual(['owners not fully visible: watch failed']);
});

test('sweep ids sort by time and carry a random suffix', () => {
  expect(newSweepId(NOW, () => 0.5)).toBe('20261125t120000z-7fffff');
  expect(newSweepId(NOW + 1000, () => 0) > newSweepId(NOW, () => 0.99)).toBe(true);
});
