// The chart as users install it, on a real node: `helm install` of charts/reaper with the image
// scripts/build-image makes, imported into the node's containerd (nothing is pulled). The
// DaemonSet's pod must become Ready through its own probes, with the chart's securityContext, the
// Docker socket and the lease store through hostPath, NODE_NAME from the downward API and the
// ServiceAccount token through the `kubernetes` Service. Its engine is a private dockerd, never the
// shared one. Deleting a Topology reaps its containers, network and leases on that engine; the
// report is in the policy status (kubectl get reappolicies) and in `kubectl logs`. Then `helm
// uninstall` runs the post-delete Job on the node, which leaves no finalizer behind. Between them:
// the kubelet restarts a killed agent, `helm upgrade` rolls the pod, `helm test` passes on the node.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  cluster,
  clusterHelm,
  clusterKubectl,
  clusterKubectlRun,
  reaperImage,
  nodeCtr,
} from '../../support/cluster.js';
import { uniqueName } from '../../support/engines.js';
import { eventually } from '../../support/eventually.js';
import { chartDir } from '../../support/kubectl.js';
import { NodeRelease } from '../../support/node-release.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import type { RuntimeFixtures } from '../../support/runtime-fixtures.js';

const apiVersion = 'reaper.dev/v1alpha1';
// The release sweeps only this file's policies: other files install agents on the same cluster.
const node = new NodeRelease('reaper', 'node');
const { release, releaseNamespace, ownerNamespace, labelKey, policyName } = node;
const leaseNetwork = uniqueName('node-leases');
let engine: PrivateDockerd | undefined;
let fx: RuntimeFixtures;

interface Pod {
  metadata: { name: string; ownerReferences?: { kind: string }[] };
  spec: {
    nodeName?: string;
    securityContext?: Record<string, unknown>;
    containers: {
      name: string;
      image: string;
      securityContext?: Record<string, unknown>;
      env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
      readinessProbe?: unknown;
    }[];
    volumes: { name: string; hostPath?: { path: string; type?: string } }[];
  };
  status: {
    phase: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean }[];
  };
}

const json = <T>(args: string[]): T => JSON.parse(clusterKubectl([...args, '-o', 'json'])) as T;
const agentPods = () =>
  json<{ items: Pod[] }>(['get', 'pods', '-n', releaseNamespace, '-l', 'app.kubernetes.io/component=agent']).items;
const leaseExists = (lease: string) => existsSync(path.join(fx.cniDir, lease));
const apply = (object: unknown) => clusterKubectl(['apply', '-f', '-'], JSON.stringify(object));

beforeAll(async () => {
  await node.start('10.232.0.0/16');
  engine = node.engine;
  fx = node.fx;
  const started = Date.now();
  node.install(['--set', `cni.leaseDir=${fx.cniDir}`, '--set', 'logLevel=debug', '--wait', '--timeout=3m']);
  // helm's --wait can pass before the DaemonSet controller has made the pod: wait for the pod itself.
  await eventually(
    'the agent pod to be Ready',
    () => {
      const ready = agentPods().filter((p) =>
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 1 || undefined;
    },
    180_000,
  );
  process.stderr.write(`helm install to a Ready agent pod: ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}, 600_000);

afterAll(async () => {
  await node.cleanUp();
}, 300_000);

test('the DaemonSet pod runs on the node, Ready through its probes, as the chart specifies it', () => {
  const pods = agentPods();
  expect(pods).toHaveLength(1);
  const pod = pods[0]!;
  expect(pod.spec.nodeName).toBe(cluster().node);
  expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('DaemonSet');
  expect(pod.status.phase).toBe('Running');
  expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  const agent = pod.spec.containers[0]!;
  expect(agent.readinessProbe).toBeDefined();
  expect(agent.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(agent.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
  const hostPaths = pod.spec.volumes.filter((v) => v.hostPath).map((v) => v.hostPath);
  expect(hostPaths).toEqual(
    expect.arrayContaining([
      { path: engine!.dockerHost.replace(/^unix:\/\//, ''), type: 'Socket' },
      { path: fx.cniDir, type: 'DirectoryOrCreate' },
    ]),
  );
  // In-cluster configuration: the ServiceAccount token, reaching the API through the Service's IP.
  const logs = clusterKubectl(['logs', '-n', releaseNamespace, pod.metadata.name]);
  expect(logs).toContain('https://10.97.0.1:443');
  expect(logs).toContain(cluster().node);
});

test('deleting a Topology reaps its containers, network and leases on the node engine; the report is visible', async () => {
  const topology = (name: string) => ({
    apiVersion,
    kind: 'Topology',
    metadata: { name, namespace: ownerNamespace },
    spec: {},
  });
  apply(topology('doomed'));
  apply(topology('kept'));
  const uid = (name: string) =>
    clusterKubectl(['get', 'topology.reaper.dev', name, '-n', ownerNamespace, '-o', 'jsonpath={.metadata.uid}']).trim();
  const materialize = async (tag: string, ownerUid: string) => {
    const labels = ownerLabels(labelKey, ownerUid, { namespace: ownerNamespace });
    const network = await fx.network(`${tag}-lan`, labels);
    const container = await fx.container(tag, { labels, running: false, network: fx.name(`${tag}-lan`) });
    const lease = await fx.lease(leaseNetwork, container);
    return { network, container, lease };
  };
  const doomed = await materialize('doomed', uid('doomed'));
  const kept = await materialize('kept', uid('kept'));
  const stray = await fx.container('stray', {
    running: false,
    labels: ownerLabels(labelKey, randomUUID(), { namespace: ownerNamespace }),
  });

  node.applyPolicy(
    node.policySpec({
      teardown: 'Finalizer',
      resources: {
        containers: { stopTimeoutSeconds: 1 },
        ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [leaseNetwork] },
      },
    }),
  );
  await eventually(
    'the teardown finalizer on both owners',
    async () =>
      ['doomed', 'kept'].every((name) =>
        clusterKubectl([
          'get',
          'topology.reaper.dev',
          name,
          '-n',
          ownerNamespace,
          '-o',
          'jsonpath={.metadata.finalizers}',
        ]).includes('reaper.dev/teardown'),
      ) || undefined,
  );
  clusterKubectl(['delete', 'topology.reaper.dev', 'doomed', '-n', ownerNamespace, '--wait=false']);
  const gone = async (r: { network: string; container: string; lease: string }) =>
    !(await fx.exists('container', r.container)) && !(await fx.exists('network', r.network)) && !leaseExists(r.lease);
  await eventually(
    'the deleted Topology’s container, network and lease to be reaped',
    async () => (await gone(doomed)) || undefined,
    60_000,
  );
  expect(await fx.exists('container', kept.container)).toBe(true);
  expect(await fx.exists('network', kept.network)).toBe(true);
  expect(leaseExists(kept.lease)).toBe(true);
  // The never-existing owner's container is an orphan too (the first sweep reaps it).
  await eventually(
    'the stray container to be reaped',
    async () => !(await fx.exists('container', stray)) || undefined,
    60_000,
  );
  await eventually(
    'the torn-down Topology to be gone',
    async () =>
      clusterKubectlRun(['get', 'topology.reaper.dev', 'doomed', '-n', ownerNamespace]).code !== 0 || undefined,
  );

  // The report the pod wrote: its node's ReapNodeReport, and the fleet summary the summary writer
  // (the chart's summary Deployment, on the same node) made of it, as kubectl shows them.
  const report = await eventually('a sweep report of this node that reaped', async () => {
    const list = json<{
      items: {
        spec?: { node?: string };
        status?: { lastSweep?: { node: string; counts: Record<string, { reaped: number }> } };
      }[];
    }>(['get', 'reapnodereports', '-l', `reaper.dev/policy=${policyName}`]);
    return list.items.find(
      (r) => r.spec?.node === cluster().node && (r.status?.lastSweep?.counts.containers?.reaped ?? 0) > 0,
    );
  });
  expect(report.status!.lastSweep!.node).toBe(cluster().node);
  expect(clusterKubectl(['get', 'reapnodereports', '-l', `reaper.dev/policy=${policyName}`])).toContain(cluster().node);
  await eventually('the fleet summary to count this node ready', async () => {
    const p = json<{ status?: { fleet?: { nodes?: number; ready?: number } } }>(['get', 'reappolicy', policyName]);
    return (p.status?.fleet?.ready ?? 0) >= 1 || undefined;
  });
  const table = clusterKubectl(['get', 'reappolicies', policyName]);
  expect(table).toMatch(new RegExp(`^${policyName}\\s+Reap\\s+True`, 'm'));
  const logs = clusterKubectl(['logs', '-n', releaseNamespace, '-l', 'app.kubernetes.io/component=agent', '--tail=-1']);
  expect(logs).toContain(policyName);
  expect(logs).toMatch(/reaped/i);
});

const readyAgent = (): Pod | undefined => {
  const pods = agentPods();
  return pods.length === 1 && pods[0]!.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    ? pods[0]
    : undefined;
};

test('the kubelet restarts a killed agent container, and the agent resumes reaping', async () => {
  const before = readyAgent()!;
  const status = json<Pod & { status: { containerStatuses: { containerID: string; restartCount: number }[] } }>([
    'get',
    'pod',
    '-n',
    releaseNamespace,
    before.metadata.name,
  ]).status.containerStatuses[0]!;
  // SIGKILL through the node's containerd, as an OOM kill or a crash would end it.
  nodeCtr(['tasks', 'kill', '-s', 'SIGKILL', status.containerID.replace(/^containerd:\/\//, '')]);
  const stray = await fx.container('after-kill', {
    running: false,
    labels: ownerLabels(labelKey, randomUUID(), { namespace: ownerNamespace }),
  });
  const restarted = await eventually(
    'the agent container to be restarted and Ready',
    () => {
      const pod = readyAgent();
      return pod && (pod.status.containerStatuses?.[0]?.restartCount ?? 0) > status.restartCount ? pod : undefined;
    },
    120_000,
  );
  expect(restarted.metadata.name).toBe(before.metadata.name);
  // The restarted agent's first sweep finds the orphan made while it was down.
  await eventually(
    'the orphan made while the agent was down to be reaped',
    async () => !(await fx.exists('container', stray)) || undefined,
    60_000,
  );
});

/** This node's cumulative count of reaped resources, from its ReapNodeReport. */
const reapedOnNode = (): number => {
  const list = json<{ items: { spec?: { node?: string }; status?: { totals?: { reaped?: number } } }[] }>([
    'get',
    'reapnodereports',
    '-l',
    `reaper.dev/policy=${policyName}`,
  ]);
  return list.items.find((r) => r.spec?.node === cluster().node)?.status?.totals?.reaped ?? 0;
};

test('helm upgrade to a new image rolls the pod: an orphan made during the roll is reaped, and counted once', async () => {
  const before = readyAgent()!;
  // The last test's reap may still be on its way into the report: take the count once it holds.
  let reapedBefore = reapedOnNode();
  await eventually('the node report to hold still', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const now = reapedOnNode();
    const still = now === reapedBefore;
    reapedBefore = now;
    return still || undefined;
  });
  // Made just before the roll: the old pod's last sweep or the new pod's first reaps it, not both.
  const stray = await fx.container('during-upgrade', {
    running: false,
    labels: ownerLabels(labelKey, randomUUID(), { namespace: ownerNamespace }),
  });
  // The same content under a new tag is a new image reference: the pod template changes.
  const { repository, tag } = reaperImage();
  const newTag = `${tag}-next`;
  nodeCtr(['images', 'tag', `docker.io/library/${repository}:${tag}`, `docker.io/library/${repository}:${newTag}`]);
  clusterHelm(
    ['upgrade', release, chartDir, '-n', releaseNamespace, '--reuse-values', '--set', `image.tag=${newTag}`],
    180_000,
  );
  const after = await eventually(
    'a new agent pod on the new image to be Ready',
    () => {
      const pod = readyAgent();
      return pod && pod.metadata.name !== before.metadata.name && pod.spec.containers[0]!.image.endsWith(`:${newTag}`)
        ? pod
        : undefined;
    },
    180_000,
  );
  expect(after.spec.nodeName).toBe(cluster().node);
  await eventually('the orphan made during the roll to be reaped', async () =>
    !(await fx.exists('container', stray)) ? true : undefined,
  );
  await eventually('the node report to count it', () => reapedOnNode() >= reapedBefore + 1 || undefined);
  // A second removal of the same container (a stale plan finding it gone) would count it again.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(reapedOnNode()).toBe(reapedBefore + 1);
});

test('helm test runs its Pod on the node; it reaches the agent through the Service by name', () => {
  // The Pod asks http://<release>-metrics.<namespace>.svc for /readyz and /metrics, and exits 1 on
  // any failure. (--logs cannot be used: hook-succeeded deletes the Pod before helm reads them.)
  const out = clusterHelm(['test', release, '-n', releaseNamespace, '--timeout=2m'], 180_000);
  expect(out).toMatch(/TEST SUITE:\s+reaper-test[\s\S]*Phase:\s+Succeeded/);
});

test('helm uninstall runs the post-delete Job on the node; no finalizer is left within a minute', async () => {
  // "kept" still carries the agent's finalizer.
  expect(
    clusterKubectl([
      'get',
      'topology.reaper.dev',
      'kept',
      '-n',
      ownerNamespace,
      '-o',
      'jsonpath={.metadata.finalizers}',
    ]),
  ).toContain('reaper.dev/teardown');
  const started = Date.now();
  node.uninstall();
  await eventually(
    'no reaper finalizer on any Topology',
    async () =>
      !clusterKubectl([
        'get',
        'topology.reaper.dev',
        '-n',
        ownerNamespace,
        '-o',
        'jsonpath={.items[*].metadata.finalizers}',
      ]).includes('reaper.dev/teardown') || undefined,
    60_000,
  );
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(agentPods()).toHaveLength(0);
});
