// Server-side apply of status on reaper's own CRDs (cluster-scoped ReapPolicy, namespaced Topology):
// spec and generation are never touched, an unchanged apply changes nothing, the agent's and the
// summary writer's field managers each keep their own fields of one status, and our fields are taken
// back from another manager.
import * as k8s from '@kubernetes/client-node';
import type { Condition } from '../../../src/api/types.js';
import { setCondition } from '../../../src/status/conditions.js';
import type { ObjectRef } from '../../../src/kube/status-apply.js';
import { StatusApplier } from '../../../src/kube/status-apply.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { installCrds } from '../../support/kubectl.js';
import { createNamespace, deleteNamespace } from '../../support/kube-access.js';

interface StoredObject extends k8s.KubernetesObject {
  spec?: unknown;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    totals?: Record<string, number>;
    resources?: Record<string, unknown>;
  };
}

describe('StatusApplier on the real API server', () => {
  const kc = kubeConfig();
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const applier = new StatusApplier(kc);
  const namespace = uniqueName('status');
  const policy: ObjectRef = { apiVersion: 'reaper.dev/v1alpha1', kind: 'ReapPolicy', name: uniqueName('ssa') };
  const topology: ObjectRef = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', name: 'lab', namespace };
  const now = new Date('2025-06-01T00:00:00Z');

  const read = (ref: ObjectRef) =>
    objects.read({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
    }) as Promise<StoredObject>;
  const ready = (status: Condition['status'], message: string) =>
    setCondition(undefined, { type: 'Ready', status, reason: 'Swept', message }, 1, now);

  beforeAll(async () => {
    installCrds();
    await createNamespace(kc, namespace);
    await objects.create({
      apiVersion: policy.apiVersion,
      kind: policy.kind,
      metadata: { name: policy.name },
      spec: {
        mode: 'DryRun',
        owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' }],
        match: [{ label: 'reaper.dev/owner-uid' }],
      },
    } as k8s.KubernetesObject);
    await objects.create({
      apiVersion: topology.apiVersion,
      kind: topology.kind,
      metadata: { name: topology.name, namespace },
      spec: { networks: [{ name: 'core' }], nodes: [{ name: 'r1', image: 'busybox', networks: ['core'] }] },
    } as k8s.KubernetesObject);
  });

  afterAll(async () => {
    await objects
      .delete({ apiVersion: policy.apiVersion, kind: policy.kind, metadata: { name: policy.name } })
      .catch(() => undefined);
    await deleteNamespace(kc, namespace);
  });

  test('applies cluster-scoped status, leaves spec and generation alone, and is idempotent', async () => {
    const before = await read(policy);
    const status = { observedGeneration: 1, conditions: ready('True', 'swept'), totals: { sweeps: 1, reaped: 0 } };

    const applied = (await applier.apply(policy, status)) as StoredObject;
    expect(applied.status).toMatchObject(status);
    expect(applied.spec).toEqual(before.spec);
    expect(applied.metadata?.generation).toBe(before.metadata?.generation);
    expect(applied.metadata?.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'reaper', operation: 'Apply', subresource: 'status' }),
    );

    const again = await applier.apply(policy, structuredClone(status));
    expect(again.metadata?.resourceVersion).toBe(applied.metadata?.resourceVersion);

    // A field we applied before and leave out now is ours to remove.
    const { totals: _dropped, ...withoutTotals } = status;
    const trimmed = (await applier.apply(policy, withoutTotals)) as StoredObject;
    expect(trimmed.status?.totals).toBeUndefined();
    expect(trimmed.status?.conditions).toEqual(status.conditions);
  });

  test("an agent's apply and the summary writer's apply of one owner's status leave each other's fields alone", async () => {
    const summary = new StatusApplier(kc, { fieldManager: 'reaper-summary' });
    const resources = { containers: { expected: 1, found: 2 }, networks: { expected: 1, found: 1 } };
    await applier.apply(topology, { observedGeneration: 1, conditions: ready('True', 'managed') });
    await summary.apply(topology, { resources });
    await applier.apply(topology, { observedGeneration: 1, conditions: ready('True', 'managed again') });
    const stored = await read(topology);
    expect(stored.status?.resources).toEqual(resources);
    expect(stored.status?.conditions?.[0]?.message).toBe('managed again');
    const managers = (stored.metadata?.managedFields ?? []).map((m) => m.manager);
    expect(managers).toEqual(expect.arrayContaining(['reaper', 'reaper-summary']));
  });

  test('takes its fields back from another manager that set them', async () => {
    const other = new StatusApplier(kc, { fieldManager: 'someone-else' });
    await other.apply(policy, { observedGeneration: 7 });
    const stored = (await applier.apply(policy, {
      observedGeneration: 1,
      conditions: ready('True', 'mine'),
    })) as StoredObject;
    expect(stored.status?.observedGeneration).toBe(1);
  });

  test('applies namespaced status without touching spec', async () => {
    const before = await read(topology);
    const status = {
      observedGeneration: before.metadata?.generation,
      conditions: ready('True', 'all found'),
      resources: { containers: { expected: 1, found: 1 }, networks: { expected: 1, found: 1 } },
    };
    const applied = (await applier.apply(topology, status)) as StoredObject;
    expect(applied.status).toMatchObject(status);
    expect(applied.spec).toEqual(before.spec);
    const again = await applier.apply(topology, status);
    expect(again.metadata?.resourceVersion).toBe(applied.metadata?.resourceVersion);
  });

  test('applyIfChanged writes only when the status differs from the last one it applied', async () => {
    const status = { observedGeneration: 1, conditions: ready('True', 'first') };
    await expect(applier.applyIfChanged(topology, status)).resolves.toBe(true);
    await expect(applier.applyIfChanged(topology, structuredClone(status))).resolves.toBe(false);
    const changed = { ...status, conditions: ready('True', 'second') };
    await expect(applier.applyIfChanged(topology, changed)).resolves.toBe(true);
    expect((await read(topology)).status?.conditions?.[0]?.message).toBe('second');
    applier.forget(topology);
    await expect(applier.applyIfChanged(topology, changed)).resolves.toBe(true);
  });

  test('refuses a namespaced object without its namespace, and kinds nobody serves', async () => {
    await expect(applier.apply({ ...topology, namespace: undefined }, {})).rejects.toThrow(/namespaced/);
    await expect(
      applier.apply({ apiVersion: 'reaper.dev/v1alpha1', kind: 'NoSuchKind', name: 'x' }, {}),
    ).rejects.toThrow(/does not serve NoSuchKind/);
  });
});
