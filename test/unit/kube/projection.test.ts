// What an owner cache keeps of each object: the kept metadata and the fields a policy reads, and
// nothing else; and whatever the object, a key rule reads from the projection what it reads from
// the whole object (so the live owners a sweep trusts are the same either way).
import fc from 'fast-check';
import { ownerKeyFromObject } from '../../../src/core/attribution.js';
import type { OwnerKeyRule } from '../../../src/core/policy.js';
import type { FieldPath } from '../../../src/kube/projection.js';
import {
  describeProjection,
  METADATA_ONLY,
  projectionOf,
  projectObject,
  readsOnlyMetadata,
  sameProjection,
} from '../../../src/kube/projection.js';
import { fieldsReadBy } from '../../../src/owners/owner-objects.js';

const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' };

// A Topology as the API server sends it (less managedFields), with kubectl's copy of its spec.
const stored = () => ({
  ...TOPOLOGY,
  metadata: {
    name: 'lab-1',
    namespace: 'labs',
    uid: '1b2c3d4e-0000-1111-2222-333344445555',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-12-05T10:00:00Z',
    deletionTimestamp: '2026-12-05T11:00:00Z',
    finalizers: ['reaper.dev/teardown'],
    labels: { team: 'a', tier: 'gold' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"nodes":[]}}' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }],
  },
  spec: { labId: 'lab-0042', nodes: [{ name: 'r1', image: 'busybox', networks: ['n1'] }], networks: [{ name: 'n1' }] },
  status: { observedGeneration: 3, conditions: [{ type: 'Managed', status: 'True' }] },
});

describe('projectObject', () => {
  test('metadata only: identity, position and what the owner controller decides on; no spec, status or annotations', () => {
    expect(projectObject(stored(), METADATA_ONLY, TOPOLOGY)).toEqual({
      ...TOPOLOGY,
      metadata: {
        name: 'lab-1',
        namespace: 'labs',
        uid: '1b2c3d4e-0000-1111-2222-333344445555',
        resourceVersion: '42',
        generation: 3,
        deletionTimestamp: '2026-12-05T11:00:00Z',
        finalizers: ['reaper.dev/teardown'],
      },
    });
  });

  test('a PartialObjectMetadata takes the informer’s apiVersion and kind', () => {
    const partial = {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'PartialObjectMetadata',
      metadata: { name: 'n1', uid: 'u1' },
    };
    expect(projectObject(partial, METADATA_ONLY, { apiVersion: 'v1', kind: 'Node' })).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', uid: 'u1' },
    });
  });

  test('named fields are kept, at their paths, and nothing beside them', () => {
    const projection = projectionOf([
      ['spec', 'labId'],
      ['metadata', 'labels', 'team'],
      ['spec', 'nodes', '0', 'name'],
    ]);
    const projected = projectObject(stored(), projection, TOPOLOGY) as ReturnType<typeof stored>;
    expect(projected.spec).toEqual({ labId: 'lab-0042', nodes: { 0: { name: 'r1' } } });
    expect(projected.metadata.labels).toEqual({ team: 'a' });
    expect(projected).not.toHaveProperty('status');
    expect(projected.metadata).not.toHaveProperty('annotations');
  });

  test('a whole subtree is kept as it is (the summary writer’s spec and status)', () => {
    const object = stored();
    const projected = projectObject(object, projectionOf([['spec'], ['status']]), TOPOLOGY);
    expect(projected.spec).toBe(object.spec);
    expect(projected.status).toBe(object.status);
  });

  test('a missing field stays missing; an object that is not one passes through', () => {
    expect(projectObject(stored(), projectionOf([['spec', 'nothing', 'here']]), TOPOLOGY)).not.toHaveProperty(
      'spec.nothing',
    );
    expect(
      projectObject({ ...TOPOLOGY, metadata: { name: 'x' } }, projectionOf([['spec', 'labId']]), TOPOLOGY),
    ).toEqual({
      ...TOPOLOGY,
      metadata: { name: 'x' },
    });
    expect(projectObject(null, METADATA_ONLY, TOPOLOGY)).toBeNull();
  });

  test('a path through __proto__ sets an own property, never a prototype', () => {
    const object = JSON.parse('{"metadata":{"name":"x"},"spec":{"__proto__":{"polluted":"yes"}}}') as object;
    const projected = projectObject(object, projectionOf([['spec', '__proto__', 'polluted']]), TOPOLOGY) as {
      spec: Record<string, unknown>;
    };
    expect(Object.getPrototypeOf(projected.spec)).toBe(Object.prototype);
    expect(Object.hasOwn(projected.spec, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('projectionOf', () => {
  test.each<[string, FieldPath[], string[]]>([
    ['none', [], []],
    [
      'sorted, without duplicates',
      [
        ['spec', 'b'],
        ['spec', 'a'],
        ['spec', 'b'],
      ],
      ['spec.a', 'spec.b'],
    ],
    [
      'a path inside another kept one goes',
      [
        ['spec', 'a', 'b'],
        ['spec', 'a'],
        ['spec', 'ab'],
      ],
      ['spec.a', 'spec.ab'],
    ],
    [
      'kept metadata is kept anyway',
      [
        ['metadata', 'uid'],
        ['metadata', 'name', 'x'],
        ['metadata', 'labels', 'team'],
      ],
      ['metadata.labels.team'],
    ],
    ['an empty path reads nothing', [[]], []],
  ])('%s', (_name, fields, expected) => {
    expect(projectionOf(fields).fields.map((path) => path.join('.'))).toEqual(expected);
  });

  test('the same meaning compares equal, whatever the order', () => {
    expect(
      sameProjection(
        projectionOf([
          ['spec', 'b'],
          ['spec', 'a'],
        ]),
        projectionOf([
          ['spec', 'a'],
          ['spec', 'b'],
        ]),
      ),
    ).toBe(true);
    expect(sameProjection(projectionOf([['spec', 'a']]), projectionOf([['spec', 'b']]))).toBe(false);
    expect(sameProjection(projectionOf([]), METADATA_ONLY)).toBe(true);
    expect(sameProjection(undefined, METADATA_ONLY)).toBe(false);
    expect(sameProjection(undefined, undefined)).toBe(true);
  });

  test('whether the API server’s metadata alone holds it', () => {
    expect(readsOnlyMetadata(METADATA_ONLY)).toBe(true);
    expect(readsOnlyMetadata(projectionOf([['metadata', 'labels', 'team']]))).toBe(true);
    expect(
      readsOnlyMetadata(
        projectionOf([
          ['metadata', 'labels', 'team'],
          ['spec', 'labId'],
        ]),
      ),
    ).toBe(false);
  });

  test('described for the logs', () => {
    expect(describeProjection(undefined)).toBe('whole objects');
    expect(describeProjection(projectionOf([['spec', 'labId']]))).toBe('metadata, .spec.labId');
  });
});

describe('an owner key read from the projection is the key read from the whole object', () => {
  const segment = fc.oneof(
    fc.constantFrom('metadata', 'spec', 'labels', 'uid', 'name', 'namespace', 'labId', '0', '1', '__proto__'),
    fc.string({ maxLength: 4 }),
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 4 });
  const leaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.boolean());
  const value = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(segment, tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  // Objects that have the paths the rules read, more often than chance would give them.
  const object = fc.record({ metadata: fc.dictionary(segment, value, { maxKeys: 5 }), spec: value, status: value });
  const rule: fc.Arbitrary<OwnerKeyRule> = fc.oneof(
    fc.constant({ type: 'uid' } as const),
    fc.constant({ type: 'name' } as const),
    path.map((p) => ({ type: 'field', path: p }) as const),
  );

  /** Every path of own properties in a decoded object, down to `depth`. */
  const pathsIn = (value: unknown, depth: number, prefix: string[] = []): string[][] => {
    if (depth === 0 || typeof value !== 'object' || value === null) return [];
    return Object.keys(value).flatMap((key) => [
      [...prefix, key],
      ...pathsIn((value as Record<string, unknown>)[key], depth - 1, [...prefix, key]),
    ]);
  };

  test('for every rule the projection was made for, over any object', () => {
    let keyed = 0;
    fc.assert(
      fc.property(
        object,
        fc.array(rule, { maxLength: 2 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        (o, randomRules, picks) => {
          // An object as decoded from JSON: own data properties only, __proto__ included.
          const decoded = JSON.parse(JSON.stringify(o)) as unknown;
          // Paths the object has, which a random path would seldom be.
          const existing = pathsIn(decoded, 5);
          const rules: OwnerKeyRule[] = [
            ...randomRules,
            ...(existing.length > 0
              ? picks.map((n) => ({ type: 'field' as const, path: existing[n % existing.length]! }))
              : []),
          ];
          const projection = projectionOf(rules.flatMap((r) => fieldsReadBy(r)));
          const projected = projectObject(decoded, projection, TOPOLOGY);
          for (const r of rules) {
            const key = ownerKeyFromObject(decoded, r);
            if (key !== undefined) keyed++;
            expect(ownerKeyFromObject(projected, r)).toBe(key);
          }
        },
      ),
      { numRuns: 2_000 },
    );
    // Not vacuous: many of the rules found a key.
    expect(keyed).toBeGreaterThan(500);
  });

  test('a uid or name key needs no field beyond metadata', () => {
    expect(fieldsReadBy({ type: 'uid' })).toEqual([]);
    expect(fieldsReadBy({ type: 'name' })).toEqual([]);
    expect(fieldsReadBy({ type: 'field', path: ['spec', 'labId'] })).toEqual([['spec', 'labId']]);
  });
});
