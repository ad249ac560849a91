// Aggregated Events on the real API server: hundreds of occurrences become one Event with their
// count, updated in place on repetition, for namespaced and cluster-scoped objects alike.
import * as k8s from '@kubernetes/client-node';
import { coreV1EventSink, EventRecorder } from '../../../src/kube/event-recorder.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { kubectl } from '../../support/kubectl.js';
import { createNamespace, deleteNamespace } from '../../support/kube-access.js';

describe('EventRecorder on the real API server', () => {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = uniqueName('events');
  const recorder = new EventRecorder(coreV1EventSink(kc), { host: 'node-1', minWriteIntervalMs: 200 });

  beforeAll(() => createNamespace(kc, namespace));
  afterAll(async () => {
    await recorder.stop();
    await deleteNamespace(kc, namespace);
  });

  const eventsAbout = async (uid: string, eventNamespace: string) =>
    (await core.listNamespacedEvent({ namespace: eventNamespace, fieldSelector: `involvedObject.uid=${uid}` })).items;

  test('many occurrences on a namespaced object make one Event, updated in place', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    const subject = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', namespace, uid: cm.metadata!.uid };

    for (let i = 1; i <= 500; i++) recorder.normal(subject, 'Reaped', `reaped container c${i}`);
    await recorder.flush();
    const [first, ...others] = await eventsAbout(subject.uid!, namespace);
    expect(others).toEqual([]);
    expect(first).toMatchObject({
      type: 'Normal',
      reason: 'Reaped',
      count: 500,
      message: 'reaped container c500',
      source: { component: 'reaper', host: 'node-1' },
    });

    recorder.warning(subject, 'Reaped', 'a warning is another Event');
    for (let i = 501; i <= 700; i++) recorder.normal(subject, 'Reaped', `reaped container c${i}`);
    await recorder.flush();
    const events = await eventsAbout(subject.uid!, namespace);
    expect(events).toHaveLength(2);
    const normal = events.find((e) => e.type === 'Normal');
    expect(normal?.metadata.name).toBe(first!.metadata.name);
    expect(normal).toMatchObject({ count: 700, message: 'reaped container c700' });
    expect(normal!.lastTimestamp!.getTime()).toBeGreaterThanOrEqual(normal!.firstTimestamp!.getTime());

    // What an operator sees.
    const shown = kubectl(['get', 'events', '-n', namespace, '--field-selector', 'reason=Reaped,type=Normal']);
    expect(shown).toMatch(/Reaped/);
    expect(shown).toMatch(/reaped container c700/);
  });

  test('Events of a cluster-scoped object go to the default namespace', async () => {
    const ns = await core.readNamespace({ name: namespace });
    const subject = { apiVersion: 'v1', kind: 'Namespace', name: namespace, uid: ns.metadata!.uid };
    recorder.warning(subject, 'Blocked', 'too many orphans', 3);
    await recorder.flush();
    const events = await eventsAbout(subject.uid!, 'default');
    expect(events).toMatchObject([{ type: 'Warning', reason: 'Blocked', count: 3 }]);
    await core.deleteNamespacedEvent({ name: events[0]!.metadata.name!, namespace: 'default' });
  });
});
