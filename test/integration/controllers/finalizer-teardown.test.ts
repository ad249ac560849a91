// `teardown: Finalizer` end to end, against the real API server and Docker: reaper holds a Topology's
// deletion with its finalizer until the Topology's containers, network, volumes and leases are gone;
// a removal that Docker refuses keeps the finalizer (TornDown False, a Warning event) and is retried
// with backoff until it succeeds; a `reaper.dev/keep=true` resource stays without holding the
// deletion; another controller's finalizer is left in place; and once no policy asks for Finalizer,
// the finalizer comes off live owners.
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject, OwnerResources, OwnerWatch } from '../../support/scenario.js';
import { apiVersion, condition, ControllerScenario } from '../../support/scenario.js';

const FINALIZER = 'reaper.dev/teardown';
const NODE = 'node-fin';

const scenario = new ControllerScenario('ctl-fin');
let controller: ControllerProcess;
let namespace: string;
const watches: OwnerWatch[] = [];

interface Counts {
  reaped: number;
  failed: number;
  skipped: number;
}
interface LastReap {
  node: string;
  outcome: string;
  counts: Record<'containers' | 'networks' | 'volumes' | 'ipLeases', Counts>;
  items: { kind: string; name: string; ownerKey?: string; action: string; reason: string }[];
}

beforeAll(async () => {
  namespace = await scenario.namespace();
  // Owners in this test's namespace only: agents of other tests sharing the API server leave them be.
  await scenario.createPolicy({
    owners: [
      { apiVersion, kind: 'Topology', namespaces: [namespace] },
      { apiVersion, kind: 'Sandbox', namespaces: [namespace] },
    ],
    teardown: 'Finalizer',
  });
  controller = await startController({
    nodeName: NODE,
    policySelector: scenario.policySelector,
    // debug: the agent says when a deletion makes it sweep nothing.
    args: ['--owner-resync', '2s', '--trigger-delay', '1s', '--log-level', 'debug'],
  });
  // The sweep at start: after it, the only sweeps are those this file causes (deletions, policy changes).
  await eventually('the first sweep', () => sweepsOf(controller, scenario.policyName).length > 0);
});

afterAll(async () => {
  for (const watch of watches) watch.stop();
  const code = await controller?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
});

const finalizersOf = (object: KubeObject | undefined) => object?.metadata?.finalizers ?? [];
const lastReapOf = (object: KubeObject | undefined) => object?.status?.lastReap as LastReap | undefined;
const total = (left: { containers: number; networks: number; leases: number }) =>
  left.containers + left.networks + left.leases;
const ownerQueueKey = (name: string) => `${apiVersion}|Topology|${namespace}|${name}`;

/** A Topology created while the controller runs, once it carries reaper's finalizer and its Managed condition. */
async function topologyWithFinalizer(name: string): Promise<KubeObject> {
  await scenario.createTopology(namespace, name, 2);
  return eventually(`the finalizer and status on Topology ${name}`, async () => {
    const current = await scenario.owner('topologies', namespace, name);
    return finalizersOf(current).includes(FINALIZER) && condition(current, 'Managed') ? current : undefined;
  });
}

async function watchTopology(name: string): Promise<OwnerWatch> {
  const watch = await scenario.watchOwner('topologies', namespace, name);
  watches.push(watch);
  await eventually(`the watch on Topology ${name} to start`, () => watch.seen.length > 0);
  return watch;
}

async function gone(watch: OwnerWatch, name: string, timeoutMs = 30_000): Promise<KubeObject> {
  const deleted = await eventually(
    `Topology ${name} to be deleted`,
    () => {
      if (watch.failure()) throw new Error(`the watch on ${name} failed: ${String(watch.failure())}`);
      return watch.seen.find((e) => e.type === 'DELETED')?.object;
    },
    timeoutMs,
  );
  return deleted;
}

/** The sweep a change makes (after --trigger-delay for a deletion): wait for it. */
async function sweepAfter(count: number): Promise<LogLine> {
  return eventually('the sweep the change triggers', () => sweepsOf(controller, scenario.policyName)[count]);
}

const heldNothing = () =>
  controller.logs.filter(
    (l) =>
      l.msg === 'owners deleted, none of whose resources this agent holds: no sweep' &&
      l.policy === scenario.policyName,
  );

/**
 * An owner its teardown left nothing of: its deletion makes this agent look at its engine, find
 * nothing the owner's key claims, and sweep nothing (a fleet's agents stay quiet).
 */
async function noSweepAfter(sweeps: number, decisions: number): Promise<void> {
  await eventually('the agent to decide it holds nothing of the deleted owner', () => heldNothing().length > decisions);
  expect(sweepsOf(controller, scenario.policyName)).toHaveLength(sweeps);
}

test('a Topology gets the finalizer, and its deletion reaps its containers, network and leases before it goes', async () => {
  const owner = await topologyWithFinalizer('torn');
  const uid = owner.metadata!.uid!;
  expect(condition(owner, 'Managed')).toMatchObject({ status: 'True', reason: 'TeardownByFinalizer' });
  const resources = await scenario.materialize('torn', owner, { running: true });
  expect(await scenario.remaining(resources)).toEqual({ containers: 2, networks: 1, leases: 2 });

  const watch = await watchTopology('torn');
  const sweeps = sweepsOf(controller, scenario.policyName).length;
  const decisions = heldNothing().length;
  await scenario.deleteOwner('topologies', namespace, 'torn');
  const deleted = await gone(watch, 'torn');
  // Read at once: the deletion's sweep waits --trigger-delay (1 s), so what is gone now the teardown removed.
  expect(await scenario.remaining(resources)).toEqual({ containers: 0, networks: 0, leases: 0 });

  // Every version the API server held: deleting set deletionTimestamp and kept the Topology while
  // reaper worked; reaper wrote lastReap and TornDown with the finalizer still on; then it went.
  const versions = watch.seen.filter((e) => e.type === 'MODIFIED').map((e) => e.object);
  const terminating = versions.filter((v) => v.metadata?.deletionTimestamp);
  expect(terminating.length).toBeGreaterThan(0);
  expect(terminating.every((v) => finalizersOf(v).includes(FINALIZER))).toBe(true);
  const tornDown = terminating.find((v) => condition(v, 'TornDown')?.status === 'True');
  expect(tornDown).toBeDefined();
  expect(condition(tornDown, 'TornDown')).toMatchObject({ reason: 'Reaped', message: `reaped on ${NODE}` });
  const report = lastReapOf(tornDown)!;
  expect(report).toMatchObject({ node: NODE, outcome: 'Completed' });
  expect(report.counts.containers).toMatchObject({ reaped: 2, failed: 0, skipped: 0 });
  expect(report.counts.networks).toMatchObject({ reaped: 1, failed: 0 });
  expect(report.counts.ipLeases).toMatchObject({ reaped: 2, failed: 0 });
  const reapedItems = report.items.filter((i) => i.action === 'Reaped');
  expect(reapedItems).toHaveLength(5);
  expect(reapedItems.every((i) => i.ownerKey === uid)).toBe(true);
  // A DELETED event carries the last version stored: the one reaper's finalizer removal ended.
  expect(condition(deleted, 'TornDown')?.status).toBe('True');
  expect(lastReapOf(deleted)?.counts.containers.reaped).toBe(2);

  const event = await eventually('the TornDown event on the Topology', async () =>
    (await scenario.ownerEvents(namespace, 'Topology', 'torn')).find((e) => e.reason === 'TornDown'),
  );
  expect(event.type).toBe('Normal');
  expect(event.involvedObject.uid).toBe(uid);
  expect(event.message).toBe(`reaped 5 runtime resources on ${NODE}`);

  // Nothing of the Topology is left for its deletion to sweep.
  await noSweepAfter(sweeps, decisions);
});

test('a removal Docker refuses keeps the finalizer, is retried with backoff, and the Topology goes once it succeeds', async () => {
  const owner = await topologyWithFinalizer('stuck');
  const uid = owner.metadata!.uid!;
  const resources: OwnerResources = await scenario.materialize('stuck', owner, { containers: 1 });
  const volume = await scenario.fixtures.volume('stuck-data', scenario.ownerLabels(owner));
  // Not labelled, so never reaper's to touch; while it runs with the volume mounted, Docker answers 409.
  const user = await scenario.foreignContainerUsing('volume-user', volume);
  expect((await scenario.policy()).spec).toMatchObject({ resources: { volumes: { enabled: true } } });

  const watch = await watchTopology('stuck');
  await scenario.deleteOwner('topologies', namespace, 'stuck');
  const failing = await eventually('TornDown False on the Topology', async () => {
    const current = await scenario.owner('topologies', namespace, 'stuck');
    return condition(current, 'TornDown')?.status === 'False' ? current : undefined;
  });
  expect(condition(failing, 'TornDown')).toMatchObject({ reason: 'TeardownFailed' });
  expect(condition(failing, 'TornDown')!.message).toContain(volume);
  expect(failing.metadata?.deletionTimestamp).toBeDefined();
  expect(finalizersOf(failing)).toContain(FINALIZER);
  // Everything else went; the volume and its user are still there.
  expect(await scenario.remaining(resources)).toEqual({ containers: 0, networks: 0, leases: 0 });
  expect(await scenario.fixtures.exists('volume', volume)).toBe(true);
  expect(await scenario.fixtures.exists('container', user)).toBe(true);
  const failedReport = lastReapOf(failing)!;
  expect(failedReport.items.find((i) => i.kind === 'volumes')).toMatchObject({ name: volume, ownerKey: uid });
  expect(failedReport.items.find((i) => i.kind === 'volumes')?.action).not.toBe('Reaped');

  const warning = await eventually('the TeardownFailed event on the Topology', async () =>
    (await scenario.ownerEvents(namespace, 'Topology', 'stuck')).find((e) => e.reason === 'TeardownFailed'),
  );
  expect(warning.type).toBe('Warning');
  expect(warning.involvedObject.uid).toBe(uid);
  expect(warning.message).toContain(volume);

  // Retried with the queue's backoff (500 ms doubling, up to 10% jitter off), not in a loop: the
  // failures are counted one after another (never a success in between), each retry scheduled twice
  // as far out as the one before. Writing TornDown updates the owner, which queues it again at once,
  // and every sweep (of any policy this agent sees) queues every owner, so some retries come early;
  // a status write at every retry made that a loop without end.
  const failures = () =>
    controller.logs.filter(
      (l) => l.msg === 'reconcile failed; retrying after backoff' && l.key === ownerQueueKey('stuck'),
    );
  const firstFailure = Date.parse((await eventually('a failed teardown', () => failures()[0])).time!);
  // At least 4 failures and 6 s: a slow machine makes fewer attempts, never more.
  await eventually('four failed attempts, 6 s after the first', () =>
    failures().length >= 4 && Date.now() >= firstFailure + 6_000 ? true : undefined,
  );
  const attempts = failures();
  expect(attempts.map((l) => l.failures)).toEqual(attempts.map((_, n) => n + 1));
  attempts.forEach((l, n) => {
    const scheduled = Math.min(300_000, 500 * 2 ** n);
    expect(l.retryInMs).toBeGreaterThanOrEqual(0.9 * scheduled - 1);
    expect(l.retryInMs).toBeLessThanOrEqual(scheduled);
  });
  // A loop makes several attempts a second. Backoff makes at most 4 in the first 6 s (at 0, 0.5, 1.5
  // and 3.5 s), one more follows our own status write, and each sweep (any policy: it logs one line)
  // or policy change queues every owner: a bound that holds however loaded the machine is.
  const inFirst6s = (l: LogLine) => Date.parse(l.time!) <= firstFailure + 6_000;
  const sweepsMeanwhile = controller.logs.filter(
    (l) => l.msg === 'sweep finished' && Date.parse(l.time!) >= firstFailure && inFirst6s(l),
  ).length;
  expect(attempts.filter(inFirst6s).length).toBeLessThanOrEqual(6 + 2 * sweepsMeanwhile);
  // The same failure is not written again at every retry (a write is an update, and an update queues
  // the owner at once): once, and once more at most if a retry read the cache before the first write.
  const versions = () => watch.seen.filter((e) => e.type === 'MODIFIED').map((e) => e.object);
  expect(versions().filter((v) => condition(v, 'TornDown')?.status === 'False').length).toBeLessThanOrEqual(2);
  const still = await scenario.owner('topologies', namespace, 'stuck');
  expect(finalizersOf(still)).toContain(FINALIZER);
  expect(await scenario.fixtures.exists('volume', volume)).toBe(true);

  // The volume's user goes: the next retry reaps the volume and lets the Topology go.
  const sweeps = sweepsOf(controller, scenario.policyName).length;
  const decisions = heldNothing().length;
  await scenario.fixtures.docker.getContainer(user).remove({ force: true });
  const deleted = await gone(watch, 'stuck', 60_000);
  expect(await scenario.fixtures.exists('volume', volume)).toBe(false);
  expect(condition(deleted, 'TornDown')).toMatchObject({ status: 'True', reason: 'Reaped' });
  expect(lastReapOf(deleted)?.counts.volumes).toMatchObject({ reaped: 1, failed: 0, skipped: 0 });
  // The Topology was held all along: no version without the finalizer until it was deleted.
  expect(versions().every((v) => finalizersOf(v).includes(FINALIZER))).toBe(true);
  await noSweepAfter(sweeps, decisions);
});

test('a reaper.dev/keep=true resource of the owner stays, and the finalizer still comes off', async () => {
  const owner = await topologyWithFinalizer('kept');
  const resources = await scenario.materialize('kept', owner, { containers: 1 });
  const keeper = await scenario.fixtures.container('kept-keeper', {
    running: true,
    labels: { ...scenario.ownerLabels(owner), 'reaper.dev/keep': 'true' },
  });
  const keeperLease = await scenario.fixtures.lease(scenario.cniNetwork, keeper);

  const watch = await watchTopology('kept');
  const sweeps = sweepsOf(controller, scenario.policyName).length;
  await scenario.deleteOwner('topologies', namespace, 'kept');
  const deleted = await gone(watch, 'kept');
  expect(await scenario.remaining(resources)).toEqual({ containers: 0, networks: 0, leases: 0 });
  expect(await scenario.fixtures.exists('container', keeper)).toBe(true);
  expect((await scenario.fixtures.docker.getContainer(keeper).inspect()).State.Running).toBe(true);
  expect(await scenario.leaseExists(keeperLease)).toBe(true);

  expect(condition(deleted, 'TornDown')).toMatchObject({ status: 'True', reason: 'Reaped' });
  const report = lastReapOf(deleted)!;
  expect(report.counts.containers).toMatchObject({ reaped: 1, failed: 0 });
  expect(report.items.some((i) => i.name.endsWith('kept-keeper'))).toBe(false);
  const event = await eventually('the TornDown event on the Topology', async () =>
    (await scenario.ownerEvents(namespace, 'Topology', 'kept')).find((e) => e.reason === 'TornDown'),
  );
  expect(event.message).toBe(`reaped 3 runtime resources on ${NODE}`);

  // The deletion's sweep leaves the kept container and its lease alone as well.
  await sweepAfter(sweeps);
  expect(await scenario.fixtures.exists('container', keeper)).toBe(true);
  expect(await scenario.leaseExists(keeperLease)).toBe(true);
});

test('another controller’s finalizer stays when reaper’s comes off, and holds the Topology until it goes too', async () => {
  const other = 'example.com/other-controller';
  const owner = await topologyWithFinalizer('shared');
  const resources = await scenario.materialize('shared', owner, { containers: 1 });
  // Added after reaper's: reaper's cached copy of the Topology is stale from now on.
  await scenario.appendFinalizer('topologies', namespace, 'shared', other);

  await scenario.deleteOwner('topologies', namespace, 'shared');
  const released = await eventually("reaper's finalizer to come off", async () => {
    const current = await scenario.owner('topologies', namespace, 'shared');
    return current && !finalizersOf(current).includes(FINALIZER) ? current : undefined;
  });
  expect(finalizersOf(released)).toEqual([other]);
  expect(released.metadata?.deletionTimestamp).toBeDefined();
  expect(condition(released, 'TornDown')).toMatchObject({ status: 'True', reason: 'Reaped' });
  expect(await scenario.remaining(resources)).toEqual({ containers: 0, networks: 0, leases: 0 });

  const watch = await watchTopology('shared');
  await scenario.patchOwner('topologies', namespace, 'shared', { metadata: { finalizers: null } });
  await gone(watch, 'shared');
});

test('switching the policy to teardown: Sweep takes the finalizer off live owners', async () => {
  const owner = await topologyWithFinalizer('switched');
  const resources = await scenario.materialize('switched', owner, { containers: 1 });

  const sweeps = sweepsOf(controller, scenario.policyName).length;
  await scenario.patchPolicy({ spec: { teardown: 'Sweep' } });
  const released = await eventually('the finalizer to come off', async () => {
    const current = await scenario.owner('topologies', namespace, 'switched');
    return current && !finalizersOf(current).includes(FINALIZER) ? current : undefined;
  });
  expect(released.metadata?.deletionTimestamp).toBeUndefined();
  await eventually('Managed to say SweptWhenGone', async () => {
    const current = await scenario.owner('topologies', namespace, 'switched');
    return condition(current, 'Managed')?.reason === 'SweptWhenGone';
  });
  // A live owner: nothing of it was touched, by the change nor by the sweep the change starts.
  await sweepAfter(sweeps);
  expect(await scenario.remaining(resources)).toEqual({ containers: 1, networks: 1, leases: 1 });

  // Its deletion is no longer held: it goes at once, and the sweep after it reaps what it owned.
  await scenario.deleteOwner('topologies', namespace, 'switched');
  await eventually(
    'the Topology to be gone',
    async () => (await scenario.owner('topologies', namespace, 'switched')) === undefined,
    5_000,
  );
  await eventually(
    'its resources to be reaped by a sweep',
    async () => total(await scenario.remaining(resources)) === 0,
    20_000,
  );
});
