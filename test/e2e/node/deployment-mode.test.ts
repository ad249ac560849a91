// The chart's Deployment mode on a real node: two replicas, leader election through a Lease. Only
// the leader sweeps; when its pod is deleted the other replica takes the Lease over and reaps what
// was orphaned meanwhile. The engine is a private dockerd reached through its socket (hostPath).
import { randomUUID } from 'node:crypto';
import { clusterKubectl, clusterKubectlRun } from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { NodeRelease, podReady } from '../../support/node-release.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { RuntimeFixtures } from '../../support/runtime-fixtures.js';

const node = new NodeRelease('reaper-dep', 'node-dep');
const { labelKey, ownerNamespace, releaseNamespace, policyName } = node;
let fx: RuntimeFixtures;

const agentPods = () => node.agentPods();
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
  await node.start('10.233.0.0/16');
  fx = node.fx;
  node.install(['--set', 'mode=Deployment', '--set', 'deployment.replicas=2']);
  await eventually(
    'two agent pods running, one of them Ready',
    () => {
      const pods = agentPods();
      return (pods.length === 2 && pods.every((p) => p.status.phase === 'Running') && pods.some(podReady)) || undefined;
    },
    180_000,
  );
}, 600_000);

afterAll(async () => {
  await node.cleanUp();
}, 300_000);

test('one of the two replicas holds the Lease and sweeps; the other takes over when its pod is deleted', async () => {
  const leader = await eventually('a replica to hold the Lease', () => {
    const name = holder();
    return agentPods().some((p) => p.metadata.name === name) ? name : undefined;
  });
  // Made before the policy: with an interval of an hour, the sweeps that count are the one when the
  // policy appears and the one a new leader makes when it takes over.
  const first = await stray('first');
  node.applyPolicy(node.policySpec());
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
