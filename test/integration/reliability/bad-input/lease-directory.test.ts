// A hostile CNI lease directory under a whole `reaper sweep` (the backend alone is covered by
// test/integration/runtime/cni-leases.test.ts): symlinks to files and directories elsewhere, names
// with `..`, names that are not IPs, binary content, a FIFO, and a file the sweep cannot read. The
// sweep runs without CAP_DAC_OVERRIDE, as the chart's container does, so mode 000 means unreadable.
// Every junk entry holds the content of a lease whose container is gone (reapable if it were a
// lease): nothing of it may go, nothing outside the directory may change, and the real orphans
// beside it are still reaped.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueName } from '../../../support/engines.js';
import { RuntimeFixtures } from '../../../support/runtime-fixtures.js';
import type { SweepReport } from '../../../support/reaper-cli.js';
import { ownersDir, policyFile, reaper } from '../../../support/reaper-cli.js';

const fx = new RuntimeFixtures('bad-leases');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-bad-leases-'));
const outside = mkdtempSync(path.join(tmpdir(), 'reaper-outside-'));
afterAll(async () => {
  for (const dir of [fx.cniDir, outside]) spawnSync('chmod', ['-R', 'u+rwx', dir]);
  rmSync(work, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  await fx.cleanUp();
});

/** A lease of a container that does not exist: reapable as dangling, were it a real lease. */
const GONE_CONTAINER = 'e'.repeat(64);
const danglingContent = `${GONE_CONTAINER}\r\neth0`;

/** Every file and symlink under `root`, with its content (or link target) and mode. */
function inventory(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const key = path.relative(root, full);
      if (info.isSymbolicLink()) entries[key] = `symlink to ${readlinkSync(full)}`;
      else if (info.isDirectory()) {
        entries[key] = `dir ${info.mode.toString(8)}`;
        if (info.mode & 0o400) walk(full);
      } else if (info.isFIFO()) entries[key] = 'fifo';
      else entries[key] = `file ${info.mode.toString(8)} ${readFileSync(full).toString('base64')}`;
    }
  };
  walk(root);
  return entries;
}

test('junk in the lease store is passed over: nothing outside is touched, bookkeeping stays, the real orphans are reaped', async () => {
  const network = uniqueName('labnet');
  const liveUid = randomUUID();
  const { file, owned } = policyFile(work, {
    resources: {
      containers: { stopTimeoutSeconds: 1 },
      ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [network, 'linked-net', 'a..b'] },
    },
  });

  // Real leases from host-local: a live container's, an orphaned container's, and a dangling one.
  const live = await fx.container('live', { labels: owned(liveUid), running: false });
  const orphan = await fx.container('orphan', { labels: owned(randomUUID()), running: false });
  const liveLease = await fx.lease(network, live);
  const orphanLease = await fx.lease(network, orphan);
  const danglingLease = await fx.lease(network, 'd'.repeat(64));
  const dir = path.join(fx.cniDir, network);
  const subnet = liveLease.split('/')[1]!.split('.').slice(0, 3).join('.');

  // Files elsewhere, shaped like leases, that links in the store point at.
  const precious = path.join(outside, 'precious');
  writeFileSync(precious, danglingContent);
  mkdirSync(path.join(outside, 'net'));
  writeFileSync(path.join(outside, 'net', `${subnet}.50`), danglingContent);

  // Junk inside the network directory, each with a lease's content where it can hold one.
  symlinkSync(precious, path.join(dir, `${subnet}.201`)); // a lease-looking symlink to a file elsewhere
  symlinkSync(path.join(outside, 'net'), path.join(dir, `${subnet}.202`)); // ... to a directory elsewhere
  writeFileSync(path.join(dir, `${subnet}.203`), Buffer.from([0, 1, 2, 0xff, 0xfe]));
  writeFileSync(path.join(dir, `${subnet}.204`), danglingContent);
  chmodSync(path.join(dir, `${subnet}.204`), 0o000); // unreadable to a process without DAC override
  expect(spawnSync('mkfifo', [path.join(dir, `${subnet}.205`)]).status).toBe(0); // would block a plain read
  mkdirSync(path.join(dir, `${subnet}.206`));
  writeFileSync(path.join(dir, `${subnet}.207`), 'x'.repeat(100_000));
  for (const name of ['not-an-ip', '999.1.1.1', `${subnet}.9.bak`, `..${subnet}.10`, `${subnet}.11..`, '..'.repeat(3)])
    writeFileSync(path.join(dir, name), danglingContent);

  // Beside the network directories: a symlinked "network", a name that starts with `..` (not a CNI
  // network name), and `a..b`, an ordinary name the policy manages: its dangling lease goes, in place.
  symlinkSync(path.join(outside, 'net'), path.join(fx.cniDir, 'linked-net'));
  for (const name of ['..hidden', 'a..b']) {
    mkdirSync(path.join(fx.cniDir, name));
    writeFileSync(path.join(fx.cniDir, name, `${subnet}.60`), danglingContent);
  }

  const outsideBefore = inventory(outside);
  const storeBefore = inventory(fx.cniDir);

  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [liveUid]), '-o', 'json'], {
    withoutDacOverride: true,
  });
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as SweepReport;
  // The sweep went on: it completed, and reaped the orphaned container, its lease and the dangling one.
  expect(run.code).toBe(0);
  expect(report.outcome).toBe('Completed');
  expect(report.counts.containers!.reaped).toBe(1);
  const dottedLease = `a..b/${subnet}.60`;
  expect(
    report.items
      .filter((i) => i.kind === 'ipLeases' && i.action === 'Reaped')
      .map((i) => i.id)
      .sort(),
  ).toEqual([orphanLease, danglingLease, dottedLease].sort());
  expect(await fx.exists('container', orphan)).toBe(false);
  expect(existsSync(path.join(fx.cniDir, orphanLease))).toBe(false);
  expect(existsSync(path.join(fx.cniDir, danglingLease))).toBe(false);
  expect(await fx.exists('container', live)).toBe(true);
  expect(existsSync(path.join(fx.cniDir, liveLease))).toBe(true);

  // Nothing outside changed; in the store, exactly the three reaped lease files went.
  expect(inventory(outside)).toEqual(outsideBefore);
  const expectedStore = { ...storeBefore };
  delete expectedStore[orphanLease];
  delete expectedStore[danglingLease];
  delete expectedStore[dottedLease];
  // Removing a lease takes the store's lock the way host-local does, creating the (empty) file if needed.
  expectedStore['a..b/lock'] = 'file 100644 ';
  expect(inventory(fx.cniDir)).toEqual(expectedStore);
  expect(readdirSync(dir)).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0']));

  // And the report says what was passed over, and why.
  const errors = report.errors.join('\n');
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.201: not a regular file \\(symlink\\)`));
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.202: not a regular file \\(symlink\\)`));
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.203: binary content`));
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.204: unreadable \\(EACCES\\)`));
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.205: not a regular file \\(other\\)`));
  expect(errors).toMatch(new RegExp(`${network}/${subnet}\\.207: larger than a lease file`));
  expect(errors).toMatch(/linked-net: symlink in the lease directory, not followed/);
  expect(errors).toMatch(/"\.\.hidden": not a CNI network name, passed over/);
}, 300_000);

test('a network directory the sweep cannot read: the listing is incomplete, so nothing is reaped and the report says why', async () => {
  const network = uniqueName('locked');
  const { file, owned } = policyFile(work, {
    resources: {
      containers: { stopTimeoutSeconds: 1 },
      ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [network] },
    },
  });
  const orphan = await fx.container('locked-orphan', { labels: owned(randomUUID()), running: false });
  const lease = await fx.lease(network, 'f'.repeat(64));
  chmodSync(path.join(fx.cniDir, network), 0o000);
  try {
    const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, []), '-o', 'json'], {
      withoutDacOverride: true,
    });
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as SweepReport;
    expect(report.outcome).toBe('FailedClosed');
    expect(report.errors.join('\n')).toMatch(new RegExp(`lease store .*${network}: .*EACCES`));
    expect(await fx.exists('container', orphan)).toBe(true);
  } finally {
    chmodSync(path.join(fx.cniDir, network), 0o755);
  }
  expect(existsSync(path.join(fx.cniDir, lease))).toBe(true);
}, 300_000);
