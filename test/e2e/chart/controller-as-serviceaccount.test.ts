// `reaper run` outside a pod with nothing but the chart's ServiceAccount token: the RBAC the chart
// grants is enough for the whole job (watch policies and owners, sweep, write policy and owner
// status, events, add and remove the teardown finalizer), on the real API server and the real
// Docker engine. The policy attributes through a label key of its own, so only this test's
// containers are ever its orphans, and is in an agent set of its own, so only this test's agent
// sweeps it.
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { AGENT_SET_LABEL, agentSetSelector, startController } from '../../support/controller-process.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { installCrds } from '../../support/kubectl.js';
import { ownerLabels } from '../../support/owner-labels.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { eventually } from '../../support/eventually.js';
import { chartDir, createNamespace, deleteNamespace, helm, run, serviceAccountKubeconfig } from './chart-support.js';

const group = 'reaper.dev';
const version = 'v1alpha1';
const apiVersion = `${group}/${version}`;

const release = uniqueName('sa');
const fullname = `${release}-reaper`;
const releaseNamespace = uniqueName('chart-sa');
const node = uniqueName('sa-node');
const labelKey = `${uniqueName('t')}.test/owner-uid`;
/** The agent set of this file's agent and policies. */
const agents = uniqueName('chart-sa');
const fx = new RuntimeFixtures('chart-sa');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-chart-sa-'));
const admin = kubeConfig();
const custom = admin.makeApiClient(k8s.CustomObjectsApi);
const coreApi = admin.makeApiClient(k8s.CoreV1Api);
const policies: string[] = [];
let ownerNamespace = '';
let controller: ControllerProcess | undefined;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
interface Stored {
  metadata: { name: string; uid: string; generation?: number; finalizers?: string[] };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastSweep?: { node: string; outcome: string; counts: Record<string, { reaped: number; orphaned: number }> };
    fleet?: { nodes: number; ready: number };
  };
}

/** This agent's ReapNodeReport of a policy (read as admin), if there is one. */
async function nodeReportOf(policy: string): Promise<Stored | undefined> {
  const list = (await custom.listClusterCustomObject({
    group,
    version,
    plural: 'reapnodereports',
    labelSelector: `reaper.dev/policy=${policy}`,
  })) as { items: (Stored & { spec: { node: string } })[] };
  return list.items.find((r) => r.spec.node === node);
}

beforeAll(async () => {
  installCrds();
  helm(['install', release, chartDir, '-n', releaseNamespace, '--create-namespace']);
  ownerNamespace = createNamespace('chart-sa-owners');
  controller = await startController({
    nodeName: node,
    policySelector: agentSetSelector(agents),
    env: { KUBECONFIG: serviceAccountKubeconfig(work, releaseNamespace, fullname), REAPER_LOG_LEVEL: 'debug' },
  });
});

afterAll(async () => {
  const exitCode = await controller?.stop();
  for (const name of policies) {
    await custom.deleteClusterCustomObject({ group, version, plural: 'reappolicies', name }).catch(() => undefined);
  }
  for (const plural of ['topologies', 'sandboxes']) {
    // Release any owner a failed test left with reaper's finalizer, so the namespace can go.
    const list = (await custom
      .listNamespacedCustomObject({ group, version, namespace: ownerNamespace, plural })
      .catch(() => ({ items: [] }))) as { items: Stored[] };
    for (const item of list.items) {
      run('kubectl', [
        'patch',
        `${plural}.${group}`,
        item.metadata.name,
        '-n',
        ownerNamespace,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    }
  }
  deleteNamespace(ownerNamespace);
  run('helm', ['uninstall', release, '-n', releaseNamespace, '--no-hooks']);
  deleteNamespace(releaseNamespace);
  await fx.cleanUp();
  rmSync(work, { recursive: true, force: true });
  expect(exitCode).toBe(0);
});

async function createTopology(name: string): Promise<Stored> {
  return (await custom.createNamespacedCustomObject({
    group,
    version,
    namespace: ownerNamespace,
    plural: 'topologies',
    body: { apiVersion, kind: 'Topology', metadata: { name }, spec: {} },
  })) as Stored;
}

/** What a deployer writes on a resource of the Topology with this uid in ownerNamespace. */
const owned = (uid: string) => ownerLabels(labelKey, uid, { namespace: ownerNamespace });

async function createPolicy(spec: Record<string, unknown>): Promise<string> {
  const name = uniqueName('chart-sa');
  policies.push(name);
  await custom.createClusterCustomObject({
    group,
    version,
    plural: 'reappolicies',
    body: {
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name, labels: { [AGENT_SET_LABEL]: agents } },
      spec: {
        owners: [{ apiVersion, kind: 'Topology', namespaces: [ownerNamespace] }],
        match: [{ label: labelKey }],
        resources: { containers: { stopTimeoutSeconds: 1 }, networks: { enabled: false }, volumes: { enabled: false } },
        timing: { minAge: '0s', gracePeriod: '0s', interval: '1h' },
        limits: { maxOrphanPercent: 100 },
        ...spec,
      },
    },
  });
  return name;
}

const getPolicy = async (name: string) =>
  (await custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as Stored;

const readyFor = (policy: Stored) => {
  const ready = policy.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' &&
    ready.observedGeneration === policy.metadata.generation &&
    policy.status?.observedGeneration === policy.metadata.generation
    ? ready
    : undefined;
};

test('the agent starts with only the ServiceAccount token: healthy and ready', async () => {
  const agent = controller!;
  expect((await agent.get('/healthz')).status).toBe(200);
  await eventually('/readyz to answer 200', async () =>
    (await agent.get('/readyz')).status === 200 ? true : undefined,
  );
});

test('a policy sweep reaps the container of an owner that does not exist and keeps the live one', async () => {
  const live = await createTopology('alive');
  // A uid no owner has (a key that is not a uid would be foreign under uid-keyed owners).
  const orphan = await fx.container('orphan', { labels: owned(randomUUID()) });
  const kept = await fx.container('kept', { labels: owned(live.metadata.uid) });
  const name = await createPolicy({});

  await eventually('the orphaned container to be reaped', async () =>
    (await fx.exists('container', orphan)) ? undefined : true,
  );
  expect(await fx.exists('container', kept)).toBe(true);

  // Ready after a clean sweep of the current generation, as kstatus and Argo CD read it.
  // The agent's report (written under the ServiceAccount), then the summary it runs too.
  const report = await eventually('this agent’s report of the reaping sweep', async () => {
    const stored = await nodeReportOf(name);
    return stored?.status?.lastSweep?.counts.containers!.reaped ? stored : undefined;
  });
  expect(report.status!.lastSweep!.node).toBe(node);
  expect(report.status!.lastSweep!.outcome).toBe('Completed');
  const policy = await eventually('the policy to be Ready for its generation', async () => {
    const stored = await getPolicy(name);
    return readyFor(stored) && stored.status?.fleet?.ready ? stored : undefined;
  });
  expect(policy.status!.fleet).toMatchObject({ nodes: 1, ready: 1 });
  expect(readyFor(policy)!.reason).toBe('SweepCompleted');

  // The Event went to "default" with the ServiceAccount's create/patch on events.
  const events = await eventually('a Reaped event for the policy', async () => {
    const list = await coreApi.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.name=${name},reason=Reaped`,
    });
    return list.items.length > 0 ? list.items : undefined;
  });
  expect(events[0]!.message).toContain(`on ${node}`);

  // A spec change (a new generation) is Ready again only once swept at that generation.
  await custom.patchClusterCustomObject(
    { group, version, plural: 'reappolicies', name, body: { spec: { timing: { interval: '30m' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const updated = await eventually('Ready at the new generation', async () => {
    const stored = await getPolicy(name);
    return stored.metadata.generation === 2 ? readyFor(stored) && stored : undefined;
  });
  expect(updated.status!.observedGeneration).toBe(2);
});

const getTopology = async (name: string) =>
  (await custom.getNamespacedCustomObject({
    group,
    version,
    namespace: ownerNamespace,
    plural: 'topologies',
    name,
  })) as Stored;

test('Finalizer teardown: the agent adds its finalizer to the owner and reaps on deletion', async () => {
  const owner = await createTopology('torn-down');
  const container = await fx.container('torn-down', { labels: owned(owner.metadata.uid) });
  await createPolicy({ teardown: 'Finalizer' });

  await eventually('the teardown finalizer on the owner', async () =>
    (await getTopology('torn-down')).metadata.finalizers?.includes('reaper.dev/teardown') ? true : undefined,
  );
  await custom.deleteNamespacedCustomObject({
    group,
    version,
    namespace: ownerNamespace,
    plural: 'topologies',
    name: 'torn-down',
  });
  await eventually("the owner's container to be reaped", async () =>
    (await fx.exists('container', container)) ? undefined : true,
  );
});

// After the teardown the agent writes the owner's status and then removes its finalizer from the
// object as stored after that write (read afresh, not from the cache): the owner goes.
test('Finalizer teardown: the agent then removes its finalizer and the owner goes', async () => {
  await eventually(
    'the torn-down owner to be gone',
    async () => {
      try {
        await getTopology('torn-down');
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    },
    20_000,
  );
  // Let go at the first attempt: no reconcile of the owner failed (a conflict loop logs one a retry).
  const key = `${apiVersion}|Topology|${ownerNamespace}|torn-down`;
  const failures = controller!.logs.filter(
    (l) => l.msg === 'reconcile failed; retrying after backoff' && l.key === key,
  );
  expect(failures).toEqual([]);
});

test('no call the agent made for these policies was forbidden', () => {
  // Other tests' policies may name owner kinds this ServiceAccount is not granted (their sweeps and
  // the informers of those kinds, logged with the kind as target): not ours to judge.
  const ours = (l: LogLine) =>
    (typeof l.policy !== 'string' || policies.includes(l.policy)) &&
    (typeof l.target !== 'string' ||
      /^(Topology|Sandbox|ReapPolicy|ReapNodeReport)\.reaper\.dev\/|^Node\/v1/.test(l.target));
  const forbidden = controller!.logs.filter((l) => /forbidden/i.test(JSON.stringify(l)) && ours(l));
  expect(forbidden).toEqual([]);
  expect(controller!.otherOutput.filter((l) => /forbidden/i.test(l))).toEqual([]);
});
