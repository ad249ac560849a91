// The blast-radius guard across a fleet, with its default limits: two agents, as on two nodes, each
// with a Docker engine of its own (a private dockerd), on a control plane of the test's own. The
// guard judges owners, cluster-wide: a lab of one or two owners is always torn down, owners deleted
// one at a time never block, and a mass deletion blocks every agent that holds something of it,
// with the same approval id on every node, until that id is approved.
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { sweepsOf } from '../../support/controller-process.js';
import type { ExtraApiServer } from '../../support/extra-apiserver.js';
import { PrivateCluster } from '../../support/extra-apiserver.js';
import { labelsOfOwner } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { idleContainer, startPrivateDockerd } from '../../support/private-dockerd.js';
import { approvalIdFor } from '../../../src/core/blast-radius.js';
import { eventually } from '../../support/eventually.js';
import { scenarioOn, startControllerOn, waitUntilServed } from '../../support/private-scenario.js';
import type { ControllerScenario, KubeObject } from '../../support/scenario.js';
import { apiVersion, group, version } from '../../support/scenario.js';

interface Node {
  readonly name: string;
  readonly engine: PrivateDockerd;
  agent: ControllerProcess;
}

let cluster: PrivateCluster;
let server: ExtraApiServer;
let scenario: ControllerScenario;
const nodes: Node[] = [];
const ns: Record<'solo' | 'pair' | 'churn' | 'crowded' | 'quiet', string> = {
  solo: '',
  pair: '',
  churn: '',
  crowded: '',
  quiet: '',
};

beforeAll(async () => {
  cluster = await PrivateCluster.start('fleet-guard');
  server = cluster.apiServers[0]!;
  scenario = scenarioOn(server, 'fleet-guard');
  await waitUntilServed([server]);
  for (const key of Object.keys(ns) as (keyof typeof ns)[]) ns[key] = await scenario.namespace(`fg-${key}`);
  await scenario.createPolicy({
    owners: [{ apiVersion, kind: 'Topology', namespaces: Object.values(ns) }],
    resources: { containers: { stopTimeoutSeconds: 1 } },
    timing: { minAge: '0', gracePeriod: '0', interval: '1h' },
    // The defaults: maxOrphanPercent 50, minOwnersToBlock 10, massDeletionWindow 10s.
    limits: {},
  });
  for (const name of ['node-guard-a', 'node-guard-b']) {
    const engine = await startPrivateDockerd();
    // One summary writer for the cluster, as the chart runs it: the first agent doubles as it.
    const agent = await startAgent(name, engine, nodes.length === 0 ? 'all' : 'agent');
    nodes.push({ name, engine, agent });
  }
  for (const { agent } of nodes) {
    await eventually('each agent’s first sweep', () => sweepsOf(agent, scenario.policyName).length > 0, 120_000);
  }
}, 600_000);

afterAll(async () => {
  try {
    const codes = await Promise.all(nodes.map((n) => n.agent.stop()));
    for (const node of nodes) await node.engine.destroy();
    await scenario?.cleanUp();
    expect(codes.every((code) => code === 0)).toBe(true);
  } finally {
    await cluster?.close();
  }
}, 300_000);

const [A, B] = [0, 1];

function startAgent(name: string, engine: PrivateDockerd, role: 'all' | 'agent'): Promise<ControllerProcess> {
  return startControllerOn(server, {
    nodeName: name,
    role,
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '1s'],
    env: { DOCKER_HOST: engine.dockerHost },
  });
}

const containerOn = (node: number, owner: KubeObject): Promise<string> =>
  idleContainer(
    nodes[node]!.engine,
    `${scenario.fixtures.prefix}-${owner.metadata!.namespace}-${owner.metadata!.name}`,
    labelsOfOwner(scenario.labelKey, owner),
  );

const exists = (node: number, id: string) =>
  nodes[node]!.engine.docker.getContainer(id)
    .inspect()
    .then(() => true)
    .catch(() => false);

const gone = (node: number, id: string, what: string) =>
  eventually(`${what} to be reaped`, async () => !(await exists(node, id)), 60_000);

/** Every sweep both agents logged from `since` on (counts per agent, as taken before). */
const sweepsSince = (since: number[]): LogLine[] =>
  nodes.flatMap((node, i) => sweepsOf(node.agent, scenario.policyName).slice(since[i]));
const sweepCounts = () => nodes.map((node) => sweepsOf(node.agent, scenario.policyName).length);

async function topologies(namespace: string, prefix: string, count: number): Promise<KubeObject[]> {
  const created: KubeObject[] = [];
  // In batches: a thousand creates one by one would take minutes, all at once would be refused.
  for (let start = 0; start < count; start += 25) {
    const batch = Array.from({ length: Math.min(25, count - start) }, (_, i) =>
      scenario.createTopology(namespace, `${prefix}-${start + i}`, 1),
    );
    created.push(...(await Promise.all(batch)));
  }
  return created;
}

test('the only owner there was, deleted, is reaped with the default limits', async () => {
  const since = sweepCounts();
  const [lab] = await topologies(ns.solo, 'lab', 1);
  const container = await containerOn(A, lab!);
  await scenario.deleteOwner('topologies', ns.solo, lab!.metadata!.name!);
  await gone(A, container, 'the only lab’s container');
  expect(sweepsSince(since).filter((s) => s.outcome === 'Blocked')).toEqual([]);
}, 300_000);

test('one of two owners deleted is reaped on its node; the other’s resources stay on theirs', async () => {
  const since = sweepCounts();
  const [first, second] = await topologies(ns.pair, 'lab', 2);
  const onA = await containerOn(A, first!);
  const onB = await containerOn(B, second!);
  await scenario.deleteOwner('topologies', ns.pair, first!.metadata!.name!);
  await gone(A, onA, 'the deleted lab’s container');
  expect(await exists(B, onB)).toBe(true);
  expect(sweepsSince(since).filter((s) => s.outcome === 'Blocked')).toEqual([]);
}, 300_000);

test('owners deleted one at a time, as a platform tears labs down, never block', async () => {
  const since = sweepCounts();
  // The sweep that reaped the previous test's container may log after that container is gone, so
  // within this test's lines: only sweeps that started now or later reap this test's containers.
  const startedAt = new Date().toISOString();
  const labs = await topologies(ns.churn, 'lab', 12);
  const containers = await Promise.all(labs.map((lab, i) => containerOn(i % 2, lab)));
  for (const [i, lab] of labs.entries()) {
    await scenario.deleteOwner('topologies', ns.churn, lab.metadata!.name!);
    await gone(i % 2, containers[i]!, `lab ${i}’s container`);
    // A platform's pace: one teardown after another, never a thousand at once. Slower than the
    // default limit of 10 deletions within 10 s (minOwnersToBlock, massDeletionWindow), which a
    // deletion reaped within a few hundred milliseconds and a 1 s pause would reach.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  const sweeps = sweepsSince(since);
  expect(sweeps.filter((s) => s.outcome === 'Blocked')).toEqual([]);
  const ownSweeps = sweeps.filter((s) => (s.startTime as string) >= startedAt);
  expect(ownSweeps.reduce((n, s) => n + (s.counts as { containers: { reaped: number } }).containers.reaped, 0)).toBe(
    12,
  );
}, 300_000);

test('800 of 1,000 owners deleted at once block every agent holding some, with one approval id, until approved, across a restart', async () => {
  const doomed = await topologies(ns.crowded, 'lab', 800);
  const survivors = await topologies(ns.quiet, 'keep', 200);
  const held = {
    a: [await containerOn(A, doomed[0]!), await containerOn(A, doomed[1]!)],
    b: [await containerOn(B, doomed[2]!), await containerOn(B, doomed[3]!)],
  };
  const kept = { a: await containerOn(A, survivors[0]!), b: await containerOn(B, survivors[1]!) };
  const since = sweepCounts();

  // A deletion within the window before a mass deletion is part of its wave: the earlier tests' are
  // let go past it, so the wave is exactly the namespace's owners.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  // What the namespace controller does when a namespace is deleted: one delete of the collection.
  await scenario.custom.deleteCollectionNamespacedCustomObject({
    group,
    version,
    plural: 'topologies',
    namespace: ns.crowded,
  });

  // The set is the 800 owners deleted (the policy keys owners by uid), whichever of them a node holds.
  const expectedId = approvalIdFor(
    scenario.policyName,
    doomed.map((lab) => lab.metadata!.uid!),
  );
  const latest = (node: number) => sweepsOf(nodes[node]!.agent, scenario.policyName).slice(since[node]).at(-1);
  await eventually(
    'both agents to be blocked on the whole wave',
    () => [A, B].every((node) => latest(node)?.outcome === 'Blocked' && latest(node)?.approvalId === expectedId),
    120_000,
  ).catch((err: Error) => {
    const show = (node: number) => JSON.stringify(latest(node)?.blocked ?? latest(node) ?? 'no sweep');
    throw new Error(`${err.message} (${expectedId}); node A last: ${show(A)}; node B last: ${show(B)}`);
  });
  for (const id of [...held.a]) expect(await exists(A, id)).toBe(true);
  for (const id of [...held.b]) expect(await exists(B, id)).toBe(true);
  // No sweep of either agent reaped anything while held.
  for (const sweep of sweepsSince(since)) {
    expect((sweep.counts as { containers: { reaped: number } }).containers.reaped).toBe(0);
  }

  // An agent restarted meanwhile has seen none of the deletions: it holds the wave from its report.
  expect(await nodes[B]!.agent.stop()).toBe(0);
  nodes[B]!.agent = await startAgent(nodes[B]!.name, nodes[B]!.engine, 'agent');
  since[B] = 0;
  await eventually('the restarted agent’s first sweep', () => latest(B) !== undefined, 120_000);
  expect(latest(B)).toMatchObject({ outcome: 'Blocked', approvalId: expectedId });
  for (const id of held.b) expect(await exists(B, id)).toBe(true);

  const warning = await eventually('a SweepBlocked event naming the id', async () =>
    (await scenario.policyEvents()).find((e) => e.reason === 'SweepBlocked' && e.message?.includes(expectedId)),
  );
  expect(warning.type).toBe('Warning');

  await scenario.patchPolicy({ metadata: { annotations: { 'reaper.dev/approve-sweep': expectedId } } });
  for (const id of held.a) await gone(A, id, 'an approved orphan on node A');
  for (const id of held.b) await gone(B, id, 'an approved orphan on node B');
  expect(await exists(A, kept.a)).toBe(true);
  expect(await exists(B, kept.b)).toBe(true);
}, 600_000);
