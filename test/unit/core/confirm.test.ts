import { candidatesOf, confirmOrphans } from '../../../src/core/confirm.js';
import { graceStateFromRecord } from '../../../src/core/grace.js';
import { resourceKey } from '../../../src/core/model.js';
import { planReap } from '../../../src/core/planner.js';
import { MINUTE, NOW, container, lease, network, owners, policy, snapshot, volume } from '../../support/builders.js';

const p = policy({ limits: { maxOrphanPercent: 100 } });
const resources = [container('c1', 'X'), lease('10.0.0.2', 'c1'), container('c2', 'Y'), volume('v1', 'X')];
const grace = graceStateFromRecord(Object.fromEntries(resources.map((r) => [resourceKey(r), NOW - 10 * MINUTE])));
const plan = planReap(snapshot(resources), owners([]), p, grace, NOW);
const ids = (items: readonly { resource: { id: string } }[]) => items.map((i) => i.resource.id);

test('the plan selects all four', () => {
  expect(ids(plan.selected)).toEqual(['c1', 'c2', 'labnet/10.0.0.2', 'v1']);
});

test('owners still gone on the fresh read: everything is confirmed', () => {
  const { confirmed, dropped } = confirmOrphans(plan, snapshot(resources), owners([]), p, NOW + 1000);
  expect(ids(confirmed)).toEqual(ids(plan.selected));
  expect(dropped).toEqual([]);
});

test('an owner that came back keeps its resources, the lease of its container included', () => {
  const { confirmed, dropped } = confirmOrphans(plan, snapshot(resources), owners(['X']), p, NOW + 1000);
  expect(ids(confirmed)).toEqual(['c2']);
  expect(dropped.map((d) => [d.item.resource.id, d.reason])).toEqual([
    ['c1', 're-check: owner X is live'],
    ['labnet/10.0.0.2', 're-check: owner X is live'],
    ['v1', 're-check: owner X is live'],
  ]);
});

test('a fresh read that fails confirms nothing', () => {
  const { confirmed, dropped } = confirmOrphans(
    plan,
    snapshot(resources),
    owners([], { synced: false, errors: ['apiserver timeout'] }),
    p,
    NOW + 1000,
  );
  expect(confirmed).toEqual([]);
  expect(dropped).toHaveLength(4);
  expect(dropped[0]!.reason).toBe('could not confirm the owner is gone: owners not fully visible: apiserver timeout');
});

test('only what the plan selected is confirmed: the guards are not undone', () => {
  const limited = planReap(
    snapshot(resources),
    owners([]),
    policy({ limits: { maxOrphanPercent: 100, maxDeletionsPerSweep: 1 } }),
    grace,
    NOW,
  );
  expect(ids(limited.selected)).toEqual(['c1']);
  const { confirmed } = confirmOrphans(limited, snapshot(resources), owners([]), p, NOW + 1000);
  expect(ids(confirmed)).toEqual(['c1']);
});

test('nothing selected: nothing to confirm', () => {
  const none = planReap(snapshot(resources), owners(['X', 'Y']), p, grace, NOW);
  expect(confirmOrphans(none, snapshot(resources), owners([]), p, NOW)).toEqual({ confirmed: [], dropped: [] });
});

describe('the re-check plans only the candidates and the containers their leases name', () => {
  const host = [
    ...resources,
    container('c3', 'Z', { state: 'running' }),
    lease('10.0.0.3', 'c2'),
    network('n1', 'X'),
    lease('10.0.0.9', 'gone-container'),
  ];
  const hostGrace = graceStateFromRecord(Object.fromEntries(host.map((r) => [resourceKey(r), NOW - 10 * MINUTE])));

  test('what it plans over', () => {
    const whole = planReap(snapshot(host), owners(['Z']), p, hostGrace, NOW);
    // c2 narrowed out of the run (as a reviewed plan may be): its lease stays a candidate.
    const selected = whole.selected.filter((item) => item.resource.id !== 'c2');
    const part = candidatesOf(selected, snapshot(host));
    expect(part.resources.map((r) => r.id).sort()).toEqual(
      ['c1', 'c2', 'labnet/10.0.0.2', 'labnet/10.0.0.3', 'labnet/10.0.0.9', 'n1', 'v1'].sort(),
    );
    expect(part.complete).toBe(true);
  });

  test.each([
    ['every owner still gone', [] as string[]],
    ['X back', ['X']],
    ['Y back', ['Y']],
    ['X and Y back', ['X', 'Y']],
  ])('the same decisions as planning the whole snapshot: %s', (_, live) => {
    const whole = planReap(snapshot(host), owners(['Z']), p, hostGrace, NOW);
    const decisions = (selected: typeof whole.selected) => {
      const narrowed = { ...whole, selected };
      const fresh = owners(['Z', ...live]);
      const ours = confirmOrphans(narrowed, snapshot(host), fresh, p, NOW + 1000);
      // What the whole snapshot, planned again without the guards, says of each candidate.
      const again = planReap(
        snapshot(host),
        fresh,
        { ...p, timing: { ...p.timing, gracePeriodMs: 0 } },
        whole.graceState,
        NOW + 1000,
      );
      const expected = selected.map((item): [string, string] => {
        const decided = again.items.find((i) => resourceKey(i.resource) === resourceKey(item.resource))!;
        return [item.resource.id, decided.decision === 'selected' ? 'confirmed' : `re-check: ${decided.reason}`];
      });
      const got = [
        ...ours.confirmed.map((item): [string, string] => [item.resource.id, 'confirmed']),
        ...ours.dropped.map(({ item, reason }): [string, string] => [item.resource.id, reason]),
      ];
      expect(new Map(got)).toEqual(new Map(expected));
    };
    decisions(whole.selected);
    decisions(whole.selected.filter((item) => item.resource.id !== 'c2'));
  });
});
