// The API server is real: objects persist in etcd and watches deliver changes.
import * as k8s from '@kubernetes/client-node';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { eventually } from '../../support/eventually.js';

describe('kube-apiserver through @kubernetes/client-node', () => {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = uniqueName('smoke');

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test('reports its real version', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.(3[4-9]|[4-9]\d)\.\d+$/);
  });

  test('creates a namespace and a ConfigMap, and a watch sees the ConfigMap change', async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'greeting' }, data: { text: 'hello' } },
    });

    const seen: string[] = [];
    let stop: AbortController | undefined;
    const modified = new Promise<k8s.V1ConfigMap>((resolve, reject) => {
      new k8s.Watch(kc)
        .watch(
          `/api/v1/namespaces/${namespace}/configmaps`,
          { fieldSelector: 'metadata.name=greeting' },
          (phase: string, object: k8s.V1ConfigMap) => {
            seen.push(`${phase}:${object.data?.text}`);
            if (phase === 'MODIFIED') resolve(object);
          },
          (err: unknown) => (err ? reject(err) : undefined),
        )
        .then((controller) => (stop = controller), reject);
    });

    // The watch's initial ADDED event proves it is established before we change anything.
    await eventually('the initial ADDED event', () => seen.includes('ADDED:hello'), 20_000);
    await core.patchNamespacedConfigMap(
      { name: 'greeting', namespace, body: { data: { text: 'changed' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

    const object = await modified;
    stop?.abort();
    expect(object.data?.text).toBe('changed');
    expect(seen).toEqual(['ADDED:hello', 'MODIFIED:changed']);
  });
});
