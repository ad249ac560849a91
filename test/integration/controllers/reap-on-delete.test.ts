// `reaper run` against the real API server and Docker: deleting an owner reaps exactly its
// containers, network and leases within seconds, and says so in the node's report, the policy's
// fleet summary, an event and kubectl's columns. A recreated owner of the same name does not shield the old one's resources.
// A Sandbox is kept and reaped the same way as a Topology.
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import { kubectl } from '../../support/kubectl.js';
import type { OwnerResources } from '../../support/scenario.js';
import { ControllerScenario, condition, oneCleanNode } from '../../support/scenario.js';

const scenario = new ControllerScenario('ctl-del');
let controller: ControllerProcess;
let namespace: string;

beforeAll(async () => {
  namespace = await scenario.namespace();
  await scenario.createPolicy();
  controller = await startController({
    nodeName: 'node-del',
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '1s', '--owner-resync', '2s'],
  });
});

afterAll(async () => {
  const code = await controller?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
});

async function topologyWithResources(name: string, tag = name): Promise<{ uid: string; resources: OwnerResources }> {
  const owner = await scenario.createTopology(namespace, name);
  return { uid: owner.metadata!.uid!, resources: await scenario.materialize(tag, owner) };
}

test('deleting a Topology reaps its containers, network and leases; other owners and foreign resources stay', async () => {
  const doomed = await topologyWithResources('doomed');
  const kept = await topologyWithResources('kept');
  const foreign = await scenario.fixtures.container('foreign', { running: false });
  const otherLabel = await scenario.fixtures.container('other-label', {
    running: false,
    labels: { 'someone-else.test/owner-uid': 'no-such-owner' },
  });
  expect(await scenario.remaining(doomed.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });

  // The first sweep (at start) sees every owner live and reaps nothing.
  await eventually('a first sweep', () => sweepsOf(controller, scenario.policyName).length > 0 || undefined);

  const deletedAt = Date.now();
  await scenario.deleteOwner('topologies', namespace, 'doomed');
  await eventually(
    'the deleted Topology to be reaped',
    async () => {
      const left = await scenario.remaining(doomed.resources);
      return left.containers + left.networks + left.leases === 0 || undefined;
    },
    20_000,
  );
  const reactionMs = Date.now() - deletedAt;
  expect(reactionMs).toBeLessThan(20_000); // "within seconds" (the trigger waits 1 s to coalesce)

  expect(await scenario.remaining(kept.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });
  expect(await scenario.fixtures.exists('container', foreign)).toBe(true);
  expect(await scenario.fixtures.exists('container', otherLabel)).toBe(true);

  const nodeReport = await eventually("the report in the node's ReapNodeReport", async () => {
    const r = await scenario.nodeReport('node-del');
    const reaped = (r?.status?.lastSweep as { counts?: { containers?: { reaped?: number } } } | undefined)?.counts
      ?.containers?.reaped;
    return reaped === 2 ? r : undefined;
  });
  const report = nodeReport!.status!.lastSweep as {
    outcome: string;
    node: string;
    counts: Record<string, { reaped: number; failed: number }>;
    items: { kind: string; action: string; ownerKey?: string }[];
  };
  expect(report.outcome).toBe('Completed');
  expect(report.node).toBe('node-del');
  expect(report.counts.networks!.reaped).toBe(1);
  expect(report.counts.ipLeases!.reaped).toBe(2);
  expect(report.items.filter((i) => i.action === 'Reaped').every((i) => i.ownerKey === doomed.uid)).toBe(true);
  expect(condition(nodeReport, 'Ready')).toMatchObject({ status: 'True', reason: 'SweepCompleted' });

  // The summary writer (this agent runs it too) sums the one node into the policy's status.
  const policy = await eventually('the fleet summary in the policy status', async () => {
    const p = await scenario.policy();
    return (p.status?.summary as { reaped?: number } | undefined)?.reaped === 5 ? p : undefined;
  });
  expect(condition(policy, 'Ready')).toMatchObject({ status: 'True', reason: 'SweepCompleted', observedGeneration: 1 });
  expect(condition(policy, 'Blocked')?.status).toBe('False');
  expect(condition(policy, 'Degraded')?.status).toBe('False');
  expect(policy.status!.fleet).toEqual(oneCleanNode());
  const lastReaps = policy.status!.lastReaps as { node: string; kind: string; ownerKey?: string }[];
  expect(lastReaps).toHaveLength(5);
  expect(lastReaps.every((r) => r.node === 'node-del' && r.ownerKey === doomed.uid)).toBe(true);

  const events = await eventually('a Reaped event', async () => {
    const list = await scenario.policyEvents();
    return list.some((e) => e.reason === 'Reaped') ? list : undefined;
  });
  const reapedEvent = events.find((e) => e.reason === 'Reaped')!;
  expect(reapedEvent.type).toBe('Normal');
  expect(reapedEvent.message).toContain('2 containers');
  expect(reapedEvent.count).toBe(5); // one Event standing for every removal: 2 containers, 2 leases, 1 network

  // kubectl get shows the columns filled in.
  const table = kubectl(['get', 'reappolicies', scenario.policyName, '--no-headers']).trim().split(/\s+/);
  // NAME MODE READY NODES LAST-SWEEP ORPHANS REAPED FAILED AGE
  expect(table[0]).toBe(scenario.policyName);
  expect(table[1]).toBe('Reap');
  expect(table[2]).toBe('True');
  expect(table[3]).toBe('1');
  expect(table[4]).toMatch(/^\d+[smh]/);
  expect(table.slice(5, 8)).toEqual(['5', '5', '0']);
});

test('a Topology recreated with the same name does not protect the old uid’s resources', async () => {
  const first = await topologyWithResources('again', 'again-old');
  await eventually('the owner to be synced into a sweep', () => sweepsOf(controller, scenario.policyName).length > 0);
  const sweepsBefore = sweepsOf(controller, scenario.policyName).length;

  await scenario.deleteOwner('topologies', namespace, 'again');
  await eventually(
    'the Topology to be gone',
    async () => (await scenario.owner('topologies', namespace, 'again')) === undefined,
  );
  const second = await topologyWithResources('again', 'again-new');
  expect(second.uid).not.toBe(first.uid);

  await eventually(
    'the old uid’s resources to be reaped',
    async () => {
      const left = await scenario.remaining(first.resources);
      return left.containers + left.networks + left.leases === 0 || undefined;
    },
    20_000,
  );
  await eventually('the sweep to be logged', () => sweepsOf(controller, scenario.policyName).length > sweepsBefore);
  expect(await scenario.remaining(second.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });
  expect(await scenario.owner('topologies', namespace, 'again')).toBeDefined();
});

test('the Topology status shows what is expected and what the runtime holds', async () => {
  const owner = await topologyWithResources('counted');
  const status = await eventually('status.resources of the Topology', async () => {
    const current = await scenario.owner('topologies', namespace, 'counted');
    const resources = current?.status?.resources as Record<string, { expected?: number; found?: number }> | undefined;
    return resources?.containers?.found === 2 ? current : undefined;
  });
  expect(status!.status!.resources).toEqual({
    containers: { expected: 2, found: 2 },
    networks: { expected: 1, found: 1 },
    volumes: { found: 0 },
    ipLeases: { expected: 2, found: 2 },
  });
  expect(condition(status, 'Managed')).toMatchObject({ status: 'True', reason: 'SweptWhenGone' });
  expect(owner.uid).toBe(status!.metadata!.uid);
  const table = kubectl(['get', 'topologies', '-n', namespace, 'counted', '--no-headers']).trim().split(/\s+/);
  expect(table.slice(1, 4)).toEqual(['2', '1', '2']);
});

test('a Sandbox: its status shows its container, network and lease; deleting it reaps exactly them', async () => {
  const box = await scenario.createSandbox(namespace, 'box');
  const uid = box.metadata!.uid!;
  const resources = await scenario.materialize('box', box, { containers: 1 });
  const bystander = await topologyWithResources('beside-box');
  const counted = await eventually('status.resources of the Sandbox', async () => {
    const current = await scenario.owner('sandboxes', namespace, 'box');
    const found = current?.status?.resources as Record<string, { found?: number }> | undefined;
    return found?.containers?.found === 1 ? current : undefined;
  });
  expect(counted!.status!.resources).toEqual({
    containers: { expected: 1, found: 1 },
    networks: { expected: 1, found: 1 },
    volumes: { found: 0 },
    ipLeases: { expected: 1, found: 1 },
  });
  expect(condition(counted!, 'Managed')).toMatchObject({ status: 'True', reason: 'SweptWhenGone' });
  const table = kubectl(['get', 'sandboxes', '-n', namespace, 'box', '--no-headers']).trim().split(/\s+/);
  expect(table.slice(1, 4)).toEqual(['1', '1', '1']);

  await scenario.deleteOwner('sandboxes', namespace, 'box');
  await eventually(
    'the deleted Sandbox to be reaped',
    async () => {
      const left = await scenario.remaining(resources);
      return left.containers + left.networks + left.leases === 0 || undefined;
    },
    20_000,
  );
  expect(await scenario.remaining(bystander.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });
  const report = await eventually('the Sandbox in the report', async () => {
    const last = (await scenario.nodeReport('node-del'))?.status?.lastSweep as
      { items: { kind: string; action: string; ownerKey?: string }[] } | undefined;
    const reaped = last?.items.filter((i) => i.action === 'Reaped' && i.ownerKey === uid) ?? [];
    return reaped.length === 3 ? reaped : undefined;
  });
  expect(report.map((i) => i.kind).sort()).toEqual(['containers', 'ipLeases', 'networks']);
});
