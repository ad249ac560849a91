import type { ResourceCounts } from '../../../src/status/owner-status.js';
import {
  FoundIndex,
  expectedResources,
  ownerResources,
  ownerSummaryStatus,
  summaryPart,
} from '../../../src/status/owner-status.js';
import type { RuntimeSnapshot } from '../../../src/core/model.js';
import type { Policy } from '../../../src/core/policy.js';
import { container, lease, nameRule, network, ownedBy, policy, snapshot, volume } from '../../support/builders.js';

const withLeases = policy();
const withoutLeases = policy({
  resources: { ...policy().resources, ipLeases: { ...policy().resources.ipLeases, enabled: false } },
});

const counts = (c: Partial<ResourceCounts> = {}): ResourceCounts => ({
  containers: 0,
  networks: 0,
  volumes: 0,
  ipLeases: 0,
  ...c,
});

describe('expectedResources', () => {
  const lab = {
    networks: [{ name: 'mgmt' }, { name: 'data', subnet: '10.9.0.0/24' }],
    nodes: [
      { name: 'r1', image: 'x', networks: ['mgmt', 'data'] },
      { name: 'r2', image: 'x', networks: ['mgmt'] },
      { name: 'r3', image: 'x' },
    ],
  };
  test.each<[string, string, unknown, Pick<Policy, 'resources'>, Partial<ResourceCounts>]>([
    [
      'a Topology: a container per node, its networks, a lease per attachment',
      'Topology',
      lab,
      withLeases,
      { containers: 3, networks: 2, ipLeases: 3 },
    ],
    ['leases not managed: no lease expectation', 'Topology', lab, withoutLeases, { containers: 3, networks: 2 }],
    ['an empty Topology', 'Topology', {}, withLeases, { containers: 0, networks: 0, ipLeases: 0 }],
    ['a Topology without spec', 'Topology', undefined, withLeases, { containers: 0, networks: 0, ipLeases: 0 }],
    [
      'a Topology with junk where lists belong',
      'Topology',
      { nodes: [null, { name: 'a', networks: 'mgmt' }], networks: 'mgmt' },
      withLeases,
      { containers: 2, networks: 0, ipLeases: 0 },
    ],
    [
      'a Sandbox on a network',
      'Sandbox',
      { image: 'x', network: 'labnet' },
      withLeases,
      { containers: 1, networks: 1, ipLeases: 1 },
    ],
    ['a Sandbox without a network', 'Sandbox', { image: 'x' }, withLeases, { containers: 1, networks: 0, ipLeases: 0 }],
    [
      'a Sandbox with an empty network name',
      'Sandbox',
      { image: 'x', network: '' },
      withoutLeases,
      { containers: 1, networks: 0 },
    ],
    ['a kind reaper does not define: nothing expected', 'Lab', lab, withLeases, {}],
  ])('%s', (_name, kind, spec, p, expected) => {
    expect(expectedResources(kind, spec, p)).toEqual(expected);
  });
});

describe('FoundIndex', () => {
  const host: RuntimeSnapshot = snapshot([
    container('a1', 'A', { state: 'running' }),
    container('a2', 'A'),
    container('a-kept', undefined, { labels: { ...ownedBy('A'), 'reaper.dev/keep': 'true' } }),
    lease('10.0.0.1', 'a1'),
    lease('10.0.0.2', 'a2', 'othernet'),
    network('an', 'A'),
    volume('av', 'A'),
    container('b1', 'B'),
    lease('10.0.0.3', 'b1'),
    container('f1'),
    lease('10.0.0.4', 'f1'),
    lease('10.0.0.5', 'vanished'),
    network('bridge', undefined, { name: 'bridge' }),
  ]);

  test.each<[string, string, ResourceCounts]>([
    // Found is what reaper attributes to the owner, kept or not: leases through their container, in any network.
    ['A: every kind it claims', 'A', counts({ containers: 3, networks: 1, volumes: 1, ipLeases: 2 })],
    ['B: only its own', 'B', counts({ containers: 1, ipLeases: 1 })],
    ['an owner with nothing', 'C', counts()],
    ['a key that only starts like one', 'A-2', counts()],
  ])('%s', (_name, ownerKey, expected) => {
    expect(new FoundIndex(host, policy()).found(ownerKey)).toEqual(expected);
  });

  test('foreign resources and dangling leases are nobody’s', () => {
    const index = new FoundIndex(host, policy());
    const total = ['A', 'B'].map((k) => index.found(k)).reduce((sum, c) => sum + c.containers + c.ipLeases, 0);
    expect(total).toBe(4 + 3); // 4 containers, 3 leases of them; not f1, its lease or the dangling one
  });

  test('a name rule compares the first characters of the owner key', () => {
    const byName = policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] });
    const named = snapshot([
      container('k1', undefined, { name: 'lab_t_abcdef12_r1' }),
      container('k2', undefined, { name: 'lab_t_abcdef12_r2' }),
      network('kn', undefined, { name: 'lab_t_abcdef12_mgmt' }),
      lease('10.0.0.1', 'k1'),
      container('o1', undefined, { name: 'lab_t_99999999_r1' }),
      container('x1', undefined, { name: 'lab_abcdef12_r1' }),
    ]);
    const index = new FoundIndex(named, byName);
    expect(index.found('abcdef12-0000-4000-8000-000000000000')).toEqual(
      counts({ containers: 2, networks: 1, ipLeases: 1 }),
    );
    expect(index.found('99999999-0000-4000-8000-000000000000')).toEqual(counts({ containers: 1 }));
    expect(index.found('abcdef13-0000-4000-8000-000000000000')).toEqual(counts());
  });

  test('label and name rules together: each resource counts once, under the first rule that claims it', () => {
    const both = policy({
      match: [{ type: 'label', label: 'reaper.dev/owner-uid' }, nameRule('^lab_(?<key>[a-z]+)_', 1)],
    });
    const mixed = snapshot([
      container('c1', 'abc', { name: 'lab_abc_r1' }),
      container('c2', undefined, { name: 'lab_abc_r2' }),
      container('c3', undefined, { name: 'lab_axe_r3' }),
    ]);
    const index = new FoundIndex(mixed, both);
    // c1 by label; c2 and c3 by the name rule, whose keys are compared by their first character.
    expect(index.found('abc').containers).toBe(3);
    expect(index.found('xyz').containers).toBe(0);
  });

  test('what found returns is the caller’s: changing it changes nothing in the index', () => {
    const index = new FoundIndex(host, policy());
    index.found('B').containers = 99;
    expect(index.found('B').containers).toBe(1);
  });

  test('with thousands of owners in one index, every owner finds its own', () => {
    const many = snapshot(
      Array.from({ length: 5000 }, (_, i) => [
        container(`c${i}`, `o${i}`),
        lease(`10.1.${i >> 8}.${i & 255}`, `c${i}`),
      ]).flat(),
    );
    const index = new FoundIndex(many, policy());
    for (const i of [0, 1234, 4999]) expect(index.found(`o${i}`)).toEqual(counts({ containers: 1, ipLeases: 1 }));
  });
});

describe('FoundIndex.changesSince', () => {
  const before = snapshot([
    container('a1', 'A'),
    lease('10.0.0.1', 'a1'),
    container('b1', 'B'),
    network('cn', 'C'),
    container('d1', 'D'),
  ]);
  // A: a container more; B: its container replaced by another (same counts); C: gone; D: the same;
  // E: new. The lease of a1 moves to a2, so A's lease count stays.
  const after = snapshot([
    container('a1', 'A'),
    container('a2', 'A'),
    lease('10.0.0.1', 'a2'),
    container('b2', 'B'),
    container('d1', 'D'),
    volume('ev', 'E'),
  ]);
  const changes = new FoundIndex(after, policy()).changesSince(new FoundIndex(before, policy()));

  test.each<[string, string, boolean]>([
    ['a key with more resources', 'A', true],
    ['a key whose resources were replaced one for one', 'B', false],
    ['a key whose resources are all gone', 'C', true],
    ['a key with the same resources', 'D', false],
    ['a key seen for the first time', 'E', true],
    ['a key in neither snapshot', 'F', false],
  ])('%s (owner %s)', (_name, key, touched) => {
    expect(changes.touches(key)).toBe(touched);
  });

  test('the same snapshot twice changes nothing', () => {
    const index = new FoundIndex(before, policy());
    expect(index.changesSince(new FoundIndex(before, policy())).empty).toBe(true);
  });

  test('a name rule with a key prefix touches every owner key starting with the changed prefix', () => {
    const byName = policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] });
    const one = snapshot([container('k1', undefined, { name: 'lab_t_abcdef12_r1' })]);
    const two = snapshot([
      container('k1', undefined, { name: 'lab_t_abcdef12_r1' }),
      container('k2', undefined, { name: 'lab_t_abcdef12_r2' }),
    ]);
    const prefixChanges = new FoundIndex(two, byName).changesSince(new FoundIndex(one, byName));
    expect(prefixChanges.touches('abcdef12-0000-4000-8000-000000000000')).toBe(true);
    expect(prefixChanges.touches('99999999-0000-4000-8000-000000000000')).toBe(false);
  });
});

describe('ownerResources', () => {
  test('expected where the spec says, found for every kind', () => {
    expect(
      ownerResources({ containers: 2, networks: 1, ipLeases: 2 }, counts({ containers: 2, volumes: 3, ipLeases: 1 })),
    ).toEqual({
      containers: { expected: 2, found: 2 },
      networks: { expected: 1, found: 0 },
      volumes: { found: 3 },
      ipLeases: { expected: 2, found: 1 },
    });
  });

  test('a zero expectation is kept, not dropped', () => {
    expect(ownerResources({ networks: 0 }, counts()).networks).toEqual({ expected: 0, found: 0 });
  });
});

describe('ownerSummaryStatus', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  const owner = { kind: 'Sandbox', spec: { network: 'lab' }, generation: 3 };
  const sweeping = [{ policy: policy({ name: 'a' }) }];

  test('Managed names every managing policy; a finalizer policy among them says so', () => {
    const both = [...sweeping, { policy: policy({ name: 'b', teardown: 'Finalizer' }) }];
    expect(ownerSummaryStatus(undefined, owner, sweeping, undefined, now).conditions).toEqual([
      expect.objectContaining({ type: 'Managed', reason: 'SweptWhenGone', message: 'managed by ReapPolicy a' }),
    ]);
    expect(ownerSummaryStatus(undefined, owner, both, undefined, now).conditions).toEqual([
      expect.objectContaining({ reason: 'TeardownByFinalizer', message: 'managed by ReapPolicy a, b' }),
    ]);
  });

  test('before any node counted, resources are left out; after, where they are is capped at ten nodes', () => {
    expect(ownerSummaryStatus(undefined, owner, sweeping, undefined, now)).not.toHaveProperty('resources');
    const byNode = Array.from({ length: 12 }, (_, i) => ({ node: `n${i}`, ...counts({ containers: 1 }) }));
    const status = ownerSummaryStatus(undefined, owner, sweeping, { total: counts({ containers: 12 }), byNode }, now);
    expect(status).toMatchObject({
      observedGeneration: 3,
      resources: { containers: { expected: 1, found: 12 }, networks: { expected: 1, found: 0 } },
      foundOnNodesOmitted: 2,
    });
    expect(status.foundOnNodes).toHaveLength(10);
  });

  test("what the agents write (TornDown, lastReap) is not the summary's to compare", () => {
    const written = ownerSummaryStatus(undefined, owner, sweeping, undefined, now);
    const stored = {
      ...written,
      conditions: [
        ...written.conditions!,
        { type: 'TornDown', status: 'True' as const, lastTransitionTime: 'x', reason: 'Reaped', message: 'm' },
      ],
    };
    expect(summaryPart(stored)).toEqual(written);
  });
});
