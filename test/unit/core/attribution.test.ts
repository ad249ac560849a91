import fc from 'fast-check';
import {
  Attributor,
  LiveKeyIndex,
  MAX_OWNER_KEY_LENGTH,
  attributeResources,
  claimOf,
  isWellFormedOwnerKey,
  ownerKeyFromObject,
  ownerKeyOf,
} from '../../../src/core/attribution.js';
import type { MatchRule, OwnerKeyRule, OwnerKind } from '../../../src/core/policy.js';
import { container, lease, nameRule, network, policy, volume } from '../../support/builders.js';

const labelRule: MatchRule = { type: 'label', label: 'reaper.dev/owner-uid' };
const labRule = nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8);
const keyedBy = (key: OwnerKeyRule): OwnerKind[] => [
  { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key },
];
/** Owners keyed by a field: every well-formed key is one an owner could have. */
const anyKey = keyedBy({ type: 'field', path: ['spec', 'labId'] });
const byUid = keyedBy({ type: 'uid' });
const byName = keyedBy({ type: 'name' });
const UID = '1b2c3d4e-0000-1111-2222-333344445555';

describe('isWellFormedOwnerKey', () => {
  test.each([
    ['a uid', '1b2c3d4e-0000-1111-2222-333344445555', true],
    ['namespace/name', 'labs/t1', true],
    ['one character', 'x', true],
    ['253 characters', 'k'.repeat(MAX_OWNER_KEY_LENGTH), true],
    ['empty', '', false],
    ['254 characters', 'k'.repeat(MAX_OWNER_KEY_LENGTH + 1), false],
    ['10 KB', 'k'.repeat(10_240), false],
    ['a newline', 'abc\ndef', false],
    ['a NUL', 'abc\u0000', false],
    ['a DEL', 'abc\u007f', false],
    ['a tab', '\tabc', false],
  ])('%s: %s', (_name, key, expected) => {
    expect(isWellFormedOwnerKey(key)).toBe(expected);
  });
});

describe('claimOf and ownerKeyOf', () => {
  test.each<{
    name: string;
    labels?: Record<string, string>;
    resourceName?: string;
    rules: MatchRule[];
    owners?: OwnerKind[];
    key?: string | undefined;
  }>([
    { name: 'label rule reads the label', labels: { 'reaper.dev/owner-uid': 'u1' }, rules: [labelRule], key: 'u1' },
    { name: 'no label: foreign', labels: { app: 'web' }, rules: [labelRule] },
    { name: 'empty label: foreign', labels: { 'reaper.dev/owner-uid': '' }, rules: [labelRule] },
    { name: 'a 10 KB label: foreign', labels: { 'reaper.dev/owner-uid': 'x'.repeat(10_240) }, rules: [labelRule] },
    {
      name: 'name rule extracts the key group',
      resourceName: 'lab_t_deadbeef_r1',
      rules: [labRule],
      key: 'deadbeef',
    },
    { name: 'name rule that does not match: foreign', resourceName: 'web-1', rules: [labRule] },
    {
      name: 'first rule that extracts wins',
      labels: { 'reaper.dev/owner-uid': 'u1' },
      resourceName: 'lab_t_deadbeef_r1',
      rules: [labRule, labelRule],
      key: 'deadbeef',
    },
    {
      name: 'a rule that does not match passes to the next',
      labels: { 'reaper.dev/owner-uid': 'u1' },
      resourceName: 'web-1',
      rules: [labRule, labelRule],
      key: 'u1',
    },
    {
      name: 'a malformed key attributes nothing; the next rule may',
      labels: { 'reaper.dev/owner-uid': 'bad\nkey' },
      resourceName: 'lab_t_deadbeef_r1',
      rules: [labelRule, labRule],
      key: 'deadbeef',
    },
    {
      name: 'an optional key group that did not take part: foreign',
      resourceName: 'lab_',
      rules: [nameRule('^lab_(?<key>[0-9]+)?')],
    },
    {
      name: 'names over 1024 characters are not matched',
      resourceName: `lab_t_deadbeef_${'x'.repeat(1024)}`,
      rules: [labRule],
    },
    {
      name: 'a label inherited from the prototype is not a label',
      labels: {},
      rules: [{ type: 'label', label: 'constructor' }],
    },
    // Keys no owner kind of the policy could have: foreign, not the key of an owner that is gone.
    { name: 'uid owners: a uid', labels: { 'reaper.dev/owner-uid': UID }, rules: [labelRule], owners: byUid, key: UID },
    {
      name: 'uid owners: a uid in capitals (the API server writes them lowercase)',
      labels: { 'reaper.dev/owner-uid': UID.toUpperCase() },
      rules: [labelRule],
      owners: byUid,
      key: undefined,
    },
    {
      name: 'uid owners: not-a-uid',
      labels: { 'reaper.dev/owner-uid': 'not-a-uid' },
      rules: [labelRule],
      owners: byUid,
    },
    { name: 'uid owners: a space', labels: { 'reaper.dev/owner-uid': ' ' }, rules: [labelRule], owners: byUid },
    {
      name: 'uid owners: a uid with a trailing space',
      labels: { 'reaper.dev/owner-uid': `${UID} ` },
      rules: [labelRule],
      owners: byUid,
    },
    {
      name: 'uid owners: namespace/name',
      labels: { 'reaper.dev/owner-uid': 'labs/t1' },
      rules: [labelRule],
      owners: byUid,
    },
    {
      name: 'uid owners: a key that is not a uid passes to the next rule',
      labels: { 'reaper.dev/owner-uid': 'not-a-uid' },
      resourceName: 'lab_t_deadbeef_r1',
      rules: [labelRule, labRule],
      owners: byUid,
      key: 'deadbeef',
    },
    {
      name: 'uid owners: a prefix rule takes the start of a uid',
      resourceName: 'lab_t_1b2c3d4e_r1',
      rules: [labRule],
      owners: byUid,
      key: '1b2c3d4e',
    },
    {
      name: 'uid owners: a prefix rule, a start no uid has',
      resourceName: 'lab_x_1b2c-3d4_r1',
      rules: [nameRule('^lab_x_(?<key>[^_]+)_', 8)],
      owners: byUid,
    },
    {
      name: 'name owners: namespace/name',
      labels: { 'reaper.dev/owner-uid': 'labs/t1' },
      rules: [labelRule],
      owners: byName,
      key: 'labs/t1',
    },
    {
      name: 'name owners: a name',
      labels: { 'reaper.dev/owner-uid': 't1' },
      rules: [labelRule],
      owners: byName,
      key: 't1',
    },
    {
      name: 'name owners: capitals',
      labels: { 'reaper.dev/owner-uid': 'Labs/T1' },
      rules: [labelRule],
      owners: byName,
    },
    { name: 'name owners: a space', labels: { 'reaper.dev/owner-uid': ' ' }, rules: [labelRule], owners: byName },
    {
      name: 'uid and name owners: either shape',
      labels: { 'reaper.dev/owner-uid': 'labs/t1' },
      rules: [labelRule],
      owners: [...byUid, { ...byName[0]!, kind: 'Sandbox' }],
      key: 'labs/t1',
    },
    {
      name: 'field owners: any well-formed key, a space too',
      labels: { 'reaper.dev/owner-uid': ' ' },
      rules: [labelRule],
      owners: [...byUid, { ...anyKey[0]!, kind: 'Sandbox' }],
      key: ' ',
    },
  ])('$name', ({ labels = {}, resourceName = 'plain', rules, owners = anyKey, key }) => {
    const resource = container('c1', undefined, { labels, name: resourceName });
    expect(claimOf(resource, { match: rules, owners })?.key).toBe(key);
    expect(ownerKeyOf(resource, { match: rules, owners })).toBe(key);
  });

  test('the claim carries the rule that made it', () => {
    const claim = claimOf(container('c1', undefined, { name: 'lab_t_deadbeef_r1' }), {
      match: [labelRule, labRule],
      owners: anyKey,
    });
    expect(claim).toEqual({ type: 'claim', key: 'deadbeef', rule: labRule });
  });
});

describe('attributeResources', () => {
  const p = policy();

  test('networks and volumes by their own labels, leases through their container', () => {
    const resources = [
      container('c1', 'A'),
      container('f1'),
      network('n1', 'B'),
      volume('v1'),
      lease('10.0.0.2', 'c1'),
      lease('10.0.0.3', 'f1'),
      lease('10.0.0.4', 'gone'),
      lease('10.0.0.5', 'gone', 'othernet'),
    ];
    const attributions = attributeResources(resources, p);
    expect(attributions).toEqual([
      { type: 'claim', key: 'A', rule: p.match[0] },
      undefined,
      { type: 'claim', key: 'B', rule: p.match[0] },
      undefined,
      { type: 'claim', key: 'A', rule: p.match[0] }, // inherits c1's owner
      undefined, // its container is foreign
      { type: 'dangling' }, // container gone, managed network
      undefined, // container gone, a network the policy does not manage
    ]);
  });

  test("a lease ignores its own labels: only its container's owner counts", () => {
    const attributions = attributeResources(
      [container('f1'), lease('10.0.0.3', 'f1', 'labnet', { labels: { 'reaper.dev/owner-uid': 'A' } })],
      p,
    );
    expect(attributions[1]).toBeUndefined();
  });

  test('a lease is found whichever comes first in the list', () => {
    const attributions = attributeResources([lease('10.0.0.2', 'c1'), container('c1', 'A')], p);
    expect(attributions[0]).toMatchObject({ type: 'claim', key: 'A' });
  });

  test('under uid owners, a resource whose key is not a uid is foreign, and so is its lease', () => {
    const uidPolicy = policy({ owners: byUid });
    const attributions = attributeResources(
      [
        container('c1', UID),
        container('c2', 'not-a-uid'),
        network('n1', ' '),
        volume('v1', 'labs/t1'),
        lease('10.0.0.2', 'c1'),
        lease('10.0.0.3', 'c2'),
        lease('10.0.0.4', 'gone'),
      ],
      uidPolicy,
    );
    expect(attributions).toEqual([
      { type: 'claim', key: UID, rule: uidPolicy.match[0] },
      undefined,
      undefined,
      undefined,
      { type: 'claim', key: UID, rule: uidPolicy.match[0] },
      undefined, // its container's key is no owner's
      { type: 'dangling' }, // no container, managed network: as before
    ]);
  });
});

describe('LiveKeyIndex', () => {
  const uidLike = 'deadbeef-1111-2222-3333-444455556666';
  const claim = (key: string, rule: MatchRule) => ({ key, rule });

  test.each<{ name: string; live: string[]; key: string; rule: MatchRule; expected: boolean }>([
    { name: 'label rule: exact key', live: ['A'], key: 'A', rule: labelRule, expected: true },
    { name: 'label rule: no prefix matching', live: [uidLike], key: 'deadbeef', rule: labelRule, expected: false },
    { name: 'name rule: 8-character prefix live', live: [uidLike], key: 'deadbeef', rule: labRule, expected: true },
    { name: 'name rule: prefix not live', live: [uidLike], key: '0badf00d', rule: labRule, expected: false },
    {
      name: 'name rule without a prefix length: exact',
      live: [uidLike],
      key: 'deadbeef',
      rule: nameRule('(?<key>.+)'),
      expected: false,
    },
    {
      name: 'a live key shorter than the prefix counts whole',
      live: ['dead'],
      key: 'dead',
      rule: labRule,
      expected: true,
    },
    {
      name: 'an extracted key longer than the prefix: first L compared',
      live: [uidLike],
      key: 'deadbeef99',
      rule: labRule,
      expected: true,
    },
    { name: 'no live owners', live: [], key: 'deadbeef', rule: labRule, expected: false },
  ])('$name', ({ live, key, rule, expected }) => {
    const index = new LiveKeyIndex(new Set(live), [labelRule, labRule]);
    expect(index.isLive(claim(key, rule))).toBe(expected);
  });

  test('a prefix length the index was not built for is still answered', () => {
    const index = new LiveKeyIndex(new Set(['abcdef']), [labelRule]);
    expect(index.isLive(claim('abc', nameRule('(?<key>.+)', 3)))).toBe(true);
    expect(index.isLive(claim('abd', nameRule('(?<key>.+)', 3)))).toBe(false);
  });
});

describe('ownerKeyFromObject', () => {
  const topology = {
    metadata: { uid: 'u-1', name: 't1', namespace: 'labs' },
    spec: { labId: 'lab-7', seats: 12, enabled: true, nested: { ok: 'yes' }, empty: '' },
  };
  const field = (...path: string[]): OwnerKeyRule => ({ type: 'field', path });

  test.each<{ name: string; object: unknown; rule: OwnerKeyRule; key: string | undefined }>([
    { name: 'uid', object: topology, rule: { type: 'uid' }, key: 'u-1' },
    { name: 'namespace/name', object: topology, rule: { type: 'name' }, key: 'labs/t1' },
    { name: 'cluster-scoped: just the name', object: { metadata: { name: 'c1' } }, rule: { type: 'name' }, key: 'c1' },
    {
      name: 'an empty namespace is cluster-scoped',
      object: { metadata: { name: 'c1', namespace: '' } },
      rule: { type: 'name' },
      key: 'c1',
    },
    { name: 'no name', object: { metadata: { namespace: 'labs' } }, rule: { type: 'name' }, key: undefined },
    { name: 'field path: string', object: topology, rule: field('spec', 'labId'), key: 'lab-7' },
    { name: 'field path: number', object: topology, rule: field('spec', 'seats'), key: '12' },
    { name: 'field path: nested', object: topology, rule: field('spec', 'nested', 'ok'), key: 'yes' },
    { name: 'field path: boolean is not a key', object: topology, rule: field('spec', 'enabled'), key: undefined },
    { name: 'field path: object is not a key', object: topology, rule: field('spec', 'nested'), key: undefined },
    { name: 'field path: empty string is not a key', object: topology, rule: field('spec', 'empty'), key: undefined },
    { name: 'field path: missing', object: topology, rule: field('spec', 'nope'), key: undefined },
    { name: 'field path: through a string', object: topology, rule: field('spec', 'labId', 'length'), key: undefined },
    { name: 'field path: prototype property', object: topology, rule: field('spec', 'constructor'), key: undefined },
    { name: 'field path: NaN', object: { spec: { n: Number.NaN } }, rule: field('spec', 'n'), key: undefined },
    { name: 'field path: Infinity', object: { spec: { n: Infinity } }, rule: field('spec', 'n'), key: undefined },
    { name: 'no metadata', object: {}, rule: { type: 'uid' }, key: undefined },
    { name: 'null', object: null, rule: { type: 'uid' }, key: undefined },
    { name: 'a number uid is kept as text', object: { metadata: { uid: 7 } }, rule: { type: 'uid' }, key: '7' },
    { name: 'a malformed uid', object: { metadata: { uid: 'a\nb' } }, rule: { type: 'uid' }, key: undefined },
  ])('$name', ({ object, rule, key }) => {
    expect(ownerKeyFromObject(object, rule)).toBe(key);
  });
});

describe('attributeResources agrees with attributing each lease by a search for its container', () => {
  const p = policy({ match: [labelRule, labRule] });
  // Few ids, so that leases name containers that are missing, listed later, or listed twice.
  const id = fc.constantFrom('c1', 'c2', 'c3', 'gone');
  const owner = fc.option(fc.constantFrom('A', 'B', 'a\nb'), { nil: undefined });
  const resource = fc.oneof(
    fc.record({ id, owner }).map(({ id: containerId, owner: key }) => container(containerId, key)),
    fc.record({ id, owner }).map(({ id: networkId, owner: key }) => network(networkId, key)),
    fc.record({ id, owner }).map(({ id: volumeId, owner: key }) => volume(volumeId, key)),
    fc
      .record({ containerId: id, network: fc.constantFrom('labnet', 'othernet'), n: fc.nat(255) })
      .map(({ containerId, network: net, n }) => lease(`10.0.0.${n}`, containerId, net)),
  );

  test('on random lists', () => {
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 30 }), (resources) => {
        const expected = resources.map((resource) => {
          if (resource.kind !== 'ipLease') return claimOf(resource, p);
          const containers = resources.filter((r) => r.kind === 'container' && r.id === resource.containerId);
          // With two containers of the same id, the one listed last counts.
          if (containers.length > 0) return claimOf(containers.at(-1)!, p);
          return p.resources.ipLeases.networks.includes(resource.network) ? { type: 'dangling' } : undefined;
        });
        expect(attributeResources(resources, p)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('an Attributor given the live keys attributes as one without them', () => {
  // Keys of every shape, live or not: a live key that is no uid must stay foreign under uid owners.
  const key = fc.constantFrom(UID, 'deadbeef-1111-2222-3333-444455556666', 'labs/t1', 'not-a-uid', 'A', 'a\nb', '');
  const named = fc.constantFrom('lab_t_deadbeef_r1', 'lab_t_0000abcd_x', 'other');
  const resource = fc.oneof(
    fc.record({ key, name: named }).map(({ key: k, name }) => container('c1', k, { name })),
    fc.record({ key, name: named }).map(({ key: k, name }) => network('n1', k, { name })),
    fc.record({ key }).map(({ key: k }) => volume('v1', k)),
  );
  const owners = fc.constantFrom(byUid, byName, anyKey, [...byUid, ...keyedBy({ type: 'name' })]);

  test('on random resources, owners and live keys', () => {
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 10 }), owners, fc.uniqueArray(key), (resources, kinds, live) => {
        const p = policy({ match: [labelRule, labRule], owners: kinds });
        const liveKeys = new Set(live);
        const withKeys = new Attributor(p, liveKeys);
        const without = new Attributor(p);
        for (const r of resources) {
          const fast = withKeys.claim(r);
          const plain = without.claim(r);
          const { knownLive, ...claim } = (fast ?? {}) as { knownLive?: true };
          expect(fast === undefined ? undefined : claim).toEqual(plain);
          // Marked live only when the index would say so anyway.
          if (knownLive)
            expect(plain?.type === 'claim' && new LiveKeyIndex(liveKeys, p.match).isLive(plain)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
