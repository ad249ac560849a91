import { BUILT_IN_OWNER_KINDS, PolicyRegistry, mayTearDown, targetOf } from '../../../controllers/policy-registry.js';
import type { ObjectMeta, ReapPolicy, ReapPolicySpec } from '../../../src/api/types.js';
import type { InformerTarget } from '../../../src/kube/informer.js';
import { METADATA_ONLY } from '../../../src/kube/projection.js';

const LABS = { apiVersion: 'example.com/v1', kind: 'Lab' };
const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' };

function reapPolicy(
  name: string,
  spec: ReapPolicySpec | Record<string, unknown> = {},
  metadata: Partial<ObjectMeta> = {},
) {
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name, generation: 1, resourceVersion: '1', ...metadata },
    spec,
  } as ReapPolicy;
}

const approve = (id: string) => ({ annotations: { 'reaper.dev/approve-sweep': id } });
// The API server accepts it (the field is a string there) but reaper cannot use it.
const invalidSpec = (spec: Record<string, unknown> = {}) => ({ ...spec, mode: 'Everything' });

describe('upsert says whether a sweep is due', () => {
  type Step = [change: string, object: ReapPolicy, due: boolean];
  const steps: Step[] = [
    ['a new policy', reapPolicy('p'), true],
    [
      'reaper wrote its status (same generation)',
      { ...reapPolicy('p', {}, { resourceVersion: '2' }), status: { observedGeneration: 1 } },
      false,
    ],
    ['someone labelled it', reapPolicy('p', {}, { resourceVersion: '3', labels: { team: 'a' } }), false],
    ['another annotation', reapPolicy('p', {}, { resourceVersion: '4', annotations: { note: 'x' } }), false],
    ['the spec changed (new generation)', reapPolicy('p', { mode: 'DryRun' }, { generation: 2 }), true],
    ['an approval annotation', reapPolicy('p', { mode: 'DryRun' }, { generation: 2, ...approve('b-1') }), true],
    [
      'the same approval again',
      reapPolicy('p', { mode: 'DryRun' }, { generation: 2, resourceVersion: '9', ...approve('b-1') }),
      false,
    ],
    ['another approval', reapPolicy('p', { mode: 'DryRun' }, { generation: 2, ...approve('b-2') }), true],
    ['the approval removed', reapPolicy('p', { mode: 'DryRun' }, { generation: 2 }), true],
    ['the spec became invalid', reapPolicy('p', invalidSpec(), { generation: 3 }), true],
    ['the spec was fixed', reapPolicy('p', {}, { generation: 4 }), true],
  ];

  test('one policy through a series of changes', () => {
    const registry = new PolicyRegistry();
    expect(steps.map(([change, object]) => [change, registry.upsert(object)])).toEqual(
      steps.map(([change, , due]) => [change, due]),
    );
  });

  test('each policy is judged on its own; one removed and added again is new', () => {
    const registry = new PolicyRegistry();
    expect(registry.upsert(reapPolicy('a'))).toBe(true);
    expect(registry.upsert(reapPolicy('b'))).toBe(true);
    expect(registry.upsert(reapPolicy('a'))).toBe(false);
    expect(registry.remove('a')).toBe(true);
    expect(registry.remove('a')).toBe(false);
    expect(registry.get('a')).toBeUndefined();
    expect(registry.upsert(reapPolicy('a'))).toBe(true);
    expect(registry.names().sort()).toEqual(['a', 'b']);
  });

  test('the latest object and its parse are kept', () => {
    const registry = new PolicyRegistry();
    registry.upsert(reapPolicy('p', { mode: 'DryRun' }, approve('b-1')));
    const entry = registry.get('p')!;
    expect(entry.object.metadata.annotations).toEqual(approve('b-1').annotations);
    expect(entry.parsed).toMatchObject({ ok: true, policy: { name: 'p', mode: 'DryRun', approvedSweep: 'b-1' } });
    registry.upsert(reapPolicy('p', invalidSpec(), { generation: 2 }));
    expect(registry.get('p')!.parsed.ok).toBe(false);
  });
});

describe('the set of policies', () => {
  function registryOf(...objects: ReapPolicy[]) {
    const registry = new PolicyRegistry();
    for (const object of objects) registry.upsert(object);
    return registry;
  }

  test('valid() holds the policies that parse, by name', () => {
    const registry = registryOf(reapPolicy('zeta'), reapPolicy('bad', invalidSpec()), reapPolicy('alpha'));
    expect(registry.valid().map((p) => p.name)).toEqual(['alpha', 'zeta']);
  });

  test.each<[string, ReapPolicy[], string[]]>([
    [
      'no policies: the built-in kinds, whose status reaper keeps',
      [],
      ['reaper.dev/v1alpha1|Topology', 'reaper.dev/v1alpha1|Sandbox'],
    ],
    [
      'a kind named by two policies, in different namespaces, has one informer',
      [
        reapPolicy('a', { owners: [{ ...LABS, namespaces: ['x'] }, TOPOLOGY] }),
        reapPolicy('b', { owners: [{ ...LABS, namespaces: ['y'] }] }),
      ],
      ['reaper.dev/v1alpha1|Topology', 'reaper.dev/v1alpha1|Sandbox', 'example.com/v1|Lab'],
    ],
    [
      'another version of a kind is another informer',
      [reapPolicy('a', { owners: [LABS, { ...LABS, apiVersion: 'example.com/v2' }] })],
      ['reaper.dev/v1alpha1|Topology', 'reaper.dev/v1alpha1|Sandbox', 'example.com/v1|Lab', 'example.com/v2|Lab'],
    ],
    [
      'an invalid policy starts no informer',
      [reapPolicy('bad', invalidSpec({ owners: [LABS] }))],
      ['reaper.dev/v1alpha1|Topology', 'reaper.dev/v1alpha1|Sandbox'],
    ],
  ])('informerTargets: %s', (_name, objects, expected) => {
    const targets = registryOf(...objects).informerTargets();
    expect(targets.map((t) => `${t.apiVersion}|${t.kind}`)).toEqual(expected);
    // All namespaces, no selector; uid keys read metadata alone.
    for (const t of targets) expect(t).toEqual({ apiVersion: t.apiVersion, kind: t.kind, projection: METADATA_ONLY });
  });

  test('informerTargets follow a removed policy', () => {
    const registry = registryOf(reapPolicy('a', { owners: [LABS] }));
    expect(registry.informerTargets()).toContainEqual({ ...LABS, projection: METADATA_ONLY });
    registry.remove('a');
    expect(registry.informerTargets()).toEqual(
      BUILT_IN_OWNER_KINDS.map((kind) => ({ ...kind, projection: METADATA_ONLY })),
    );
  });

  test('informerTargets keep the fields the key rules read, and what the caller asks for the kind', () => {
    const registry = registryOf(
      reapPolicy('by-lab-id', { owners: [{ ...LABS, key: '.spec.labId' }] }),
      reapPolicy('by-team', { owners: [{ ...LABS, namespaces: ['x'], key: '.metadata.labels.team' }] }),
      reapPolicy('by-name', { owners: [{ ...TOPOLOGY, key: 'name' }] }),
      reapPolicy('broken', invalidSpec({ owners: [{ ...LABS, key: '.spec.other' }] })),
    );
    const fields = (targets: InformerTarget[]) =>
      Object.fromEntries(targets.map((t) => [t.kind, t.projection?.fields.map((path) => path.join('.'))]));
    expect(fields(registry.informerTargets())).toEqual({
      Topology: [],
      Sandbox: [],
      Lab: ['metadata.labels.team', 'spec.labId'],
    });
    const summary = (t: InformerTarget) => (t.kind === 'Lab' ? [] : [['spec'], ['status']]);
    expect(fields(registry.informerTargets(summary))).toEqual({
      Topology: ['spec', 'status'],
      Sandbox: ['spec', 'status'],
      Lab: ['metadata.labels.team', 'spec.labId'],
    });
  });

  describe('managing', () => {
    const registry = registryOf(
      reapPolicy('all-labs', { owners: [LABS] }),
      reapPolicy('team-x', { owners: [{ ...LABS, namespaces: ['x'], key: '.spec.labId' }], teardown: 'Finalizer' }),
      reapPolicy('topologies', { owners: [TOPOLOGY] }),
      reapPolicy('broken', invalidSpec({ owners: [LABS] })),
    );
    test.each<[string, string, string | undefined, string[]]>([
      ['a Lab in x', 'Lab', 'x', ['all-labs', 'team-x']],
      ['a Lab in y', 'Lab', 'y', ['all-labs']],
      ['a cluster-scoped Lab: only policies for every namespace', 'Lab', undefined, ['all-labs']],
      ['a Topology', 'Topology', 'x', ['topologies']],
      ['a kind nobody names', 'Sandbox', 'x', []],
    ])('%s', (_name, kind, namespace, expected) => {
      const apiVersion = kind === 'Lab' ? LABS.apiVersion : TOPOLOGY.apiVersion;
      expect(registry.managing(apiVersion, kind, namespace).map((m) => m.policy.name)).toEqual(expected);
    });

    test('with the owner kind entry that selects the owner, key rule included', () => {
      const [, teamX] = registry.managing(LABS.apiVersion, 'Lab', 'x');
      expect(teamX!.ownerKind).toEqual({ ...LABS, namespaces: ['x'], key: { type: 'field', path: ['spec', 'labId'] } });
    });

    test('another version of the kind is not managed', () => {
      expect(registry.managing('example.com/v2', 'Lab', 'x')).toEqual([]);
    });
  });

  describe('mayTearDown', () => {
    test.each<[string, ReapPolicy[], string | undefined, boolean]>([
      [
        'a valid Finalizer policy that manages the owner',
        [reapPolicy('p', { owners: [LABS], teardown: 'Finalizer' })],
        'x',
        true,
      ],
      ['a valid Sweep policy', [reapPolicy('p', { owners: [LABS] })], 'x', false],
      [
        'a valid Finalizer policy for other namespaces',
        [reapPolicy('p', { owners: [{ ...LABS, namespaces: ['y'] }], teardown: 'Finalizer' })],
        'x',
        false,
      ],
      [
        'a valid Finalizer policy for another kind',
        [reapPolicy('p', { owners: [TOPOLOGY], teardown: 'Finalizer' })],
        'x',
        false,
      ],
      // A typo elsewhere in the policy must not make reaper drop the finalizers that protect teardowns.
      [
        'an invalid policy that says Finalizer for the kind',
        [reapPolicy('p', invalidSpec({ owners: [{ ...LABS, namespaces: ['y'] }], teardown: 'Finalizer' }))],
        'x',
        true,
      ],
      [
        'an invalid policy that says Sweep',
        [reapPolicy('p', invalidSpec({ owners: [LABS], teardown: 'Sweep' }))],
        'x',
        false,
      ],
      [
        'an invalid policy with junk owners',
        [reapPolicy('p', invalidSpec({ owners: 'Lab', teardown: 'Finalizer' }))],
        'x',
        false,
      ],
      [
        'an invalid policy with a junk owner entry',
        [reapPolicy('p', invalidSpec({ owners: [null, LABS], teardown: 'Finalizer' }))],
        'x',
        true,
      ],
      [
        'a policy without a spec (the defaults: built-in kinds, Sweep)',
        [{ ...reapPolicy('p'), spec: null } as unknown as ReapPolicy, reapPolicy('q', { owners: [LABS] })],
        'x',
        false,
      ],
      [
        'one Finalizer policy among Sweep ones',
        [reapPolicy('a', { owners: [LABS] }), reapPolicy('b', { owners: [LABS], teardown: 'Finalizer' })],
        'x',
        true,
      ],
    ])('%s', (_name, objects, namespace, expected) => {
      expect(mayTearDown(registryOf(...objects), LABS.apiVersion, 'Lab', namespace)).toBe(expected);
    });
  });
});

describe('rivals and overlaps', () => {
  function registryOf(...objects: ReapPolicy[]) {
    const registry = new PolicyRegistry();
    for (const object of objects) registry.upsert(object);
    return registry;
  }
  const policyOf = (registry: PolicyRegistry, name: string) => {
    const parsed = registry.get(name)!.parsed;
    if (!parsed.ok) throw new Error(`${name} does not parse`);
    return parsed.policy;
  };
  const rivalsOf = (registry: PolicyRegistry, name: string) =>
    (registry.scoped(policyOf(registry, name)).rivals ?? []).map((r) => r.name);
  const overlaps = (registry: PolicyRegistry, name: string) =>
    registry.overlapsOf(name).map((o) => `${o.policy} <- ${o.rival}: ${o.rule}`);
  const UID_LABEL = { label: 'reaper.dev/owner-uid' };
  const LAB_NAMES = { nameRegex: '^lab_(?<key>[a-z0-9-]+)_' };

  test.each<[string, ReapPolicy[], Record<string, string[]>, Record<string, string[]>]>([
    [
      'the same label key, different owners: rivals with an overlap, both ways',
      [reapPolicy('labs', { owners: [LABS] }), reapPolicy('topologies', { owners: [TOPOLOGY] })],
      { labs: ['topologies'], topologies: ['labs'] },
      {
        labs: ['labs <- topologies: label reaper.dev/owner-uid'],
        topologies: ['topologies <- labs: label reaper.dev/owner-uid'],
      },
    ],
    [
      'the same owners: neither rivals nor overlaps',
      [reapPolicy('one', { owners: [LABS] }), reapPolicy('two', { owners: [LABS], mode: 'DryRun' })],
      { one: [], two: [] },
      { one: [], two: [] },
    ],
    [
      'the same kind in other namespaces: other owners',
      [
        reapPolicy('team-x', { owners: [{ ...LABS, namespaces: ['x'] }] }),
        reapPolicy('team-y', { owners: [{ ...LABS, namespaces: ['y'] }] }),
      ],
      { 'team-x': ['team-y'], 'team-y': ['team-x'] },
      {
        'team-x': ['team-x <- team-y: label reaper.dev/owner-uid'],
        'team-y': ['team-y <- team-x: label reaper.dev/owner-uid'],
      },
    ],
    [
      'different label keys: neither',
      [
        reapPolicy('labs', { owners: [LABS], match: [{ label: 'example.com/lab' }] }),
        reapPolicy('topologies', { owners: [TOPOLOGY], match: [UID_LABEL] }),
      ],
      { labs: [], topologies: [] },
      { labs: [], topologies: [] },
    ],
    [
      'the same name pattern word for word: rivals with an overlap',
      [
        reapPolicy('labs', { owners: [LABS], match: [LAB_NAMES] }),
        reapPolicy('topologies', { owners: [TOPOLOGY], match: [UID_LABEL, LAB_NAMES] }),
      ],
      { labs: ['topologies'], topologies: ['labs'] },
      {
        labs: ['labs <- topologies: nameRegex ^lab_(?<key>[a-z0-9-]+)_'],
        topologies: ['topologies <- labs: nameRegex ^lab_(?<key>[a-z0-9-]+)_'],
      },
    ],
    [
      'different name patterns: rivals (they may match one name), but no overlap to report',
      [
        reapPolicy('labs', { owners: [LABS], match: [LAB_NAMES] }),
        reapPolicy('topologies', { owners: [TOPOLOGY], match: [{ nameRegex: '^topo_(?<key>[a-z0-9-]+)$' }] }),
      ],
      { labs: ['topologies'], topologies: ['labs'] },
      { labs: [], topologies: [] },
    ],
    [
      'an invalid policy is nobody’s rival, and has none',
      [reapPolicy('labs', { owners: [LABS] }), reapPolicy('broken', invalidSpec({ owners: [TOPOLOGY] }))],
      { labs: [] },
      { labs: [], broken: [] },
    ],
  ])('%s', (_name, objects, rivals, expectedOverlaps) => {
    const registry = registryOf(...objects);
    for (const [name, expected] of Object.entries(rivals)) expect(rivalsOf(registry, name)).toEqual(expected);
    for (const [name, expected] of Object.entries(expectedOverlaps)) expect(overlaps(registry, name)).toEqual(expected);
  });

  test('scoped adds the rivals and keeps everything else of the policy', () => {
    const registry = registryOf(
      reapPolicy('labs', { owners: [LABS] }),
      reapPolicy('topologies', { owners: [TOPOLOGY] }),
    );
    const labs = policyOf(registry, 'labs');
    const scoped = registry.scoped(labs);
    expect(scoped).toEqual({ ...labs, rivals: [policyOf(registry, 'topologies')] });
    expect(labs).not.toHaveProperty('rivals');
  });

  test('a policy the registry does not know has no rivals and no overlaps', () => {
    const registry = registryOf(reapPolicy('labs', { owners: [LABS] }));
    expect(registry.scoped({ ...policyOf(registry, 'labs'), name: 'stranger' }).rivals).toEqual([]);
    expect(registry.overlapsOf('stranger')).toEqual([]);
  });

  test('overlapsChangedSince names the policies a change gave or took an overlap, so they say so at once', () => {
    const registry = registryOf(reapPolicy('labs', { owners: [LABS] }), reapPolicy('other', { match: [LAB_NAMES] }));
    let before = registry.overlapSignature();
    registry.upsert(reapPolicy('topologies', { owners: [TOPOLOGY] }));
    // labs gained an overlap; other's name rule overlaps no one; topologies is new.
    expect(registry.overlapsChangedSince(before)).toEqual(['labs', 'topologies']);
    before = registry.overlapSignature();
    registry.upsert(reapPolicy('topologies', { owners: [TOPOLOGY], mode: 'DryRun' }));
    expect(registry.overlapsChangedSince(before)).toEqual([]);
    before = registry.overlapSignature();
    registry.remove('topologies');
    expect(registry.overlapsChangedSince(before)).toEqual(['labs']);
  });

  test('a status-only update keeps the rivals as worked out; a new generation works them out again', () => {
    const registry = registryOf(
      reapPolicy('labs', { owners: [LABS] }),
      reapPolicy('topologies', { owners: [TOPOLOGY] }),
    );
    const rivals = registry.scoped(policyOf(registry, 'labs')).rivals;
    const statusWrite = reapPolicy('topologies', { owners: [TOPOLOGY] });
    statusWrite.status = { observedGeneration: 1 };
    registry.upsert(statusWrite);
    expect(registry.scoped(policyOf(registry, 'labs')).rivals).toBe(rivals);
    registry.upsert(reapPolicy('topologies', { owners: [LABS] }, { generation: 2 }));
    expect(rivalsOf(registry, 'labs')).toEqual([]);
  });

  test('rivals and overlaps are worked out again after every change to the set', () => {
    const registry = registryOf(reapPolicy('labs', { owners: [LABS] }));
    expect(rivalsOf(registry, 'labs')).toEqual([]);
    registry.upsert(reapPolicy('topologies', { owners: [TOPOLOGY] }));
    expect(rivalsOf(registry, 'labs')).toEqual(['topologies']);
    expect(overlaps(registry, 'labs')).toEqual(['labs <- topologies: label reaper.dev/owner-uid']);
    // Its owners become the same as labs': no longer a rival.
    registry.upsert(reapPolicy('topologies', { owners: [LABS] }, { generation: 2 }));
    expect(rivalsOf(registry, 'labs')).toEqual([]);
    expect(overlaps(registry, 'labs')).toEqual([]);
    registry.upsert(reapPolicy('topologies', { owners: [TOPOLOGY] }, { generation: 3 }));
    expect(rivalsOf(registry, 'labs')).toEqual(['topologies']);
    // An invalid spec drops out of the set.
    registry.upsert(reapPolicy('topologies', invalidSpec({ owners: [TOPOLOGY] }), { generation: 4 }));
    expect(rivalsOf(registry, 'labs')).toEqual([]);
    registry.upsert(reapPolicy('topologies', { owners: [TOPOLOGY] }, { generation: 5 }));
    expect(overlaps(registry, 'topologies')).toEqual(['topologies <- labs: label reaper.dev/owner-uid']);
    registry.remove('topologies');
    expect(rivalsOf(registry, 'labs')).toEqual([]);
    expect(overlaps(registry, 'labs')).toEqual([]);
  });

  test('managing hands out the policy with its rivals, as teardown and owner status use it', () => {
    const registry = registryOf(
      reapPolicy('labs', { owners: [LABS] }),
      reapPolicy('topologies', { owners: [TOPOLOGY] }),
    );
    const [managing] = registry.managing(LABS.apiVersion, 'Lab', 'x');
    expect(managing!.policy.name).toBe('labs');
    expect(managing!.policy.rivals?.map((r) => r.name)).toEqual(['topologies']);
  });
});

test('targetOf is the kind, whatever namespaces or key the entry has', () => {
  expect(targetOf({ ...LABS, namespaces: ['x'], key: { type: 'uid' } } as never)).toEqual(LABS);
});
