// A DynamicInformerSet on the real API server: a target whose kind is not served yet stays unsynced
// and unhealthy (a sweep would fail closed) until its CRD is installed, then syncs by itself through
// discovery; dropping a target stops its informer; a target whose projection changes gets a new
// informer, not ready until it has listed what the new projection keeps.
import * as k8s from '@kubernetes/client-node';
import type { InformerTarget, ObjectEvent } from '../../../src/kube/informer.js';
import { DynamicInformerSet } from '../../../src/kube/informer-set.js';
import { METADATA_ONLY, projectionOf } from '../../../src/kube/projection.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { createNamespace, deleteNamespace } from '../../support/kube-access.js';
import { eventually } from '../../support/eventually.js';

describe('DynamicInformerSet', () => {
  const kc = kubeConfig();
  const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const namespace = uniqueName('informer-set');
  const group = `${uniqueName('g')}.reaper-test.dev`;
  const crdName = `widgets.${group}`;
  const seen: string[] = [];
  const set = new DynamicInformerSet(kc, {
    restartBackoff: { baseMs: 200, maxMs: 1_000 },
    onEvent: (event: ObjectEvent, object, target) => seen.push(`${target.kind}:${event}:${object.metadata?.name}`),
  });

  const configMaps: InformerTarget = { apiVersion: 'v1', kind: 'ConfigMap', namespace };
  const widgets: InformerTarget = { apiVersion: `${group}/v1`, kind: 'Widget' };

  beforeAll(() => createNamespace(kc, namespace));
  afterAll(async () => {
    await set.stop();
    await extensions.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    await deleteNamespace(kc, namespace);
  });

  test('follows kinds that appear later and drops targets no longer wanted', async () => {
    expect(set.setTargets([configMaps, widgets, { ...configMaps }])).toMatchObject({
      added: [configMaps, widgets],
      removed: [],
    });
    await eventually('ConfigMaps to sync', () => set.get(configMaps)?.synced);
    await eventually('the Widget informer to report its failure', () => set.get(widgets)?.state().lastError);
    expect(set.get(widgets)?.state()).toMatchObject({ synced: false, healthy: false });
    expect(set.get(widgets)?.state().lastError).toMatch(/does not serve Widget/);
    expect(set.ready()).toBe(false);
    expect(set.ready([configMaps])).toBe(true);

    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    await eventually('the Widget informer to sync', () => set.get(widgets)?.synced, 60_000);
    expect(set.ready()).toBe(true);

    await objects.create({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace },
    } as k8s.KubernetesObject);
    await eventually('the Widget add event', () => seen.includes('Widget:add:w1'));
    expect(
      set
        .get(widgets)
        ?.list()
        .map((o) => o.metadata?.name),
    ).toEqual(['w1']);

    const widgetInformer = set.get(widgets)!;
    expect(set.setTargets([configMaps])).toMatchObject({ added: [], removed: [widgets] });
    expect(set.get(widgets)).toBeUndefined();
    await eventually('the dropped informer to stop', () => widgetInformer.state().lastError === 'stopped');
    expect(set.states().map((s) => s.target)).toEqual([configMaps]);
  });

  test('a new projection starts the informer over with what it keeps', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const labelSelector = 'reaper.dev/test=projection-change';
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'keyed', labels: { 'reaper.dev/test': 'projection-change' } }, data: { lab: 'l1' } },
    });
    const byUid: InformerTarget = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      labelSelector,
      projection: METADATA_ONLY,
    };
    const byField: InformerTarget = { ...byUid, projection: projectionOf([['data', 'lab']]) };
    const own = new DynamicInformerSet(kc);
    try {
      own.setTargets([byUid]);
      await eventually('the metadata informer to sync', () => own.ready());
      const first = own.get(byUid)!;
      expect(first.get('keyed', namespace)).not.toHaveProperty('data');
      // The same projection again (another object of the same meaning): nothing changes.
      expect(own.setTargets([{ ...byUid, projection: projectionOf([]) }])).toEqual({
        added: [],
        removed: [],
        replaced: [],
      });

      expect(own.setTargets([byField])).toEqual({ added: [], removed: [], replaced: [byField] });
      const second = own.get(byField)!;
      expect(second).not.toBe(first);
      // Not ready until it has listed: a sweep in between fails closed.
      expect(own.ready()).toBe(false);
      await eventually('the old informer to stop', () => first.state().lastError === 'stopped');
      await eventually('the new informer to sync', () => own.ready());
      expect(second.get('keyed', namespace)).toHaveProperty('data', { lab: 'l1' });
    } finally {
      await own.stop();
    }
  });
});
