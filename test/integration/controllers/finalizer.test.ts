// Finalizers on the real API server: changes are computed from the object as stored now, not from
// the (possibly stale) object the caller holds, so another party's finalizers survive, an object
// deleted and created again under the same name is left alone, and a vanished one is simply done.
// ConfigMaps stand in for owners: no reaper agent of another test watches them.
import * as k8s from '@kubernetes/client-node';
import { Finalizers, TEARDOWN_FINALIZER } from '../../../controllers/finalizer.js';
import type { FinalizerTarget } from '../../../controllers/finalizer.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';

const OTHER = 'example.com/other-controller';
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const finalizers = new Finalizers(kc);
const namespace = uniqueName('fin-unit');

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  const list = await core.listNamespacedConfigMap({ namespace });
  for (const item of list.items) {
    await core
      .patchNamespacedConfigMap(
        { name: item.metadata!.name!, namespace, body: { metadata: { finalizers: null } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )
      .catch(() => undefined);
  }
  await core.deleteNamespace({ name: namespace });
});

async function configMap(name: string, finalizerList: string[] = []): Promise<FinalizerTarget> {
  const created = await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name, finalizers: finalizerList }, data: { n: '0' } },
  });
  return targetOf(created);
}

function targetOf(object: k8s.V1ConfigMap): FinalizerTarget {
  const { name, uid, resourceVersion, finalizers: list, deletionTimestamp } = object.metadata!;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: name!,
      namespace,
      uid: uid!,
      resourceVersion: resourceVersion!,
      ...(list ? { finalizers: list } : {}),
      ...(deletionTimestamp ? { deletionTimestamp } : {}),
    },
  };
}

const stored = (name: string) => core.readNamespacedConfigMap({ name, namespace });
const finalizersOf = async (name: string) => (await stored(name)).metadata?.finalizers ?? [];

/** Someone else's finalizer and a data change since `target` was read: its resourceVersion is stale. */
async function changedBehindTheCallersBack(name: string): Promise<void> {
  const current = await stored(name);
  await core.replaceNamespacedConfigMap({
    name,
    namespace,
    body: {
      ...current,
      metadata: { ...current.metadata, finalizers: [...(current.metadata?.finalizers ?? []), OTHER] },
      data: { n: '1' },
    },
  });
}

test('add puts the finalizer on once; a second add changes nothing', async () => {
  const target = await configMap('added');
  expect(await finalizers.add(target)).toBe('changed');
  expect(await finalizersOf('added')).toEqual([TEARDOWN_FINALIZER]);
  // The caller's copy is stale now (no finalizer, old resourceVersion): the stored one decides.
  expect(await finalizers.add(target)).toBe('unchanged');
  expect(await finalizersOf('added')).toEqual([TEARDOWN_FINALIZER]);
});

test('add from a stale copy keeps the finalizer someone else added meanwhile', async () => {
  const target = await configMap('add-stale');
  await changedBehindTheCallersBack('add-stale');
  expect(await finalizers.add(target)).toBe('changed');
  expect(await finalizersOf('add-stale')).toEqual([OTHER, TEARDOWN_FINALIZER]);
});

test('remove from a stale copy takes only reaper’s finalizer off', async () => {
  const target = await configMap('remove-stale', [TEARDOWN_FINALIZER]);
  await changedBehindTheCallersBack('remove-stale');
  expect(await finalizers.remove(target)).toBe('changed');
  expect(await finalizersOf('remove-stale')).toEqual([OTHER]);
  expect(await finalizers.remove(target)).toBe('unchanged');
});

test('an object being deleted gets no new finalizer, and removing ours lets the deletion go on', async () => {
  const target = await configMap('deleting', [OTHER]);
  await core.deleteNamespacedConfigMap({ name: 'deleting', namespace });
  const deleting = await stored('deleting');
  expect(deleting.metadata?.deletionTimestamp).toBeDefined();
  expect(await finalizers.add(target)).toBe('unchanged');
  expect(await finalizersOf('deleting')).toEqual([OTHER]);

  const held = await configMap('held', [OTHER, TEARDOWN_FINALIZER]);
  await core.deleteNamespacedConfigMap({ name: 'held', namespace });
  expect(await finalizers.remove(held)).toBe('changed');
  expect(await finalizersOf('held')).toEqual([OTHER]);
});

test('the last finalizer removed from an object being deleted: the object goes, and a later call is done', async () => {
  const target = await configMap('last', [TEARDOWN_FINALIZER]);
  await core.deleteNamespacedConfigMap({ name: 'last', namespace });
  expect(await finalizers.remove(target)).toBe('changed');
  await expect(stored('last')).rejects.toMatchObject({ code: 404 });
  expect(await finalizers.remove(target)).toBe('gone');
  expect(await finalizers.add(target)).toBe('gone');
});

test('an object deleted and created again under the same name is left alone', async () => {
  const old = await configMap('again', [TEARDOWN_FINALIZER]);
  await core.patchNamespacedConfigMap(
    { name: 'again', namespace, body: { metadata: { finalizers: null } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedConfigMap({ name: 'again', namespace });
  const recreated = await configMap('again', [TEARDOWN_FINALIZER]);
  expect(recreated.metadata.uid).not.toBe(old.metadata.uid);

  expect(await finalizers.remove(old)).toBe('gone');
  expect(await finalizersOf('again')).toEqual([TEARDOWN_FINALIZER]);
});
