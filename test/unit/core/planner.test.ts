import type { Decision, GraceState, RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { Policy } from '../../../src/core/policy.js';
import { planReap } from '../../../src/core/planner.js';
import { MINUTE, NOW, container, lease, nameRule, network, owners, policy, snapshot, volume } from './fixtures.js';

interface Case {
  name: string;
  resources: RuntimeResource[];
  live?: string[];
  policy?: Policy;
  grace?: GraceState;
  self?: string;
  expect: Record<string, Decision>;
  reason?: RegExp;
}

const noGrace = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } });
// Enough live, attributable resources that one orphan stays under maxOrphanPercent.
const liveCrowd = [container('l1', 'A'), container('l2', 'A'), container('l3', 'A')];

const cases: Case[] = [
  { name: 'unlabelled container is foreign', resources: [container('x')], expect: { 'container:x': 'foreign' } },
  {
    name: 'owner live',
    resources: [container('c1', 'A')],
    live: ['A'],
    expect: { 'container:c1': 'ownerLive' },
    reason: /owner A is live/,
  },
  {
    name: 'orphan older than minAge, past grace: selected',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 2 * MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'first sight of an orphan starts its grace period',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    expect: { 'container:c1': 'inGrace' },
    reason: /orphaned for 0ms of gracePeriod 1m0s/,
  },
  {
    name: 'grace one millisecond short',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - MINUTE + 1 },
    expect: { 'container:c1': 'inGrace' },
  },
  {
    name: 'grace exactly elapsed',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'younger than minAge',
    resources: [container('c1', 'gone', { createdAt: NOW - 5 * MINUTE + 1 }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'tooYoung' },
  },
  {
    name: 'exactly minAge old',
    resources: [container('c1', 'gone', { createdAt: NOW - 5 * MINUTE }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'keep label protects',
    resources: [container('c1', 'gone', { labels: { 'reaper.dev/owner-uid': 'gone', 'reaper.dev/keep': 'true' } })],
    policy: noGrace,
    expect: { 'container:c1': 'protected' },
  },
  {
    name: "Docker's predefined networks are protected even when labelled",
    resources: [network('n1', 'gone', { name: 'bridge' }), network('n2', 'gone', { name: 'host' })],
    policy: noGrace,
    expect: { 'network:n1': 'protected', 'network:n2': 'protected' },
  },
  {
    name: "reaper's own container is protected by id prefix",
    resources: [container('0123456789abcdef', 'gone')],
    self: '0123456789ab',
    policy: noGrace,
    expect: { 'container:0123456789abcdef': 'protected' },
  },
  {
    name: 'a disabled kind is protected',
    resources: [volume('v1', 'gone')],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      resources: { ...noGrace.resources, volumes: { enabled: false } },
    }),
    expect: { 'volume:v1': 'protected' },
  },
  {
    name: 'empty owner label is foreign',
    resources: [container('c1', '')],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'a 10 KB owner label is foreign',
    resources: [container('c1', 'x'.repeat(10_240))],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'an owner label with a newline is foreign',
    resources: [container('c1', 'abc\ndef')],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'runtime not fully listed: fail closed',
    resources: [container('c1', 'gone'), container('x')],
    policy: noGrace,
    expect: { 'container:c1': 'failedClosed', 'container:x': 'foreign' },
  },
  {
    name: 'lease inherits its live container owner',
    resources: [container('c1', 'A'), lease('10.0.0.2', 'c1')],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'ownerLive' },
  },
  {
    name: 'lease of an orphaned container goes with it',
    resources: [container('c1', 'gone'), lease('10.0.0.2', 'c1'), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'selected', 'ipLease:labnet/10.0.0.2': 'selected' },
  },
  {
    name: 'lease of a foreign container is foreign',
    resources: [container('f1'), lease('10.0.0.2', 'f1')],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'foreign' },
  },
  {
    name: 'dangling lease in a managed network is an orphan',
    resources: [lease('10.0.0.9', 'nosuchcontainer'), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.9': 'selected' },
    reason: /container is gone/,
  },
  {
    name: 'dangling lease in an unmanaged network is foreign',
    resources: [lease('10.0.0.9', 'nosuchcontainer', 'othernet')],
    policy: noGrace,
    expect: { 'ipLease:othernet/10.0.0.9': 'foreign' },
  },
  {
    name: 'name rule with an 8-character key prefix: live',
    resources: [container('c1', undefined, { name: 'lab_t_deadbeef_r1' })],
    live: ['deadbeef-1111-2222-3333-444455556666'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: { 'container:c1': 'ownerLive' },
  },
  {
    name: 'name rule with an 8-character key prefix: orphan',
    resources: [
      container('c1', undefined, { name: 'lab_t_deadbeef_r1' }),
      container('c2', undefined, { name: 'lab_t_0badf00d_r1' }),
      container('c3', undefined, { name: 'lab_t_0badf00d_r2' }),
    ],
    live: ['0badf00d-1111-2222-3333-444455556666'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: { 'container:c1': 'selected', 'container:c2': 'ownerLive' },
  },
  {
    name: 'a name the rule does not match is foreign',
    resources: [container('c1', undefined, { name: 'lab_x_deadbeef_r1' })],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] }),
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'too many orphans block the sweep',
    resources: [container('c1', 'gone'), container('c2', 'gone'), container('c3', 'A')],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'blocked', 'container:c2': 'blocked', 'container:c3': 'ownerLive' },
    reason: /2 of 3 attributable unprotected resources are orphans \(66\.7% > maxOrphanPercent 50\)/,
  },
  {
    name: 'the count limit takes the oldest first',
    resources: [
      container('new', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('old', 'gone', { createdAt: NOW - 30 * MINUTE }),
      container('mid', 'gone', { createdAt: NOW - 20 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      limits: { maxDeletionsPerSweep: 2, maxOrphanPercent: 100 },
    }),
    expect: { 'container:old': 'selected', 'container:mid': 'selected', 'container:new': 'overLimit' },
  },
];

describe('planReap decisions', () => {
  test.each(cases)('$name', (c) => {
    const incomplete = c.name.startsWith('runtime not fully listed');
    const plan = planReap(
      snapshot(c.resources, incomplete ? { complete: false, errors: ['docker: connection refused'] } : {}),
      owners(c.live ?? []),
      c.policy ?? policy(),
      c.grace ?? {},
      NOW,
      c.self ? { selfContainerId: c.self } : {},
    );
    const decisions = Object.fromEntries(plan.items.map((i) => [resourceKey(i.resource), i.decision]));
    expect(decisions).toMatchObject(c.expect);
    if (c.reason) {
      const first = Object.keys(c.expect)[0]!;
      expect(plan.items.find((i) => resourceKey(i.resource) === first)?.reason).toMatch(c.reason);
    }
    expect(plan.selected.every((i) => i.decision === 'selected')).toBe(true);
  });
});

describe('planReap as a whole', () => {
  test('owners not synced: nothing selected, grace state kept as it was', () => {
    const grace = { 'container:c1': NOW - 10 * MINUTE };
    const plan = planReap(
      snapshot([container('c1', 'gone')]),
      owners([], { synced: false, errors: ['Topology watch failed'] }),
      policy(),
      grace,
      NOW,
    );
    expect(plan.selected).toEqual([]);
    expect(plan.failedClosed).toEqual(['owners not fully visible: Topology watch failed']);
    expect(plan.graceState).toEqual(grace);
  });

  test('grace is forgotten when the owner returns, and restarts from zero if it goes again', () => {
    const resources = [container('c1', 'A'), ...liveCrowd];
    const first = planReap(snapshot(resources), owners(['B']), policy(), {}, NOW);
    expect(first.graceState['container:c1']).toBe(NOW);
    const back = planReap(snapshot(resources), owners(['A']), policy(), first.graceState, NOW + MINUTE);
    expect(back.graceState).toEqual({});
    const goneAgain = planReap(snapshot(resources), owners(['B']), policy(), back.graceState, NOW + 2 * MINUTE);
    expect(goneAgain.graceState['container:c1']).toBe(NOW + 2 * MINUTE);
  });

  test('grace entries of resources no longer present are dropped', () => {
    const plan = planReap(snapshot([]), owners([]), policy(), { 'container:vanished': NOW - MINUTE }, NOW);
    expect(plan.graceState).toEqual({});
  });

  test('execution order: containers, leases, networks, volumes; oldest first within a kind', () => {
    const resources = [
      volume('v1', 'gone'),
      network('n1', 'gone'),
      lease('10.0.0.5', 'c2'),
      container('c2', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('c1', 'gone', { createdAt: NOW - 20 * MINUTE }),
      ...liveCrowd,
      network('live-n', 'A'),
      volume('live-v', 'A'),
    ];
    const plan = planReap(
      snapshot(resources),
      owners(['A']),
      policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
      {},
      NOW,
    );
    expect(plan.selected.map((i) => resourceKey(i.resource))).toEqual([
      'container:c1',
      'container:c2',
      'ipLease:labnet/10.0.0.5',
      'network:n1',
      'volume:v1',
    ]);
  });

  test('an approval releases exactly the blocked set, and a different set needs a new approval', () => {
    const resources = [container('c1', 'gone'), container('c2', 'gone'), container('c3', 'A')];
    const base = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } });
    const blocked = planReap(snapshot(resources), owners(['A']), base, {}, NOW);
    expect(blocked.blocked?.approvalId).toMatch(/^b-[0-9a-f]{12}$/);

    const approved = { ...base, approvedSweep: blocked.blocked!.approvalId };
    const released = planReap(snapshot(resources), owners(['A']), approved, {}, NOW);
    expect(released.blocked).toBeUndefined();
    expect(released.selected.map((i) => i.resource.id)).toEqual(['c1', 'c2']);

    const more = [...resources, container('c4', 'gone')];
    expect(planReap(snapshot(more), owners(['A']), approved, {}, NOW).blocked).toBeDefined();
  });
});
