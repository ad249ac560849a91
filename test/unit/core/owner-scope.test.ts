// Scope (docs/design.md §1, issue 13): a claim is judged only when the resource places its owner
// inside the policy's scope, and no rival policy claims it while reading its owner differently.
import type { Claim } from '../../../src/core/attribution.js';
import { claimOf } from '../../../src/core/attribution.js';
import { NO_GRACE } from '../../../src/core/grace.js';
import type { Labels } from '../../../src/core/model.js';
import { groupKindOf, outOfScopeReason, ownerContractLabels, rivalsAmong } from '../../../src/core/owner-scope.js';
import type { MatchRule, OwnerKeyRule, OwnerKind, Rival } from '../../../src/core/policy.js';
import { planReap } from '../../../src/core/planner.js';
import { NOW, container, nameRule, owners, policy, snapshot } from '../../support/builders.js';

const UID = '1b2c3d4e-0000-4111-8222-333344445555';
const uidLabel: MatchRule = { type: 'label', label: 'reaper.dev/owner-uid' };
const refLabel: MatchRule = { type: 'label', label: 'example.com/owner' };
const LAB_NAMES = '^lab_(?<key>[a-z0-9-]+)_';
const labName = nameRule(LAB_NAMES);
const labPrefix = nameRule('^lab_(?<key>[a-z0-9/-]+)_', 4);
const sbxName = nameRule('^lab_(?<key>[a-z0-9-]+)_x$');

const uid: OwnerKeyRule = { type: 'uid' };
const byName: OwnerKeyRule = { type: 'name' };
const labId: OwnerKeyRule = { type: 'field', path: ['spec', 'labId'] };

function kind(name: string, namespaces: string[] = [], key: OwnerKeyRule = uid, apiVersion = 'reaper.dev/v1alpha1') {
  return { apiVersion, kind: name, namespaces, key } satisfies OwnerKind;
}
const topology = (namespaces: string[] = [], key: OwnerKeyRule = uid) => kind('Topology', namespaces, key);
const sandbox = (namespaces: string[] = [], key: OwnerKeyRule = uid) => kind('Sandbox', namespaces, key);

/** The labels a deployer writes for a Topology (and, with `kind`, for another kind). */
const topo = (extra: Labels = {}): Labels => ({ 'reaper.dev/owner-kind': 'Topology.reaper.dev', ...extra });
const inNs = (namespace: string, extra: Labels = {}): Labels =>
  topo({ 'reaper.dev/owner-namespace': namespace, ...extra });

interface Row {
  readonly name: string;
  readonly labels?: Labels;
  readonly resourceName?: string;
  readonly claim: Pick<Claim, 'key' | 'rule'>;
  readonly owners: OwnerKind[];
  readonly rivals?: Rival[];
  /** Undefined: in scope. A string: the exact reason; a RegExp: what the reason says. */
  readonly out?: string | RegExp;
}

const label = (key: string, rule: MatchRule = uidLabel) => ({ key, rule });

describe('outOfScopeReason: kind', () => {
  test.each<Row>([
    {
      name: 'a label rule without the kind label is out of scope',
      claim: label(UID),
      owners: [topology()],
      out:
        'no reaper.dev/owner-kind label: the reaper.dev/owner-uid key could name an owner of a kind this policy ' +
        'does not see (it sees Topology.reaper.dev)',
    },
    {
      name: 'without the kind label the reason lists every kind the policy sees',
      claim: label(UID),
      owners: [topology(), sandbox()],
      out: /\(it sees Topology\.reaper\.dev, Sandbox\.reaper\.dev\)$/,
    },
    {
      name: 'the kind label of the policy’s kind: in scope',
      labels: topo(),
      claim: label(UID),
      owners: [topology()],
    },
    {
      name: 'the kind label of another kind is out of scope',
      labels: { 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' },
      claim: label(UID),
      owners: [topology()],
      out: 'its owner is a Sandbox.reaper.dev, not a kind this policy sees (Topology.reaper.dev)',
    },
    {
      name: 'a bare Topology is out of scope, with a hint naming Topology.reaper.dev',
      labels: { 'reaper.dev/owner-kind': 'Topology' },
      claim: label(UID),
      owners: [topology()],
      out:
        'its owner is a Topology, not a kind this policy sees (Topology.reaper.dev); ' +
        'a Topology.reaper.dev is labelled reaper.dev/owner-kind=Topology.reaper.dev',
    },
    {
      name: 'a bare kind the policy does not have gets no hint',
      labels: { 'reaper.dev/owner-kind': 'Sandbox' },
      claim: label(UID),
      owners: [topology()],
      out: 'its owner is a Sandbox, not a kind this policy sees (Topology.reaper.dev)',
    },
    {
      name: 'the same kind in another group is another kind',
      labels: { 'reaper.dev/owner-kind': 'Topology.example.com' },
      claim: label(UID),
      owners: [topology()],
      out: /^its owner is a Topology\.example\.com, not a kind/,
    },
    {
      name: 'kinds are compared exactly: a lower-case kind is another kind',
      labels: { 'reaper.dev/owner-kind': 'topology.reaper.dev' },
      claim: label(UID),
      owners: [topology()],
      out: /^its owner is a topology\.reaper\.dev/,
    },
    {
      name: 'the version does not matter: the kind label names a group kind',
      labels: topo(),
      claim: label(UID),
      owners: [kind('Topology', [], uid, 'reaper.dev/v1')],
    },
    {
      name: 'a core kind is labelled bare',
      labels: { 'reaper.dev/owner-kind': 'Pod' },
      claim: label(UID),
      owners: [kind('Pod', [], uid, 'v1')],
    },
    {
      name: 'an empty kind label is a kind no policy sees',
      labels: { 'reaper.dev/owner-kind': '' },
      claim: label(UID),
      owners: [topology()],
      out: /^its owner is a , not a kind/,
    },
    {
      name: 'a kind label that is an inherited property name is just another kind',
      labels: { 'reaper.dev/owner-kind': 'constructor' },
      claim: label(UID),
      owners: [topology()],
      out: /^its owner is a constructor, not a kind/,
    },
  ])('$name', (row) => check(row));
});

describe('outOfScopeReason: namespace', () => {
  test.each<Row>([
    {
      name: 'a namespace-restricted policy: no namespace label is out of scope',
      labels: topo(),
      claim: label(UID),
      owners: [topology(['a'])],
      out:
        "nothing says the owner's namespace (no reaper.dev/owner-namespace label): a Topology.reaper.dev of the key " +
        'could be in a namespace this policy does not see (it sees a)',
    },
    {
      name: 'a namespace-restricted policy: its namespace label is in scope',
      labels: inNs('a'),
      claim: label(UID),
      owners: [topology(['a'])],
    },
    {
      name: 'a namespace-restricted policy: another namespace label is out of scope',
      labels: inNs('b'),
      claim: label(UID),
      owners: [topology(['a', 'c'])],
      out: 'its owner is in namespace b, which this policy does not see for Topology.reaper.dev (it sees a, c)',
    },
    {
      name: 'the namespaces in the reason are sorted',
      labels: inNs('b'),
      claim: label(UID),
      owners: [topology(['c', 'a'])],
      out: /\(it sees a, c\)$/,
    },
    {
      name: 'a policy of every namespace needs no namespace label',
      labels: topo(),
      claim: label(UID),
      owners: [topology()],
    },
    {
      name: 'a policy of every namespace takes any namespace label',
      labels: inNs('anywhere'),
      claim: label(UID),
      owners: [topology()],
    },
    {
      name: 'the restriction is per kind: a Sandbox of every namespace needs none',
      labels: { 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' },
      claim: label(UID),
      owners: [topology(['a']), sandbox()],
    },
    {
      name: 'a namespace/name key states its namespace',
      labels: topo(),
      claim: label('a/lab-1', refLabel),
      owners: [topology(['a'], byName)],
    },
    {
      name: 'a namespace/name key of another namespace is out of scope',
      labels: topo(),
      claim: label('b/lab-1', refLabel),
      owners: [topology(['a'], byName)],
      out: 'its owner is in namespace b, which this policy does not see for Topology.reaper.dev (it sees a)',
    },
    {
      name: 'a namespace/name key and the namespace label agreeing: in scope',
      labels: inNs('a'),
      claim: label('a/lab-1', refLabel),
      owners: [topology(['a'], byName)],
    },
    {
      name: 'a namespace/name key and the namespace label disagreeing: out of scope',
      labels: inNs('a'),
      claim: label('b/lab-1', refLabel),
      owners: [topology(['a', 'b'], byName)],
      out: 'the owner key b/lab-1 and reaper.dev/owner-namespace name different namespaces',
    },
    {
      name: 'key and label disagreeing are out of scope even for a policy of every namespace',
      labels: inNs('a'),
      claim: label('b/lab-1', refLabel),
      owners: [topology([], byName)],
      out: /name different namespaces$/,
    },
    {
      name: 'a key with a slash states nothing for a kind keyed by a field',
      labels: topo(),
      claim: label('a/lab-1', refLabel),
      owners: [topology(['a'], labId)],
      out: /^nothing says the owner's namespace/,
    },
    {
      name: 'a bare name key (a cluster-scoped form) states no namespace',
      labels: topo(),
      claim: label('lab-1', refLabel),
      owners: [topology(['a'], byName)],
      out: /^nothing says the owner's namespace/,
    },
  ])('$name', (row) => check(row));
});

describe('outOfScopeReason: name rules', () => {
  test.each<Row>([
    {
      name: 'a name rule without labels is read as the policy’s kinds',
      resourceName: 'lab_abc_1',
      claim: { key: 'abc', rule: labName },
      owners: [topology(), sandbox()],
    },
    {
      name: 'a name rule still needs a namespace when the policy lists namespaces',
      resourceName: 'lab_abc_1',
      claim: { key: 'abc', rule: labName },
      owners: [topology(['a'])],
      out: /^nothing says the owner's namespace \(no reaper\.dev\/owner-namespace label\): a Topology\.reaper\.dev/,
    },
    {
      name: 'read as every kind of the policy: one kind that lists namespaces is enough to need one',
      resourceName: 'lab_abc_1',
      claim: { key: 'abc', rule: labName },
      owners: [topology(), sandbox(['a'])],
      out: /a Sandbox\.reaper\.dev of the key could be in a namespace this policy does not see \(it sees a\)$/,
    },
    {
      name: 'a name rule with the namespace label of the policy: in scope',
      resourceName: 'lab_abc_1',
      labels: { 'reaper.dev/owner-namespace': 'a' },
      claim: { key: 'abc', rule: labName },
      owners: [topology(['a']), sandbox()],
    },
    {
      name: 'a name rule with another namespace label: out of scope',
      resourceName: 'lab_abc_1',
      labels: { 'reaper.dev/owner-namespace': 'b' },
      claim: { key: 'abc', rule: labName },
      owners: [topology(['a'])],
      out: /^its owner is in namespace b/,
    },
    {
      name: 'a kind label wins over the reading of a name rule',
      resourceName: 'lab_abc_1',
      labels: { 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' },
      claim: { key: 'abc', rule: labName },
      owners: [topology()],
      out: /^its owner is a Sandbox\.reaper\.dev/,
    },
    {
      name: 'a whole namespace/name key from a name states its namespace',
      resourceName: 'lab_a/abc_1',
      claim: { key: 'a/abc', rule: nameRule('^lab_(?<key>[a-z0-9/-]+)_') },
      owners: [topology(['a'], byName)],
    },
    {
      name: 'a key prefix states nothing, even when it holds a slash',
      resourceName: 'lab_a/abc_1',
      claim: { key: 'a/abc', rule: labPrefix },
      owners: [topology(['a'], byName)],
      out: /^nothing says the owner's namespace/,
    },
  ])('$name', (row) => check(row));
});

describe('outOfScopeReason: rivals', () => {
  const rival = (name: string, owners: OwnerKind[], match: MatchRule[] = [uidLabel]): Rival => ({
    name,
    owners,
    match,
  });
  const contested = (name: string, rule: string) =>
    `policy ${name} claims it too (${rule}) and reads its owner differently: ` +
    'neither policy reaps it until their owners agree or its labels say whose it is';

  test.each<Row>([
    {
      name: 'a rival with the same label that reads the owner differently (another key rule): contested',
      labels: topo(),
      claim: label(UID),
      owners: [topology()],
      rivals: [rival('by-field', [topology([], { type: 'field', path: ['metadata', 'uid'] })])],
      out: contested('by-field', 'label reaper.dev/owner-uid'),
    },
    {
      name: 'a rival of every namespace reads the namespace of a namespace/name key as we do: not contested',
      labels: topo(),
      claim: label('a/lab-1', refLabel),
      owners: [topology(['a'], byName)],
      rivals: [rival('everywhere', [topology([], byName)], [refLabel])],
    },
    {
      name: 'a rival with an identical reading (another namespace list, the same stated namespace): not contested',
      labels: inNs('a'),
      claim: label(UID),
      owners: [topology(['a'])],
      rivals: [rival('a-and-b', [topology(['a', 'b'])])],
    },
    {
      name: 'a rival with the same owners reads alike: not contested',
      labels: topo(),
      claim: label(UID),
      owners: [topology(), sandbox()],
      rivals: [rival('twin', [sandbox(), topology()])],
    },
    {
      name: 'a rival whose kinds the kind label excludes does not claim it',
      labels: topo(),
      claim: label(UID),
      owners: [topology()],
      rivals: [rival('sandboxes', [sandbox()])],
    },
    {
      name: 'a rival whose namespaces the namespace label excludes does not claim it',
      labels: inNs('a'),
      claim: label(UID),
      owners: [topology(['a'])],
      rivals: [rival('team-b', [topology(['b'], labId)])],
    },
    {
      name: 'a rival that claims through another label is not asked',
      labels: topo({ 'example.com/owner': 'a/lab-1' }),
      claim: label(UID),
      owners: [topology()],
      rivals: [rival('by-ref', [topology([], byName)], [refLabel])],
    },
    {
      name: 'a rival whose owners could not have the key does not claim it',
      labels: topo({ 'example.com/owner': 'lab-1' }),
      claim: label('lab-1', refLabel),
      owners: [topology([], labId)],
      rivals: [rival('by-uid', [topology([], uid)], [refLabel])],
    },
    {
      // The rival would read it differently (another key rule) through its label, but a label rule
      // and a name rule never meet (design §1: rivals share a label key, or both have name rules).
      name: 'a rival’s label rule does not contest a name claim',
      resourceName: 'lab_abc_1',
      labels: topo({ 'reaper.dev/owner-uid': 'abc' }),
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('by-other', [topology([], { type: 'field', path: ['spec', 'other'] })])],
    },
    {
      name: 'two name rules that both match, read as different kinds: contested',
      resourceName: 'lab_abc_x',
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('sandboxes', [sandbox([], labId)], [sbxName])],
      out: contested('sandboxes', 'nameRegex ^lab_(?<key>[a-z0-9-]+)_x$'),
    },
    {
      name: 'two name rules, but the rival’s does not match this name: not contested',
      resourceName: 'lab_abc_y',
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('sandboxes', [sandbox([], labId)], [sbxName])],
    },
    {
      name: 'two name rules that both match, and a kind label that only one policy sees: not contested',
      resourceName: 'lab_abc_x',
      labels: topo(),
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('sandboxes', [sandbox([], labId)], [sbxName])],
    },
    {
      name: 'two name rules that both match with the same reading, but extract different keys: contested',
      resourceName: 'lab_abc_def',
      labels: inNs('a'),
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('second-part', [topology(['a'], labId)], [nameRule('^lab_[a-z]+_(?<key>[a-z]+)$')])],
      out: contested('second-part', 'nameRegex ^lab_[a-z]+_(?<key>[a-z]+)$'),
    },
    {
      name: 'two name rules extracting the same key, one comparing only a prefix of it: contested',
      resourceName: 'lab_abc_x',
      labels: inNs('a'),
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('by-prefix', [topology(['a'], labId)], [nameRule('^lab_(?<key>[a-z0-9-]+)_', 2)])],
      out: /^policy by-prefix claims it too/,
    },
    {
      name: 'two name rules extracting the same whole key, read alike: not contested',
      resourceName: 'lab_abc_x',
      labels: inNs('a'),
      claim: { key: 'abc', rule: labName },
      owners: [topology([], labId)],
      rivals: [rival('team-a', [topology(['a'], labId)], [sbxName])],
    },
    {
      name: 'out of our own scope first: the reason is ours, not the rival’s',
      labels: { 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' },
      claim: label(UID),
      owners: [topology()],
      rivals: [rival('by-field', [topology([], { type: 'field', path: ['metadata', 'uid'] })])],
      out: /^its owner is a Sandbox\.reaper\.dev/,
    },
    {
      name: 'the first rival that reads it differently is named',
      labels: topo(),
      claim: label(UID),
      owners: [topology()],
      rivals: [
        rival('sandboxes', [sandbox()]),
        rival('twin', [topology()]),
        rival('by-field', [topology([], { type: 'field', path: ['metadata', 'uid'] })]),
      ],
      out: /^policy by-field claims it too/,
    },
  ])('$name', (row) => check(row));
});

function check(row: Row): void {
  // A label claim's key is the value of its label: the resource carries it (rivals read it there too).
  const own = row.claim.rule.type === 'label' ? { [row.claim.rule.label]: row.claim.key } : {};
  const resource = { name: row.resourceName ?? 'c-1', labels: { ...own, ...row.labels } };
  const reason = outOfScopeReason(resource, row.claim, { owners: row.owners, rivals: row.rivals ?? [] });
  if (row.out === undefined) expect(reason).toBeUndefined();
  else if (typeof row.out === 'string') expect(reason).toBe(row.out);
  else expect(reason).toMatch(row.out);
}

describe('outOfScopeReason and the deployer’s labels', () => {
  test('ownerContractLabels places a Topology in its policy’s scope, namespace included', () => {
    const labels = ownerContractLabels({
      apiVersion: 'reaper.dev/v1alpha1',
      kind: 'Topology',
      namespace: 'a',
      name: 'lab-1',
      uid: UID,
    });
    expect(labels).toEqual({
      'reaper.dev/owner-uid': UID,
      'reaper.dev/owner-kind': 'Topology.reaper.dev',
      'reaper.dev/owner-namespace': 'a',
      'reaper.dev/owner-name': 'lab-1',
    });
    const owners = [topology(['a'])];
    const claim = claimOf({ name: 'x', labels }, { owners, match: [uidLabel] })!;
    expect(outOfScopeReason({ name: 'x', labels }, claim, { owners })).toBeUndefined();
    expect(outOfScopeReason({ name: 'x', labels }, claim, { owners: [topology(['b'])] })).toMatch(/namespace a/);
  });

  test('a core kind is written bare, a cluster-scoped owner has no namespace, a long name is left out', () => {
    expect(ownerContractLabels({ apiVersion: 'v1', kind: 'Node', name: 'n'.repeat(64), uid: UID })).toEqual({
      'reaper.dev/owner-uid': UID,
      'reaper.dev/owner-kind': 'Node',
    });
  });

  test.each([
    ['reaper.dev/v1alpha1', 'Topology', 'Topology.reaper.dev'],
    ['example.com/v1', 'Lab', 'Lab.example.com'],
    ['apps/v1', 'Deployment', 'Deployment.apps'],
    ['v1', 'Pod', 'Pod'],
  ])('groupKindOf %s %s is %s', (apiVersion, k, expected) => {
    expect(groupKindOf({ apiVersion, kind: k })).toBe(expected);
  });
});

describe('rivalsAmong', () => {
  const p = (name: string, owners: OwnerKind[], match: MatchRule[]): Rival => ({ name, owners, match });
  const names = (list: readonly Rival[] | undefined) => (list ?? []).map((r) => r.name);

  test.each<{
    name: string;
    policies: Rival[];
    rivals: Record<string, string[]>;
    overlaps: [policy: string, rival: string, rule: string][];
  }>([
    {
      name: 'the same label, different owners: rivals, and an overlap on both',
      policies: [p('topologies', [topology()], [uidLabel]), p('sandboxes', [sandbox()], [uidLabel])],
      rivals: { topologies: ['sandboxes'], sandboxes: ['topologies'] },
      overlaps: [
        ['topologies', 'sandboxes', 'label reaper.dev/owner-uid'],
        ['sandboxes', 'topologies', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'the same kinds and namespaces, keyed by uid and by name the other way round: rivals',
      policies: [
        p('one', [topology(['a'], uid), kind('Topology', ['b'], byName, 'reaper.dev/v1')], [uidLabel]),
        p('two', [topology(['a'], byName), kind('Topology', ['b'], uid, 'reaper.dev/v1')], [uidLabel]),
      ],
      rivals: { one: ['two'], two: ['one'] },
      overlaps: [
        ['one', 'two', 'label reaper.dev/owner-uid'],
        ['two', 'one', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'the same label, the same owners (listed in another order): no rivals, no overlap',
      policies: [
        p('one', [topology(['b', 'a']), sandbox()], [uidLabel]),
        p('two', [sandbox(), topology(['a', 'b'])], [uidLabel, labName]),
      ],
      rivals: { one: [], two: [] },
      overlaps: [],
    },
    {
      name: 'the same kinds in other namespaces are other owners',
      policies: [p('team-a', [topology(['a'])], [uidLabel]), p('team-b', [topology(['b'])], [uidLabel])],
      rivals: { 'team-a': ['team-b'], 'team-b': ['team-a'] },
      overlaps: [
        ['team-a', 'team-b', 'label reaper.dev/owner-uid'],
        ['team-b', 'team-a', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'the same kind under another key rule is another owner',
      policies: [p('by-uid', [topology()], [uidLabel]), p('by-id', [topology([], labId)], [uidLabel])],
      rivals: { 'by-uid': ['by-id'], 'by-id': ['by-uid'] },
      overlaps: [
        ['by-uid', 'by-id', 'label reaper.dev/owner-uid'],
        ['by-id', 'by-uid', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'different labels: neither rivals nor overlaps',
      policies: [p('topologies', [topology()], [uidLabel]), p('sandboxes', [sandbox()], [refLabel])],
      rivals: { topologies: [], sandboxes: [] },
      overlaps: [],
    },
    {
      name: 'name patterns word for word: rivals with an overlap',
      policies: [p('topologies', [topology()], [labName]), p('sandboxes', [sandbox()], [nameRule(LAB_NAMES)])],
      rivals: { topologies: ['sandboxes'], sandboxes: ['topologies'] },
      overlaps: [
        ['topologies', 'sandboxes', 'nameRegex ^lab_(?<key>[a-z0-9-]+)_'],
        ['sandboxes', 'topologies', 'nameRegex ^lab_(?<key>[a-z0-9-]+)_'],
      ],
    },
    {
      name: 'different name patterns: rivals (both may match a name) but no overlap',
      policies: [p('topologies', [topology()], [labName]), p('sandboxes', [sandbox()], [sbxName])],
      rivals: { topologies: ['sandboxes'], sandboxes: ['topologies'] },
      overlaps: [],
    },
    {
      name: 'a name rule and a label rule do not meet',
      policies: [p('topologies', [topology()], [labName]), p('sandboxes', [sandbox()], [uidLabel])],
      rivals: { topologies: [], sandboxes: [] },
      overlaps: [],
    },
    {
      name: 'a label and a name rule each: only what is shared is an overlap',
      policies: [p('topologies', [topology()], [uidLabel, labName]), p('sandboxes', [sandbox()], [sbxName, uidLabel])],
      rivals: { topologies: ['sandboxes'], sandboxes: ['topologies'] },
      overlaps: [
        ['topologies', 'sandboxes', 'label reaper.dev/owner-uid'],
        ['sandboxes', 'topologies', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'three policies: each has the others that share its rules',
      policies: [
        p('topologies', [topology()], [uidLabel]),
        p('sandboxes', [sandbox()], [uidLabel]),
        p('labs', [kind('Lab', [], uid, 'example.com/v1')], [refLabel]),
      ],
      rivals: { topologies: ['sandboxes'], sandboxes: ['topologies'], labs: [] },
      overlaps: [
        ['topologies', 'sandboxes', 'label reaper.dev/owner-uid'],
        ['sandboxes', 'topologies', 'label reaper.dev/owner-uid'],
      ],
    },
    {
      name: 'one policy alone has no rivals',
      policies: [p('only', [topology()], [uidLabel])],
      rivals: { only: [] },
      overlaps: [],
    },
  ])('$name', ({ policies, rivals, overlaps }) => {
    const result = rivalsAmong(policies);
    expect(Object.fromEntries(policies.map((x) => [x.name, names(result.rivals.get(x.name))]))).toEqual(rivals);
    expect(result.overlaps.map((o) => [o.policy, o.rival, o.rule])).toEqual(overlaps);
  });

  test('rivals are the policies themselves, owners and rules, as outOfScopeReason needs them', () => {
    const sandboxes = p('sandboxes', [sandbox()], [uidLabel]);
    const { rivals } = rivalsAmong([p('topologies', [topology()], [uidLabel]), sandboxes]);
    expect(rivals.get('topologies')).toEqual([sandboxes]);
  });
});

// Two entries of one group kind (two versions: parsePolicy rejects only the same apiVersion and
// kind twice) with different key rules and namespaces. The live set holds uids of namespace a (the
// uid entry's) and namespace/name keys of namespace b, so neither key rule can be judged where only
// one entry looks.
describe('two entries of one kind with different key rules', () => {
  test('the uid of a live owner in the name-keyed entry’s namespace is out of scope, not selected', () => {
    const p = policy({
      owners: [kind('Topology', ['a'], uid, 'reaper.dev/v1alpha1'), kind('Topology', ['b'], byName, 'reaper.dev/v1')],
      match: [uidLabel],
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      limits: { maxOrphanPercent: 100 },
    });
    // Topology b/lab-b (uid UID) is live: the controller lists it under the name-keyed entry only.
    const live = owners(['b/lab-b']);
    const labels = ownerContractLabels({
      apiVersion: 'reaper.dev/v1',
      kind: 'Topology',
      namespace: 'b',
      name: 'lab-b',
      uid: UID,
    });
    const plan = planReap(snapshot([container('c1', undefined, { labels })]), live, p, NO_GRACE, NOW);
    expect(plan.items[0]!.decision).toBe('outOfScope');
    expect(plan.items[0]!.reason).toMatch(/keys Topology.reaper.dev owners by name and by uid in different namespaces/);
  });
});
