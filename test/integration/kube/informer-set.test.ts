// A DynamicInformerSet on the real API server: a target whose kind is not served yet stays unsynced
// and unhealthy (a sweep would fail closed) until its CRD is installed, then syncs by itself through
// discovery; dropping a target stops its informer.
import * as k8s from '@kubernetes/client-node';
import type { InformerTarget, ObjectEvent } from '../../../src/kube/informer.js';
import { DynamicInformerSet } from '../../../src/kube/informer-set.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { createNamespace, deleteNamespace, waitFor } from './helpers.js';

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
    await waitFor('ConfigMaps to sync', () => set.get(configMaps)?.synced);
    await waitFor('the Widget informer to report its failure', () => set.get(widgets)?.state().lastError);
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
    await waitFor('the Widget informer to sync', () => set.get(widgets)?.synced, 60_000);
    expect(set.ready()).toBe(true);

    await objects.create({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace },
    } as k8s.KubernetesObject);
    await waitFor('the Widget add event', () => seen.includes('Widget:add:w1'));
    expect(
      set
        .get(widgets)
        ?.list()
        .map((o) => o.metadata?.name),
    ).toEqual(['w1']);

    const widgetInformer = set.get(widgets)!;
    expect(set.setTargets([configMaps])).toMatchObject({ added: [], removed: [widgets] });
    expect(set.get(widgets)).toBeUndefined();
    await waitFor('the dropped informer to stop', () => widgetInformer.state().lastError === 'stopped');
    expect(set.states().map((s) => s.target)).toEqual([configMaps]);
  });
});
