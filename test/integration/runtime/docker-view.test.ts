// The runtime from events (design §3) on a real Docker engine of this file's own: listed once, then
// followed. Objects made after the listing reach the view through their events alone; an idle
// engine is never listed again; a lease made right after its container never looks dangling; a
// stream that breaks (dockerd SIGKILLed) makes the view unreadable at once and a sweep fail closed;
// the engine back, the view lists it again, drift across the restart included. Docker calls are
// counted by the adapter the view uses.
import { randomUUID } from 'node:crypto';
import { resourceKey } from '../../../src/core/model.js';
import type { ContainerResource, NetworkResource, RuntimeSnapshot, VolumeResource } from '../../../src/core/model.js';
import type { Policy } from '../../../src/core/policy.js';
import { takeSnapshot } from '../../../src/runtime/backend.js';
import { DockerEngine } from '../../../src/runtime/docker-engine.js';
import { DockerView } from '../../../src/runtime/docker-view.js';
import { DockerodeViewApi } from '../../../src/runtime/docker-view-api.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { testImage } from '../../support/engines.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { startPrivateDockerd } from '../../support/private-dockerd.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { eventually } from '../../support/eventually.js';
import { sweep, testPolicy } from './sweep-harness.js';

const IDLE_MS = 20_000;
const LEASE_NETWORK = 'dv-net';

let engine: PrivateDockerd;
let fx: RuntimeFixtures;
let api: DockerodeViewApi;
let view: DockerView;
let dockerEngine: DockerEngine;
let policy: Policy;
let label: string;
const readableChanges: boolean[] = [];

beforeAll(async () => {
  engine = await startPrivateDockerd({ addressPool: '10.235.0.0/16' });
  fx = new RuntimeFixtures('dv', engine.docker);
  ({ policy, label } = testPolicy({ cniDir: fx.cniDir, leaseNetworks: [LEASE_NETWORK] }));
  api = new DockerodeViewApi(engine.docker);
  view = new DockerView({
    api,
    now: Date.now,
    logger: silentLogger,
    relistIntervalMs: 10 * 60_000,
    onReadableChange: (readable) => readableChanges.push(readable),
  });
  dockerEngine = new DockerEngine(engine.docker, view);
  view.start();
  await eventually('the view to list the private engine', () => view.readable, 60_000);
}, 180_000);

afterAll(async () => {
  view?.stop();
  await fx?.cleanUp().catch(() => undefined);
  await engine?.destroy();
}, 180_000);

const snapshotNow = (): Promise<RuntimeSnapshot> => takeSnapshot(dockerEngine.backendsFor(policy), Date.now);
const containerIn = (snapshot: RuntimeSnapshot, id: string) =>
  snapshot.resources.find((r): r is ContainerResource => r.kind === 'container' && r.id === id);
const networkIn = (snapshot: RuntimeSnapshot, id: string) =>
  snapshot.resources.find((r): r is NetworkResource => r.kind === 'network' && r.id === id);
const volumeIn = (snapshot: RuntimeSnapshot, id: string) =>
  snapshot.resources.find((r): r is VolumeResource => r.kind === 'volume' && r.id === id);

/** What a listing of the engine says of one container now: the truth the view must agree with. */
async function listedState(id: string) {
  const [listed] = await engine.docker.listContainers({ all: true, filters: { id: [id] } });
  return listed?.State;
}

test('objects made after the listing reach the view through their events alone, and go with theirs', async () => {
  const listingsAtStart = api.listings;
  expect(listingsAtStart).toBe(3);
  const owner = randomUUID();
  const networkId = await fx.network('net', ownerLabels(label, owner));
  const volumeName = await fx.volume('vol', ownerLabels(label, owner));
  // Created, not started: the listing never saw it, and its first event is a create.
  const home = await fx.network('home');
  const containerId = await fx.container('c', {
    labels: ownerLabels(label, owner),
    running: false,
    network: fx.name('home'),
  });

  const seen = await eventually('the new objects in the view', async () => {
    const snapshot = await snapshotNow();
    return containerIn(snapshot, containerId) && networkIn(snapshot, networkId) && volumeIn(snapshot, volumeName)
      ? snapshot
      : undefined;
  });
  expect(seen.complete).toBe(true);
  expect(containerIn(seen, containerId)).toMatchObject({
    name: fx.name('c'),
    state: 'created',
    labels: ownerLabels(label, owner),
  });
  expect(volumeIn(seen, volumeName)).toMatchObject({ labels: ownerLabels(label, owner) });

  // Renamed, started and connected: each change read again from the engine.
  const container = engine.docker.getContainer(containerId);
  await container.rename({ name: fx.name('renamed') });
  await container.start();
  await engine.docker.getNetwork(networkId).connect({ Container: containerId });
  await eventually('the started, renamed, connected container in the view', async () => {
    const snapshot = await snapshotNow();
    const c = containerIn(snapshot, containerId);
    return (
      c?.state === 'running' &&
      c.name === fx.name('renamed') &&
      c.networks.includes(fx.name('net')) &&
      networkIn(snapshot, networkId)?.containerIds.includes(containerId)
    );
  });
  await container.kill();
  await eventually(
    'the killed container exited in the view',
    async () => containerIn(await snapshotNow(), containerId)?.state === 'exited',
  );
  expect(await listedState(containerId)).toBe('exited');

  await container.remove({ force: true });
  await engine.docker.getNetwork(networkId).remove();
  await engine.docker.getNetwork(home).remove();
  await engine.docker.getVolume(volumeName).remove();
  await eventually('the removed objects gone from the view', async () => {
    const snapshot = await snapshotNow();
    return !containerIn(snapshot, containerId) && !networkIn(snapshot, networkId) && !volumeIn(snapshot, volumeName);
  });
  expect(api.listings).toBe(listingsAtStart);
  expect(api.calls.inspectContainer).toBeGreaterThan(0);
}, 60_000);

test('a sweep reaps through the view, and the view follows what it removed', async () => {
  const gone = randomUUID();
  const orphan = await fx.container('orphan', { labels: ownerLabels(label, gone) });
  const lease = await fx.lease(LEASE_NETWORK, orphan);
  await eventually('the orphan in the view', async () => containerIn(await snapshotNow(), orphan));
  const listings = api.listings;
  const run = await sweep(engine.docker, policy, { backends: dockerEngine.backendsFor(policy) });
  expect(run.snapshot.complete).toBe(true);
  expect(run.byKey.get(resourceKey({ kind: 'container', id: orphan }))?.status).toBe('reaped');
  expect(run.byKey.get(resourceKey({ kind: 'ipLease', id: lease }))?.status).toBe('reaped');
  await eventually('the reaped container gone from the view', async () => !containerIn(await snapshotNow(), orphan));
  expect(api.listings).toBe(listings);
}, 60_000);

test("a network's removal checks attachment through the view: a never-started container keeps it, one just removed does not", async () => {
  const id = await fx.network('dv-parked', ownerLabels(label, randomUUID()));
  const created = await fx.container('dv-parked-created', { network: fx.name('dv-parked'), running: false });
  const network = await eventually('the network in the view', async () => networkIn(await snapshotNow(), id));
  await eventually('its container in the view', async () => containerIn(await snapshotNow(), created));
  const listings = api.listings;
  const backends = dockerEngine.backendsFor(policy);
  await expect(backends.network!.remove(network)).resolves.toEqual({
    status: 'skipped',
    reason: `in use by ${fx.name('dv-parked-created')}`,
  });
  // Removed and at once the network: the view may not have its destroy event yet.
  await engine.docker.getContainer(created).remove({ force: true });
  await expect(backends.network!.remove(network)).resolves.toMatchObject({ status: 'reaped' });
  expect(await fx.exists('network', id)).toBe(false);
  expect(api.listings).toBe(listings);
}, 60_000);

test('a lease made right after its container never looks dangling, whether or not its event has arrived', async () => {
  const owner = randomUUID();
  for (let i = 0; i < 5; i++) {
    // No wait in between: the snapshot may come before the container's create event does.
    const created = await engine.docker.createContainer({
      name: fx.name(`fresh-${i}`),
      Image: testImage(),
      Cmd: ['sleep', '3600'],
      Labels: ownerLabels(label, owner),
      HostConfig: { NetworkMode: 'none' },
    });
    const lease = await fx.lease(LEASE_NETWORK, created.id);
    const snapshot = await snapshotNow();
    expect(snapshot.complete).toBe(true);
    expect(snapshot.resources.find((r) => r.kind === 'ipLease' && r.id === lease)).toBeDefined();
    expect(containerIn(snapshot, created.id)).toMatchObject({ id: created.id, state: 'created' });
  }
}, 60_000);

test(
  'a steady idle period makes no Docker call at all, however often snapshots are read',
  async () => {
    await eventually('the events of the earlier tests applied', async () => (await snapshotNow()).complete);
    const before = { ...api.calls };
    const until = Date.now() + IDLE_MS;
    let snapshots = 0;
    while (Date.now() < until) {
      const snapshot = await snapshotNow();
      expect(snapshot.complete).toBe(true);
      snapshots++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(snapshots).toBeGreaterThan(50);
    expect(api.calls).toEqual(before);
  },
  IDLE_MS + 30_000,
);

test('a stream that breaks: the view is unreadable at once and a sweep fails closed; the engine back, it lists again', async () => {
  const owner = randomUUID();
  const survivor = await fx.container('survivor', { labels: ownerLabels(label, owner) });
  // Exits while dockerd is down (live restore keeps it running until then): drift only a listing sees.
  const shortLived = (
    await engine.docker.createContainer({
      name: fx.name('short'),
      Image: testImage(),
      Cmd: ['sleep', '3'],
      Labels: ownerLabels(label, owner),
      HostConfig: { NetworkMode: 'none' },
    })
  ).id;
  await engine.docker.getContainer(shortLived).start();
  await eventually('both containers running in the view', async () => {
    const snapshot = await snapshotNow();
    return (
      containerIn(snapshot, survivor)?.state === 'running' && containerIn(snapshot, shortLived)?.state === 'running'
    );
  });
  const listings = api.listings;
  readableChanges.length = 0;

  await engine.kill();
  const brokenAt = Date.now();
  await eventually('the view to go unreadable', () => !view.readable, 5_000);
  expect(Date.now() - brokenAt).toBeLessThan(2_000);
  expect(readableChanges).toEqual([false]);
  const blind = await snapshotNow();
  expect(blind.complete).toBe(false);
  expect(blind.errors.join('\n')).toMatch(
    /^listing containers: Docker's event stream broke at .* and the engine is not listed again yet/m,
  );
  // The orphan of a gone owner is not reaped by a sweep that cannot see the engine.
  const run = await sweep(engine.docker, policy, { backends: dockerEngine.backendsFor(policy) });
  expect(run.plan.failedClosed.length).toBeGreaterThan(0);
  expect(run.plan.selected).toHaveLength(0);
  expect(run.execution.outcomes).toHaveLength(0);

  // Down long enough for the short-lived container to exit meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  await engine.restart();
  await eventually('the view to list the restarted engine', () => view.readable, 60_000);
  expect(readableChanges).toEqual([false, true]);
  expect(api.listings).toBeGreaterThanOrEqual(listings + 3);
  const back = await snapshotNow();
  expect(back.complete).toBe(true);
  expect(containerIn(back, survivor)?.state).toBe('running');
  await eventually('the container that exited while dockerd was down, exited in the view', async () =>
    containerIn(await snapshotNow(), shortLived)?.state === 'exited' ? true : undefined,
  );
  expect(await listedState(shortLived)).toBe('exited');

  // Followed again: a container made now reaches the view by its event, without another listing.
  const relisted = api.listings;
  const after = await fx.container('after', { labels: ownerLabels(label, owner), running: false });
  await eventually('a container made after the restart in the view', async () =>
    containerIn(await snapshotNow(), after),
  );
  expect(api.listings).toBe(relisted);
}, 180_000);
