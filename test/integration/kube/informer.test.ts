// The informer on the real kube-apiserver: it syncs, follows changes, turns unhealthy when its watch
// fails (here: its RBAC permission is taken away while it runs) and recovers when the permission
// comes back, without missing what changed meanwhile.
import * as k8s from '@kubernetes/client-node';
import { ResourceResolver } from '../../../src/kube/discovery.js';
import { ResilientInformer } from '../../../src/kube/informer.js';
import { PagedLister } from '../../../src/kube/paged-list.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import {
  createNamespace,
  deleteNamespace,
  grantConfigMapReader,
  revokeBinding,
  serviceAccountKubeConfig,
  waitFor,
} from './helpers.js';

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
    await waitFor('the add', () => events.includes('add:added:1'));
    await core.replaceNamespacedConfigMap({ name: 'added', namespace, body: configMap('added', '2') });
    await waitFor('the update', () => events.includes('update:added:2'));
    await core.deleteNamespacedConfigMap({ name: 'before', namespace });
    await waitFor('the delete', () => events.some((e) => e.startsWith('delete:before')));
    expect(names(informer)).toEqual(['added']);
    expect(informer.get('added', namespace)?.data?.value).toBe('2');
    // Cached without managedFields, listed or watched (the server's copy has them).
    const stored = await core.readNamespacedConfigMap({ name: 'added', namespace });
    expect(stored.metadata?.managedFields?.length).toBeGreaterThan(0);
    expect(informer.get('added', namespace)?.metadata).not.toHaveProperty('managedFields');
    expect(informer.list().every((o) => o.metadata && !('managedFields' in o.metadata))).toBe(true);

    // Take the permission away: the next watch request is refused.
    await revokeBinding(admin, namespace, 'reader-binding');
    await waitFor('the informer to turn unhealthy', () => !informer.healthy, 20_000);
    expect(informer.synced).toBe(true);
    expect(informer.state().lastError).toMatch(/403|Forbidden/i);
    // The cache keeps its last contents, for callers to decide (the sweep fails closed).
    expect(names(informer)).toEqual(['added']);

    await core.createNamespacedConfigMap({ namespace, body: configMap('during-outage', '1') });
    await core.deleteNamespacedConfigMap({ name: 'added', namespace });

    await grantConfigMapReader(admin, namespace, 'reader', 'reader-binding');
    await waitFor('the informer to recover', () => informer.healthy, 30_000);
    await waitFor('the changes made during the outage', () =>
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
      await waitFor(`${name} in the cache`, () => informer.get(name, namespace));
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
