// Fail closed while the API server is gone (design §3.2): a controller whose kube-apiserver stops
// mid-run keeps sweeping but reaps nothing, says so (logs, metrics, /readyz), and recovers by
// itself when the API server comes back. The cluster has two API servers on one etcd: the
// controller talks to the first, the test to the second, so owners can be deleted and created
// while the controller's API server is gone, as in a cluster whose other replicas stay up.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { sweepsOf } from '../../support/controller-process.js';
import type { ExtraApiServer } from '../../support/extra-apiserver.js';
import { PrivateCluster } from '../../support/extra-apiserver.js';
import { eventually } from '../../support/eventually.js';
import { metricValue, scenarioOn, startControllerOn, waitUntilServed } from '../../support/private-scenario.js';
import type { ControllerScenario, KubeObject, OwnerResources } from '../../support/scenario.js';
import { condition } from '../../support/scenario.js';

let cluster: PrivateCluster;
let controllersApi: ExtraApiServer;
let scenario: ControllerScenario;
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  cluster = await PrivateCluster.start('outage', 2);
  controllersApi = cluster.apiServers[0]!;
  scenario = scenarioOn(cluster.apiServers[1]!, 'ctl-outage');
  await waitUntilServed(cluster.apiServers);
  await scenario.createPolicy({ timing: { minAge: '0', gracePeriod: '0', interval: '2s' } });
}, 400_000);

// A test that fails leaves its controller running: stopped here, before the next test starts its own.
afterEach(async () => {
  await controller?.stop('SIGKILL');
  controller = undefined;
}, 60_000);

afterAll(async () => {
  try {
    if (controllersApi && !controllersApi.running) await controllersApi.start();
    await scenario?.cleanUp();
  } finally {
    await cluster?.close();
  }
}, 200_000);

const total = (left: { containers: number; networks: number; leases: number }) =>
  left.containers + left.networks + left.leases;
const TOPOLOGY = 'Topology.reaper.dev/v1alpha1';
const OUTAGE_MS = 60_000;

test('nothing is reaped while the API server is gone for a minute; the controller recovers by itself when it returns', async () => {
  const namespace = await scenario.namespace();
  const materializeFor = async (name: string): Promise<OwnerResources> => {
    const owner = await scenario.createTopology(namespace, name, 1);
    return scenario.materialize(name, owner, { containers: 1 });
  };
  const doomed = await materializeFor('doomed');
  const kept = await materializeFor('kept');
  controller = await startControllerOn(controllersApi, {
    nodeName: 'node-outage',
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '1s'],
  });
  const c = controller;
  const policy = scenario.policyName;
  await eventually('a clean sweep', () => sweepsOf(c, policy).some((s) => s.outcome === 'Completed'), 90_000);
  await eventually('/readyz to be ready', async () => (await c.get('/readyz')).status === 200, 30_000);

  const beforeOutage = c.logs.length;
  await controllersApi.stop('SIGKILL');
  const downSince = Date.now();
  const failure = await eventually(
    'the owner informer to fail',
    () => c.logs.slice(beforeOutage).find((l) => l.msg?.startsWith('informer failed') && l.target === TOPOLOGY),
    60_000,
  );
  // Every sweep logged after this line found the informer unhealthy.
  const outageStart = c.logs.indexOf(failure);

  // While it is gone: an owner goes (its resources are now orphans), a new owner comes whose
  // resources a stale cache would not know, and resources of no owner at all appear.
  await scenario.deleteOwner('topologies', namespace, 'doomed');
  const newcomer = await materializeFor('newcomer');
  const stray = await scenario.materialize('stray', randomUUID(), { containers: 1 });

  const sweepsSince = () => sweepsOf(c, policy).filter((s) => c.logs.indexOf(s) >= outageStart);
  await eventually('three sweeps while blind', () => sweepsSince().length >= 3, 120_000);
  // The API server stays away for a whole minute; every sweep in it (one each 2 s) must reap nothing.
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downSince)));
  const blind = sweepsSince();
  expect(blind.length).toBeGreaterThanOrEqual(10);
  for (const sweep of blind) {
    expect(sweep.outcome).toBe('FailedClosed');
    expect(JSON.stringify(sweep.failedClosed)).toContain(TOPOLOGY);
    expect(reapedIn(sweep)).toBe(0);
  }
  for (const resources of [doomed, kept, newcomer, stray]) expect(total(await scenario.remaining(resources))).toBe(3);

  const readyz = await c.get('/readyz');
  expect(readyz.status).toBe(503);
  expect(readyz.body).toContain(`[-]owners ${TOPOLOGY} failed`);
  expect((await c.get('/healthz')).status).toBe(200); // blind is not dead: no restart wanted
  const metrics = (await c.get('/metrics')).body;
  expect(metricValue(metrics, 'reaper_informer_healthy', { target: TOPOLOGY })).toBe(0);
  expect(metricValue(metrics, 'reaper_sweeps_total', { policy, outcome: 'FailedClosed' })).toBeGreaterThanOrEqual(3);

  const pid = c.child.pid;
  await controllersApi.start();
  await eventually(
    'the orphans to be reaped once the API server is back',
    async () => total(await scenario.remaining(doomed)) + total(await scenario.remaining(stray)) === 0,
    180_000,
  );
  expect(await scenario.remaining(kept)).toEqual({ containers: 1, networks: 1, leases: 1 });
  expect(await scenario.remaining(newcomer)).toEqual({ containers: 1, networks: 1, leases: 1 });
  expect(c.child.pid).toBe(pid);
  expect(c.child.exitCode).toBeNull();
  expect(c.logs.some((l) => l.msg === 'informer recovered' && l.target === TOPOLOGY)).toBe(true);

  // The two orphaned owners may go in two sweeps (the recovery's, and the deletion's once the
  // relisted cache has it): the status to read is the one written after both.
  const reapedInTotal = (p: KubeObject) => (p.status?.totals as { reaped?: number } | undefined)?.reaped;
  const recovered = await eventually(
    'the policy to be Ready again, with both orphaned owners reaped in its totals',
    async () => {
      const p = await scenario.policy();
      const ready = condition(p, 'Ready')?.status === 'True' && condition(p, 'Degraded')?.status === 'False';
      return ready && reapedInTotal(p) === 6 && p;
    },
    60_000,
  );
  expect(condition(recovered, 'Ready')?.observedGeneration).toBe(recovered.metadata!.generation);
  expect(reapedInTotal(recovered)).toBe(6);
  await eventually('/readyz to be ready again', async () => (await c.get('/readyz')).status === 200, 60_000);
  const after = (await c.get('/metrics')).body;
  expect(metricValue(after, 'reaper_informer_healthy', { target: TOPOLOGY })).toBe(1);
  expect(metricValue(after, 'reaper_resources_reaped_total', { policy, kind: 'containers' })).toBe(2);
  controller = undefined;
  expect(await c.stop()).toBe(0);
}, 600_000);

test('an API server that stops answering: nothing reaped, its silent watches taken for dead, SIGTERM still exits 0', async () => {
  controller = await startControllerOn(controllersApi, {
    nodeName: 'node-frozen',
    policySelector: scenario.policySelector,
    // The API server sends every watch a bookmark about once a minute: 75 s of silence is a dead watch.
    args: ['--request-timeout', '2s', '--shutdown-timeout', '10s', '--watch-idle-timeout', '75s'],
  });
  const c = controller;
  const policy = scenario.policyName;
  await eventually('a clean sweep', () => sweepsOf(c, policy).some((s) => s.outcome === 'Completed'), 90_000);

  // SIGSTOP: connections stay open and requests are accepted, but nothing ever answers, as with a
  // partition that drops packets. The informers' watches look healthy until they have been silent
  // for the idle timeout.
  const pid = controllersApi.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    const stray = await scenario.materialize('stray-frozen', randomUUID(), { containers: 1 });
    const since = c.logs.length;
    const sweepsSince = () => sweepsOf(c, policy).filter((s) => c.logs.indexOf(s) >= since);
    const sawStray = (sweep: LogLine) => (sweep.counts as Counts).containers.orphaned > 0;
    // A sweep must give up on the unanswered re-check and status write, not wait on them forever.
    await eventually(
      'two sweeps that saw the stray while the API server is frozen',
      () => sweepsSince().filter(sawStray).length >= 2,
      120_000,
    );
    for (const sweep of sweepsSince()) expect(reapedIn(sweep)).toBe(0);
    // The caches still look healthy, so the stray is planned for removal; the re-check that must
    // confirm its owner is gone gets no answer, and nothing is removed.
    for (const sweep of sweepsSince().filter(sawStray)) {
      expect(JSON.stringify(sweep.errors)).toContain('the re-check of owners got no answer');
    }
    expect(total(await scenario.remaining(stray))).toBe(3);

    // Once silent for the idle timeout, the watches are taken for dead: not ready, informers unhealthy.
    const readyz = await eventually(
      '/readyz to see the silent watches',
      async () => {
        const answer = await c.get('/readyz');
        return answer.status === 503 && answer.body.includes(TOPOLOGY) && answer;
      },
      180_000,
    );
    expect(readyz.body).toMatch(/sent nothing, not even a bookmark|got no answer/);
    const metrics = (await c.get('/metrics')).body;
    expect(metricValue(metrics, 'reaper_informer_healthy', { target: TOPOLOGY })).toBe(0);
    expect(total(await scenario.remaining(stray))).toBe(3);
    controller = undefined;
    expect(await c.stop('SIGTERM', 60_000)).toBe(0);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}, 600_000);

type Counts = Record<'containers' | 'networks' | 'volumes' | 'ipLeases', { orphaned: number; reaped: number }>;

function reapedIn(sweep: LogLine): number {
  const counts = sweep.counts as Counts;
  return Object.values(counts).reduce((n, c) => n + (c.reaped ?? 0), 0);
}
