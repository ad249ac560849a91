// A control plane of a test's own: an etcd and one or more kube-apiservers on loopback, from the
// binaries scripts/testenv built and with its certificates (the serving certificate names
// 127.0.0.1, the admin client certificate is system:masters). For tests that stop an API server
// mid-run, or that must not share the API server with other tests' controllers (every controller
// sweeps every ReapPolicy it can see). Two API servers on one etcd behave as one cluster with two
// replicas: a test can change the cluster through one while the controller's is gone.
import * as k8s from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requiredEnv } from './engines.js';
import { eventually } from './eventually.js';
import { freePort, freePorts, lostPortRace } from './ports.js';

const START_TIMEOUT_MS = 180_000; // a cold kube-apiserver on a loaded 2-core machine is slow
const STOP_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS = 3;

/** Where scripts/testenv keeps its state: the binaries it used and its certificates. */
function testenv(): { k8sBin: string; etcdBin: string; pki: string } {
  const state = requiredEnv('REAPER_TESTENV_DIR');
  const bins = readFileSync(path.join(state, 'bins'), 'utf8');
  const dir = (name: string) => {
    const match = new RegExp(`^${name}=(.+)$`, 'm').exec(bins);
    if (!match) throw new Error(`${state}/bins names no ${name}: scripts/testenv up kube did not run`);
    return match[1]!.replace(/^'(.*)'$/, '$1');
  };
  return { k8sBin: dir('k8s_bin'), etcdBin: dir('etcd_bin'), pki: path.join(state, 'pki') };
}

/**
 * The test environment's certificates, copied into `dir` once: the shared environment may be torn
 * down by another run while this control plane still needs them for a restart.
 */
function privatePki(dir: string): string {
  const pki = path.join(dir, 'pki');
  cpSync(testenv().pki, pki, { recursive: true, force: false, errorOnExist: false });
  return pki;
}

/**
 * Runs `attempt` with fresh ports until it starts: a port found free may be taken by another
 * process before the daemon binds it. Any other failure is thrown as it is.
 */
async function withPortRetry<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PortTakenError) || tries >= PORT_ATTEMPTS) throw err;
      process.stderr.write(`${what}: its port was taken before it bound it; starting again on fresh ports\n`);
    }
  }
}

class PortTakenError extends Error {}

const START_MARK = '==== start';

/** One daemon, its output appended to a log file; stopped with a signal, started again as it was. */
class Daemon {
  private child: ChildProcess | undefined;
  private exited?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    writeFileSync(this.logFile, `\n${START_MARK} ${new Date().toISOString()}\n`, { flag: 'a' });
    const fd = openSync(this.logFile, 'a');
    const child = spawn(this.command, this.args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    liveDaemons.add(this);
  }

  /** Sends `signal`; resolves once the process is gone (SIGKILL after the timeout). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
    liveDaemons.delete(this);
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** What the latest start wrote to the log. */
  lastRunLog(): string {
    try {
      const log = readFileSync(this.logFile, 'utf8');
      return log.slice(log.lastIndexOf(START_MARK));
    } catch {
      return '';
    }
  }
}

// A test that crashes must not leave daemons behind for the rest of the run.
const liveDaemons = new Set<Daemon>();
process.once('exit', () => {
  for (const daemon of liveDaemons) daemon.killNow();
});

/** Waits for `probe`; a daemon that exited because its port was taken throws PortTakenError. */
async function waitUntil(daemon: Daemon, what: string, probe: () => Promise<boolean>): Promise<void> {
  await eventually(`${daemon.name} to be ${what}`, () => probe().catch(() => false), {
    timeoutMs: START_TIMEOUT_MS,
    intervalMs: 250,
    giveUp: () => (daemon.running ? undefined : `${daemon.name} exited before ${what}; its log:\n${daemon.logTail()}`),
  }).catch((err: Error) => {
    if (!daemon.running && lostPortRace(daemon.lastRunLog())) {
      throw new PortTakenError(`${daemon.name} could not bind its port; its log:\n${daemon.logTail()}`);
    }
    if (!daemon.running) throw err;
    throw new Error(`${err.message}; its log:\n${daemon.logTail()}`);
  });
}

export class PrivateEtcd {
  private constructor(
    private readonly daemon: Daemon,
    readonly url: string,
  ) {}

  static start(dir: string): Promise<PrivateEtcd> {
    return withPortRetry('etcd', () => PrivateEtcd.startOnce(dir));
  }

  private static async startOnce(dir: string): Promise<PrivateEtcd> {
    const { etcdBin } = testenv();
    const [clientPort, peerPort] = await freePorts(2);
    const url = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    // A failed start may have written a member for other ports: each start begins with no data.
    const dataDir = path.join(dir, 'etcd-data');
    rmSync(dataDir, { recursive: true, force: true });
    const daemon = new Daemon(
      'etcd',
      path.join(etcdBin, 'etcd'),
      [
        '--name=private',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=private=${peer}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      path.join(dir, 'etcd.log'),
    );
    daemon.start();
    await waitUntil(daemon, 'healthy', async () => {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
      return ((await response.json()) as { health?: string }).health === 'true';
    });
    return new PrivateEtcd(daemon, url);
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}

export class ExtraApiServer {
  readonly url: string;
  /** A kubeconfig file for this API server with the admin identity (certificates embedded). */
  readonly kubeconfigPath: string;
  private readonly daemon: Daemon;
  private readonly pki: string;

  private constructor(dir: string, etcdUrl: string, name: string, port: number) {
    const { k8sBin } = testenv();
    const pki = privatePki(dir);
    this.pki = pki;
    this.url = `https://127.0.0.1:${port}`;
    const certDir = path.join(dir, `${name}-certs`);
    mkdirSync(certDir, { recursive: true });
    this.daemon = new Daemon(
      name,
      path.join(k8sBin, 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${certDir}`,
        `--tls-cert-file=${pki}/serving.crt`,
        `--tls-private-key-file=${pki}/serving.key`,
        `--client-ca-file=${pki}/ca.crt`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--endpoint-reconciler-type=none',
        `--service-account-issuer=${this.url}`,
        `--service-account-key-file=${pki}/sa.key`,
        `--service-account-signing-key-file=${pki}/sa.key`,
        '--disable-admission-plugins=ServiceAccount',
      ],
      path.join(dir, `${name}.log`),
    );
    this.kubeconfigPath = path.join(dir, `${name}.kubeconfig`);
    writeFileSync(this.kubeconfigPath, this.kubeconfigText(), { mode: 0o600 });
  }

  /** Starts a kube-apiserver on a free port against `etcdUrl`; resolves once /readyz says ok. */
  static start(dir: string, etcdUrl: string, name: string): Promise<ExtraApiServer> {
    return withPortRetry(name, async () => {
      const server = new ExtraApiServer(dir, etcdUrl, name, await freePort());
      await server.start();
      return server;
    });
  }

  get running(): boolean {
    return this.daemon.running;
  }

  get pid(): number | undefined {
    return this.daemon.pid;
  }

  get logFile(): string {
    return this.daemon.logFile;
  }

  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /** (Re)starts the process on the same port, so clients configured for it find it again. */
  async start(): Promise<void> {
    this.daemon.start();
    await waitUntil(this.daemon, 'ready', async () => (await this.get('/readyz')).status === 200);
  }

  /** Stops the process: SIGKILL is a crash (no graceful close of watches), SIGTERM a clean stop. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.daemon.stop(signal);
  }

  /** One GET as the admin, e.g. '/readyz'. */
  get(urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = https.get(
        `${this.url}${urlPath}`,
        {
          ca: readFileSync(path.join(this.pki, 'ca.crt')),
          cert: readFileSync(path.join(this.pki, 'admin.crt')),
          key: readFileSync(path.join(this.pki, 'admin.key')),
          timeout: 5_000,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out`)));
      request.on('error', reject);
    });
  }

  private kubeconfigText(): string {
    const b64 = (file: string) => readFileSync(path.join(this.pki, file)).toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: private',
      '    cluster:',
      `      server: ${this.url}`,
      `      certificate-authority-data: ${b64('ca.crt')}`,
      'users:',
      '  - name: admin',
      '    user:',
      `      client-certificate-data: ${b64('admin.crt')}`,
      `      client-key-data: ${b64('admin.key')}`,
      'contexts:',
      '  - name: private',
      '    context: { cluster: private, user: admin, namespace: default }',
      'current-context: private',
      '',
    ].join('\n');
  }
}

/** An etcd and `apiServers` kube-apiservers on it; close() stops them and removes their data. */
export class PrivateCluster {
  private constructor(
    readonly dir: string,
    readonly etcd: PrivateEtcd,
    readonly apiServers: readonly ExtraApiServer[],
  ) {}

  static async start(label: string, apiServers = 1): Promise<PrivateCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), `reaper-${label}-cluster-`));
    let etcd: PrivateEtcd | undefined;
    const servers: ExtraApiServer[] = [];
    try {
      etcd = await PrivateEtcd.start(dir);
      // One at a time: two cold API servers at once only slow each other down on two cores.
      for (let i = 0; i < apiServers; i++) servers.push(await ExtraApiServer.start(dir, etcd.url, `apiserver-${i}`));
      return new PrivateCluster(dir, etcd, servers);
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop('SIGKILL')));
      await etcd?.stop();
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.apiServers.map((s) => s.stop('SIGKILL')));
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
