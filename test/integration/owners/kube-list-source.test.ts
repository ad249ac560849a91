// The CLI's and the re-check's owner source against the real API server: a listing, and the reads
// of a few named owners the re-check makes instead when the candidates' labels name them.
import { KubeListOwnerSource } from '../../../src/owners/kube-list-source.js';
import type { OwnerKind } from '../../../src/core/policy.js';
import { ControllerScenario } from '../../support/scenario.js';
import { policy } from '../../support/builders.js';

const scenario = new ControllerScenario('owner-source');
const TOPOLOGY: OwnerKind = {
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  namespaces: [],
  key: { type: 'uid' },
};
let namespace: string;

beforeAll(async () => {
  namespace = await scenario.namespace();
});

afterAll(() => scenario.cleanUp());

test('a read says which named owners are there, with the key they had; a listing agrees', async () => {
  const live = await scenario.createTopology(namespace, 'live', 1);
  const gone = await scenario.createTopology(namespace, 'gone', 1);
  const recreated = await scenario.createTopology(namespace, 'recreated', 1);
  await scenario.deleteOwner('topologies', namespace, 'gone');
  await scenario.deleteOwner('topologies', namespace, 'recreated');
  const successor = await scenario.createTopology(namespace, 'recreated', 1);
  const source = new KubeListOwnerSource(scenario.kc);
  const lookup = (object: typeof live) => ({
    key: object.metadata!.uid!,
    owner: TOPOLOGY,
    namespace,
    name: object.metadata!.name!,
  });

  const read = await source.read([lookup(live), lookup(gone), lookup(recreated)]);
  // The re-created owner has another uid: its predecessor's key is not live.
  expect(read).toEqual({ keys: new Set([live.metadata!.uid]), synced: true, errors: [] });

  const listed = await source.list(policy({ owners: [{ ...TOPOLOGY, namespaces: [namespace] }] }));
  expect(listed.live.keys).toEqual(new Set([live.metadata!.uid, successor.metadata!.uid]));
});

test('an owner being deleted is live to a read, but gone to the teardown of that object', async () => {
  const held = await scenario.createTopology(namespace, 'held', 1);
  await scenario.patchOwner('topologies', namespace, 'held', { metadata: { finalizers: ['test.reaper.dev/hold'] } });
  await scenario.deleteOwner('topologies', namespace, 'held');
  const uid = held.metadata!.uid!;
  const lookup = { key: uid, owner: TOPOLOGY, namespace, name: 'held' };
  const source = new KubeListOwnerSource(scenario.kc);
  expect(await source.read([lookup])).toEqual({ keys: new Set([uid]), synced: true, errors: [] });
  expect(await source.read([lookup], uid)).toEqual({ keys: new Set(), synced: true, errors: [] });
  // Another object's teardown does not make this one gone.
  expect((await source.read([lookup], 'another-uid'))?.keys).toEqual(new Set([uid]));
});

test('a namespaced owner with no namespace known cannot be read: the caller lists instead', async () => {
  const source = new KubeListOwnerSource(scenario.kc);
  expect(await source.read([{ key: 'k', owner: TOPOLOGY, name: 'lab' }])).toBeUndefined();
});

test('a kind the API server does not serve makes the read unsynced, never empty and trusted', async () => {
  const source = new KubeListOwnerSource(scenario.kc);
  const read = await source.read([
    { key: 'k', owner: { ...TOPOLOGY, apiVersion: 'nowhere.example/v1', kind: 'Lab' }, namespace, name: 'lab' },
  ]);
  expect(read?.synced).toBe(false);
  expect(read?.errors[0]).toMatch(/Lab\.nowhere\.example\/v1/);
});
