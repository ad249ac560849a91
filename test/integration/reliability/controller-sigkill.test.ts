// `reaper run` SIGKILLed in the middle of a reap (no drain, no status write, nothing released) and
// started again: the new process finishes the job, frees no lease a second time (an address freed
// before the kill and handed to a live container meanwhile stays that container's), keeps
// host-local's bookkeeping usable, and runs steadily (ready, sweeping, not restarting).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { leaseAddress, releaseLease } from '../../support/cni.js';
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import { ControllerScenario } from '../../support/scenario.js';
import { reportConditions } from '../../support/node-report.js';

const scenario = new ControllerScenario('rel-kill');
const NODE = 'node-kill';
// 29 usable addresses: small enough that new leases wrap around onto addresses freed by the reap.
const SUBNET = '10.251.7.0/27';
const ORPHAN_CONTAINERS = 12;
// Owners that are gone: uids no object has (owner keys of a uid owner kind must be uids).
const goneUids = [randomUUID(), randomUUID(), randomUUID()];
let first: ControllerProcess | undefined;
let second: ControllerProcess | undefined;

afterAll(async () => {
  await first?.stop('SIGKILL').catch(() => undefined);
  const code = await second?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
}, 120_000);

interface Lease {
  readonly id: string;
  readonly containerId: string;
}

const networkDir = () => path.join(scenario.fixtures.cniDir, scenario.cniNetwork);
const leaseHolder = (lease: Lease) => {
  const file = path.join(scenario.fixtures.cniDir, lease.id);
  return existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/)[0] : undefined;
};
/** A real host-local lease on the policy's network, in the small subnet. */
async function lease(containerId: string, ifname = 'eth0'): Promise<Lease> {
  const address = await leaseAddress({
    dataDir: scenario.fixtures.cniDir,
    network: scenario.cniNetwork,
    subnet: SUBNET,
    containerId,
    ifname,
  });
  return { id: `${scenario.cniNetwork}/${address}`, containerId };
}

test('SIGKILLed mid-reap and restarted: the job is finished, no lease is freed twice, no crash loop', async () => {
  const namespace = await scenario.namespace();
  const liveOwner = await scenario.createTopology(namespace, 'live', 2);
  const liveUid = liveOwner.metadata!.uid!;
  const owned = (uid: string) => scenario.ownerLabels(uid);

  // Orphans: running containers with a lease each (stopping one takes its whole timeout: `sleep`
  // ignores SIGTERM), leases whose container is long gone, networks and volumes.
  const orphans: { container: string; lease: Lease }[] = [];
  for (let i = 0; i < ORPHAN_CONTAINERS; i++) {
    const container = await scenario.fixtures.container(`orphan-${i}`, { labels: owned(goneUids[i % 3]!) });
    orphans.push({ container, lease: await lease(container) });
  }
  const dangling = await Promise.all([0, 1, 2, 3].map(() => lease(randomBytes(32).toString('hex'))));
  const orphanNetworks = await Promise.all(
    [0, 1, 2].map((i) => scenario.fixtures.network(`gone-net-${i}`, owned(goneUids[0]!))),
  );
  const orphanVolumes = await Promise.all(
    [0, 1, 2].map((i) => scenario.fixtures.volume(`gone-vol-${i}`, owned(goneUids[1]!))),
  );

  // What must stay: a live owner's containers with their leases, network and volume; a foreign
  // container holding a lease on the same network.
  const live: { container: string; lease: Lease }[] = [];
  for (let i = 0; i < 2; i++) {
    const container = await scenario.fixtures.container(`live-${i}`, { labels: owned(liveUid) });
    live.push({ container, lease: await lease(container) });
  }
  const liveNetwork = await scenario.fixtures.network('live-net', owned(liveUid));
  const liveVolume = await scenario.fixtures.volume('live-vol', owned(liveUid));
  const foreignContainer = await scenario.fixtures.container('foreign');
  const foreignLease = await lease(foreignContainer);

  // A few units per sweep, a sweep every second: the reap spans several sweeps, and leases are
  // freed by the early ones while later ones still stop containers.
  await scenario.createPolicy({
    resources: {
      containers: { running: 'Stop', stopTimeoutSeconds: 2 },
      networks: {},
      volumes: {},
      ipLeases: { enabled: true, cniDir: scenario.fixtures.cniDir, networks: [scenario.cniNetwork] },
    },
    timing: { minAge: '0', gracePeriod: '0', interval: '1s' },
    limits: { maxOrphanPercent: 100, maxDeletionsPerSweep: 4, concurrency: 2 },
  });

  const containerGone = async (id: string) => !(await scenario.fixtures.exists('container', id));
  const countGone = async () =>
    (await Promise.all(orphans.map((o) => containerGone(o.container)))).filter(Boolean).length;
  first = await startController({
    nodeName: NODE,
    policySelector: scenario.policySelector,
    args: ['--owner-resync', '2s'],
  });
  await eventually(
    'half the orphaned containers to be removed',
    async () => (await countGone()) >= ORPHAN_CONTAINERS / 2,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the controller's last lines:\n${first!.tail(12)}`);
  });
  expect(await first.stop('SIGKILL')).toBeNull();
  first = undefined;

  // Mid-reap: some orphans went, not all of them.
  const goneAtKill = await countGone();
  expect(goneAtKill).toBeLessThan(ORPHAN_CONTAINERS);
  const freed = [...orphans.map((o) => o.lease), ...dangling].filter((l) => leaseHolder(l) === undefined);
  expect(freed.length).toBeGreaterThan(0);

  // While reaper is down, a live container gets new leases until host-local hands it an address
  // that the killed process had freed.
  const late = await scenario.fixtures.container('late', { labels: owned(liveUid) });
  const lateLeases: Lease[] = [];
  const freedIds = new Set(freed.map((l) => l.id));
  for (let i = 0; !lateLeases.some((l) => freedIds.has(l.id)); i++) {
    if (i >= 29) throw new Error(`host-local never reused a freed address: ${lateLeases.map((l) => l.id).join(' ')}`);
    lateLeases.push(await lease(late, `eth${i}`));
  }

  second = await startController({
    nodeName: NODE,
    policySelector: scenario.policySelector,
    args: ['--owner-resync', '2s'],
  });
  await eventually(
    'the restarted controller to finish the reap',
    async () => {
      if ((await countGone()) < ORPHAN_CONTAINERS) return false;
      for (const id of orphanNetworks) if (await scenario.fixtures.exists('network', id)) return false;
      for (const name of orphanVolumes) if (await scenario.fixtures.exists('volume', name)) return false;
      // An orphan's lease is gone when its file is, or when the address now holds someone else's.
      return [...orphans.map((o) => o.lease), ...dangling].every((l) => leaseHolder(l) !== l.containerId);
    },
    120_000,
  );

  // Nothing live lost; the reused addresses still belong to the live container.
  for (const l of lateLeases) expect(leaseHolder(l)).toBe(late);
  for (const { container, lease: l } of live) {
    expect(await scenario.fixtures.exists('container', container)).toBe(true);
    expect(leaseHolder(l)).toBe(container);
  }
  expect(leaseHolder(foreignLease)).toBe(foreignContainer);
  expect(await scenario.fixtures.exists('container', foreignContainer)).toBe(true);
  expect(await scenario.fixtures.exists('network', liveNetwork)).toBe(true);
  expect(await scenario.fixtures.exists('volume', liveVolume)).toBe(true);

  // host-local's bookkeeping: its files are there, every other entry is a lease of a live
  // container, and it still allocates an address nobody holds.
  const entries = readdirSync(networkDir());
  expect(entries).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0']));
  const held = entries.filter((e) => isIP(e) !== 0);
  expect(held.sort()).toEqual(
    [...lateLeases, ...live.map((l) => l.lease), foreignLease].map((l) => path.basename(l.id)).sort(),
  );
  expect(isIP(readFileSync(path.join(networkDir(), 'last_reserved_ip.0'), 'utf8').trim())).toBe(4);
  const probe = await lease(randomBytes(32).toString('hex'));
  expect(held).not.toContain(path.basename(probe.id));
  await releaseLease({
    dataDir: scenario.fixtures.cniDir,
    network: scenario.cniNetwork,
    subnet: SUBNET,
    containerId: probe.containerId,
  });

  // Runs steadily: ready, sweeping cleanly on its interval, still the same process.
  const sweepsSoFar = sweepsOf(second, scenario.policyName).length;
  await eventually(
    'three more clean sweeps',
    () =>
      sweepsOf(second!, scenario.policyName)
        .slice(sweepsSoFar)
        .filter((s) => s.outcome === 'Completed').length >= 3,
    60_000,
  );
  expect((await second.get('/readyz')).status).toBe(200);
  expect(second.child.exitCode).toBeNull();
  expect(second.logs.filter((l) => l.level === 'error')).toEqual([]);
  expect(second.otherOutput).toEqual([]);
  const own = reportConditions(await scenario.nodeReport(NODE));
  expect(own('Ready')).toMatchObject({ status: 'True', reason: 'SweepCompleted' });
  expect(own('Degraded')?.status).toBe('False');
}, 400_000);
