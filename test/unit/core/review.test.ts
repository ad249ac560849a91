import type { RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { ReviewedItem } from '../../../src/core/review.js';
import { planFromReview } from '../../../src/core/review.js';
import { MINUTE, NOW, container, lease, network, snapshot } from '../../support/builders.js';

const REASON = 'owner key A not live for 5m';

const reviewed = (resource: RuntimeResource, ownerKey?: string): ReviewedItem => ({
  resource,
  reason: REASON,
  ...(ownerKey !== undefined ? { ownerKey } : {}),
});

describe('planFromReview: a reviewed item goes ahead only as it was reviewed', () => {
  test.each<[string, RuntimeResource, RuntimeResource | undefined, string | undefined]>([
    ['unchanged', container('c1', 'A'), container('c1', 'A'), undefined],
    [
      'unchanged, labels listed in another order',
      container('c1', undefined, { labels: { a: '1', b: '2' } }),
      container('c1', undefined, { labels: { b: '2', a: '1' } }),
      undefined,
    ],
    ['gone', container('c1', 'A'), undefined, 'changed since the plan: no longer present'],
    [
      'renamed',
      container('c1', 'A'),
      container('c1', 'A', { name: 'other' }),
      'changed since the plan: name is now other',
    ],
    [
      'recreated under the same id',
      network('n1', 'A'),
      network('n1', 'A', { createdAt: NOW - MINUTE }),
      'changed since the plan: recreated',
    ],
    ['relabelled', container('c1', 'A'), container('c1', 'B'), 'changed since the plan: labels changed'],
    [
      'a lease handed to another container',
      lease('10.0.0.2', 'c1'),
      lease('10.0.0.2', 'c2'),
      'changed since the plan: leased to another container',
    ],
  ])('%s', (_name, before, now, skipReason) => {
    const plan = planFromReview(snapshot(now ? [now] : []), [reviewed(before, 'A')]);
    expect(plan.failedClosed).toEqual([]);
    // Every reviewed item is in the plan, as it stands now when it is still there.
    expect(plan.items).toEqual([{ resource: now ?? before, decision: 'selected', reason: REASON, ownerKey: 'A' }]);
    if (skipReason === undefined) {
      expect(plan.selected).toEqual(plan.items);
      expect(plan.skipped).toEqual([]);
    } else {
      expect(plan.selected).toEqual([]);
      expect(plan.skipped).toEqual([{ key: resourceKey(before), status: 'skipped', reason: skipReason }]);
    }
  });
});

test('only the reviewed items are planned: anything else in the snapshot is left alone', () => {
  const plan = planFromReview(snapshot([container('c1', 'A'), container('c2', 'B')]), [reviewed(container('c1', 'A'))]);
  expect(plan.items.map((i) => i.resource.id)).toEqual(['c1']);
  expect(plan.selected.map((i) => i.resource.id)).toEqual(['c1']);
  expect(plan.items[0]).not.toHaveProperty('ownerKey');
});

test('an incomplete listing fails closed: nothing is selected, and the plan says why', () => {
  const errors = ['listing volumes: cannot reach Docker'];
  const plan = planFromReview(snapshot([container('c1', 'A')], { complete: false, errors }), [
    reviewed(container('c1', 'A'), 'A'),
    reviewed(container('gone', 'A'), 'A'),
  ]);
  expect(plan.failedClosed).toEqual(errors);
  expect(plan.selected).toEqual([]);
  expect(plan.skipped).toEqual([]);
  expect(plan.items.map((i) => [i.resource.id, i.decision])).toEqual([
    ['c1', 'failedClosed'],
    ['gone', 'failedClosed'],
  ]);
});
