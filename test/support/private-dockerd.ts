// A Docker engine of a test's own: its own containerd, data root, exec root, pid file and unix
// socket, no default bridge and no iptables rules, and a network namespace of its own, so killing
// and restarting it never disturbs the shared engine other tests use. (In the host's namespace a
// dockerd started with --bridge=none deletes docker0, the shared engine's default bridge, and every
// later container on that bridge fails to start.) As on a systemd host, containerd is a service of its own that
// outlives dockerd, and live restore is on: containers keep running while dockerd is down, and the
// restarted dockerd finds them again.
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { dockerClient, testImage } from './engines.js';
import { eventually } from './eventually.js';

export interface PrivateDockerd {
  /** `unix://…`, for DOCKER_HOST. */
  readonly dockerHost: string;
  readonly docker: Docker;
  /** dockerd's own log (every run). */
  readonly logFile: string;
  /** SIGKILLs dockerd, as a crash or an OOM kill would: resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts dockerd again on the same roots; resolves when it answers. */
  restart(): Promise<void>;
  /** Removes every container and network it holds, stops it, unmounts and deletes its roots. */
  destroy(): Promise<void>;
}

const ANSWER_TIMEOUT_MS = 120_000;

/**
 * Starts a private containerd and dockerd and loads the test image (copied from the shared engine,
 * read only). `addressPool` keeps its networks off the shared engine's usual ranges.
 */
export async function startPrivateDockerd(options: { addressPool?: string } = {}): Promise<PrivateDockerd> {
  // Short paths: sockets must fit in sun_path (108 bytes).
  const root = mkdtempSync('/tmp/rpd-');
  const socketPath = path.join(root, 'd.sock');
  const containerdSocket = path.join(root, 'c.sock');
  const logFile = path.join(root, 'dockerd.log');
  // Kept for the engine's lifetime, across dockerd restarts: its networks live there.
  const netns = path.basename(root);
  const made = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
  if (made.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`cannot make network namespace ${netns} (ip netns add): ${made.error?.message ?? made.stderr}`);
  }
  const deleteNetns = () => spawnSync('ip', ['netns', 'delete', netns]);
  const containerdConfig = path.join(root, 'containerd.toml');
  writeFileSync(
    containerdConfig,
    [
      'version = 2',
      `root = "${path.join(root, 'containerd-root')}"`,
      `state = "${path.join(root, 'containerd-state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${containerdSocket}"`,
      '',
    ].join('\n'),
  );
  const containerd = spawnLogged('containerd', ['--config', containerdConfig], path.join(root, 'containerd.log'));
  await waitUntil('private containerd', () => connects(containerdSocket), containerd, root).catch(async (err) => {
    await containerd.stop('SIGKILL');
    deleteNetns();
    rmSync(root, { recursive: true, force: true });
    throw err;
  });

  const dockerdArgs = [
    `--host=unix://${socketPath}`,
    `--containerd=${containerdSocket}`,
    `--data-root=${path.join(root, 'data')}`,
    `--exec-root=${path.join(root, 'exec')}`,
    `--pidfile=${path.join(root, 'dockerd.pid')}`,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    // vfs works on any filesystem; the test image is a few MB.
    '--storage-driver=vfs',
    '--live-restore',
    `--default-address-pool=base=${options.addressPool ?? '10.231.0.0/16'},size=24`,
    `--cgroup-parent=/${path.basename(root)}`,
  ];
  const docker = new Docker({ socketPath });
  let dockerd: Spawned | undefined;
  const start = async () => {
    // nsenter execs dockerd in the namespace: the child's pid is dockerd's, signals reach it.
    dockerd = spawnLogged('nsenter', [`--net=/run/netns/${netns}`, 'dockerd', ...dockerdArgs], logFile);
    await waitUntil(
      'private dockerd',
      () =>
        docker.ping().then(
          () => true,
          () => false,
        ),
      dockerd,
      root,
    );
  };
  const stopDockerd = (signal: NodeJS.Signals) => dockerd?.stop(signal) ?? Promise.resolve();

  try {
    await start();
    await copyTestImage(docker);
  } catch (err) {
    await stopDockerd('SIGKILL');
    await containerd.stop('SIGKILL');
    unmountUnder(root);
    deleteNetns();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }

  return {
    dockerHost: `unix://${socketPath}`,
    docker,
    logFile,
    kill: () => stopDockerd('SIGKILL'),
    restart: start,
    async destroy() {
      // Restarted if need be: with live restore, its containers outlive a killed dockerd.
      if (
        dockerd?.running() ||
        (await start().then(
          () => true,
          () => false,
        ))
      ) {
        for (const c of await docker.listContainers({ all: true }).catch(() => []))
          await docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined);
        for (const n of await docker.listNetworks().catch(() => []))
          if (!['bridge', 'host', 'none'].includes(n.Name))
            await docker
              .getNetwork(n.Id)
              .remove()
              .catch(() => undefined);
      }
      await stopDockerd('SIGTERM');
      await containerd.stop('SIGTERM');
      unmountUnder(root);
      deleteNetns();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

interface Spawned {
  readonly process: ChildProcess;
  /** Why it could not be started at all (e.g. no such binary). */
  failure(): Error | undefined;
  running(): boolean;
  /** Sends `signal` (if still running) and resolves once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

function spawnLogged(command: string, args: string[], logFile: string): Spawned {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      failure = err;
      resolve();
    });
  });
  const running = () => failure === undefined && child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    failure: () => failure,
    running,
    async stop(signal) {
      if (running()) child.kill(signal);
      await exited;
    },
  };
}

async function waitUntil(what: string, answers: () => Promise<boolean>, spawned: Spawned, root: string) {
  const giveUp = () => {
    const failure = spawned.failure();
    if (failure) {
      return `cannot start ${what} (${failure.message}): these tests run dockerd and containerd of their own, so both must be installed here`;
    }
    return spawned.running() ? undefined : `${what} exited during start; logs in ${root}:\n${logsOf(root)}`;
  };
  try {
    await eventually(`${what} to answer`, answers, { timeoutMs: ANSWER_TIMEOUT_MS, intervalMs: 200, giveUp });
  } catch (err) {
    if (giveUp() !== undefined) throw err;
    spawned.process.kill('SIGKILL');
    throw new Error(`${what} did not answer within ${ANSWER_TIMEOUT_MS}ms; logs:\n${logsOf(root)}`);
  }
}

function connects(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The shared engine's test image, saved and loaded: no registry, no rebuild. */
async function copyTestImage(docker: Docker): Promise<void> {
  const image = testImage();
  const present = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (present) return;
  const saved = await dockerClient().getImage(image).get();
  const loading = await docker.loadImage(saved);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(loading, (err: Error | null) => (err ? reject(err) : resolve())),
  );
  await docker.getImage(image).inspect();
}

/** dockerd leaves its data root (and network namespaces) mounted: unmount, deepest first. */
function unmountUnder(root: string): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === root || point.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) spawnSync('umount', ['-l', point]);
}

function logsOf(root: string): string {
  return ['containerd.log', 'dockerd.log']
    .map((name) => {
      try {
        return `--- ${name}\n${readFileSync(path.join(root, name), 'utf8').split('\n').slice(-15).join('\n')}`;
      } catch {
        return `--- ${name}: none`;
      }
    })
    .join('\n');
}

/** A created (not started) container that sleeps, on no network, with `labels`: an owner's resource on that engine. */
export async function idleContainer(
  engine: PrivateDockerd,
  name: string,
  labels: Record<string, string>,
): Promise<string> {
  const created = await engine.docker.createContainer({
    name,
    Image: testImage(),
    Cmd: ['sleep', '3600'],
    Labels: labels,
    HostConfig: { NetworkMode: 'none' },
  });
  return created.id;
}
