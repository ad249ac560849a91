// dockerd SIGKILLed in the middle of a sweep's removals, on a private engine of this test's own:
// the sweep reports what failed (no crash; the CLI exits 1), frees no lease of a container it could
// not remove, and the sweep after the restart completes. Nothing live is lost: containers of live
// owners keep running (live restore), foreign and keep=true resources stay. Once through the CLI,
// once under `reaper run`, which keeps running, fails closed while the engine is down, and
// finishes the job by itself once it is back.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ReapReport } from '../../../src/core/report-types.js';
import { uniqueName } from '../../support/engines.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { startPrivateDockerd } from '../../support/private-dockerd.js';
import type { CliRun } from '../../support/reaper-cli.js';
import { ownersDir, startReaper, sweepPolicy } from '../../support/reaper-cli.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject } from '../../support/scenario.js';
import { ControllerScenario } from '../../support/scenario.js';
import { reportConditions } from '../../support/node-report.js';

const ORPHAN_CONTAINERS = 20;
const STOP_TIMEOUT_SECONDS = 2;
const label = `${uniqueName('dr')}.test/owner-uid`;
const cniNetwork = 'dr-net';
// Owner keys are uids: anything else under a uid owner kind is foreign, never an orphan.
const liveUids = [randomUUID(), randomUUID()];
const goneUids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const goneUid = (i: number) => goneUids[i % goneUids.length]!;
// What a deployer writes for a Topology of namespace dr (the owners' namespace in writeOwners).
const owned = (uid: string) => ownerLabels(label, uid, { namespace: 'dr' });

let engine: PrivateDockerd;
let fx: RuntimeFixtures;
let controller: ControllerProcess | undefined;
const scenario = new ControllerScenario('rel-drun');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-dr-'));

beforeAll(async () => {
  engine = await startPrivateDockerd();
  fx = new RuntimeFixtures('dr', engine.docker);
}, 180_000);

afterAll(async () => {
  const code = await controller?.stop();
  await scenario.cleanUp();
  await fx?.cleanUp().catch(() => undefined);
  await engine?.destroy();
  rmSync(work, { recursive: true, force: true });
  expect(code ?? 0).toBe(0);
}, 180_000);

function writePolicy(): string {
  const file = path.join(work, 'policy.yaml');
  const policy = sweepPolicy(uniqueName('dr'), label, {
    // Running orphans are stopped; `sleep` ignores SIGTERM, so each stop takes the whole timeout:
    // the removals last long enough to kill the engine in their middle.
    resources: {
      containers: { running: 'Stop', stopTimeoutSeconds: STOP_TIMEOUT_SECONDS },
      ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [cniNetwork] },
    },
    limits: { maxOrphanPercent: 100, concurrency: 2 },
  });
  writeFileSync(file, stringify(policy));
  return file;
}

const sweep = (policy: string, owners: string) =>
  startReaper(['sweep', '--policy', policy, '--owners-from', owners, '-o', 'json', '--node', 'dr-node'], {
    DOCKER_HOST: engine.dockerHost,
  });

function reportOf(run: CliRun): ReapReport {
  try {
    return JSON.parse(run.stdout) as ReapReport;
  } catch {
    throw new Error(`no JSON report (exit ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  }
}

const isRunning = async (id: string) => (await engine.docker.getContainer(id).inspect()).State.Running;
const leaseFile = (lease: string) => path.join(fx.cniDir, lease);

test('dockerd killed mid-sweep: failures reported, no lease freed early, the next sweep completes, nothing live lost', async () => {
  const orphans: { id: string; lease: string }[] = [];
  for (let i = 0; i < ORPHAN_CONTAINERS; i++) {
    const id = await fx.container(`orphan-${i}`, { labels: owned(goneUid(i)) });
    orphans.push({ id, lease: await fx.lease(cniNetwork, id) });
  }
  const orphanNetworks = await Promise.all([0, 1, 2].map((i) => fx.network(`orphan-net-${i}`, owned(goneUid(i)))));
  const orphanVolumes = await Promise.all([0, 1, 2].map((i) => fx.volume(`orphan-vol-${i}`, owned(goneUid(i)))));

  const live: { id: string; lease: string }[] = [];
  for (const [i, uid] of [...liveUids, ...liveUids].entries()) {
    const id = await fx.container(`live-${i}`, { labels: owned(uid) });
    live.push({ id, lease: await fx.lease(cniNetwork, id) });
  }
  const liveNetwork = await fx.network('live-net', owned(liveUids[0]!));
  const liveVolume = await fx.volume('live-vol', owned(liveUids[1]!));
  const foreign = {
    container: await fx.container('foreign'),
    otherLabel: await fx.container('other-label', { labels: { 'someone-else.test/owner-uid': goneUid(0) } }),
    network: await fx.network('foreign-net'),
    volume: await fx.volume('foreign-vol'),
  };
  const kept = await fx.container('kept', { labels: { ...owned(goneUid(1)), 'reaper.dev/keep': 'true' } });
  const policy = writePolicy();
  const owners = ownersDir(work, liveUids, 'dr');

  const running = sweep(policy, owners);
  // Kill the engine once a few orphans are gone and most are still there.
  const remainingOrphans = async () =>
    (await Promise.all(orphans.map(({ id }) => fx.exists('container', id)))).filter(Boolean).length;
  await eventually(
    'the sweep to have removed a few orphans',
    async () => (await remainingOrphans()) <= ORPHAN_CONTAINERS - 2,
    120_000,
  );
  await engine.kill();

  const crashed = await running;
  const report = reportOf(crashed);
  // Exit 1: some removals failed, the rest went ahead (not a crash, not a usage error).
  expect({ code: crashed.code, outcome: report.outcome }).toEqual({ code: 1, outcome: 'PartiallyFailed' });
  const { containers, networks, volumes, ipLeases } = report.counts;
  expect(containers.orphaned).toBe(ORPHAN_CONTAINERS);
  expect(containers.reaped).toBeGreaterThanOrEqual(2);
  expect(containers.failed).toBeGreaterThanOrEqual(1);
  expect(containers.reaped + containers.failed).toBe(ORPHAN_CONTAINERS);
  expect(networks).toMatchObject({ orphaned: 3, failed: 3, reaped: 0 });
  expect(volumes).toMatchObject({ orphaned: 3, failed: 3, reaped: 0 });
  // The leases of removed containers went; those of containers still there were kept with them.
  expect(ipLeases).toMatchObject({ orphaned: ORPHAN_CONTAINERS, reaped: containers.reaped, failed: 0 });
  expect(ipLeases.skipped).toBe(containers.failed);
  const failedItems = report.items.filter((i) => i.action === 'Failed');
  expect(failedItems.length).toBe(containers.failed + 6);
  for (const item of failedItems) expect(item.reason).toMatch(/cannot reach Docker at unix:\/\/.*d\.sock/);
  expect(crashed.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace

  await engine.restart();
  // A lease file stays exactly while its container exists: none freed under a live address.
  for (const { id, lease } of orphans) expect(existsSync(leaseFile(lease))).toBe(await fx.exists('container', id));

  const after = await sweep(policy, owners);
  const second = reportOf(after);
  expect({ code: after.code, outcome: second.outcome }).toEqual({ code: 0, outcome: 'Completed' });
  expect(second.counts.containers.failed + second.counts.networks.failed + second.counts.volumes.failed).toBe(0);
  expect(await remainingOrphans()).toBe(0);
  for (const { lease } of orphans) expect(existsSync(leaseFile(lease))).toBe(false);
  for (const id of orphanNetworks) expect(await fx.exists('network', id)).toBe(false);
  for (const name of orphanVolumes) expect(await fx.exists('volume', name)).toBe(false);

  // Nothing live lost; the live containers never even stopped.
  for (const { id, lease } of live) {
    expect(await isRunning(id)).toBe(true);
    expect(existsSync(leaseFile(lease))).toBe(true);
  }
  expect(await fx.exists('network', liveNetwork)).toBe(true);
  expect(await fx.exists('volume', liveVolume)).toBe(true);
  expect(await isRunning(foreign.container)).toBe(true);
  expect(await isRunning(foreign.otherLabel)).toBe(true);
  expect(await fx.exists('network', foreign.network)).toBe(true);
  expect(await fx.exists('volume', foreign.volume)).toBe(true);
  expect(await isRunning(kept)).toBe(true);
  // host-local's own bookkeeping is untouched.
  expect(readdirSync(path.join(fx.cniDir, cniNetwork)).sort()).toEqual(
    expect.arrayContaining(['last_reserved_ip.0', 'lock']),
  );
}, 300_000);

// This agent's own view is its ReapNodeReport (the policy's conditions are the fleet's). The policy
// manages no leases here: the agents of the shared engine would find this engine's lease store on
// the same filesystem and, not seeing its containers, rightly take the leases for dangling (the CLI
// test above covers leases).
const nodeView = async (node: string) => reportConditions(await scenario.nodeReport(node));

test('reaper run: dockerd killed mid-reap, the controller keeps running, fails closed while blind, and finishes the job once the engine is back', async () => {
  const node = 'node-drun';
  const namespace = await scenario.namespace();
  const liveOwner = await scenario.createTopology(namespace, 'live', 1);
  const labelled = (owner: string | KubeObject) => scenario.ownerLabels(owner);
  const orphans: string[] = [];
  for (let i = 0; i < 12; i++) orphans.push(await fx.container(`run-orphan-${i}`, { labels: labelled(goneUid(i)) }));
  const orphanVolume = await fx.volume('run-orphan-vol', labelled(goneUid(0)));
  const live: string[] = [];
  for (let i = 0; i < 2; i++) live.push(await fx.container(`run-live-${i}`, { labels: labelled(liveOwner) }));
  const liveVolume = await fx.volume('run-live-vol', labelled(liveOwner));
  await scenario.createPolicy({
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' }],
    resources: { containers: { running: 'Stop', stopTimeoutSeconds: STOP_TIMEOUT_SECONDS } },
    timing: { minAge: '0', gracePeriod: '0', interval: '2s' },
    limits: { maxOrphanPercent: 100, concurrency: 2 },
  });
  const remaining = async () =>
    (await Promise.all(orphans.map((id) => fx.exists('container', id)))).filter(Boolean).length;

  controller = await startController({
    nodeName: node,
    policySelector: scenario.policySelector,
    env: { DOCKER_HOST: engine.dockerHost },
  });
  await eventually('the controller to have removed a few orphans', async () => (await remaining()) <= 10, 120_000);
  await engine.kill();

  // The sweep in flight ends with its failures counted, and the next ones fail closed: the engine
  // cannot be listed. The process stays up, live but not ready.
  const sweeps = () => sweepsOf(controller!, scenario.policyName);
  const interrupted = await eventually(
    'the interrupted sweep to be reported',
    () => sweeps().find((s) => s.outcome === 'PartiallyFailed'),
    120_000,
  );
  const counts = interrupted.counts as Record<string, { reaped: number; failed: number }>;
  expect(counts.containers!.reaped).toBeGreaterThanOrEqual(2);
  expect(counts.containers!.failed).toBeGreaterThanOrEqual(1);
  expect(counts.containers!.reaped + counts.containers!.failed).toBe(12);
  expect(counts.volumes!.failed).toBe(1);
  await eventually(
    'a sweep that fails closed while dockerd is down',
    () => sweeps().find((s) => s.outcome === 'FailedClosed'),
    60_000,
  );
  const blind = await eventually('this agent to say it cannot see the runtime', async () => {
    const conditionOf = await nodeView(node);
    return conditionOf('Degraded')?.status === 'True' ? conditionOf : undefined;
  });
  expect(blind('Degraded')!.reason).toBe('RuntimeNotVisible');
  expect(blind('Ready')).toMatchObject({ status: 'False', reason: 'FailedClosed' });
  expect((await controller.get('/healthz')).status).toBe(200);
  await eventually('/readyz to say Docker is down', async () => (await controller!.get('/readyz')).status === 503);

  await engine.restart();
  await eventually(
    'the controller to finish the job',
    async () => (await remaining()) === 0 && !(await fx.exists('volume', orphanVolume)),
    120_000,
  );
  const recovered = await eventually('this agent to be healthy again', async () => {
    const conditionOf = await nodeView(node);
    return conditionOf('Degraded')?.status === 'False' && conditionOf('Ready')?.status === 'True'
      ? conditionOf
      : undefined;
  });
  expect(recovered('Ready')!.reason).toBe('SweepCompleted');
  await eventually('/readyz to answer 200 again', async () => (await controller!.get('/readyz')).status === 200);
  for (const id of live) expect(await isRunning(id)).toBe(true);
  expect(await fx.exists('volume', liveVolume)).toBe(true);
  expect(controller.child.exitCode).toBeNull();
  expect(controller.otherOutput).toEqual([]);
}, 400_000);
