import type { PlannedItem } from '../../../src/core/model.js';
import type { OwnerLookup, SeenOwners } from '../../../src/core/owner-lookup.js';
import { ownerLookups } from '../../../src/core/owner-lookup.js';
import type { OwnerKind } from '../../../src/core/policy.js';
import { container, lease, nameRule, policy } from '../../support/builders.js';

const TOPOLOGY: OwnerKind = {
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  namespaces: [],
  key: { type: 'uid' },
};
const SANDBOX: OwnerKind = {
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Sandbox',
  namespaces: ['labs'],
  key: { type: 'uid' },
};
const BY_NAME: OwnerKind = { ...TOPOLOGY, key: { type: 'name' } };
const BY_FIELD: OwnerKind = { ...TOPOLOGY, key: { type: 'field', path: ['spec', 'labId'] } };

const contract = (kind: string, namespace?: string, name?: string) => ({
  'reaper.dev/owner-uid': 'u1',
  'reaper.dev/owner-kind': `${kind}.reaper.dev`,
  ...(namespace ? { 'reaper.dev/owner-namespace': namespace } : {}),
  ...(name ? { 'reaper.dev/owner-name': name } : {}),
});
const candidate = (labels: Record<string, string>, ownerKey = 'u1', id = 'c1'): PlannedItem => ({
  resource: container(id, undefined, { labels }),
  decision: 'selected',
  reason: 'owner gone',
  ownerKey,
});
const leaseOf = (ownerKey: string): PlannedItem => ({
  resource: lease('10.0.0.9', 'c1'),
  decision: 'selected',
  reason: 'owner gone',
  ownerKey,
});

test.each<[string, OwnerKind[], PlannedItem[], OwnerLookup[] | undefined]>([
  [
    'the contract labels name one object',
    [TOPOLOGY, SANDBOX],
    [candidate(contract('Topology', 'labs', 'lab-1'))],
    [{ key: 'u1', owner: TOPOLOGY, namespace: 'labs', name: 'lab-1' }],
  ],
  [
    'a lease (no labels) is pinned by its container, one read for both',
    [TOPOLOGY],
    [candidate(contract('Topology', 'labs', 'lab-1')), leaseOf('u1')],
    [{ key: 'u1', owner: TOPOLOGY, namespace: 'labs', name: 'lab-1' }],
  ],
  ['a lease alone cannot be pinned', [TOPOLOGY], [leaseOf('u1')], undefined],
  ['no name label: only a listing can tell', [TOPOLOGY], [candidate(contract('Topology', 'labs'))], undefined],
  [
    'no kind label with two kinds that could both hold it',
    [TOPOLOGY, SANDBOX],
    [candidate({ 'reaper.dev/owner-namespace': 'labs', 'reaper.dev/owner-name': 'x' })],
    undefined,
  ],
  [
    'no kind label, but only one kind covers the namespace',
    [TOPOLOGY, SANDBOX],
    [candidate({ 'reaper.dev/owner-namespace': 'other', 'reaper.dev/owner-name': 'x' })],
    [{ key: 'u1', owner: TOPOLOGY, namespace: 'other', name: 'x' }],
  ],
  [
    'a namespace the kind does not watch is not read',
    [SANDBOX],
    [candidate(contract('Sandbox', 'elsewhere', 'box'))],
    undefined,
  ],
  [
    'a namespace/name key states where its owner is, labels or not',
    [BY_NAME],
    [candidate({}, 'labs/lab-1')],
    [{ key: 'labs/lab-1', owner: BY_NAME, namespace: 'labs', name: 'lab-1' }],
  ],
  ['a malformed namespace/name key is not read', [BY_NAME], [candidate({}, 'labs/a/b')], undefined],
])('%s', (_name, owners, candidates, expected) => {
  expect(ownerLookups(policy({ owners }), candidates)).toEqual(expected);
});

test('a policy with a key-prefix name rule never reads one object for a prefix', () => {
  const prefixed = policy({
    owners: [TOPOLOGY],
    match: [{ type: 'label', label: 'reaper.dev/owner-uid' }, nameRule('^lab-(?<key>[0-9a-f]{8})', 8)],
  });
  expect(ownerLookups(prefixed, [candidate(contract('Topology', 'labs', 'lab-1'))])).toBeUndefined();
});

test('two candidates of one owner make one read', () => {
  const lookups = ownerLookups(policy({ owners: [TOPOLOGY] }), [
    candidate(contract('Topology', 'labs', 'lab-1'), 'u1', 'c1'),
    candidate(contract('Topology', 'labs', 'lab-1'), 'u1', 'c2'),
  ]);
  expect(lookups).toHaveLength(1);
});

describe('a uid key the labels do not pin is pinned by the object last seen with it', () => {
  const seenLab1: SeenOwners = (key) =>
    key === 'u1' ? { owner: TOPOLOGY, namespace: 'labs', name: 'lab-1' } : undefined;

  test.each<[string, OwnerKind[], PlannedItem[], SeenOwners, OwnerLookup[] | undefined]>([
    [
      'no name label: the object deleted with that uid is read',
      [TOPOLOGY, SANDBOX],
      [candidate(contract('Topology', 'labs')), leaseOf('u1')],
      seenLab1,
      [{ key: 'u1', owner: TOPOLOGY, namespace: 'labs', name: 'lab-1' }],
    ],
    [
      'no object seen with that uid: a listing',
      [TOPOLOGY],
      [candidate(contract('Topology', 'labs'))],
      () => undefined,
      undefined,
    ],
    [
      'labels that name another kind: a listing',
      [TOPOLOGY, SANDBOX],
      [candidate(contract('Sandbox', 'labs'))],
      seenLab1,
      undefined,
    ],
    [
      'labels that name another namespace: a listing',
      [TOPOLOGY],
      [candidate(contract('Topology', 'elsewhere'))],
      seenLab1,
      undefined,
    ],
    [
      'a kind the policy keys by a field, not uid: a listing (another object may take the value)',
      [BY_FIELD],
      [candidate({})],
      (key) => (key === 'u1' ? { owner: BY_FIELD, namespace: 'labs', name: 'lab-1' } : undefined),
      undefined,
    ],
    [
      'a namespace the policy does not watch for the kind: a listing',
      [SANDBOX],
      [candidate({ 'reaper.dev/owner-uid': 'u1' })],
      (key) => (key === 'u1' ? { owner: SANDBOX, namespace: 'elsewhere', name: 'box' } : undefined),
      undefined,
    ],
    [
      'labels that pin the owner win over what was seen',
      [TOPOLOGY],
      [candidate(contract('Topology', 'labs', 'lab-9'))],
      seenLab1,
      [{ key: 'u1', owner: TOPOLOGY, namespace: 'labs', name: 'lab-9' }],
    ],
  ])('%s', (_name, owners, candidates, seen, expected) => {
    expect(ownerLookups(policy({ owners }), candidates, seen)).toEqual(expected);
  });
});
