// `helm test` after `helm install`, for real: helm creates the chart's test Pod and waits for its
// phase. The test environment has no scheduler, DaemonSet controller or kubelet, so this file plays
// the kubelet's part for the two pods that matter, from the specs the API server holds: the agent
// as the DaemonSet's pod template runs it (image, args with $(VAR) expanded, env, security context,
// volumes, the ServiceAccount token mounted where client libraries look for it), and the test Pod
// as helm created it; both are containers of the image scripts/build-image makes. The test Pod's
// outcome is reported through the status subresource, as a kubelet reports it. Host network (the
// API server listens on loopback): the metrics Service's name resolves to the agent by --add-host.
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueName } from '../../support/engines.js';
import { installCrds, kubectl, repoRoot } from '../../support/kubectl.js';
import { eventually } from '../../support/eventually.js';
import { freePort } from '../../support/ports.js';
import { chartDir, clusterAccess, deleteNamespace, helm, run, serviceAccountToken } from './chart-support.js';

interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}

interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsUser?: number; runAsGroup?: number };
  containers: ContainerSpec[];
  volumes?: { name: string; hostPath?: { path: string }; emptyDir?: unknown }[];
}

const tag = uniqueName('helm-test');
const image = `reaper-test/reaper:${tag}`;
const release = uniqueName('rel');
const fullname = `${release}-reaper`;
const namespace = uniqueName('helm-test');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-helm-test-'));
const agentContainer = uniqueName('reaper-agent');
let port = 0;

function sh(command: string, args: string[], input?: string) {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8', input, maxBuffer: 16 << 20 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  const built = sh(path.join(repoRoot, 'scripts', 'build-image'), ['-t', image]);
  if (built.code !== 0) throw new Error(`scripts/build-image failed (${built.code}):\n${built.stderr}`);
  chmodSync(work, 0o755);
  installCrds();
  port = await freePort();
  const leaseDir = path.join(work, 'cni');
  mkdirSync(leaseDir);
  // The chart as an operator installs it, on a port of its own (host network) and a lease store of
  // the test's; everything else default. The agent has no policy of this release to sweep.
  helm([
    'install',
    release,
    chartDir,
    '--namespace',
    namespace,
    '--create-namespace',
    '--set',
    `image.repository=reaper-test/reaper,image.tag=${tag}`,
    '--set',
    `http.port=${port},metrics.service.port=${port}`,
    '--set',
    `cni.leaseDir=${leaseDir}`,
  ]);
}, 600_000);

afterAll(() => {
  sh('docker', ['rm', '-f', agentContainer]);
  run('helm', ['uninstall', release, '-n', namespace, '--no-hooks', '--ignore-not-found']);
  deleteNamespace(namespace);
  sh('docker', ['rmi', '-f', image]);
  rmSync(work, { recursive: true, force: true });
});

/** $(VAR) in command and args, expanded from the container's environment as the kubelet does. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

/**
 * `docker run` arguments for one container of a pod spec, as a kubelet would start it: `fieldRefs`
 * supplies what the downward API would, `extra` more docker flags (network, hosts).
 */
function dockerRun(pod: PodSpec, container: ContainerSpec, fieldRefs: Record<string, string>, extra: string[]) {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (fieldRefs[variable.name] !== undefined) env[variable.name] = fieldRefs[variable.name]!;
    else throw new Error(`no value for ${variable.name} (${JSON.stringify(variable.valueFrom)})`);
  }
  const security = container.securityContext ?? {};
  const user = security.runAsUser ?? pod.securityContext?.runAsUser;
  const group = security.runAsGroup ?? pod.securityContext?.runAsGroup;
  const flags = [...extra];
  if (user !== undefined) flags.push('--user', `${user}:${group ?? 0}`);
  if (security.readOnlyRootFilesystem) flags.push('--read-only');
  if (security.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  for (const cap of security.capabilities?.drop ?? []) flags.push('--cap-drop', cap);
  for (const cap of security.capabilities?.add ?? []) flags.push('--cap-add', cap);
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    if (volume?.hostPath) flags.push('-v', `${volume.hostPath.path}:${mount.mountPath}${mount.readOnly ? ':ro' : ''}`);
    else if (volume?.emptyDir) flags.push('--tmpfs', mount.mountPath);
    else throw new Error(`volume ${mount.name} of ${container.name} is neither hostPath nor emptyDir`);
  }
  if (pod.automountServiceAccountToken !== false && pod.serviceAccountName) {
    // What the kubelet projects for the pod's ServiceAccount, and the variables it sets.
    const dir = mkdtempSync(path.join(work, 'sa-'));
    writeFileSync(path.join(dir, 'token'), serviceAccountToken(namespace, pod.serviceAccountName));
    writeFileSync(path.join(dir, 'ca.crt'), readFileSync(clusterAccess().caFile));
    writeFileSync(path.join(dir, 'namespace'), namespace);
    chmodSync(dir, 0o755);
    const server = new URL(clusterAccess().server);
    flags.push('-v', `${dir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`);
    env.KUBERNETES_SERVICE_HOST = server.hostname;
    env.KUBERNETES_SERVICE_PORT = server.port;
  }
  for (const [name, value] of Object.entries(env)) flags.push('-e', `${name}=${value}`);
  const [entrypoint, ...commandArgs] = (container.command ?? []).map((c) => expand(c, env));
  return [
    ...flags,
    ...(entrypoint ? ['--entrypoint', entrypoint] : []),
    container.image,
    ...commandArgs,
    ...(container.args ?? []).map((a) => expand(a, env)),
  ];
}

/** Starts the agent of the DaemonSet's pod template on "this node". */
function startAgent(node: string) {
  const daemonSet = JSON.parse(kubectl(['get', 'daemonset', fullname, '-n', namespace, '-o', 'json'])) as {
    spec: { template: { spec: PodSpec } };
  };
  const pod = daemonSet.spec.template.spec;
  const container = pod.containers[0]!;
  const fieldRefs = { NODE_NAME: node, POD_NAME: `${fullname}-${node}`, POD_NAMESPACE: namespace };
  const started = sh('docker', [
    'run',
    '-d',
    '--name',
    agentContainer,
    ...dockerRun(pod, container, fieldRefs, ['--network', 'host']),
  ]);
  if (started.code !== 0) throw new Error(`the agent did not start: ${started.stderr}`);
}

async function agentReady() {
  return eventually(
    'the agent to be ready',
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz?verbose`).catch(() => undefined);
      if (response?.status === 200) return response.text();
      if (sh('docker', ['inspect', agentContainer, '--format', '{{.State.Running}}']).stdout.trim() !== 'true') {
        throw new Error(`the agent exited:\n${sh('docker', ['logs', agentContainer]).stderr.slice(-3000)}`);
      }
      return undefined;
    },
    120_000,
  );
}

interface HelmTest {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the test Pod's container printed, and its exit code. */
  pod: { exitCode: number | null; output: string };
}

/** Runs `helm test` and, meanwhile, the test Pod it creates. */
async function helmTest(): Promise<HelmTest> {
  const child: ChildProcess = spawn('helm', ['test', release, '-n', namespace, '--timeout', '5m'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const testPod = `${fullname}-test`;
  const pod = await eventually(
    'helm to create the test Pod',
    () => {
      const got = run('kubectl', ['get', 'pod', testPod, '-n', namespace, '-o', 'json']);
      if (got.code !== 0) return undefined;
      const object = JSON.parse(got.stdout) as {
        spec: PodSpec;
        status?: { phase?: string };
        metadata: { deletionTimestamp?: string };
      };
      return object.status?.phase === 'Pending' && !object.metadata.deletionTimestamp ? object : undefined;
    },
    120_000,
  );
  const container = pod.spec.containers[0]!;
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ran = sh('docker', [
    'run',
    '--rm',
    ...dockerRun(pod.spec, container, {}, [
      '--network',
      'host',
      '--add-host',
      `${fullname}-metrics.${namespace}.svc:127.0.0.1`,
    ]),
  ]);
  const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const succeeded = ran.code === 0;
  kubectl([
    'patch',
    'pod',
    testPod,
    '-n',
    namespace,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        phase: succeeded ? 'Succeeded' : 'Failed',
        containerStatuses: [
          {
            name: container.name,
            image: container.image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: ran.code ?? 137,
                reason: succeeded ? 'Completed' : 'Error',
                startedAt,
                finishedAt,
              },
            },
          },
        ],
      },
    }),
  ]);
  const code = await exited;
  return { code, stdout, stderr, pod: { exitCode: ran.code, output: ran.stdout + ran.stderr } };
}

test('helm test passes while the agent answers through its Service, and the test Pod is cleaned up', async () => {
  startAgent('node-helm-test');
  const readyz = await agentReady();
  expect(readyz).toMatch(/\[\+\]policies ok/);
  expect(readyz).toMatch(/\[\+\]docker ok/);

  const result = await helmTest();
  expect(result.pod.output).toMatch(/^\/readyz: HTTP 200, \d+ bytes$/m);
  expect(result.pod.output).toMatch(/^\/metrics: HTTP 200, \d+ bytes$/m);
  expect(result.pod.exitCode).toBe(0);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`TEST SUITE:\\s+${fullname}-test`));
  expect(result.stdout).toMatch(/Phase:\s+Succeeded/);
  // hook-delete-policy hook-succeeded: helm removes the Pod.
  await eventually('the test Pod to be deleted', () =>
    run('kubectl', ['get', 'pod', `${fullname}-test`, '-n', namespace]).code !== 0 ? true : undefined,
  );
});

test('helm test fails when the agent does not answer, and says which Pod failed', async () => {
  sh('docker', ['rm', '-f', agentContainer]);
  const result = await helmTest();
  expect(result.pod.exitCode).toBe(1);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(new RegExp(`${fullname}-test failed`));
  // The failed Pod stays for inspection until the next helm test replaces it (before-hook-creation).
  expect(run('kubectl', ['get', 'pod', `${fullname}-test`, '-n', namespace]).code).toBe(0);
});
