import { InformerOwnerSource, ownersFromInformers } from '../../../controllers/informer-owners.js';
import type { PlannedItem } from '../../../src/core/model.js';
import type { OwnerKind } from '../../../src/core/policy.js';
import { ownersBesides } from '../../../src/core/teardown.js';
import type { DynamicInformerSet } from '../../../src/kube/informer-set.js';
import type { InformerState, InformerTarget } from '../../../src/kube/informer.js';
import { policy } from '../../support/builders.js';

interface FakeInformer {
  state: InformerState;
  objects: unknown[];
  revision?: number;
}

/** The two calls ownersFromInformers makes of the informer set, over fixed caches. */
function informerSet(informers: Record<string, FakeInformer>): DynamicInformerSet {
  return {
    get: (target: InformerTarget) => {
      const informer = informers[`${target.apiVersion}|${target.kind}`];
      return (
        informer && {
          state: () => ({ ...informer.state }),
          list: () => informer.objects,
          revision: informer.revision,
        }
      );
    },
  } as unknown as DynamicInformerSet;
}

const synced: InformerState = { synced: true, healthy: true };
const object = (namespace: string | undefined, name: string, uid: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'x',
  kind: 'x',
  metadata: { name, uid, ...(namespace ? { namespace } : {}) },
  spec,
});

const TOPOLOGY: OwnerKind = {
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  namespaces: [],
  key: { type: 'uid' },
};
const SANDBOX: OwnerKind = { ...TOPOLOGY, kind: 'Sandbox' };
const LAB: OwnerKind = {
  apiVersion: 'example.com/v1',
  kind: 'Lab',
  namespaces: ['a'],
  key: { type: 'field', path: ['spec', 'labId'] },
};

const caches = (overrides: Record<string, Partial<FakeInformer>> = {}) =>
  informerSet({
    'reaper.dev/v1alpha1|Topology': {
      state: synced,
      objects: [object('a', 't1', 'uid-t1'), object('b', 't2', 'uid-t2')],
      ...overrides.Topology,
    },
    'reaper.dev/v1alpha1|Sandbox': { state: synced, objects: [object('a', 's1', 'uid-s1')], ...overrides.Sandbox },
    'example.com/v1|Lab': {
      state: synced,
      objects: [object('a', 'l1', 'uid-l1', { labId: 'L1' }), object('b', 'l2', 'uid-l2', { labId: 'L2' })],
      ...overrides.Lab,
    },
  });

describe('ownersFromInformers', () => {
  test('every synced kind: the keys by each kind’s rule, namespaces as the policy selects', () => {
    const owners = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX, LAB] }), caches());
    expect([...owners.live.keys].sort()).toEqual(['L1', 'uid-s1', 'uid-t1', 'uid-t2']);
    expect(owners.live).toMatchObject({ synced: true, errors: [] });
    expect(owners.count).toBe(4);
    expect(Object.fromEntries(owners.byKind)).toEqual({ Topology: 2, Sandbox: 1, Lab: 1 });
    expect(owners.starting).toBe(false);
  });

  test('the name key is namespace/name', () => {
    const byName = { ...TOPOLOGY, key: { type: 'name' as const } };
    expect([...ownersFromInformers(policy({ owners: [byName] }), caches()).live.keys]).toEqual(['a/t1', 'b/t2']);
  });

  test.each<[string, Record<string, Partial<FakeInformer>>, { starting: boolean; errors: string[] }]>([
    [
      'a kind still listing for the first time: wait rather than sweep',
      { Sandbox: { state: { synced: false, healthy: false }, objects: [] } },
      { starting: true, errors: ['Sandbox.reaper.dev/v1alpha1 is not synced'] },
    ],
    [
      'a kind whose first list failed',
      { Sandbox: { state: { synced: false, healthy: false, lastError: '403 forbidden' }, objects: [] } },
      { starting: false, errors: ['Sandbox.reaper.dev/v1alpha1 is not synced: 403 forbidden'] },
    ],
    [
      'a kind whose watch broke after its list: its cache may be stale',
      {
        Sandbox: {
          state: { synced: true, healthy: false, lastError: 'watch closed' },
          objects: [object('a', 's1', 'uid-s1')],
        },
      },
      { starting: false, errors: ['Sandbox.reaper.dev/v1alpha1 is not following the API server: watch closed'] },
    ],
  ])('blind: %s', (_name, overrides, expected) => {
    const owners = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), caches(overrides));
    expect(owners.live.synced).toBe(false);
    expect(owners.live.errors).toEqual(expected.errors);
    expect(owners.starting).toBe(expected.starting);
    // What could be seen is still listed, for metrics; the planner fails closed on synced: false.
    expect([...owners.live.keys].sort()).toEqual(['uid-t1', 'uid-t2']);
  });

  test('a kind without an informer is blind, not empty', () => {
    const owners = ownersFromInformers(policy({ owners: [TOPOLOGY, { ...LAB, kind: 'Rack' }] }), caches());
    expect(owners.live).toMatchObject({ synced: false, errors: ['no informer for Rack.example.com/v1'] });
    expect(owners.starting).toBe(false);
  });

  test('an owner without a key makes the listing blind: its resources cannot be told from orphans', () => {
    const owners = ownersFromInformers(
      policy({ owners: [LAB] }),
      caches({ Lab: { objects: [object('a', 'l1', 'uid-l1', { labId: 'L1' }), object('a', 'l3', 'uid-l3')] } }),
    );
    expect(owners.live).toMatchObject({ synced: false, errors: ['Lab a/l3 has no owner key .spec.labId'] });
    expect([...owners.live.keys]).toEqual(['L1']);
  });

  test('an owner selected by two entries of the policy counts once', () => {
    const byUid = { ...LAB, namespaces: [], key: { type: 'uid' as const } };
    const owners = ownersFromInformers(policy({ owners: [LAB, byUid] }), caches());
    expect([...owners.live.keys].sort()).toEqual(['L1', 'uid-l1', 'uid-l2']);
    expect(owners.count).toBe(2);
    expect(Object.fromEntries(owners.byKind)).toEqual({ Lab: 2 });
  });

  test('no owners at all: synced and empty, so the planner may call everything attributable an orphan', () => {
    const owners = ownersFromInformers(policy({ owners: [TOPOLOGY] }), caches({ Topology: { objects: [] } }));
    expect(owners.live).toMatchObject({ synced: true, errors: [] });
    expect(owners.live.keys.size).toBe(0);
    expect(owners.count).toBe(0);
    // Metrics hear that there are none, rather than nothing.
    expect(Object.fromEntries(owners.byKind)).toEqual({ Topology: 0 });
  });
});

describe('a listing is reused while the caches it read are unchanged', () => {
  const topologies = () => ({
    'reaper.dev/v1alpha1|Topology': { state: synced, objects: [object('a', 't1', 'uid-t1')], revision: 7 },
    'reaper.dev/v1alpha1|Sandbox': { state: synced, objects: [object('a', 's1', 'uid-s1')], revision: 8 },
  });
  const keysOf = (owners: { live: { keys: ReadonlySet<string> } }) => [...owners.live.keys].sort();

  test('the same revisions and policy: the same listing, not a new walk', () => {
    const informers = topologies();
    const set = informerSet(informers);
    const first = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set);
    // A change the cache did not announce with a new revision is not seen: revisions are the contract.
    informers['reaper.dev/v1alpha1|Topology'].objects.push(object('a', 't2', 'uid-t2'));
    expect(ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set)).toBe(first);
  });

  test.each<[string, (informers: ReturnType<typeof topologies>) => void, string[]]>([
    [
      'an owner added (a new revision)',
      (i) => {
        i['reaper.dev/v1alpha1|Topology'].objects.push(object('a', 't2', 'uid-t2'));
        i['reaper.dev/v1alpha1|Topology'].revision = 9;
      },
      ['uid-s1', 'uid-t1', 'uid-t2'],
    ],
    [
      'an owner deleted from the other kind',
      (i) => {
        i['reaper.dev/v1alpha1|Sandbox'].objects = [];
        i['reaper.dev/v1alpha1|Sandbox'].revision = 10;
      },
      ['uid-t1'],
    ],
  ])('listed again after %s', (_name, change, keys) => {
    const informers = topologies();
    const set = informerSet(informers);
    ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set);
    change(informers);
    expect(keysOf(ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set))).toEqual(keys);
  });

  test('a new generation or other owner kinds of the policy list again', () => {
    const set = informerSet(topologies());
    const first = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set);
    expect(ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX], generation: 2 }), set)).not.toBe(first);
    expect(keysOf(ownersFromInformers(policy({ owners: [TOPOLOGY] }), set))).toEqual(['uid-t1']);
  });

  test("a teardown's listing is never reused, nor does it replace the policy's", () => {
    const set = informerSet(topologies());
    const first = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set);
    const besides = ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set, { besidesUid: 'uid-t1' });
    expect(keysOf(besides)).toEqual(['uid-s1']);
    expect(ownersFromInformers(policy({ owners: [TOPOLOGY, SANDBOX] }), set)).toBe(first);
  });

  test('caches without revisions are walked every time', () => {
    const informers = caches();
    const first = ownersFromInformers(policy({ owners: [TOPOLOGY] }), informers);
    expect(ownersFromInformers(policy({ owners: [TOPOLOGY] }), informers)).not.toBe(first);
  });
});

describe('the live owners of a teardown: every owner but the one object', () => {
  // Two Labs with the same labId claim the same resources: deleting one must not reap the other's.
  const twins = caches({
    Lab: {
      objects: [object('a', 'l1', 'uid-l1', { labId: 'L1' }), object('a', 'l1-copy', 'uid-l1c', { labId: 'L1' })],
    },
  });
  const labs = policy({ owners: [LAB] });

  test('a twin with the same key keeps that key live', () => {
    const owners = ownersFromInformers(labs, twins, { besidesUid: 'uid-l1' });
    expect([...owners.live.keys]).toEqual(['L1']);
    expect(owners.count).toBe(1);
    // By key alone the twin's claim would go with it.
    expect([...ownersBesides(ownersFromInformers(labs, twins).live, 'L1').keys]).toEqual([]);
  });

  test('without a twin the key is no longer live', () => {
    const owners = ownersFromInformers(labs, caches(), { besidesUid: 'uid-l1' });
    expect([...owners.live.keys]).toEqual([]);
    expect(owners.live.synced).toBe(true);
  });
});

describe('InformerOwnerSource', () => {
  test('lists from the caches, and re-checks through the fresh source alone, never a cache', async () => {
    const asked: (readonly PlannedItem[])[] = [];
    const fresh = {
      recheck: (_policy: unknown, candidates: readonly PlannedItem[]) => {
        asked.push(candidates);
        return Promise.resolve({ keys: new Set<string>(), synced: true, errors: [] });
      },
    };
    const source = new InformerOwnerSource(caches(), fresh, { besidesUid: 'uid-t2' });
    const topologies = policy({ owners: [TOPOLOGY] });
    const listed = await source.list(topologies);
    expect([...listed.live.keys]).toEqual(['uid-t1']);
    expect(listed.count).toBe(1);
    // uid-t1 is in the cache, and the fresh source says it is gone: the fresh source is the answer.
    expect(await source.recheck(topologies, [])).toEqual({ keys: new Set(), synced: true, errors: [] });
    expect(asked).toEqual([[]]);
  });
});
