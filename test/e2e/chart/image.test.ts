// The container image as scripts/build-image makes it (no registry needed): what it holds, the user
// it runs as, and `reaper sweep` inside it reaching the real Docker engine through the mounted
// socket the ways the chart allows: as the image's non-root user with the socket's group, and as
// uid 0 without capabilities (the chart's default), both on a read-only root filesystem.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { requiredEnv, uniqueName } from '../../support/engines.js';
import { installCrds, kubectl, repoRoot } from '../../support/kubectl.js';
import { ownerLabels } from '../../support/owner-labels.js';
import { sweepPolicy, topologyManifest } from '../../support/reaper-cli.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { eventually } from '../../support/eventually.js';
import { clusterAccess, createNamespace, deleteNamespace, serviceAccountKubeconfig } from './chart-support.js';

const image = `reaper-test/reaper:${uniqueName('e2e')}`;
const fx = new RuntimeFixtures('image');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-image-'));
const socket = requiredEnv('DOCKER_HOST').replace(/^unix:\/\//, '');
// The owner uid of the Topology "alive" in the owners directory, and one no owner has: the policy
// keys owners by uid, so a label that is not a uid would be foreign, not gone.
const ALIVE = randomUUID();
const GONE = randomUUID();

function sh(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `docker run --rm` of the image with extra docker flags, then the arguments for the entrypoint. */
function reaperIn(flags: string[], args: string[]) {
  return sh('docker', ['run', '--rm', '--network', 'none', ...flags, image, ...args]);
}

/** Like the chart's agent container: read-only root, no capabilities, no privilege escalation. */
const hardened = ['--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

beforeAll(() => {
  const built = sh(path.join(repoRoot, 'scripts', 'build-image'), ['-t', image]);
  if (built.code !== 0) throw new Error(`scripts/build-image failed (${built.code}):\n${built.stderr}`);
  chmodSync(work, 0o755);
  installCrds();
}, 600_000);

afterAll(async () => {
  await fx.cleanUp();
  sh('docker', ['rmi', '-f', image]);
  rmSync(work, { recursive: true, force: true });
});

test('the image runs Node.js 24 LTS, whatever node the host has', () => {
  const version = reaperIn(['--entrypoint', 'node'], ['--version']);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toMatch(/^v24\.\d+\.\d+$/);
});

test('reaper --help runs from the entrypoint, and run is a command', () => {
  const help = reaperIn([], ['--help']);
  expect(help.stderr).toBe('');
  expect(help.code).toBe(0);
  for (const command of ['sweep', 'plan', 'apply', 'run'])
    expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  const run = reaperIn([], ['run', '--help']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('--node-name');
  expect(run.stdout).toContain('--leader-elect');
});

test('the image runs as uid 65532, starts `reaper run` by default, and is small', () => {
  const inspect = sh('docker', ['image', 'inspect', image, '--format', '{{json .Config}} {{.Size}}']);
  const [config, size] = inspect.stdout.trim().split(/ (?=\d+$)/);
  expect(JSON.parse(config!)).toMatchObject({
    User: '65532:65532',
    Entrypoint: JSON.parse(sh(path.join(repoRoot, 'scripts', 'build-image'), ['entrypoint']).stdout),
    Cmd: ['run'],
    WorkingDir: '/app',
  });
  const env = (JSON.parse(config!) as { Env: string[] }).Env;
  for (const [name, value] of Object.entries(
    JSON.parse(sh(path.join(repoRoot, 'scripts', 'build-image'), ['env']).stdout) as Record<string, string>,
  ))
    expect(env).toContain(`${name}=${value}`);
  const megabytes = Number(size) / 1e6;
  console.log(`${image}: ${megabytes.toFixed(1)} MB`);
  expect(megabytes).toBeLessThan(140);

  const who = reaperIn(['--entrypoint', 'node'], ['-e', 'console.log(process.getuid(), process.getgid())']);
  expect(who.stdout.trim()).toBe('65532 65532');
});

test('the bundle and the licenses of what it holds only: no node_modules, no compiler, no test tools, no shell; flock(1) for the lease lock', () => {
  const probe = reaperIn(
    ['--entrypoint', 'node'],
    [
      '-e',
      `const fs = require('fs');
       for (const p of ['/app/reaper/main.js', '/app/licenses/@kubernetes/client-node', '/app/licenses/dockerode',
         '/app/node_modules', '/app/dist', '/app/src', '/bin/sh', '/usr/bin/npm', '/usr/bin/flock'])
         console.log(p, fs.existsSync(p));`,
    ],
  );
  expect(probe.code).toBe(0);
  expect(probe.stdout.trim().split('\n')).toEqual([
    '/app/reaper/main.js true',
    '/app/licenses/@kubernetes/client-node true',
    '/app/licenses/dockerode true',
    '/app/node_modules false',
    '/app/dist false',
    '/app/src false',
    '/bin/sh false',
    '/usr/bin/npm false',
    '/usr/bin/flock true',
  ]);
});

/**
 * A policy file matching a label key of its own, an owners directory where "alive" lives, and
 * `owned`: the labels of a resource of the Topology with that uid (the key and the kind label).
 */
function sweepInputs(extra: Record<string, unknown> = {}) {
  const label = `${uniqueName('t')}.test/owner`;
  const dir = path.join(work, uniqueName('in'));
  mkdirSync(path.join(dir, 'owners'), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(path.join(dir, 'owners'), 0o755);
  writeFileSync(
    path.join(dir, 'policy.yaml'),
    stringify(
      sweepPolicy(uniqueName('image'), label, {
        resources: { containers: { stopTimeoutSeconds: 1 }, networks: { enabled: false }, volumes: { enabled: false } },
        ...extra,
      }),
    ),
    { mode: 0o644 },
  );
  writeFileSync(path.join(dir, 'owners', 'alive.yaml'), stringify(topologyManifest('alive', 'x', ALIVE)), {
    mode: 0o644,
  });
  return {
    owned: (uid: string) => ownerLabels(label, uid),
    mounts: ['-v', `${dir}:/in:ro`, '-v', `${socket}:/var/run/docker.sock`],
  };
}

const sweepArgs = ['sweep', '--policy', '/in/policy.yaml', '--owners-from', '/in/owners', '-o', 'json'];

interface Report {
  outcome: string;
  counts: Record<string, { reaped: number; failed: number }>;
}

test('as the image user without the socket group, Docker is out of reach and nothing happens', async () => {
  const { owned, mounts } = sweepInputs();
  const orphan = await fx.container('nogroup', { labels: owned(GONE), running: false });
  const run = reaperIn([...hardened, ...mounts], sweepArgs);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/EACCES|permission denied/i);
  expect(await fx.exists('container', orphan)).toBe(true);
});

test("as the image user with the socket's group (supplementalGroups), a hardened sweep reaps", async () => {
  const { owned, mounts } = sweepInputs();
  const orphan = await fx.container('group-orphan', { labels: owned(GONE) });
  const live = await fx.container('group-live', { labels: owned(ALIVE) });
  const gid = String(statSync(socket).gid);
  const run = reaperIn([...hardened, '--group-add', gid, ...mounts], sweepArgs);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as Report;
  expect(report.outcome).toBe('Completed');
  expect(report.counts.containers!.reaped).toBe(1);
  expect(await fx.exists('container', orphan)).toBe(false);
  expect(await fx.exists('container', live)).toBe(true);
});

test("as uid 0 with no capabilities (the chart's default), a sweep reaps a container and its lease in a root-owned store", async () => {
  const network = uniqueName('imgnet');
  const { owned, mounts } = sweepInputs({
    resources: {
      containers: { stopTimeoutSeconds: 1 },
      networks: { enabled: false },
      volumes: { enabled: false },
      ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [network] },
    },
  });
  const orphan = await fx.container('root-orphan', { labels: owned(GONE) });
  const lease = await fx.lease(network, orphan);
  const leaseFile = path.join(fx.cniDir, lease);
  expect(statSync(leaseFile).uid).toBe(0);
  const run = reaperIn([...hardened, '--user', '0:0', '-v', `${fx.cniDir}:${fx.cniDir}`, ...mounts], sweepArgs);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as Report;
  expect(report.counts.containers!.reaped).toBe(1);
  expect(report.counts.ipLeases!.reaped).toBe(1);
  expect(await fx.exists('container', orphan)).toBe(false);
  expect(() => statSync(leaseFile)).toThrow(/ENOENT/);
});

test('reaper run starts in the image on a read-only root, reaches the API server and Docker, and stops cleanly', async () => {
  // An identity that may read ReapPolicies and nothing else: the agent lists them but no owner, so
  // its sweeps of other tests' policies fail closed (nothing removed) and its status and event
  // writes are refused: it leaves no trace while they run.
  const namespace = createNamespace('image-run');
  const reader = 'policy-reader';
  const role = uniqueName('image-run-policy-reader');
  const policy = uniqueName('image-run');
  kubectl(['create', 'serviceaccount', reader, '-n', namespace]);
  kubectl(['create', 'clusterrole', role, '--verb=get,list,watch', '--resource=reappolicies.reaper.dev']);
  kubectl(['create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--serviceaccount=${namespace}:${reader}`]);
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'reaper.dev/v1alpha1',
      kind: 'ReapPolicy',
      metadata: { name: policy },
      spec: { mode: 'DryRun', match: [{ label: `${uniqueName('t')}.test/owner` }] },
    }),
  );
  const kubeconfig = serviceAccountKubeconfig(work, namespace, reader);
  const { caFile } = clusterAccess();
  // A free loopback port for the agent's HTTP endpoint (host network: the API server is on loopback).
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const name = uniqueName('reaper-run');
  try {
    const started = sh('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      ...hardened,
      '--user',
      '0:0',
      '-v',
      `${socket}:/var/run/docker.sock`,
      '-v',
      `${kubeconfig}:/etc/reaper/kubeconfig:ro`,
      '-v',
      `${caFile}:${caFile}:ro`,
      '-e',
      'KUBECONFIG=/etc/reaper/kubeconfig',
      image,
      'run',
      `--node-name=${name}`,
      `--http-address=127.0.0.1:${port}`,
    ]);
    expect(started.code).toBe(0);
    const probe = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`)
        .then(async (r) => ({ status: r.status, body: await r.text() }))
        .catch(() => ({ status: 0, body: '' }));
    const readyz = await eventually('the agent to list policies and reach Docker', async () => {
      const r = await probe('/readyz?verbose');
      return /\[\+\]policies ok/.test(r.body) && /\[\+\]docker ok/.test(r.body) ? r : undefined;
    });
    // Not ready: the owner informers are forbidden, exactly as RBAC says.
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatch(/\[-\]owners .*Topology.* failed: .*forbidden/i);
    expect((await probe('/healthz')).status).toBe(200);
    expect((await probe('/metrics')).body).toMatch(/^# HELP reaper_/m);
    sh('docker', ['stop', '--time', '30', name]);
    expect(sh('docker', ['inspect', name, '--format', '{{.State.ExitCode}}']).stdout.trim()).toBe('0');
    expect(sh('docker', ['logs', name]).stderr).toMatch(/"msg":"stopped"/);
    // It swept nothing (its owners are forbidden), so it reported nothing.
    const reports = JSON.parse(
      kubectl(['get', 'reapnodereports', '-l', `reaper.dev/policy=${policy}`, '-o', 'json']),
    ) as { items: { spec: { node: string } }[] };
    expect(reports.items.map((r) => r.spec.node)).not.toContain(name);
  } finally {
    sh('docker', ['rm', '-f', name]);
    kubectl(['delete', 'reappolicy', policy, '--ignore-not-found']);
    kubectl(['delete', 'clusterrolebinding,clusterrole', role, '--ignore-not-found']);
    deleteNamespace(namespace);
  }
});
