// Two agents, as on two nodes (each `reaper run` with a Docker engine of its own, each with a real
// Node object in the API server), and one summary writer: each agent writes only its own
// ReapNodeReport, owned by its Node; an owner whose containers sit on both nodes shows the sum in
// status.resources and is reaped on both when deleted; a node that goes away (its agent stopped, its
// Node deleted) leaves nothing behind: the garbage collector takes its report, and neither the
// policy's fleet summary nor any owner's counts remember it.
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController } from '../../support/controller-process.js';
import { testImage, uniqueName } from '../../support/engines.js';
import { labelsOfOwner } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { startPrivateDockerd } from '../../support/private-dockerd.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject } from '../../support/scenario.js';
import { ControllerScenario, condition, oneCleanNode } from '../../support/scenario.js';

const scenario = new ControllerScenario('fleet-status');
const nodeNames = [uniqueName('node-fleet-a'), uniqueName('node-fleet-b')] as const;
const nodes: { name: string; engine?: PrivateDockerd; agent?: ControllerProcess | undefined }[] = nodeNames.map(
  (name) => ({
    name,
  }),
);

afterAll(async () => {
  const codes = await Promise.all(nodes.map((n) => n.agent?.stop()));
  for (const node of nodes) await node.engine?.destroy();
  for (const { name } of nodes) await scenario.core.deleteNode({ name }).catch(() => undefined);
  await scenario.cleanUp();
  expect(codes.every((code) => code === undefined || code === 0)).toBe(true);
}, 300_000);

async function containerOn(engine: PrivateDockerd, name: string, owner: KubeObject): Promise<string> {
  const created = await engine.docker.createContainer({
    name: `${scenario.fixtures.prefix}-${name}`,
    Image: testImage(),
    Cmd: ['sleep', '3600'],
    Labels: labelsOfOwner(scenario.labelKey, owner),
    HostConfig: { NetworkMode: 'none' },
  });
  return created.id;
}

const exists = (engine: PrivateDockerd, kind: 'container' | 'network', id: string) =>
  (kind === 'container' ? engine.docker.getContainer(id) : engine.docker.getNetwork(id))
    .inspect()
    .then(() => true)
    .catch(() => false);

interface Found {
  containers?: { expected?: number; found?: number };
  networks?: { expected?: number; found?: number };
}
const resourcesOf = async (namespace: string, name: string) =>
  (await scenario.owner('topologies', namespace, name))?.status?.resources as Found | undefined;
const nodeOf = (report: KubeObject) => (report.spec as { node: string }).node;

test('an owner spread over two nodes shows their sum, is reaped on both, and a node that goes leaves no trace', async () => {
  // Real Node objects: each agent's report is owned by its Node, so it goes with it.
  const uids: string[] = [];
  for (const { name } of nodes)
    uids.push((await scenario.core.createNode({ body: { metadata: { name } } })).metadata!.uid!);
  const [a, b] = [await startPrivateDockerd(), await startPrivateDockerd()];
  nodes[0]!.engine = a;
  nodes[1]!.engine = b;
  const namespace = await scenario.namespace();
  const spread = await scenario.createTopology(namespace, 'spread', 3);
  const onB = await scenario.createTopology(namespace, 'on-b', 1);
  const spreadOnA = [await containerOn(a, 'spread-0', spread), await containerOn(a, 'spread-1', spread)];
  const spreadOnB = await containerOn(b, 'spread-2', spread);
  const lan = (
    await a.docker.createNetwork({
      Name: `${scenario.fixtures.prefix}-spread-lan`,
      Labels: labelsOfOwner(scenario.labelKey, spread),
    })
  ).id;
  await containerOn(b, 'on-b-0', onB);
  await scenario.createPolicy({
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [namespace] }],
    resources: { containers: { stopTimeoutSeconds: 1 } },
    timing: { minAge: '0', gracePeriod: '0', interval: '1h' },
    limits: { maxOrphanPercent: 100 },
  });
  const start = (name: string, engine: PrivateDockerd, role: 'all' | 'agent') =>
    startController({
      nodeName: name,
      policySelector: scenario.policySelector,
      role,
      args: ['--trigger-delay', '200ms', '--owner-resync', '2s'],
      env: { DOCKER_HOST: engine.dockerHost },
    });
  // Exactly one summary writer: the first agent runs it too.
  nodes[0]!.agent = await start(nodeNames[0], a, 'all');
  nodes[1]!.agent = await start(nodeNames[1], b, 'agent');

  // Each node has its own report, owned by its Node.
  const reports = await eventually(
    'a report from each node',
    async () => {
      const found = await scenario.nodeReports();
      return found.length === 2 && found.every((r) => r.status?.lastSweep) ? found : undefined;
    },
    60_000,
  );
  for (const [i, name] of nodeNames.entries()) {
    const report = reports.find((r) => nodeOf(r) === name)!;
    expect(report.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name, uid: uids[i] }]);
    expect(report.metadata?.labels).toMatchObject({
      'reaper.dev/policy': scenario.policyName,
      'reaper.dev/node': name,
    });
  }

  // The owner's counts are the fleet's: two containers and the network on A, one container on B.
  const summed = await eventually(
    'the spread Topology to show both nodes’ containers',
    async () => {
      const resources = await resourcesOf(namespace, 'spread');
      return resources?.containers?.found === 3 && resources.networks?.found === 1 ? resources : undefined;
    },
    60_000,
  );
  expect(summed).toMatchObject({ containers: { expected: 3, found: 3 }, networks: { expected: 1, found: 1 } });
  // And where they are: both nodes, the one holding most first.
  const spreadNow = await scenario.owner('topologies', namespace, 'spread');
  expect(spreadNow?.status?.foundOnNodes).toEqual([
    { node: nodeNames[0], containers: 2, networks: 1, volumes: 0, ipLeases: 0 },
    { node: nodeNames[1], containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
  ]);
  await eventually(
    'the Topology on B alone to count its container',
    async () => (await resourcesOf(namespace, 'on-b'))?.containers?.found === 1,
  );
  const fleet = await eventually('the policy to count two ready nodes', async () => {
    const policy = await scenario.policy();
    const counts = policy.status?.fleet as { nodes: number; ready: number } | undefined;
    return counts?.nodes === 2 && counts.ready === 2 && condition(policy, 'Ready')?.status === 'True'
      ? policy
      : undefined;
  });
  expect(condition(fleet, 'Ready')!.message).toBe('2 nodes swept generation 1 cleanly');

  // Deleting the owner reaps it on both nodes.
  await scenario.deleteOwner('topologies', namespace, 'spread');
  await eventually(
    'the spread Topology’s resources to be reaped on both nodes',
    async () =>
      !(await exists(a, 'container', spreadOnA[0]!)) &&
      !(await exists(a, 'container', spreadOnA[1]!)) &&
      !(await exists(a, 'network', lan)) &&
      !(await exists(b, 'container', spreadOnB)),
    60_000,
  );
  const reaped = await eventually('the policy to list the reaps of both nodes', async () => {
    const reaps = ((await scenario.policy()).status?.lastReaps ?? []) as { node: string; name: string }[];
    return new Set(reaps.map((r) => r.node)).size === 2 ? reaps : undefined;
  });
  expect(reaped.map((r) => r.name).sort()).toEqual(
    [
      `${scenario.fixtures.prefix}-spread-0`,
      `${scenario.fixtures.prefix}-spread-1`,
      `${scenario.fixtures.prefix}-spread-2`,
      `${scenario.fixtures.prefix}-spread-lan`,
    ].sort(),
  );

  // Node B goes away: its agent stops, its Node is deleted.
  expect(await nodes[1]!.agent!.stop()).toBe(0);
  nodes[1]!.agent = undefined;
  await scenario.core.deleteNode({ name: nodeNames[1] });
  await eventually(
    'the garbage collector to delete node B’s report',
    async () => (await scenario.nodeReports()).map(nodeOf).join() === nodeNames[0],
    120_000,
  );
  const after = await eventually('the policy to count node A alone', async () => {
    const policy = await scenario.policy();
    const counts = policy.status?.fleet as { nodes: number; ready: number; stale: number } | undefined;
    return counts?.nodes === 1 ? policy : undefined;
  });
  expect(after.status?.fleet).toEqual(oneCleanNode());
  expect(condition(after, 'Ready')).toMatchObject({ status: 'True', message: '1 node swept generation 1 cleanly' });
  // Nor does any owner remember what sat on B.
  await eventually(
    'the Topology on B to count nothing',
    async () => (await resourcesOf(namespace, 'on-b'))?.containers?.found === 0,
  );
});
