// Two agents, as on two nodes: each `reaper run` has a Docker engine of its own (a private dockerd)
// and both watch the same API server. An owner deletion makes only the agent that holds something
// of that owner sweep; the other looks at its own engine and stays quiet (no sweep, no write).
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { labelsOfOwner } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { idleContainer, startPrivateDockerd } from '../../support/private-dockerd.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject } from '../../support/scenario.js';
import { ControllerScenario } from '../../support/scenario.js';

const scenario = new ControllerScenario('fleet-trigger');
const nodes: { engine: PrivateDockerd; agent?: ControllerProcess }[] = [];

afterAll(async () => {
  const codes = await Promise.all(nodes.map((n) => n.agent?.stop()));
  for (const node of nodes) await node.engine.destroy();
  await scenario.cleanUp();
  expect(codes.every((code) => code === undefined || code === 0)).toBe(true);
}, 300_000);

const containerOn = (engine: PrivateDockerd, name: string, owner: KubeObject): Promise<string> =>
  idleContainer(engine, `${scenario.fixtures.prefix}-${name}`, labelsOfOwner(scenario.labelKey, owner));

/** The agent's sweep of the policy that reaped one container. */
const sweepReapingOne = (agent: ControllerProcess, who: string) =>
  agent.waitForLog(
    `${who} to reap its container`,
    (l) =>
      l.msg === 'sweep finished' &&
      l.policy === scenario.policyName &&
      (l.counts as { containers: { reaped: number } }).containers.reaped === 1,
    60_000,
  );

const exists = (engine: PrivateDockerd, id: string) =>
  engine.docker
    .getContainer(id)
    .inspect()
    .then(() => true)
    .catch(() => false);

test('an owner deletion sweeps only on the agent that holds its resources', async () => {
  const namespace = await scenario.namespace();
  const [a, b] = [await startPrivateDockerd(), await startPrivateDockerd()];
  nodes.push({ engine: a! }, { engine: b! });
  const onA = await scenario.createTopology(namespace, 'on-a', 1);
  const onB = await scenario.createTopology(namespace, 'on-b', 1);
  const containerA = await containerOn(a!, 'on-a', onA);
  const containerB = await containerOn(b!, 'on-b', onB);
  await scenario.createPolicy({
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [namespace] }],
    resources: { containers: { stopTimeoutSeconds: 1 } },
    timing: { minAge: '0', gracePeriod: '0', interval: '1h' },
  });
  const start = (nodeName: string, engine: PrivateDockerd, role: 'all' | 'agent') =>
    startController({
      nodeName,
      policySelector: scenario.policySelector,
      role,
      args: ['--trigger-delay', '200ms', '--log-level', 'debug'],
      env: { DOCKER_HOST: engine.dockerHost },
    });
  // One summary writer for the fleet, as the chart runs it.
  nodes[0]!.agent = await start('node-fleet-a', a!, 'all');
  nodes[1]!.agent = await start('node-fleet-b', b!, 'agent');
  const [agentA, agentB] = [nodes[0]!.agent, nodes[1]!.agent];
  for (const agent of [agentA, agentB]) {
    await eventually('each agent’s first sweep', () => sweepsOf(agent, scenario.policyName).length > 0, 60_000);
  }
  const sweepsOfB = sweepsOf(agentB, scenario.policyName).length;

  await scenario.deleteOwner('topologies', namespace, 'on-a');
  const reaped = await sweepReapingOne(agentA, 'agent A');
  expect(reaped.outcome).toBe('Completed');
  expect(await exists(a!, containerA)).toBe(false);

  // B looked at its own engine, found nothing of the owner, and made no sweep.
  const quiet = await agentB.waitForLog(
    'agent B to decide it holds nothing of the deleted owner',
    (l) => l.msg === 'owners deleted, none of whose resources this agent holds: no sweep',
    60_000,
  );
  expect(quiet).toMatchObject({ policy: scenario.policyName, owners: 1 });
  expect(sweepsOf(agentB, scenario.policyName)).toHaveLength(sweepsOfB);
  expect(await exists(b!, containerB)).toBe(true);

  // The other way round: B holds the second owner's container and is the one that sweeps.
  const sweepsOfA = sweepsOf(agentA, scenario.policyName).length;
  await scenario.deleteOwner('topologies', namespace, 'on-b');
  await sweepReapingOne(agentB, 'agent B');
  expect(await exists(b!, containerB)).toBe(false);
  await eventually(
    'agent A to decide it holds nothing of the second owner',
    () =>
      agentA.logs.filter((l) => l.msg === 'owners deleted, none of whose resources this agent holds: no sweep')
        .length === 1,
    60_000,
  );
  expect(sweepsOf(agentA, scenario.policyName)).toHaveLength(sweepsOfA);
});
