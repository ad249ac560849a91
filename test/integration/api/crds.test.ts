// reaper's API on the real kube-apiserver: admission, defaults, status subresource, kubectl UX.
import * as k8s from '@kubernetes/client-node';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { invalidPolicies } from '../../support/invalid-policies.js';
import { installCrds, kubectl, repoRoot } from '../../support/kubectl.js';

const group = 'reaper.dev';
const version = 'v1alpha1';

describe('reaper.dev CRDs on a real API server', () => {
  const kc = kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = uniqueName('api');
  const policies: string[] = [];

  beforeAll(async () => {
    installCrds();
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    for (const name of policies) {
      await custom.deleteClusterCustomObject({ group, version, plural: 'reappolicies', name }).catch(() => undefined);
    }
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  async function createPolicy(spec: Record<string, unknown>, name = uniqueName('policy')) {
    policies.push(name);
    return (await custom.createClusterCustomObject({
      group,
      version,
      plural: 'reappolicies',
      body: { apiVersion: `${group}/${version}`, kind: 'ReapPolicy', metadata: { name }, spec },
    })) as { metadata: { name: string; generation: number }; spec: Record<string, unknown> };
  }

  test('every CRD is Established', () => {
    const crds = JSON.parse(kubectl(['get', 'crd', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    const ours = crds.items.filter((c) => c.metadata.name.endsWith('.reaper.dev'));
    expect(ours.map((c) => c.metadata.name).sort()).toEqual([
      'reappolicies.reaper.dev',
      'sandboxes.reaper.dev',
      'topologies.reaper.dev',
    ]);
    for (const crd of ours)
      expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  test('the example policies are accepted and defaults are filled in', async () => {
    const created = await createPolicy({});
    expect(created.spec).toMatchObject({
      mode: 'Reap',
      match: [{ label: 'reaper.dev/owner-uid' }],
      timing: { minAge: '5m', gracePeriod: '1m', interval: '5m' },
      limits: { maxDeletionsPerSweep: 500, maxOrphanPercent: 50, concurrency: 8 },
      resources: { containers: { running: 'Stop', stopTimeoutSeconds: 10 } },
      teardown: 'Sweep',
    });
    for (const file of readdirSync(path.join(repoRoot, 'examples', 'policies'))) {
      const example = parse(readFileSync(path.join(repoRoot, 'examples', 'policies', file), 'utf8')) as {
        spec: Record<string, unknown>;
      };
      await expect(createPolicy(example.spec)).resolves.toBeDefined();
    }
  });

  test('the example owners are accepted', async () => {
    for (const file of readdirSync(path.join(repoRoot, 'examples', 'owners'))) {
      const owner = parse(readFileSync(path.join(repoRoot, 'examples', 'owners', file), 'utf8')) as {
        kind: string;
        metadata: Record<string, unknown>;
      };
      const plural = owner.kind === 'Topology' ? 'topologies' : 'sandboxes';
      await custom.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        body: { ...owner, metadata: { ...owner.metadata, namespace } },
      });
    }
    expect(kubectl(['get', 'topologies,sandboxes', '-n', namespace, '-o', 'name']).trim().split('\n').sort()).toEqual([
      'sandbox.reaper.dev/box1',
      'topology.reaper.dev/lab-a',
      'topology.reaper.dev/lab-b',
    ]);
  });

  test.each(invalidPolicies)('admission rejects $name at $path', async ({ spec, path: field }) => {
    const error = await createPolicy(spec).then(
      () => undefined,
      (err: unknown) => err as k8s.ApiException<string>,
    );
    expect(error?.code).toBe(422);
    const body = JSON.parse(error!.body) as { details: { causes: { field: string }[] } };
    // The API server reports CEL rules on a list item at the item, schema rules at the field.
    expect(body.details.causes.map((c) => c.field)).toContain(field);
  });

  test('status is written only through /status, and spec writes leave status alone', async () => {
    const created = await createPolicy({ mode: 'DryRun' });
    const name = created.metadata.name;
    const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

    // Status sent to the main resource is ignored.
    await custom.patchClusterCustomObject(
      { group, version, plural: 'reappolicies', name, body: { status: { observedGeneration: 99 } } },
      mergePatch,
    );
    let current = (await custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as {
      metadata: { generation: number };
      spec: { mode: string };
      status?: { observedGeneration?: number };
    };
    expect(current.status?.observedGeneration).toBeUndefined();

    // Spec sent to /status is ignored; status is stored; generation does not move.
    await custom.patchClusterCustomObjectStatus(
      {
        group,
        version,
        plural: 'reappolicies',
        name,
        body: { spec: { mode: 'Reap' }, status: { observedGeneration: 1 } },
      },
      mergePatch,
    );
    current = (await custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as typeof current;
    expect(current.spec.mode).toBe('DryRun');
    expect(current.status?.observedGeneration).toBe(1);
    expect(current.metadata.generation).toBe(created.metadata.generation);

    // A spec change bumps the generation and keeps status.
    await custom.patchClusterCustomObject(
      { group, version, plural: 'reappolicies', name, body: { spec: { mode: 'Reap' } } },
      mergePatch,
    );
    current = (await custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as typeof current;
    expect(current.metadata.generation).toBe(created.metadata.generation + 1);
    expect(current.status?.observedGeneration).toBe(1);
  });

  test('kubectl explain teaches the API', () => {
    const text = kubectl(['explain', 'reappolicy.spec.timing']);
    expect(text).toContain('When an orphan may go.');
    expect(text).toMatch(/minAge\s+<string>\s+Resources younger than this are never reaped/);
  });

  test('kubectl get shows the printer columns', async () => {
    await createPolicy({});
    const header = (command: string[]) =>
      kubectl(command)
        .split('\n')[0]!
        .split(/\s{2,}/);
    expect(header(['get', 'reappolicies'])).toEqual([
      'NAME',
      'MODE',
      'READY',
      'LAST SWEEP',
      'ORPHANS',
      'REAPED',
      'FAILED',
      'AGE',
    ]);
    expect(header(['get', 'topologies', '-n', namespace])).toEqual(['NAME', 'CONTAINERS', 'NETWORKS', 'LEASES', 'AGE']);
    expect(header(['get', 'sandboxes', '-n', namespace])).toEqual(['NAME', 'CONTAINERS', 'NETWORKS', 'LEASES', 'AGE']);
    expect(kubectl(['get', 'reaper', '-A', '-o', 'name'])).toMatch(/reappolicy\.reaper\.dev\//);
  });
});
