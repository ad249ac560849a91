import fc from 'fast-check';
import { NO_GRACE } from '../../../src/core/grace.js';
import { resourceKey } from '../../../src/core/model.js';
import type { ItemOutcome } from '../../../src/core/outcome.js';
import type { Plan } from '../../../src/core/planner.js';
import { planReap } from '../../../src/core/planner.js';
import type { ReportInput } from '../../../src/core/report.js';
import { buildReport, capText, newSweepId } from '../../../src/core/report.js';
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP, REPORT_TEXT_CAP } from '../../../src/core/report-types.js';
import { MINUTE, NOW, container, network, owners, ownedBy, policy, snapshot } from '../../support/builders.js';

const reapNow = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxOrphanPercent: 100 } });
/** minAge 5m, no grace, no blast-radius guard. */
const reapOld = policy({ timing: { gracePeriodMs: 0 }, limits: { maxOrphanPercent: 100 } });

function reportInput(plan: Plan): ReportInput {
  return {
    plan,
    outcomes: [],
    policy: 'default',
    mode: 'Reap',
    node: 'node-1',
    sweepId: 's1',
    startedAt: NOW,
    finishedAt: NOW + 1500,
    liveOwnerCount: 1,
  };
}

function report(plan: Plan, outcomes: ItemOutcome[]) {
  return buildReport({ ...reportInput(plan), outcomes });
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
    NO_GRACE,
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
    outOfScope: 0,
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
  const plan = planReap(snapshot(many), owners([]), reapNow, NO_GRACE, NOW);
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
    snapshot([container('c1', 'gone'), container('c2', 'gone2'), container('c3', 'A')]),
    owners(['A']),
    policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { minOwnersToBlock: 1 } }),
    NO_GRACE,
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
    NO_GRACE,
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

describe('buildReport items', () => {
  const resources = [
    container('c-reaped', 'gone', { createdAt: NOW - 90 * MINUTE }),
    container('c-failed', 'gone', { createdAt: NOW - 80 * MINUTE }),
    container('c-gone', 'gone', { createdAt: NOW - 70 * MINUTE }),
    container('c-inuse', 'gone', { createdAt: NOW - 65 * MINUTE }),
    container('c-notrun', 'gone', { createdAt: NOW - 62 * MINUTE }),
    container('c-young', 'gone', { createdAt: NOW - MINUTE }),
    container('c-live', 'A'),
    container('c-kept', 'gone', { labels: { ...ownedBy('gone'), 'reaper.dev/keep': 'true' } }),
    container('c-foreign'),
  ];
  const plan = planReap(snapshot(resources), owners(['A']), reapOld, NO_GRACE, NOW);
  const r = report(plan, [
    { key: 'container:c-reaped', status: 'reaped', reason: '' },
    { key: 'container:c-failed', status: 'failed', reason: 'device or resource busy' },
    { key: 'container:c-gone', status: 'alreadyGone', reason: 'No such container' },
    { key: 'container:c-inuse', status: 'skipped', reason: 'owner live again at re-check' },
    { key: 'container:c-live', status: 'reaped', reason: 'an outcome for an item not selected is ignored' },
  ]);

  test('most important first: failed, reaped, skipped, pending; the rest are not listed', () => {
    expect(r.items.map((i) => [i.id, i.action])).toEqual([
      ['c-failed', 'Failed'],
      ['c-reaped', 'Reaped'],
      ['c-gone', 'Reaped'],
      ['c-inuse', 'Skipped'],
      ['c-notrun', 'Skipped'],
      ['c-young', 'Pending'],
    ]);
  });

  test('reasons say what happened', () => {
    const reason = (id: string) => r.items.find((i) => i.id === id)?.reason;
    expect(reason('c-failed')).toBe('device or resource busy');
    expect(reason('c-gone')).toMatch(/already removed by someone else$/);
    expect(reason('c-inuse')).toBe('owner live again at re-check');
    expect(reason('c-notrun')).toBe('not executed');
    expect(reason('c-young')).toMatch(/minAge/);
  });

  test('counts: protected is attributable but not orphaned, foreign is only scanned', () => {
    expect(r.counts.containers).toEqual({
      scanned: 9,
      attributable: 8,
      outOfScope: 0,
      orphaned: 6,
      pending: 1,
      reaped: 2,
      failed: 1,
      skipped: 2,
    });
    expect(r.outcome).toBe('PartiallyFailed');
    expect(r.items.find((i) => i.id === 'c-reaped')).toMatchObject({
      kind: 'containers',
      name: 'c-c-reaped',
      ownerKey: 'gone',
    });
  });
});

describe('out of scope in the report', () => {
  const sandbox = { 'reaper.dev/owner-uid': 'gone', 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' };
  const plan = planReap(
    snapshot([
      container('c-reaped', 'gone'),
      container('c-pending', 'gone', { createdAt: NOW }),
      container('c-sandbox', undefined, { labels: sandbox }),
      container('c-unlabelled-kind', undefined, { labels: { 'reaper.dev/owner-uid': 'A' } }),
      container('c-live', 'A'),
      container('c-foreign'),
      network('n-sandbox', undefined, { labels: sandbox }),
    ]),
    owners(['A']),
    reapOld,
    NO_GRACE,
    NOW,
  );
  const r = report(plan, [{ key: 'container:c-reaped', status: 'reaped', reason: '' }]);

  test('counted as outOfScope, neither attributable nor orphaned; foreign is only scanned', () => {
    expect(r.counts.containers).toEqual({
      scanned: 6,
      attributable: 3,
      outOfScope: 2,
      orphaned: 2,
      pending: 1,
      reaped: 1,
      failed: 0,
      skipped: 0,
    });
    expect(r.counts.networks).toMatchObject({ scanned: 1, attributable: 0, outOfScope: 1, orphaned: 0 });
  });

  test('listed last as OutOfScope items, with the owner key and why', () => {
    expect(r.items.map((i) => [i.kind, i.id, i.action])).toEqual([
      ['containers', 'c-reaped', 'Reaped'],
      ['containers', 'c-pending', 'Pending'],
      ['containers', 'c-sandbox', 'OutOfScope'],
      ['containers', 'c-unlabelled-kind', 'OutOfScope'],
      ['networks', 'n-sandbox', 'OutOfScope'],
    ]);
    expect(r.items.find((i) => i.id === 'c-sandbox')).toEqual({
      kind: 'containers',
      name: 'c-c-sandbox',
      id: 'c-sandbox',
      ownerKey: 'gone',
      action: 'OutOfScope',
      reason: 'its owner is a Sandbox.reaper.dev, not a kind this policy sees (Topology.reaper.dev)',
    });
    expect(r.items.find((i) => i.id === 'c-unlabelled-kind')?.reason).toMatch(/^no reaper\.dev\/owner-kind label/);
    expect(r.outcome).toBe('Completed');
  });

  test('OutOfScope items are the first left out when the list is capped; the counts stay exact', () => {
    const outside = Array.from({ length: REPORT_ITEM_CAP }, (_, i) =>
      container(`s${i}`, undefined, { labels: sandbox }),
    );
    const big = planReap(snapshot([...outside, container('c1', 'gone')]), owners([]), reapNow, NO_GRACE, NOW);
    const capped = report(big, [{ key: 'container:c1', status: 'failed', reason: 'busy' }]);
    expect(capped.items[0]).toMatchObject({ id: 'c1', action: 'Failed' });
    expect(capped.items).toHaveLength(REPORT_ITEM_CAP);
    expect(capped.itemsOmitted).toBe(1);
    expect(capped.counts.containers).toMatchObject({ scanned: REPORT_ITEM_CAP + 1, outOfScope: REPORT_ITEM_CAP });
  });
});

test('a dry run lists what it would reap, counts it as skipped, and completes', () => {
  const plan = planReap(
    snapshot([container('c1', 'gone'), container('c2', 'A')]),
    owners(['A']),
    reapNow,
    NO_GRACE,
    NOW,
  );
  const r = buildReport({
    plan,
    outcomes: plan.selected.map((i) => ({ key: resourceKey(i.resource), status: 'wouldReap', reason: i.reason })),
    policy: 'default',
    mode: 'DryRun',
    node: 'node-1',
    sweepId: 's1',
    startedAt: NOW,
    finishedAt: NOW,
    liveOwnerCount: 1,
  });
  expect(r.items).toEqual([
    {
      kind: 'containers',
      name: 'c-c1',
      id: 'c1',
      ownerKey: 'gone',
      action: 'WouldReap',
      reason: plan.selected[0]!.reason,
    },
  ]);
  expect(r.counts.containers).toMatchObject({ orphaned: 1, reaped: 0, skipped: 1 });
  expect(r.outcome).toBe('Completed');
  expect(r.mode).toBe('DryRun');
});

test('errors: the plan’s fail-closed reasons first, then the rest, capped with an exact count', () => {
  const plan = planReap(snapshot([], { complete: false, errors: ['docker: EOF'] }), owners([]), reapNow, NO_GRACE, NOW);
  const errors = Array.from({ length: REPORT_ERROR_CAP + 7 }, (_, i) => `e${i}`);
  const r = buildReport({ ...reportInput(plan), errors });
  expect(r.errors).toHaveLength(REPORT_ERROR_CAP);
  expect(r.errors[0]).toBe('runtime not fully listed: docker: EOF');
  expect(r.errors[1]).toBe('e0');
  expect(r.errorsOmitted).toBe(8);
});

test('long names, reasons and errors are cut so the status stays small', () => {
  const longName = 'n'.repeat(5000);
  const plan = planReap(snapshot([container('c1', 'gone', { name: longName })]), owners([]), reapNow, NO_GRACE, NOW);
  const r = buildReport({
    ...reportInput(plan),
    outcomes: [{ key: 'container:c1', status: 'failed', reason: 'x'.repeat(10_000) }],
    errors: ['y'.repeat(10_000)],
  });
  expect(r.items[0]!.name).toHaveLength(REPORT_TEXT_CAP);
  expect(r.items[0]!.name.endsWith('…')).toBe(true);
  expect(r.items[0]!.reason).toHaveLength(REPORT_TEXT_CAP);
  expect(r.errors[0]).toHaveLength(REPORT_TEXT_CAP);
});

test('capText never splits a surrogate pair', () => {
  const text = `${'a'.repeat(REPORT_TEXT_CAP - 2)}😀${'b'.repeat(10)}`;
  const cut = capText(text);
  expect(cut.length).toBeLessThanOrEqual(REPORT_TEXT_CAP);
  expect(cut).toBe(`${'a'.repeat(REPORT_TEXT_CAP - 2)}…`);
  expect(capText('short')).toBe('short');
});

test('the item cap keeps the counts exact, for any plan and any outcomes', () => {
  const statuses = ['reaped', 'alreadyGone', 'failed', 'skipped', 'wouldReap', undefined] as const;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 150 }),
      fc.integer({ min: 0, max: 40 }),
      fc.array(fc.constantFrom(...statuses), { minLength: 150, maxLength: 150 }),
      fc.integer({ min: 0, max: 60 }),
      (orphans, pending, outcomeOf, errorCount) => {
        const resources = [
          ...Array.from({ length: orphans }, (_, i) => container(`o${i}`, 'gone')),
          ...Array.from({ length: pending }, (_, i) => network(`p${i}`, 'gone', { createdAt: NOW })),
          container('live', 'A'),
          container('foreign'),
        ];
        const plan = planReap(snapshot(resources), owners(['A']), reapOld, NO_GRACE, NOW);
        expect(plan.items.filter((i) => i.decision === 'tooYoung')).toHaveLength(pending);
        const outcomes = plan.selected.flatMap((item, i) => {
          const status = outcomeOf[i];
          return status === undefined ? [] : [{ key: resourceKey(item.resource), status, reason: status }];
        });
        const r = buildReport({ ...reportInput(plan), outcomes, errors: Array.from({ length: errorCount }, String) });
        const all = Object.values(r.counts);
        const sum = (f: (c: (typeof all)[number]) => number) => all.reduce((n, c) => n + f(c), 0);
        expect(sum((c) => c.scanned)).toBe(resources.length);
        expect(sum((c) => c.orphaned)).toBe(orphans + pending);
        expect(sum((c) => c.reaped + c.failed + c.skipped + c.pending)).toBe(orphans + pending);
        expect(r.items.length + r.itemsOmitted).toBe(orphans + pending);
        expect(r.items.length).toBeLessThanOrEqual(REPORT_ITEM_CAP);
        expect(r.errors.length + r.errorsOmitted).toBe(errorCount);
        expect(r.errors.length).toBeLessThanOrEqual(REPORT_ERROR_CAP);
        expect(sum((c) => c.failed)).toBe(outcomes.filter((o) => o.status === 'failed').length);
      },
    ),
    { numRuns: 50 },
  );
});
