// Deployment mode (`reaper run --leader-elect`): of two processes with distinct identities exactly
// one leads, and only it sweeps and writes its report and the policy's status; SIGKILL on the leader hands over once the lease
// has run out, and the new leader reaps; SIGTERM on a leader releases the lease, so a follower takes
// over without waiting the lease out, and the process exits 0; a leader cut off from its API server
// stops leading (exit 1) before the other, on another API server of the cluster, takes over. On a
// control plane of the test's own, so no other test's controller sweeps this policy.
import * as k8s from '@kubernetes/client-node';
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { sweepsOf } from '../../support/controller-process.js';
import type { ExtraApiServer } from '../../support/extra-apiserver.js';
import { PrivateCluster } from '../../support/extra-apiserver.js';
import { eventually } from '../../support/eventually.js';
import { scenarioOn, startControllerOn, waitUntilServed } from '../../support/private-scenario.js';
import type { ControllerScenario } from '../../support/scenario.js';

const LEASE = 'reaper-election-test';
const PARTITION_LEASE = 'reaper-election-partition';
const LEASE_NAMESPACE = 'default';
const LEASE_SECONDS = 15;
const TIMING = ['--lease-duration', `${LEASE_SECONDS}s`, '--renew-deadline', '10s', '--retry-period', '2s'];

let cluster: PrivateCluster;
let server: ExtraApiServer;
let scenario: ControllerScenario;
let coordination: k8s.CoordinationV1Api;
const candidates = new Map<string, ControllerProcess>();

beforeAll(async () => {
  // Two API servers on one etcd: the test and most candidates use the second; the first is cut off.
  cluster = await PrivateCluster.start('election', 2);
  server = cluster.apiServers[1]!;
  scenario = scenarioOn(server, 'ctl-elect');
  await waitUntilServed(cluster.apiServers);
  coordination = scenario.kc.makeApiClient(k8s.CoordinationV1Api);
  await scenario.createPolicy({ timing: { minAge: '0', gracePeriod: '0', interval: '2s' } });
}, 400_000);

afterAll(async () => {
  try {
    for (const candidate of candidates.values()) await candidate.stop('SIGKILL');
    await scenario?.cleanUp();
  } finally {
    await cluster?.close();
  }
}, 200_000);

async function candidate(name: string, via = server, leaseName = LEASE): Promise<ControllerProcess> {
  const controller = await startControllerOn(via, {
    nodeName: `node-${name}`,
    policySelector: scenario.policySelector,
    args: ['--leader-elect', '--identity', `cand-${name}`, '--leader-election-id', leaseName, ...TIMING],
    env: { POD_NAMESPACE: LEASE_NAMESPACE },
  });
  candidates.set(name, controller);
  return controller;
}

const lease = (name = LEASE) => coordination.readNamespacedLease({ name, namespace: LEASE_NAMESPACE });
const leads = (c: ControllerProcess) => c.logs.some((l) => l.msg === 'became leader');
const ms = (time: Date | string | undefined) => new Date(time ?? NaN).getTime();
/** The nodes that wrote a report of the policy: only leaders sweep, so only they write one. */
const reportingNodes = async () => (await scenario.nodeReports()).map((r) => (r.spec as { node: string }).node).sort();

test('one leader sweeps; SIGKILL hands over after the lease runs out; SIGTERM releases it at once', async () => {
  const namespace = await scenario.namespace();
  const owner = await scenario.createTopology(namespace, 'lab', 1);
  const resources = await scenario.materialize('lab', owner, { containers: 1 });

  const [a, b] = await Promise.all([candidate('a'), candidate('b')]);
  const first = await eventually(
    'a leader',
    async () => {
      const holder = (await lease().catch(() => undefined))?.spec?.holderIdentity;
      return holder === 'cand-a' ? a : holder === 'cand-b' ? b : undefined;
    },
    120_000,
  );
  const follower = first === a ? b : a;
  const [firstId, followerId] = first === a ? ['cand-a', 'cand-b'] : ['cand-b', 'cand-a'];
  const [firstNode, followerNode] = first === a ? ['node-a', 'node-b'] : ['node-b', 'node-a'];

  await eventually('the leader to sweep twice', () => sweepsOf(first, scenario.policyName).length >= 2, 60_000);
  await eventually('the follower to see the leader', () =>
    follower.logs.some((l) => l.msg === 'leader observed' && l.leader === firstId),
  );
  expect(leads(first)).toBe(true);
  expect(leads(follower)).toBe(false);
  expect(sweepsOf(follower, scenario.policyName)).toHaveLength(0);
  expect(await reportingNodes()).toEqual([firstNode]);
  expect(await scenario.remaining(resources)).toEqual({ containers: 1, networks: 1, leases: 1 });

  // The leader dies without a word; its owner goes while nobody leads.
  expect(await first.stop('SIGKILL')).toBeNull();
  const lastRenewal = ms((await lease()).spec?.renewTime);
  await scenario.deleteOwner('topologies', namespace, 'lab');

  const takenOver = await eventually(
    'the follower to take the lease',
    async () => {
      const current = await lease();
      return current.spec?.holderIdentity === followerId && current;
    },
    120_000,
  );
  // Never before the dead leader's lease ran out: it might only have been slow.
  expect(ms(takenOver.spec?.acquireTime) - lastRenewal).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
  // And soon after it did: the follower tries every retry period (2 s); a few seconds of slack for
  // a loaded machine, far short of a second lease duration.
  expect(ms(takenOver.spec?.acquireTime) - lastRenewal).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + 2 * 2000 + 5000);
  expect(takenOver.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  await eventually(
    'the new leader to reap the orphans',
    async () => {
      const left = await scenario.remaining(resources);
      return left.containers + left.networks + left.leases === 0;
    },
    60_000,
  );
  // Resources go before the sweep is logged: wait for the line rather than read it at once.
  await eventually('the new leader’s reaping sweep', () =>
    sweepsOf(follower, scenario.policyName).some(
      (s) => (s.counts as { containers: { reaped: number } }).containers.reaped === 1,
    ),
  );
  await eventually('the new leader’s report', async () => (await reportingNodes()).includes(followerNode));

  // A third candidate follows the new leader; SIGTERM on the leader releases the lease.
  const c = await candidate('c');
  await eventually(
    'the third candidate to see the leader',
    () => c.logs.some((l) => l.msg === 'leader observed' && l.leader === followerId),
    60_000,
  );
  const beforeStop = await lease();
  const versions = await watchLease(beforeStop.metadata!.resourceVersion!);
  try {
    expect(await follower.stop('SIGTERM', 60_000)).toBe(0);
    expect(follower.logs.some((l) => l.msg === 'released the lease')).toBe(true);
    const handedOver = await eventually(
      'the third candidate to take the lease',
      () => versions.seen.find((v) => v.spec?.holderIdentity === 'cand-c'),
      60_000,
    );
    const holders = versions.seen.map((v) => v.spec?.holderIdentity ?? '');
    // The stopped leader's last write gave the lease up: nobody holds it until the next candidate does.
    expect(holders.indexOf('')).toBeGreaterThanOrEqual(0);
    expect(holders.indexOf('')).toBeLessThan(holders.indexOf('cand-c'));
    // Taken over before the stopped leader's lease would have run out: it did not wait it out.
    expect(ms(handedOver.spec?.acquireTime)).toBeLessThan(ms(beforeStop.spec?.renewTime) + LEASE_SECONDS * 1000);
  } finally {
    versions.stop();
  }
  await eventually(
    'the third candidate to lead and sweep',
    () => leads(c) && sweepsOf(c, scenario.policyName).length > 0,
  );
  expect(await c.stop('SIGTERM', 60_000)).toBe(0);
}, 600_000);

test('a leader cut off from its API server stops leading and exits 1 before another takes over and reaps', async () => {
  const cutOff = cluster.apiServers[0]!;
  const namespace = await scenario.namespace();
  const owner = await scenario.createTopology(namespace, 'lab', 1);
  const resources = await scenario.materialize('cut-lab', owner, { containers: 1 });
  const holder = async () => (await lease(PARTITION_LEASE).catch(() => undefined))?.spec?.holderIdentity;

  const x = await candidate('x', cutOff, PARTITION_LEASE);
  await eventually('x to lead', async () => (await holder()) === 'cand-x', 120_000);
  const y = await candidate('y', server, PARTITION_LEASE);
  await eventually('y to see x lead', () => y.logs.some((l) => l.msg === 'leader observed' && l.leader === 'cand-x'));
  await eventually('x to sweep', () => sweepsOf(x, scenario.policyName).length > 0);

  await cutOff.stop('SIGKILL');
  await scenario.deleteOwner('topologies', namespace, 'lab');
  // x cannot renew: once its renew deadline has passed it stops leading and exits 1 (a pod restarts).
  expect(await eventually('x to exit', () => x.child.exitCode ?? undefined, 120_000)).toBe(1);
  const lost = x.logs.find((l) => l.msg === 'lost leadership; exiting so a fresh process campaigns again');
  expect(lost).toBeDefined();

  await eventually('y to take the lease', async () => (await holder()) === 'cand-y', 120_000);
  await eventually(
    'y to reap the orphans',
    async () => {
      const left = await scenario.remaining(resources);
      return left.containers + left.networks + left.leases === 0;
    },
    60_000,
  );
  // Never two leaders at once: x had given up before y began, and x, blind, reaped nothing.
  const began = y.logs.find((l) => l.msg === 'became leader')!;
  expect(Date.parse(lost!.time!)).toBeLessThan(Date.parse(began.time!));
  expect(sweepsOf(x, scenario.policyName).every((s) => reaped(s) === 0)).toBe(true);
  await eventually('y’s reaping sweep', () => sweepsOf(y, scenario.policyName).some((s) => reaped(s) > 0));
  expect(await y.stop('SIGTERM', 60_000)).toBe(0);
}, 600_000);

function reaped(sweep: LogLine): number {
  return Object.values(sweep.counts as Record<string, { reaped: number }>).reduce((n, c) => n + c.reaped, 0);
}

/** Every version of the Lease from `resourceVersion` on, in order. */
async function watchLease(resourceVersion: string): Promise<{ seen: k8s.V1Lease[]; stop(): void }> {
  const seen: k8s.V1Lease[] = [];
  const controller = await new k8s.Watch(scenario.kc).watch(
    `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`,
    { fieldSelector: `metadata.name=${LEASE}`, resourceVersion },
    (type: string, object: k8s.V1Lease) => {
      if (type === 'ADDED' || type === 'MODIFIED') seen.push(object);
    },
    () => undefined,
  );
  return { seen, stop: () => controller.abort() };
}
