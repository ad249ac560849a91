// The chart's Deployment mode on a real node: two replicas, leader election through a Lease. Only
// the leader sweeps; when its pod is deleted the other replica takes the Lease over and reaps what
// was orphaned meanwhile. The engine is a private dockerd reached through its socket (hostPath).
import { randomUUID } from 'node:crypto';
import { AGENT_SET_LABEL, agentSetSelector } from '../../support/controller-process.js';
import { uniqueName } from '../../support/engines.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { startPrivateDockerd } from '../../support/private-dockerd.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { chartDir } from '../chart/chart-support.js';
import { eventually } from '../../support/eventually.js';
import { clusterHelm, clusterHelmRun, clusterKubectl, clusterKubectlRun, reaperImage } from '../../support/cluster.js';

const apiVersion = 'reaper.dev/v1alpha1';
const release = 'reaper-dep';
const releaseNamespace = uniqueName('node-dep');
const ownerNamespace = uniqueName('node-dep-owners');
const labelKey = `${uniqueName('t')}.test/owner-uid`;
const agents = uniqueName('node-dep');
const policyName = uniqueName('node-dep-policy');
let engine: PrivateDockerd | undefined;
let fx: RuntimeFixtures;
let installed = false;

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}
const agentPods = () =>
  (
    JSON.parse(
      clusterKubectl(['get', 'pods', '-n', releaseNamespace, '-l', 'app.kubernetes.io/component=agent', '-o', 'json']),
    ) as { items: Pod[] }
  ).items.filter((p) => !p.metadata.deletionTimestamp);
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const holder = () =>
  clusterKubectlRun([
    'get',
    'lease',
    'reaper',
    '-n',
    releaseNamespace,
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]).stdout.trim();
const stray = (suffix: string) =>
  fx.container(suffix, { running: false, labels: ownerLabels(labelKey, randomUUID(), { namespace: ownerNamespace }) });

beforeAll(async () => {
  engine = await startPrivateDockerd({ addressPool: '10.233.0.0/16' });
  fx = new RuntimeFixtures('node-dep', engine.docker);
  clusterKubectl(['create', 'namespace', ownerNamespace]);
  const { repository, tag } = reaperImage();
  clusterHelm(
    [
      'install',
      release,
      chartDir,
      '-n',
      releaseNamespace,
      '--create-namespace',
      '--set',
      'mode=Deployment',
      '--set',
      'deployment.replicas=2',
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      'image.pullPolicy=Never',
      '--set',
      `docker.host=${engine.dockerHost}`,
      '--set',
      `policySelector=${agentSetSelector(agents)}`,
    ],
    240_000,
  );
  installed = true;
  await eventually(
    'two agent pods running, one of them Ready',
    () => {
      const pods = agentPods();
      return (pods.length === 2 && pods.every((p) => p.status.phase === 'Running') && pods.some(ready)) || undefined;
    },
    180_000,
  );
}, 600_000);

afterAll(async () => {
  if (installed) clusterHelmRun(['uninstall', release, '-n', releaseNamespace, '--wait', '--timeout=2m']);
  clusterKubectlRun(['delete', 'reappolicy', policyName, '--ignore-not-found']);
  clusterKubectlRun(['delete', 'namespace', ownerNamespace, releaseNamespace, '--ignore-not-found', '--wait=false']);
  await fx?.cleanUp();
  await engine?.destroy();
}, 300_000);

test('one of the two replicas holds the Lease and sweeps; the other takes over when its pod is deleted', async () => {
  const leader = await eventually('a replica to hold the Lease', () => {
    const name = holder();
    return agentPods().some((p) => p.metadata.name === name) ? name : undefined;
  });
  // Made before the policy: with an interval of an hour, the sweeps that count are the one when the
  // policy appears and the one a new leader makes when it takes over.
  const first = await stray('first');
  clusterKubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name: policyName, labels: { [AGENT_SET_LABEL]: agents } },
      spec: {
        owners: [{ apiVersion, kind: 'Topology', namespaces: [ownerNamespace] }],
        match: [{ label: labelKey }],
        resources: { containers: { stopTimeoutSeconds: 1 } },
        timing: { minAge: '0s', gracePeriod: '0s', interval: '1h' },
        limits: { maxOrphanPercent: 100 },
      },
    }),
  );
  await eventually(
    'the leader to reap the first orphan',
    async () => !(await fx.exists('container', first)) || undefined,
  );
  const reports = JSON.parse(
    clusterKubectl(['get', 'reapnodereports', '-l', `reaper.dev/policy=${policyName}`, '-o', 'json']),
  ) as { items: { spec?: { node?: string }; status?: { lastSweep?: { node: string } } }[] };
  // In Deployment mode the agent reports under the release's name, whichever replica leads.
  const reportedAs = clusterKubectl([
    'get',
    'deployments',
    '-n',
    releaseNamespace,
    '-l',
    'app.kubernetes.io/component=agent',
    '-o',
    'jsonpath={.items[0].spec.template.spec.containers[0].env[?(@.name=="NODE_NAME")].value}',
  ]).trim();
  expect(reportedAs).not.toBe('');
  expect(reports.items.map((r) => r.status?.lastSweep?.node)).toEqual([reportedAs]);

  const second = await stray('second');
  clusterKubectl(['delete', 'pod', '-n', releaseNamespace, leader, '--wait=false']);
  const next = await eventually(
    'the other replica to take the Lease over',
    () => {
      const name = holder();
      return name && name !== leader ? name : undefined;
    },
    120_000,
  );
  expect(next).not.toBe(leader);
  await eventually(
    'the new leader to reap the orphan made meanwhile',
    async () => !(await fx.exists('container', second)) || undefined,
    120_000,
  );
});
