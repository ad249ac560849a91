// The executor on the real Docker engine and real host-local leases: order of the phases, running
// containers under Stop and Skip, foreign containers on orphaned networks, resources removed by
// someone else mid-sweep, the fail-closed paths, dry run, and an engine that goes away mid-sweep.
import Docker from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resourceKey } from '../../../src/core/model.js';
import { buildReport } from '../../../src/core/report.js';
import type { Backends } from '../../../src/runtime/backend.js';
import { backendsForPolicy } from '../../../src/runtime/backends-for-policy.js';
import { releaseLease } from '../../support/cni.js';
import { requiredEnv } from '../../support/engines.js';
import { ownerLabels } from '../../support/owner-labels.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { leaseSubnet } from '../../../examples/deployer/materialize.js';
import { live, selectedKeys, sweep, testPolicy } from './sweep-harness.js';

const fx = new RuntimeFixtures('exec');
afterAll(() => fx.cleanUp());

// Owner uids: the harness's owners are keyed by uid, and a label that is not one is foreign. Resources
// carry the kind label too (ownerLabels): without it a label key could name another kind's owner.
const ORPHAN = randomUUID();
const LIVE = randomUUID();
const randomContainerId = () => randomBytes(32).toString('hex');
const key = (kind: string, id: string) => resourceKey({ kind: kind as 'container', id });
const leaseFile = (id: string) => path.join(fx.cniDir, id);
const isRunning = async (id: string) => (await fx.docker.getContainer(id).inspect()).State.Running;

test('order: a lease after its container, networks and volumes after every container; everything orphaned is gone', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir, leaseNetworks: ['order-lab'] });
  const orphan = ownerLabels(label, ORPHAN);
  const networkId = await fx.network('order-net', orphan);
  const containers = [
    await fx.container('order-c1', { labels: orphan, network: fx.name('order-net'), anonymousVolume: true }),
    await fx.container('order-c2', { labels: orphan, network: fx.name('order-net') }),
    await fx.container('order-c3', { labels: orphan, running: false }),
  ];
  const anonymous = (await fx.docker.getContainer(containers[0]!).inspect()).Mounts[0]!.Name!;
  const leases = [await fx.lease('order-lab', containers[0]!), await fx.lease('order-lab', containers[1]!)];
  const dangling = await fx.lease('order-lab', randomContainerId());
  const volume = await fx.volume('order-vol', orphan);
  const kept = await fx.container('order-live', { labels: ownerLabels(label, LIVE) });

  const run = await sweep(fx.docker, policy, { liveKeys: [LIVE] });

  const expected = [
    ...containers.map((id) => key('container', id)),
    ...[...leases, dangling].map((id) => key('ipLease', id)),
    key('network', networkId),
    key('volume', volume),
  ];
  expect(selectedKeys(run.plan).sort()).toEqual([...expected].sort());
  // Each item finished after what it waits for: a lease after its own container, the network and
  // the volume after every container. The dangling lease waits for nothing.
  const finishedAt = (k: string) => run.finished.findIndex((o) => o.key === k);
  const lastContainer = Math.max(...containers.map((id) => finishedAt(key('container', id))));
  leases.forEach((lease, i) =>
    expect(finishedAt(key('ipLease', lease))).toBeGreaterThan(finishedAt(key('container', containers[i]!))),
  );
  expect(finishedAt(key('network', networkId))).toBeGreaterThan(lastContainer);
  expect(finishedAt(key('volume', volume))).toBeGreaterThan(lastContainer);
  expect(run.execution.errors).toEqual([]);
  for (const k of expected) expect(run.byKey.get(k)).toMatchObject({ status: 'reaped' });
  // The network went because its orphaned containers had gone first: no "in use".
  expect(run.byKey.get(key('network', networkId))!.reason).not.toMatch(/in use/);

  for (const id of containers) expect(await fx.exists('container', id)).toBe(false);
  expect(await fx.exists('volume', anonymous)).toBe(false);
  expect(await fx.exists('network', networkId)).toBe(false);
  expect(await fx.exists('volume', volume)).toBe(false);
  for (const id of [...leases, dangling]) expect(existsSync(leaseFile(id))).toBe(false);
  expect(existsSync(path.join(fx.cniDir, 'order-lab', 'lock'))).toBe(true);
  expect(await isRunning(kept)).toBe(true);

  const report = buildReport({
    plan: run.plan,
    outcomes: run.execution.outcomes,
    policy: policy.name,
    mode: 'Reap',
    node: 'test',
    sweepId: 's1',
    startedAt: 0,
    finishedAt: 1,
    liveOwnerCount: 1,
    errors: run.execution.errors,
  });
  expect(report.counts.containers).toMatchObject({ attributable: 4, orphaned: 3, reaped: 3, failed: 0 });
  expect(report.counts.ipLeases).toMatchObject({ reaped: 3, failed: 0 });
  expect(report.outcome).toBe('Completed');
});

test('a network with a foreign container, running or stopped, survives and is reported in use', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir });
  const orphan = ownerLabels(label, ORPHAN);
  const busy = await fx.network('foreign-busy', orphan);
  const parked = await fx.network('foreign-parked', orphan);
  const guest = await fx.container('foreign-guest', { network: fx.name('foreign-busy') });
  // Never started: Docker itself would let its network go, and the container could not start again.
  const sleeper = await fx.container('foreign-sleeper', { network: fx.name('foreign-parked'), running: false });

  const run = await sweep(fx.docker, policy);

  expect(run.byKey.get(key('network', busy))).toEqual({
    key: key('network', busy),
    status: 'skipped',
    reason: `in use by ${fx.name('foreign-guest')}`,
  });
  expect(run.byKey.get(key('network', parked))).toMatchObject({
    status: 'skipped',
    reason: `in use by ${fx.name('foreign-sleeper')}`,
  });
  expect(await fx.exists('network', busy)).toBe(true);
  expect(await fx.exists('network', parked)).toBe(true);
  expect(await isRunning(guest)).toBe(true);
  await fx.docker.getContainer(sleeper).start();
  expect(await isRunning(sleeper)).toBe(true);
});

test('Skip: a running orphan is left running, and keeps its lease and its network', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir, running: 'Skip', leaseNetworks: ['skip-lab'] });
  const orphan = ownerLabels(label, ORPHAN);
  const networkId = await fx.network('skip-net', orphan);
  const running = await fx.container('skip-running', { labels: orphan, network: fx.name('skip-net') });
  const stopped = await fx.container('skip-stopped', { labels: orphan, running: false });
  const runningLease = await fx.lease('skip-lab', running);
  const stoppedLease = await fx.lease('skip-lab', stopped);

  const run = await sweep(fx.docker, policy);

  expect(run.byKey.get(key('container', running))).toMatchObject({ status: 'skipped', reason: /Skip/ });
  expect(run.byKey.get(key('ipLease', runningLease))).toMatchObject({
    status: 'skipped',
    reason: expect.stringContaining(`kept with its container ${fx.name('skip-running')}`),
  });
  expect(run.byKey.get(key('network', networkId))).toMatchObject({
    status: 'skipped',
    reason: `in use by ${fx.name('skip-running')}`,
  });
  expect(run.byKey.get(key('container', stopped))).toMatchObject({ status: 'reaped' });
  expect(run.byKey.get(key('ipLease', stoppedLease))).toMatchObject({ status: 'reaped' });
  expect(await isRunning(running)).toBe(true);
  expect(existsSync(leaseFile(runningLease))).toBe(true);
  expect(existsSync(leaseFile(stoppedLease))).toBe(false);
  expect(await fx.exists('network', networkId)).toBe(true);
  expect(await fx.exists('container', stopped)).toBe(false);
});

test('Stop: running orphans are stopped gracefully (then killed after the timeout) and removed', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir, running: 'Stop', concurrency: 3 });
  const orphan = ownerLabels(label, ORPHAN);
  const ids = await Promise.all(['stop-1', 'stop-2', 'stop-3'].map((s) => fx.container(s, { labels: orphan })));
  const started = Date.now();
  const run = await sweep(fx.docker, policy);
  // `sleep` as PID 1 ignores SIGTERM: each stop waits out its 1 s before the SIGKILL.
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  for (const id of ids) {
    expect(run.byKey.get(key('container', id))).toMatchObject({ status: 'reaped', reason: /stopped and removed/ });
    expect(await fx.exists('container', id)).toBe(false);
  }
});

test('what someone else removes meanwhile counts as already gone, before or during the sweep', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir, leaseNetworks: ['race-lab'] });
  const orphan = ownerLabels(label, ORPHAN);
  const first = await fx.container('race-first', { labels: orphan, running: false });
  const gone = await fx.container('race-gone', { labels: orphan, running: false });
  const networkId = await fx.network('race-net', orphan);
  const volume = await fx.volume('race-vol', orphan);
  const danglingOwner = randomContainerId();
  const lease = await fx.lease('race-lab', danglingOwner);

  // Someone else acts right after the first container is removed: a real DEL through host-local,
  // and a network and a volume removed by id.
  const backends = backendsForPolicy(policy, fx.docker) as Required<Backends>;
  const containers = backends.container;
  let acted = false;
  const racing: Backends = {
    ...backends,
    container: {
      kind: 'container',
      list: () => containers.list(),
      remove: async (resource) => {
        const result = await containers.remove(resource);
        if (!acted) {
          acted = true;
          await fx.docker.getNetwork(networkId).remove();
          await fx.docker.getVolume(volume).remove();
        }
        return result;
      },
    },
  };

  const run = await sweep(fx.docker, policy, {
    backends: racing,
    // Between planning and execution: one container disappears, and the dangling lease is released
    // through host-local (it waits for no container, so it goes at the start of the execution).
    beforeExecute: async () => {
      await fx.docker.getContainer(gone).remove({ force: true });
      await releaseLease({
        dataDir: fx.cniDir,
        network: 'race-lab',
        subnet: leaseSubnet('race-lab'),
        containerId: danglingOwner,
      });
    },
    recheckOwners: () => Promise.resolve(live()),
  });

  expect(run.byKey.get(key('container', gone))).toMatchObject({ status: 'alreadyGone' });
  expect(run.byKey.get(key('ipLease', lease))).toMatchObject({ status: 'alreadyGone' });
  expect(run.byKey.get(key('network', networkId))).toMatchObject({ status: 'alreadyGone' });
  expect(run.byKey.get(key('volume', volume))).toMatchObject({ status: 'alreadyGone' });
  expect(run.byKey.get(key('container', first))).toMatchObject({ status: 'reaped' });
  expect(run.execution.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
});

describe('fail closed', () => {
  async function orphans(prefix: string, label: string) {
    const labels = ownerLabels(label, ORPHAN);
    return {
      container: await fx.container(`${prefix}-c`, { labels, running: false }),
      network: await fx.network(`${prefix}-n`, labels),
      volume: await fx.volume(`${prefix}-v`, labels),
    };
  }
  async function allStillThere(o: { container: string; network: string; volume: string }) {
    expect(await fx.exists('container', o.container)).toBe(true);
    expect(await fx.exists('network', o.network)).toBe(true);
    expect(await fx.exists('volume', o.volume)).toBe(true);
  }

  test('a re-check that fails removes nothing and says why', async () => {
    const { policy, label } = testPolicy({ cniDir: fx.cniDir });
    const o = await orphans('fc-throw', label);
    const run = await sweep(fx.docker, policy, {
      recheckOwners: () => Promise.reject(new Error('the API server is unreachable')),
    });
    expect(run.plan.selected).toHaveLength(3);
    expect(run.execution.outcomes).toHaveLength(3);
    for (const outcome of run.execution.outcomes) {
      expect(outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/could not confirm/) });
    }
    expect(run.execution.errors).toEqual(['re-check of owners failed: the API server is unreachable']);
    await allStillThere(o);
  });

  test('a re-check whose owner list is not synced removes nothing', async () => {
    const { policy, label } = testPolicy({ cniDir: fx.cniDir });
    const o = await orphans('fc-unsynced', label);
    const run = await sweep(fx.docker, policy, {
      recheckOwners: () => Promise.resolve({ keys: new Set(), synced: false, errors: ['Topology watch not synced'] }),
    });
    expect(run.execution.outcomes.map((x) => x.status)).toEqual(['skipped', 'skipped', 'skipped']);
    await allStillThere(o);
  });

  test('an owner found live by the fresh re-check keeps its resources; the others go', async () => {
    const { policy, label } = testPolicy({ cniDir: fx.cniDir });
    const back = await orphans('fc-back', label); // owned by ORPHAN, which the re-check finds live
    const goner = await fx.container('fc-goner', { labels: ownerLabels(label, randomUUID()), running: false });
    const run = await sweep(fx.docker, policy, { recheckOwners: () => Promise.resolve(live(ORPHAN)) });
    expect(run.plan.selected).toHaveLength(4);
    expect(run.byKey.get(key('container', back.container))).toMatchObject({ status: 'skipped', reason: /re-check/ });
    expect(run.byKey.get(key('container', goner))).toMatchObject({ status: 'reaped' });
    await allStillThere(back);
    expect(await fx.exists('container', goner)).toBe(false);
  });

  test('a runtime that cannot be listed completely makes the sweep reap nothing', async () => {
    const { policy, label } = testPolicy({ cniDir: fx.cniDir });
    const o = await orphans('fc-listing', label);
    const dead = new Docker({ socketPath: path.join(tmpdir(), `${randomContainerId()}.sock`) });
    const backends = { ...backendsForPolicy(policy, fx.docker), volume: backendsForPolicy(policy, dead).volume! };
    const run = await sweep(fx.docker, policy, { backends });
    expect(run.snapshot.complete).toBe(false);
    expect(run.snapshot.errors).toEqual([
      expect.stringMatching(/^listing volumes: cannot reach Docker at unix:\/\/.*\.sock \(connect ENOENT/),
    ]);
    expect(run.plan.failedClosed).not.toEqual([]);
    expect(run.plan.selected).toEqual([]);
    await allStillThere(o);
  });
});

test('DryRun touches nothing and says what it would reap', async () => {
  const { policy, label } = testPolicy({ cniDir: fx.cniDir, mode: 'DryRun', leaseNetworks: ['dry-lab'] });
  const orphan = ownerLabels(label, ORPHAN);
  const container = await fx.container('dry-c', { labels: orphan });
  const lease = await fx.lease('dry-lab', container);
  const networkId = await fx.network('dry-n', orphan);
  let rechecked = false;
  const run = await sweep(fx.docker, policy, {
    recheckOwners: () => {
      rechecked = true;
      return Promise.resolve(live());
    },
  });
  expect(run.execution.outcomes.map((o) => o.status)).toEqual(['wouldReap', 'wouldReap', 'wouldReap']);
  expect(rechecked).toBe(false);
  expect(await isRunning(container)).toBe(true);
  expect(existsSync(leaseFile(lease))).toBe(true);
  expect(await fx.exists('network', networkId)).toBe(true);
});

describe('an engine that goes away mid-sweep', () => {
  // The real engine behind a unix-socket relay that the test closes: every later call fails to
  // connect, as it would if dockerd died.
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-relay-'));
  const relayPath = path.join(dir, 'docker.sock');
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(requiredEnv('DOCKER_HOST').replace(/^unix:\/\//, ''));
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  beforeAll(() => new Promise<void>((resolve) => relay.listen(relayPath, resolve)));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const goAway = () =>
    new Promise<void>((resolve) => {
      relay.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  test('yields failed items, not a crash, and the rest is untouched', async () => {
    const { policy, label } = testPolicy({ cniDir: fx.cniDir, concurrency: 1 });
    const orphan = ownerLabels(label, ORPHAN);
    const ids = await Promise.all(
      ['away-1', 'away-2', 'away-3'].map((s) => fx.container(s, { labels: orphan, running: false })),
    );
    const networkId = await fx.network('away-n', orphan);
    const viaRelay = new Docker({ socketPath: relayPath });
    const backends = backendsForPolicy(policy, viaRelay) as Required<Backends>;
    let calls = 0;
    const dying: Backends = {
      ...backends,
      container: {
        kind: 'container',
        list: () => backends.container.list(),
        remove: async (resource) => {
          const result = await backends.container.remove(resource);
          if (++calls === 1) await goAway();
          return result;
        },
      },
    };

    const run = await sweep(fx.docker, policy, { backends: dying });

    const statuses = run.finished.map((o) => o.status);
    expect(statuses).toEqual(['reaped', 'failed', 'failed', 'failed']);
    for (const o of run.finished.slice(1)) {
      expect(o.reason).toMatch(
        /^cannot reach Docker at unix:\/\/.*docker\.sock \((connect ENOENT|connect ECONNREFUSED|write EPIPE|read ECONNRESET|the connection closed).*\): start dockerd/,
      );
    }
    expect(ids.map((id) => run.byKey.get(key('container', id))!.status).filter((s) => s === 'reaped')).toHaveLength(1);
    const left = await Promise.all(ids.map((id) => fx.exists('container', id)));
    expect(left.filter(Boolean)).toHaveLength(2);
    expect(await fx.exists('network', networkId)).toBe(true);
  });
});
