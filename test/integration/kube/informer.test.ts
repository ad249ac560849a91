// The informer on the real kube-apiserver: it syncs, follows changes, turns unhealthy when its watch
// fails (here: its RBAC permission is taken away while it runs) and recovers when the permission
// comes back, without missing what changed meanwhile; and informers of metadata (PartialObjectMetadata
// lists and watches) and of projections keep only what they are asked to.
import * as k8s from '@kubernetes/client-node';
import { collectionPath, ResourceResolver } from '../../../src/kube/discovery.js';
import { acceptingMetadata, ResilientInformer } from '../../../src/kube/informer.js';
import { PagedLister } from '../../../src/kube/paged-list.js';
import { METADATA_ONLY, projectionOf } from '../../../src/kube/projection.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import {
  createNamespace,
  deleteNamespace,
  grantConfigMapReader,
  revokeBinding,
  serviceAccountKubeConfig,
} from '../../support/kube-access.js';
import { eventually } from '../../support/eventually.js';

describe('ResilientInformer over ConfigMaps', () => {
  const admin = kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const namespace = uniqueName('informer');
  const labels = { 'reaper.dev/test': 'informer' };
  const informers: ResilientInformer[] = [];

  beforeAll(() => createNamespace(admin, namespace));
  afterAll(async () => {
    await Promise.all(informers.map((informer) => informer.stop()));
    await deleteNamespace(admin, namespace);
  });

  const configMap = (name: string, value: string): k8s.V1ConfigMap => ({
    metadata: { name, labels },
    data: { value },
  });
  const names = (informer: ResilientInformer) =>
    informer
      .list()
      .map((o) => o.metadata?.name)
      .sort();

  test('syncs, sees add, update and delete, and reports a watch failure until it recovers', async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap('before', '1') });
    const reader = await serviceAccountKubeConfig(admin, namespace, 'reader');
    await grantConfigMapReader(admin, namespace, 'reader', 'reader-binding');

    const informer = new ResilientInformer<k8s.V1ConfigMap>(
      reader,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace, labelSelector: 'reaper.dev/test=informer' },
      // Short watches so the informer reconnects (and meets the missing permission) within seconds.
      { watchTimeoutSeconds: () => 1, restartBackoff: { baseMs: 200, maxMs: 1_000 } },
    );
    informers.push(informer);
    const events: string[] = [];
    for (const event of ['add', 'update', 'delete'] as const) {
      informer.on(event, (cm) => events.push(`${event}:${cm.metadata?.name}:${cm.data?.value}`));
    }
    const states: string[] = [];
    informer.onState((s) => states.push(`${s.synced ? 'synced' : 'unsynced'}/${s.healthy ? 'healthy' : 'unhealthy'}`));

    expect(informer.synced).toBe(false);
    await informer.start();
    expect(informer.state()).toEqual({ synced: true, healthy: true });
    expect(names(informer)).toEqual(['before']);
    expect(events).toEqual(['add:before:1']);

    await core.createNamespacedConfigMap({ namespace, body: configMap('added', '1') });
    await eventually('the add', () => events.includes('add:added:1'));
    await core.replaceNamespacedConfigMap({ name: 'added', namespace, body: configMap('added', '2') });
    await eventually('the update', () => events.includes('update:added:2'));
    await core.deleteNamespacedConfigMap({ name: 'before', namespace });
    await eventually('the delete', () => events.some((e) => e.startsWith('delete:before')));
    expect(names(informer)).toEqual(['added']);
    expect(informer.get('added', namespace)?.data?.value).toBe('2');
    // Cached without managedFields, listed or watched (the server's copy has them).
    const stored = await core.readNamespacedConfigMap({ name: 'added', namespace });
    expect(stored.metadata?.managedFields?.length).toBeGreaterThan(0);
    expect(informer.get('added', namespace)?.metadata).not.toHaveProperty('managedFields');
    expect(informer.list().every((o) => o.metadata && !('managedFields' in o.metadata))).toBe(true);

    // Take the permission away: the next watch request is refused.
    await revokeBinding(admin, namespace, 'reader-binding');
    await eventually('the informer to turn unhealthy', () => !informer.healthy, 20_000);
    expect(informer.synced).toBe(true);
    expect(informer.state().lastError).toMatch(/403|Forbidden/i);
    // The cache keeps its last contents, for callers to decide (the sweep fails closed).
    expect(names(informer)).toEqual(['added']);

    await core.createNamespacedConfigMap({ namespace, body: configMap('during-outage', '1') });
    await core.deleteNamespacedConfigMap({ name: 'added', namespace });

    await grantConfigMapReader(admin, namespace, 'reader', 'reader-binding');
    await eventually('the informer to recover', () => informer.healthy, 30_000);
    await eventually('the changes made during the outage', () =>
      JSON.stringify(names(informer)) === JSON.stringify(['during-outage']) ? true : undefined,
    );
    expect(events).toEqual(expect.arrayContaining(['add:during-outage:1', 'delete:added:2']));
    // Relisted after the restart: still without managedFields.
    expect(informer.get('during-outage', namespace)?.metadata).not.toHaveProperty('managedFields');
    expect(states[0]).toBe('synced/healthy');
    expect(states).toContain('synced/unhealthy');
    expect(states.at(-1)).toBe('synced/healthy');

    await informer.stop();
    expect(informer.healthy).toBe(false);
  });

  test('keeps up across many watch renewals without reporting errors', async () => {
    const informer = new ResilientInformer<k8s.V1ConfigMap>(
      admin,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace, labelSelector: 'reaper.dev/test=renewals' },
      { watchTimeoutSeconds: () => 1 },
    );
    informers.push(informer);
    const unhealthy: string[] = [];
    informer.onState((s) => (s.healthy ? undefined : unhealthy.push(s.lastError ?? '')));
    await informer.start();
    for (let i = 0; i < 4; i++) {
      const name = `renewal-${i}`;
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, labels: { 'reaper.dev/test': 'renewals' } } },
      });
      await eventually(`${name} in the cache`, () => informer.get(name, namespace));
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    }
    expect(informer.list()).toHaveLength(4);
    expect(unhealthy).toEqual([]);
    await informer.stop();
  });
});

// client-node reads a list of custom objects without its `continue`: a limited list through it ends
// silently at its first page. The lister follows every page, for core and custom kinds alike.
describe('lists in pages', () => {
  const admin = kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  const namespace = uniqueName('paged');
  const resolver = new ResourceResolver(admin);
  const informers: ResilientInformer[] = [];

  beforeAll(() => createNamespace(admin, namespace));
  afterAll(async () => {
    await Promise.all(informers.map((informer) => informer.stop()));
    await deleteNamespace(admin, namespace);
  });

  const inBatches = async (count: number, create: (i: number) => Promise<unknown>) => {
    for (let start = 0; start < count; start += 20) {
      await Promise.all(Array.from({ length: Math.min(20, count - start) }, (_, j) => create(start + j)));
    }
  };

  test.each([
    ['ConfigMaps (core)', { apiVersion: 'v1', kind: 'ConfigMap' }],
    ['Topologies (custom)', { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' }],
  ])('%s: 130 objects in pages of 50 are all listed, and all reach the informer’s cache', async (_name, gvk) => {
    const labelSelector = `reaper.dev/paged=${gvk.kind.toLowerCase()}`;
    const labels = { 'reaper.dev/paged': gvk.kind.toLowerCase() };
    await inBatches(130, (i) =>
      gvk.kind === 'ConfigMap'
        ? core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}`, labels } } })
        : custom.createNamespacedCustomObject({
            group: 'reaper.dev',
            version: 'v1alpha1',
            plural: 'topologies',
            namespace,
            body: {
              apiVersion: gvk.apiVersion,
              kind: gvk.kind,
              metadata: { name: `lab-${i}`, labels },
              spec: { nodes: [] },
            },
          }),
    );
    const resource = await resolver.resolve(gvk);
    const listed = await new PagedLister(admin).listAll(resource, { namespace, labelSelector }, (o) => o, 50);
    expect(listed.pages).toBe(3);
    expect(new Set(listed.items.map((o) => o.metadata?.name)).size).toBe(130);
    expect(listed.resourceVersion).not.toBe('');

    const informer = new ResilientInformer(admin, { ...gvk, namespace, labelSelector }, { listPageSize: 50 });
    informers.push(informer);
    await informer.start();
    expect(informer.state()).toEqual({ synced: true, healthy: true });
    expect(informer.list()).toHaveLength(130);
    expect(informer.list().every((o) => o.metadata?.managedFields === undefined)).toBe(true);
  });
});

// Owners cached as metadata (design §4): the API server sends PartialObjectMetadata when asked, the
// cache holds no spec, status or annotations, and adds, updates and deletions are seen as before. A
// projection of a field the metadata lacks lists whole objects and keeps that field alone.
describe('informers of metadata and projections', () => {
  const admin = kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  const namespace = uniqueName('metadata');
  const resolver = new ResourceResolver(admin);
  const informers: ResilientInformer[] = [];
  const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' };
  const topologies = { group: 'reaper.dev', version: 'v1alpha1', plural: 'topologies', namespace };

  beforeAll(() => createNamespace(admin, namespace));
  afterAll(async () => {
    await Promise.all(informers.map((informer) => informer.stop()));
    await deleteNamespace(admin, namespace);
  });

  const topology = (name: string, nodes: number) => ({
    ...TOPOLOGY,
    metadata: {
      name,
      labels: { 'reaper.dev/test': 'metadata' },
      annotations: { 'example.test/note': 'x'.repeat(200) },
    },
    spec: {
      networks: [{ name: 'n1' }],
      nodes: Array.from({ length: nodes }, (_, i) => ({ name: `r${i}`, image: 'busybox', networks: ['n1'] })),
    },
  });

  test('Topologies: list and watch carry PartialObjectMetadata; the cache has no spec; changes and deletions are seen', async () => {
    for (let i = 0; i < 12; i++)
      await custom.createNamespacedCustomObject({ ...topologies, body: topology(`lab-${i}`, 2) });
    const labelSelector = 'reaper.dev/test=metadata';

    // What the API server sends: metadata alone, page by page.
    const resource = await resolver.resolve(TOPOLOGY);
    const lister = new PagedLister(admin);
    const page = await lister.page(resource, { namespace, labelSelector, metadataOnly: true }, 5);
    expect(page.items).toHaveLength(5);
    expect(page.continue).toBeDefined();
    for (const item of page.items as (k8s.KubernetesObject & { spec?: unknown })[]) {
      expect(item).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' });
      expect(item.spec).toBeUndefined();
      expect(item.metadata?.annotations?.['example.test/note']).toBeDefined();
    }
    const all = await lister.listAll(resource, { namespace, labelSelector, metadataOnly: true }, (o) => o, 5);
    expect(all.pages).toBe(3);
    expect(all.items).toHaveLength(12);

    // And what a watch sends when asked the same way.
    const watched: k8s.KubernetesObject[] = [];
    const watchRequest = await new k8s.Watch(acceptingMetadata(admin)).watch(
      collectionPath(resource, namespace),
      { labelSelector, resourceVersion: all.resourceVersion },
      (_phase: string, object: k8s.KubernetesObject) => watched.push(object),
      () => undefined,
    );
    try {
      await custom.createNamespacedCustomObject({ ...topologies, body: topology('watched', 1) });
      const event = await eventually('the watch event', () => watched.find((o) => o.metadata?.name === 'watched'));
      expect(event).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' });
      expect(event).not.toHaveProperty('spec');
    } finally {
      watchRequest.abort();
    }

    const informer = new ResilientInformer(
      admin,
      { ...TOPOLOGY, namespace, labelSelector, projection: METADATA_ONLY },
      { listPageSize: 5, watchTimeoutSeconds: () => 2 },
    );
    informers.push(informer);
    const events: string[] = [];
    const deleted: k8s.KubernetesObject[] = [];
    for (const event of ['add', 'update', 'delete'] as const) {
      informer.on(event, (o) => events.push(`${event}:${o.metadata?.name}:${o.metadata?.generation}`));
    }
    informer.on('delete', (o) => deleted.push(o));
    await informer.start();
    expect(informer.state()).toEqual({ synced: true, healthy: true });
    expect(informer.list()).toHaveLength(13);
    for (const cached of informer.list()) {
      expect(cached).toMatchObject(TOPOLOGY);
      expect(Object.keys(cached).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(Object.keys(cached.metadata ?? {}).sort()).toEqual([
        'generation',
        'name',
        'namespace',
        'resourceVersion',
        'uid',
      ]);
    }

    // A spec change is an update (a new resourceVersion and generation), seen without the spec.
    await custom.patchNamespacedCustomObject(
      { ...topologies, name: 'lab-3', body: { spec: topology('lab-3', 5).spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the update', () => events.includes('update:lab-3:2'));
    expect(informer.get('lab-3', namespace)).not.toHaveProperty('spec');

    // Deletions, including across watch renewals (2 s), arrive with the owner's uid.
    const uid = informer.get('lab-7', namespace)?.metadata?.uid;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await custom.deleteNamespacedCustomObject({ ...topologies, name: 'lab-7' });
    await eventually('the deletion', () => deleted.find((o) => o.metadata?.name === 'lab-7'));
    expect(deleted.find((o) => o.metadata?.name === 'lab-7')?.metadata?.uid).toBe(uid);
    expect(informer.get('lab-7', namespace)).toBeUndefined();
    expect(informer.list()).toHaveLength(12);
    expect(informer.healthy).toBe(true);
  });

  test('ConfigMaps keyed by a data field: whole objects are listed, the field alone is kept, and a deletion carries it', async () => {
    const labels = { 'reaper.dev/test': 'projection' };
    const body = (name: string, lab: string) => ({ metadata: { name, labels }, data: { lab, other: 'y'.repeat(500) } });
    await core.createNamespacedConfigMap({ namespace, body: body('cm-a', 'lab-a') });
    const informer = new ResilientInformer(admin, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      labelSelector: 'reaper.dev/test=projection',
      projection: projectionOf([['data', 'lab']]),
    });
    informers.push(informer);
    const deleted: k8s.KubernetesObject[] = [];
    informer.on('delete', (o) => deleted.push(o));
    await informer.start();
    expect(informer.get('cm-a', namespace)).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { lab: 'lab-a' },
    });
    expect(informer.get('cm-a', namespace)).not.toHaveProperty('data.other');

    await core.createNamespacedConfigMap({ namespace, body: body('cm-b', 'lab-b') });
    await eventually('the added ConfigMap', () => informer.get('cm-b', namespace));
    expect(informer.get('cm-b', namespace)).toHaveProperty('data', { lab: 'lab-b' });
    await core.deleteNamespacedConfigMap({ name: 'cm-b', namespace });
    const gone = await eventually('the deletion', () => deleted.find((o) => o.metadata?.name === 'cm-b'));
    expect(gone).toHaveProperty('data', { lab: 'lab-b' });
  });
});
