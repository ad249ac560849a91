// The Docker backends against the real engine.
import Docker from 'dockerode';
import { takeSnapshot } from '../../../src/runtime/backend.js';
import { backendsForPolicy } from '../../../src/runtime/backends-for-policy.js';
import { DockerContainers } from '../../../src/runtime/docker-containers.js';
import { DockerNetworks } from '../../../src/runtime/docker-networks.js';
import { DockerVolumes } from '../../../src/runtime/docker-volumes.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { testPolicy } from './sweep-harness.js';

const fx = new RuntimeFixtures('docker');
afterAll(() => fx.cleanUp());

// A label key of this file's own: sweeps of other test files (the demo's among them) never attribute these.
const owned = { 'backends.test/owner': 'uid-1' };

describe('containers', () => {
  const stop = new DockerContainers(fx.docker, { running: 'Stop', stopTimeoutSeconds: 1 });
  const skip = new DockerContainers(fx.docker, { running: 'Skip', stopTimeoutSeconds: 1 });

  test('list reports names, labels, state and creation time', async () => {
    const before = Date.now() - 5000;
    const id = await fx.container('listed', { labels: owned });
    const listed = (await stop.list()).find((c) => c.id === id);
    expect(listed).toMatchObject({ kind: 'container', name: fx.name('listed'), labels: owned, state: 'running' });
    expect(listed!.createdAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  test('Stop: a running container is stopped and removed with its anonymous volume', async () => {
    const id = await fx.container('stop', { labels: owned, anonymousVolume: true });
    const volume = (await fx.docker.getContainer(id).inspect()).Mounts[0]!.Name!;
    const resource = (await stop.list()).find((c) => c.id === id)!;
    await expect(stop.remove(resource)).resolves.toMatchObject({
      status: 'reaped',
      reason: expect.stringMatching(/stopped/),
    });
    expect(await fx.exists('container', id)).toBe(false);
    expect(await fx.exists('volume', volume)).toBe(false);
  });

  test('Skip: a running container is left running and reported', async () => {
    const id = await fx.container('skip', { labels: owned });
    const resource = (await skip.list()).find((c) => c.id === id)!;
    await expect(skip.remove(resource)).resolves.toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/Skip/),
    });
    expect((await fx.docker.getContainer(id).inspect()).State.Running).toBe(true);
  });

  test('Skip still removes a stopped container', async () => {
    const id = await fx.container('stopped', { labels: owned, running: false });
    const resource = (await skip.list()).find((c) => c.id === id)!;
    await expect(skip.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
  });

  test('Stop: a stopped container is removed, not reported stopped; one already gone is already removed', async () => {
    const id = await fx.container('never-started', { labels: owned, running: false });
    const resource = (await stop.list()).find((c) => c.id === id)!;
    await expect(stop.remove(resource)).resolves.toEqual({
      status: 'reaped',
      reason: 'removed with its anonymous volumes',
    });
    expect(await fx.exists('container', id)).toBe(false);
    await expect(stop.remove(resource)).resolves.toMatchObject({ status: 'alreadyGone' });
  });

  test('Stop: a paused container is stopped and removed; Skip leaves it paused', async () => {
    const id = await fx.container('paused', { labels: owned });
    await fx.docker.getContainer(id).pause();
    const resource = (await stop.list()).find((c) => c.id === id)!;
    expect(resource.state).toBe('paused');
    await expect(skip.remove(resource)).resolves.toMatchObject({ status: 'skipped', reason: /paused/ });
    expect((await fx.docker.getContainer(id).inspect()).State.Paused).toBe(true);
    await expect(stop.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
    expect(await fx.exists('container', id)).toBe(false);
  });

  test('Stop: a container with restart policy "always" is stopped and removed', async () => {
    const container = await fx.docker.createContainer({
      name: fx.name('always'),
      Image: process.env.REAPER_TEST_IMAGE!,
      Cmd: ['sleep', '3600'],
      Labels: owned,
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } },
    });
    await container.start();
    const resource = (await stop.list()).find((c) => c.id === container.id)!;
    await expect(stop.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
    expect(await fx.exists('container', container.id)).toBe(false);
  });

  test('Stop: a container started with auto-remove, which Docker removes once stopped, counts as reaped', async () => {
    const container = await fx.docker.createContainer({
      name: fx.name('autoremove'),
      Image: process.env.REAPER_TEST_IMAGE!,
      Cmd: ['sleep', '3600'],
      Labels: owned,
      HostConfig: { NetworkMode: 'none', AutoRemove: true },
    });
    await container.start();
    const resource = (await stop.list()).find((c) => c.id === container.id)!;
    await expect(stop.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
    expect(await fx.exists('container', container.id)).toBe(false);
  });

  test('a container removed by someone else mid-sweep counts as already gone', async () => {
    const id = await fx.container('race', { labels: owned });
    const resource = (await stop.list()).find((c) => c.id === id)!;
    await fx.docker.getContainer(id).remove({ force: true });
    await expect(stop.remove(resource)).resolves.toMatchObject({ status: 'alreadyGone' });
  });
});

describe('networks', () => {
  const networks = new DockerNetworks(fx.docker);

  test('a network with a foreign container attached is reported in use, not forced', async () => {
    const id = await fx.network('busy', owned);
    await fx.container('guest', { network: fx.name('busy') });
    const resource = (await networks.list()).find((n) => n.id === id)!;
    expect(resource.labels).toEqual(owned);
    await expect(networks.remove(resource)).resolves.toEqual({
      status: 'skipped',
      reason: `in use by ${fx.name('guest')}`,
    });
    expect(await fx.exists('network', id)).toBe(true);
  });

  test('an idle network is removed; a second removal finds it already gone', async () => {
    const id = await fx.network('idle', owned);
    const resource = (await networks.list()).find((n) => n.id === id)!;
    await expect(networks.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
    expect(await fx.exists('network', id)).toBe(false);
    await expect(networks.remove(resource)).resolves.toMatchObject({ status: 'alreadyGone' });
  });

  test("Docker's predefined networks are refused even if asked, whatever name the caller gives", async () => {
    const bridge = (await networks.list()).find((n) => n.name === 'bridge')!;
    await expect(networks.remove(bridge)).resolves.toMatchObject({ status: 'skipped' });
    await expect(networks.remove({ ...bridge, name: 'not-the-bridge' })).resolves.toMatchObject({
      status: 'skipped',
      reason: "Docker's predefined network",
    });
    expect(await fx.exists('network', bridge.id)).toBe(true);
  });

  test('list names the containers attached in any state; a stopped one keeps its network', async () => {
    const id = await fx.network('parked', owned);
    const running = await fx.container('parked-running', { network: fx.name('parked') });
    const created = await fx.container('parked-created', { network: fx.name('parked'), running: false });
    const exited = await fx.container('parked-exited', { network: fx.name('parked') });
    await fx.docker.getContainer(exited).stop({ t: 0 });
    const resource = (await networks.list()).find((n) => n.id === id)!;
    expect([...resource.containerIds].sort()).toEqual([running, created, exited].sort());
    await fx.docker.getContainer(running).remove({ force: true });
    const result = await networks.remove(resource);
    expect(result.status).toBe('skipped');
    expect(result.reason).toMatch(/^in use by /);
    expect(result.reason).toContain(fx.name('parked-created'));
    expect(result.reason).toContain(fx.name('parked-exited'));
    expect(await fx.exists('network', id)).toBe(true);
    // Docker would have let the network go and left both unable to start again.
    await fx.docker.getContainer(created).start();
    await fx.docker.getContainer(exited).start();
  });

  test('a network with an odd name (Docker takes any) still sees a never-started container', async () => {
    const name = `${fx.name('odd')} x+(`;
    const { id } = await fx.docker.createNetwork({ Name: name, Labels: owned });
    const created = await fx.docker.createContainer({
      name: fx.name('odd-guest'),
      Image: process.env.REAPER_TEST_IMAGE!,
      Cmd: ['sleep', '3600'],
      HostConfig: { NetworkMode: name },
    });
    const resource = (await networks.list()).find((n) => n.id === id)!;
    expect(resource.containerIds).toEqual([created.id]);
    await expect(networks.remove(resource)).resolves.toEqual({
      status: 'skipped',
      reason: `in use by ${fx.name('odd-guest')}`,
    });
    expect(await fx.exists('network', id)).toBe(true);
  });

  test('a snapshot lists the containers once for both backends; its networks still name them', async () => {
    const id = await fx.network('shared', owned);
    const created = await fx.container('shared-created', { network: fx.name('shared'), running: false });
    const running = await fx.container('shared-running', { network: fx.name('shared') });
    const docker = new Docker();
    const listings = countContainerListings(docker);
    const { policy } = testPolicy({ cniDir: '' });
    const withoutLeases = {
      ...policy,
      resources: { ...policy.resources, ipLeases: { enabled: false, cniDir: '', networks: [] } },
    };
    const snapshot = await takeSnapshot(backendsForPolicy(withoutLeases, docker), Date.now);
    expect(snapshot.complete).toBe(true);
    expect(listings()).toBe(1);
    const containerIds = snapshot.resources.filter((r) => r.kind === 'container').map((r) => r.id);
    expect(containerIds).toEqual(expect.arrayContaining([created, running]));
    const network = snapshot.resources.find((r) => r.id === id);
    expect(network?.kind === 'network' && [...network.containerIds].sort()).toEqual([created, running].sort());
  });

  test("a network whose name another network extends is not held by the other one's containers", async () => {
    const id = await fx.network('prefix', owned);
    await fx.network('prefix0');
    await fx.container('prefix0-guest', { network: fx.name('prefix0'), running: false });
    const resource = (await networks.list()).find((n) => n.id === id)!;
    expect(resource.containerIds).toEqual([]);
    await expect(networks.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
  });
});

describe('volumes', () => {
  const volumes = new DockerVolumes(fx.docker);

  test('only labelled volumes are listed; unlabelled ones are never touched', async () => {
    const labelled = await fx.volume('labelled', owned);
    const plain = await fx.volume('plain');
    const names = (await volumes.list()).map((v) => v.name);
    expect(names).toContain(labelled);
    expect(names).not.toContain(plain);
    await expect(
      volumes.remove({ kind: 'volume', id: plain, name: plain, labels: {}, createdAt: 0, driver: 'local' }),
    ).resolves.toMatchObject({
      status: 'skipped',
    });
    // Labels the caller made up do not count: Docker's own are read again.
    await expect(
      volumes.remove({ kind: 'volume', id: plain, name: plain, labels: owned, createdAt: 0, driver: 'local' }),
    ).resolves.toEqual({ status: 'skipped', reason: 'unlabelled volumes are never removed' });
    expect(await fx.exists('volume', plain)).toBe(true);
  });

  test('a labelled volume in use is skipped; once free it is removed', async () => {
    const name = await fx.volume('used', owned);
    const user = await fx.docker.createContainer({
      name: fx.name('user'),
      Image: process.env.REAPER_TEST_IMAGE!,
      Cmd: ['sleep', '3600'],
      HostConfig: { Binds: [`${name}:/data`] },
    });
    const resource = (await volumes.list()).find((v) => v.name === name)!;
    await expect(volumes.remove(resource)).resolves.toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/in use/),
    });
    await user.remove({ force: true });
    await expect(volumes.remove(resource)).resolves.toMatchObject({ status: 'reaped' });
    expect(await fx.exists('volume', name)).toBe(false);
  });
});

/** How many times the client asked Docker for its container list (GET /containers/json). */
function countContainerListings(docker: Docker): () => number {
  let count = 0;
  const modem = (docker as unknown as { modem: { dial: (options: { path?: string }, cb: unknown) => unknown } }).modem;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, cb) => {
    if (/^(\/v[0-9.]+)?\/containers\/json(\?|$)/.test(options.path ?? '')) count++;
    return dial(options, cb);
  };
  return () => count;
}
