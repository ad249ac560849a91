// The lease backend against real host-local leases and a lease directory full of junk.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CniLeases } from '../../../src/runtime/cni-leases.js';
import { lockExclusive } from '../../../src/runtime/file-lock.js';
import { leaseAddress, runHostLocal } from '../../support/cni.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';

const fx = new RuntimeFixtures('cni');
const outside = mkdtempSync(path.join(tmpdir(), 'reaper-outside-'));
afterAll(async () => {
  rmSync(outside, { recursive: true, force: true });
  await fx.cleanUp();
});

const containerA = 'a'.repeat(64);
const containerB = 'b'.repeat(64);

test('real leases are listed with their container and interface', async () => {
  const id = await fx.lease('net-list', containerA);
  const leases = await new CniLeases(fx.cniDir).list();
  expect(leases).toContainEqual(
    expect.objectContaining({ kind: 'ipLease', id, network: 'net-list', containerId: containerA, ifname: 'eth0' }),
  );
});

test('removal deletes exactly the lease file and keeps the plugin bookkeeping', async () => {
  const id = await fx.lease('net-remove', containerA);
  const keep = await fx.lease('net-remove', containerB);
  const backend = new CniLeases(fx.cniDir);
  const lease = (await backend.list()).find((l) => l.id === id)!;
  await expect(backend.remove(lease)).resolves.toMatchObject({ status: 'reaped' });
  const left = readdirSync(path.join(fx.cniDir, 'net-remove'));
  expect(left).not.toContain(lease.ip);
  expect(left).toContain(keep.split('/')[1]);
  expect(left).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0']));
  // Gone already: a second removal is not an error.
  await expect(backend.remove(lease)).resolves.toMatchObject({ status: 'alreadyGone' });
});

test('an address handed to another container since the snapshot is not removed', async () => {
  const id = await fx.lease('net-reassigned', containerA);
  const backend = new CniLeases(fx.cniDir);
  const lease = (await backend.list()).find((l) => l.id === id)!;
  writeFileSync(path.join(fx.cniDir, id), `${containerB}\r\neth0`);
  await expect(backend.remove(lease)).resolves.toMatchObject({
    status: 'skipped',
    reason: expect.stringMatching(/now leased/),
  });
  expect(existsSync(path.join(fx.cniDir, id))).toBe(true);
});

test('removal waits for the lock host-local holds', async () => {
  const id = await fx.lease('net-locked', containerA);
  const backend = new CniLeases(fx.cniDir);
  const lease = (await backend.list()).find((l) => l.id === id)!;
  // Another process holds the store's lock for a moment, as host-local does while allocating.
  const holder = spawn('flock', ['--exclusive', path.join(fx.cniDir, 'net-locked', 'lock'), 'sleep', '1.5']);
  const released = new Promise((r) => holder.on('close', r));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  await expect(backend.remove(lease)).resolves.toMatchObject({ status: 'reaped' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  await released;
});

test('junk in the lease directory is passed over and reported; nothing outside is touched', async () => {
  const good = await fx.lease('net-junk', containerA);
  const dir = path.join(fx.cniDir, 'net-junk');
  const target = path.join(outside, 'precious');
  writeFileSync(target, `${containerA}\r\neth0`);
  symlinkSync(target, path.join(dir, '10.99.0.7')); // a lease-looking symlink to a file elsewhere
  symlinkSync(outside, path.join(fx.cniDir, 'net-linked')); // a network directory that is a symlink
  writeFileSync(path.join(dir, 'not-an-ip'), containerA);
  writeFileSync(path.join(dir, '10.99.0.8'), Buffer.from([0, 1, 2, 3, 0xff]));
  writeFileSync(path.join(dir, '10.99.0.9'), 'x'.repeat(10_000));
  mkdirSync(path.join(dir, '10.99.0.10'));
  writeFileSync(path.join(dir, '10.99.0.11'), `${containerA}\r\neth0`);
  chmodSync(path.join(dir, '10.99.0.11'), 0o000);
  mkdirSync(path.join(fx.cniDir, '..weird'), { recursive: true });

  const backend = new CniLeases(fx.cniDir);
  const leases = await backend.list();
  const ids = leases.filter((l) => l.network === 'net-junk').map((l) => l.id);
  expect(ids).toContain(good);
  expect(ids).not.toEqual(expect.arrayContaining(['net-junk/10.99.0.7']));
  for (const junk of ['10.99.0.7', '10.99.0.8', '10.99.0.9', '10.99.0.10'])
    expect(ids).not.toContain(`net-junk/${junk}`);
  expect(leases.some((l) => l.network === 'net-linked')).toBe(false);
  const warnings = backend.drainWarnings().join('\n');
  expect(warnings).toMatch(/net-junk\/10\.99\.0\.7: not a regular file \(symlink\)/);
  expect(warnings).toMatch(/net-junk\/10\.99\.0\.8: binary content/);
  expect(warnings).toMatch(/net-junk\/10\.99\.0\.9: larger than a lease file/);
  expect(warnings).toMatch(/net-linked: symlink in the lease directory, not followed/);

  // Asked to remove paths that escape the store, the backend refuses.
  for (const [network, ip] of [
    ['..', 'etc'],
    ['net-junk/../..', '10.0.0.1'],
    ['net-junk', '../../precious'],
  ]) {
    const escaped = { ...leases[0]!, network: network!, ip: ip!, id: `${network}/${ip}` };
    await expect(backend.remove(escaped)).resolves.toMatchObject({ status: 'skipped' });
  }
  // And a symlinked lease is never followed to its target.
  const symlinked = { ...leases.find((l) => l.id === good)!, id: 'net-junk/10.99.0.7', ip: '10.99.0.7' };
  await backend.remove(symlinked);
  expect(readFileSync(target, 'utf8')).toBe(`${containerA}\r\neth0`);
  expect(readdirSync(dir)).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0', 'not-an-ip']));
});

test('a missing data directory means no leases', async () => {
  await expect(new CniLeases(path.join(outside, 'nothing-here')).list()).resolves.toEqual([]);
});

describe('the store lock, shared with host-local', () => {
  const subnet = '10.201.7.0/24';

  test('stays held after flock(1) exits; host-local waits for it and then allocates', async () => {
    await leaseAddress({ dataDir: fx.cniDir, network: 'net-lock', subnet, containerId: containerA });
    const lock = await open(path.join(fx.cniDir, 'net-lock', 'lock'), 'r+');
    try {
      await lockExclusive(lock, 5);
      // flock(1) has exited; another process still cannot take the lock.
      const probe = spawnSync('flock', ['--nonblock', path.join(fx.cniDir, 'net-lock', 'lock'), 'true']);
      expect(probe.status).toBe(1);
      let finished = false;
      const add = runHostLocal({
        command: 'ADD',
        dataDir: fx.cniDir,
        network: 'net-lock',
        subnet,
        containerId: containerB,
      }).then((run) => ((finished = true), run));
      await new Promise((r) => setTimeout(r, 800));
      expect(finished).toBe(false);
      await lock.close();
      const run = await add;
      expect(run.code).toBe(0);
    } finally {
      await lock.close().catch(() => undefined);
    }
    const leases = (await new CniLeases(fx.cniDir).list()).filter((l) => l.network === 'net-lock');
    expect(leases.map((l) => l.containerId).sort()).toEqual([containerA, containerB]);
  });

  test('concurrent removals in one store each take the lock, and all go through', async () => {
    const ids = [];
    for (let i = 0; i < 8; i++) ids.push(await fx.lease('net-many', `${i}`.repeat(64)));
    const backend = new CniLeases(fx.cniDir);
    const leases = (await backend.list()).filter((l) => l.network === 'net-many');
    expect(leases).toHaveLength(8);
    const results = await Promise.all(leases.map((l) => backend.remove(l)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('reaped'));
    expect(readdirSync(path.join(fx.cniDir, 'net-many')).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });

  test('a lock file that is a symlink is never followed: the removal fails, nothing is touched', async () => {
    const id = await fx.lease('net-lock-link', containerA);
    const backend = new CniLeases(fx.cniDir);
    const lease = (await backend.list()).find((l) => l.id === id)!;
    const target = path.join(outside, 'lock-target');
    writeFileSync(target, 'precious');
    rmSync(path.join(fx.cniDir, 'net-lock-link', 'lock'));
    symlinkSync(target, path.join(fx.cniDir, 'net-lock-link', 'lock'));
    await expect(backend.remove(lease)).resolves.toMatchObject({ status: 'failed' });
    expect(existsSync(path.join(fx.cniDir, id))).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });
});

test('IPv6 leases and older lease files (just the container id) are listed', async () => {
  const v6 = await leaseAddress({
    dataDir: fx.cniDir,
    network: 'net-v6',
    subnet: 'fd00:7::/64',
    containerId: containerA,
  });
  expect(v6).toContain(':');
  writeFileSync(path.join(fx.cniDir, 'net-v6', 'fd00:7::99'), containerB);
  const backend = new CniLeases(fx.cniDir);
  const leases = (await backend.list()).filter((l) => l.network === 'net-v6');
  expect(leases).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: `net-v6/${v6}`, ip: v6, containerId: containerA, ifname: 'eth0' }),
      expect.objectContaining({ id: 'net-v6/fd00:7::99', containerId: containerB }),
    ]),
  );
  expect(leases.find((l) => l.ip === 'fd00:7::99')).not.toHaveProperty('ifname');
  await expect(backend.remove(leases.find((l) => l.ip === v6)!)).resolves.toMatchObject({ status: 'reaped' });
  expect(existsSync(path.join(fx.cniDir, 'net-v6', v6))).toBe(false);
});
