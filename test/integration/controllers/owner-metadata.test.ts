// An agent (`--role agent`, no summary writer) caches its owners as metadata (design §4: lists and
// watches of PartialObjectMetadata, no spec or status in the cache), and still sees deletions and
// reaps as before: a deleted Topology's containers, network and leases go, a live one's stay; and
// under `teardown: Finalizer` the teardown, which needs the owner's status, reads it from the API
// server and writes TornDown and lastReap as before.
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject, OwnerResources } from '../../support/scenario.js';
import { apiVersion, condition, ControllerScenario } from '../../support/scenario.js';

const FINALIZER = 'reaper.dev/teardown';
const NODE = 'node-meta';

const scenario = new ControllerScenario('ctl-meta');
let controller: ControllerProcess;
let namespace: string;

beforeAll(async () => {
  namespace = await scenario.namespace();
  await scenario.createPolicy({ owners: [{ apiVersion, kind: 'Topology', namespaces: [namespace] }] });
  controller = await startController({
    nodeName: NODE,
    policySelector: scenario.policySelector,
    role: 'agent',
    args: ['--trigger-delay', '1s', '--owner-resync', '2s'],
  });
  await eventually('a first sweep', () => sweepsOf(controller, scenario.policyName).length > 0 || undefined);
});

afterAll(async () => {
  const code = await controller?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
});

async function topologyWithResources(name: string): Promise<{ owner: KubeObject; resources: OwnerResources }> {
  const owner = await scenario.createTopology(namespace, name);
  return { owner, resources: await scenario.materialize(name, owner) };
}

const total = (left: { containers: number; networks: number; leases: number }) =>
  left.containers + left.networks + left.leases;

test('the agent’s owner informers list and watch metadata alone', () => {
  const synced = controller.logs.filter((l) => l.msg === 'informer synced');
  const owners = synced.filter((l) => l.target === `Topology.${apiVersion}` || l.target === `Sandbox.${apiVersion}`);
  expect(owners.length).toBeGreaterThanOrEqual(2);
  for (const line of owners) expect(line).toMatchObject({ caches: 'metadata', wire: 'metadata' });
  // Policies are read whole: the agent needs their spec.
  expect(synced.find((l) => String(l.target).startsWith('ReapPolicy.'))).toMatchObject({ caches: 'whole objects' });
});

test('a deleted Topology is seen and its resources reaped; a live one keeps its own', async () => {
  const doomed = await topologyWithResources('doomed');
  const kept = await topologyWithResources('kept');
  expect(await scenario.remaining(doomed.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });

  await scenario.deleteOwner('topologies', namespace, 'doomed');
  await eventually(
    'the deleted Topology to be reaped',
    async () => total(await scenario.remaining(doomed.resources)) === 0 || undefined,
    20_000,
  );
  expect(await scenario.remaining(kept.resources)).toEqual({ containers: 2, networks: 1, leases: 2 });
});

test('teardown by finalizer reads the owner’s status fresh and records TornDown and lastReap', async () => {
  await scenario.patchPolicy({ spec: { teardown: 'Finalizer' } });
  const { resources } = await topologyWithResources('torn');
  await eventually('the finalizer on Topology torn', async () => {
    const current = await scenario.owner('topologies', namespace, 'torn');
    return current?.metadata?.finalizers?.includes(FINALIZER) || undefined;
  });
  const watch = await scenario.watchOwner('topologies', namespace, 'torn');
  try {
    await eventually('the watch on Topology torn to start', () => watch.seen.length > 0);
    await scenario.deleteOwner('topologies', namespace, 'torn');
    const deleted = await eventually(
      'Topology torn to be deleted',
      () => watch.seen.find((e) => e.type === 'DELETED')?.object,
      30_000,
    );
    // The record first: it says whether this agent tore it down. (On a shared API server an agent of
    // another test whose Sweep policy sees every namespace may take the finalizer off first.)
    expect(condition(deleted, 'TornDown')).toMatchObject({ status: 'True', reason: 'Reaped' });
    const lastReap = deleted.status?.lastReap as { node: string; counts: { containers: { reaped: number } } };
    expect(lastReap).toMatchObject({ node: NODE, counts: { containers: { reaped: 2 } } });
    expect(await scenario.remaining(resources)).toEqual({ containers: 0, networks: 0, leases: 0 });
  } finally {
    watch.stop();
  }
});
