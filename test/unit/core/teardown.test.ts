import { NO_GRACE } from '../../../src/core/grace.js';
import type { LiveOwners, RuntimeResource, RuntimeSnapshot } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import { planReap } from '../../../src/core/planner.js';
import type { Policy } from '../../../src/core/policy.js';
import { ownersBesides, snapshotOfOwner, teardownPolicy } from '../../../src/core/teardown.js';
import {
  NOW,
  container,
  lease,
  nameRule,
  network,
  owners,
  ownedBy,
  policy,
  snapshot,
  volume,
} from '../../support/builders.js';

/** The teardown of `ownerKey` as the owner controller plans it: scoped snapshot, every other owner live. */
function tearDown(host: RuntimeSnapshot, live: LiveOwners, p: Policy, ownerKey: string): string[] {
  const scoped = snapshotOfOwner(host, p, ownerKey);
  const plan = planReap(scoped, ownersBesides(live, ownerKey), teardownPolicy(p), NO_GRACE, NOW);
  return plan.selected.map((item) => resourceKey(item.resource)).sort();
}

const keys = (s: RuntimeSnapshot) => s.resources.map(resourceKey).sort();
const justNow = { createdAt: NOW };

// K is being torn down. L is another live owner, G an owner already gone (its orphans are the
// periodic sweep's business, with its grace period and guard), F foreign, and a dangling lease.
const mixedHost = snapshot([
  container('k1', 'K', { ...justNow, state: 'running', networks: ['k-net'] }),
  container('k2', 'K', justNow),
  container('k-kept', 'K', { labels: { ...ownedBy('K'), 'reaper.dev/keep': 'true' } }),
  lease('10.0.0.1', 'k1', 'labnet', justNow),
  network('kn', 'K', { ...justNow, name: 'k-net', containerIds: ['k1'] }),
  volume('kv', 'K', justNow),
  container('l1', 'L'),
  lease('10.0.0.2', 'l1'),
  network('ln', 'L', { containerIds: ['l1'] }),
  volume('lv', 'L'),
  container('g1', 'G'),
  lease('10.0.0.3', 'g1'),
  network('gn', 'G'),
  container('f1'),
  lease('10.0.0.4', 'f1'),
  network('bridge-id', undefined, { name: 'bridge' }),
  volume('fv'),
  lease('10.0.0.5', 'vanished'),
]);

describe('snapshotOfOwner', () => {
  test.each<[string, string, string[]]>([
    [
      'K: its containers (kept ones too, the plan protects them), their leases, its network and volume',
      'K',
      ['container:k-kept', 'container:k1', 'container:k2', 'ipLease:labnet/10.0.0.1', 'network:kn', 'volume:kv'],
    ],
    ['L: only its own', 'L', ['container:l1', 'ipLease:labnet/10.0.0.2', 'network:ln', 'volume:lv']],
    ['G: only its own', 'G', ['container:g1', 'ipLease:labnet/10.0.0.3', 'network:gn']],
    ['an owner with nothing on the host', 'nobody', []],
  ])('%s', (_name, ownerKey, expected) => {
    expect(keys(snapshotOfOwner(mixedHost, policy(), ownerKey))).toEqual(expected);
  });

  test('keeps the snapshot time, completeness and errors: a partial listing still fails the teardown closed', () => {
    const partial = snapshot([container('k1', 'K')], { complete: false, errors: ['listing volumes: timeout'] });
    const scoped = snapshotOfOwner(partial, policy(), 'K');
    expect(scoped).toMatchObject({ takenAt: NOW, complete: false, errors: ['listing volumes: timeout'] });
    const plan = planReap(scoped, ownersBesides(owners(['K']), 'K'), teardownPolicy(policy()), NO_GRACE, NOW);
    expect(plan.selected).toEqual([]);
    expect(plan.failedClosed).toEqual(['runtime not fully listed: listing volumes: timeout']);
  });

  test('a longer key, another case or the key in another label claims nothing', () => {
    const host = snapshot([
      container('a', 'K-1'),
      container('b', 'k'),
      container('c', undefined, { labels: { 'reaper.dev/owner-name': 'K' } }),
    ]);
    expect(keys(snapshotOfOwner(host, policy(), 'K'))).toEqual([]);
  });
});

describe('teardownPolicy', () => {
  test('no minimum age, no grace period, no share or count limit; the rest as the policy says', () => {
    const p = policy({ mode: 'DryRun', teardown: 'Finalizer', limits: { concurrency: 3 } });
    const t = teardownPolicy(p);
    expect(t.timing).toEqual({ ...p.timing, minAgeMs: 0, gracePeriodMs: 0 });
    expect(t.limits).toEqual({
      ...p.limits,
      concurrency: 3,
      maxOrphanPercent: 100,
      maxDeletionsPerSweep: Number.MAX_SAFE_INTEGER,
    });
    expect({ ...t, timing: p.timing, limits: p.limits }).toEqual(p);
    expect(p.timing.minAgeMs).toBe(5 * 60_000);
  });
});

describe('ownersBesides', () => {
  test('drops only the one key and keeps whether the owners were seen', () => {
    const live = owners(['K', 'L'], { synced: false, errors: ['Topology is not synced'] });
    const besides = ownersBesides(live, 'K');
    expect([...besides.keys]).toEqual(['L']);
    expect(besides).toMatchObject({ synced: false, errors: ['Topology is not synced'] });
    expect([...live.keys]).toEqual(['K', 'L']);
  });
});

describe('a teardown selects the one owner’s resources and nothing else', () => {
  const live = owners(['K', 'L']);

  test('K: everything of its own at once, however young, but what is kept or protected', () => {
    expect(tearDown(mixedHost, live, policy(), 'K')).toEqual([
      'container:k1',
      'container:k2',
      'ipLease:labnet/10.0.0.1',
      'network:kn',
      'volume:kv',
    ]);
  });

  test('never another owner’s, live or gone, never a foreign resource or a dangling lease', () => {
    for (const ownerKey of ['K', 'L']) {
      const selected = tearDown(mixedHost, live, policy(), ownerKey);
      const ownersOfSelected = selected.map((key) => ownerOf(mixedHost.resources, key));
      expect(new Set(ownersOfSelected)).toEqual(new Set(selected.length > 0 ? [ownerKey] : []));
    }
  });

  test('the guard of the periodic sweep does not hold a teardown: all of a big owner goes', () => {
    const big = snapshot([
      ...Array.from({ length: 600 }, (_, i) => container(`k${i}`, 'K', justNow)),
      container('l1', 'L'),
    ]);
    const selected = tearDown(big, live, policy(), 'K');
    expect(selected).toHaveLength(600);
    expect(selected.every((key) => key.startsWith('container:k'))).toBe(true);
  });

  test('owners not visible: the teardown selects nothing', () => {
    const blind = owners(['K', 'L'], { synced: false, errors: ['Topology is not synced'] });
    expect(tearDown(mixedHost, blind, policy(), 'K')).toEqual([]);
  });

  test('disabled kinds stay even in a teardown', () => {
    const p = policy({
      resources: { ...policy().resources, volumes: { enabled: false }, networks: { enabled: false } },
    });
    expect(tearDown(mixedHost, live, p, 'K')).toEqual(['container:k1', 'container:k2', 'ipLease:labnet/10.0.0.1']);
  });

  describe('name rules compared by a key prefix', () => {
    const byName = policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] });
    const uid = (prefix: string, rest: string) => `${prefix}-${rest}-4000-8000-000000000000`;
    const K = uid('abcdef12', '0001');
    const named = (id: string, name: string) => container(id, undefined, { name, ...justNow });
    const host = snapshot([
      named('k1', 'lab_t_abcdef12_r1'),
      named('k2', 'lab_t_abcdef12_r2'),
      named('o1', 'lab_t_99999999_r1'),
      named('f1', 'lab_abcdef12_r1'),
      lease('10.0.1.1', 'k1'),
    ]);

    test("the owner's names are selected, with their leases", () => {
      const selected = tearDown(host, owners([K, uid('99999999', '0002')]), byName, K);
      expect(selected).toEqual(['container:k1', 'container:k2', 'ipLease:labnet/10.0.1.1']);
    });

    test('another live owner with the same prefix keeps them: when in doubt, an owner is live', () => {
      const twin = uid('abcdef12', '0003');
      expect(keys(snapshotOfOwner(host, byName, K))).toEqual([
        'container:k1',
        'container:k2',
        'ipLease:labnet/10.0.1.1',
      ]);
      expect(tearDown(host, owners([K, twin]), byName, K)).toEqual([]);
    });
  });
});

function ownerOf(resources: readonly RuntimeResource[], key: string): string | undefined {
  const resource = resources.find((r) => resourceKey(r) === key)!;
  if (resource.kind !== 'ipLease') return resource.labels['reaper.dev/owner-uid'];
  const holder = resources.find((r) => r.kind === 'container' && r.id === resource.containerId);
  return holder?.labels['reaper.dev/owner-uid'];
}
