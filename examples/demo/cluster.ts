// `npm run demo -- --cluster`: the main job on a real cluster. The chart's DaemonSet agent runs as
// a pod on a one-node cluster (scripts/testenv up cluster) and reaps, on this machine's Docker
// engine, what a Topology deleted through the API leaves behind:
// 1. Docker and the one-node cluster; reaper's image (scripts/build-image) imported into the node;
// 2. `helm install` of charts/reaper; the agent pod Ready;
// 3. owners created in the API (examples/owners) and deployed as a platform would, plus lab-gone;
// 4. a policy scoped to the demo's namespace; `kubectl delete topology lab-gone`;
// 5. the agent reaps lab-gone's containers, network and leases; what survived, checked; the
//    policy's report (kubectl get reappolicies) and the agent's log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { materialize } from '../deployer/materialize.js';
import type { OwnerObject } from '../deployer/owners.js';
import { labGone } from './lab-gone.js';

const namespace = 'reaper-demo';
const releaseNamespace = 'reaper-demo-system';
const prefix = 'reaper-demo';
const cniDir = '/tmp/reaper-demo/cni';
const image = 'reaper-demo/reaper:cluster';
const policyName = 'demo-cluster';

function step(text: string) {
  console.log(`\n\u001b[1m== ${text}\u001b[0m`);
}

export async function clusterDemo(repo: string, keep: boolean): Promise<boolean> {
  const testenv = path.join(repo, 'scripts', 'testenv');
  const run = (command: string, args: string[], input?: string) => {
    const result = spawnSync(command, args, {
      cwd: repo,
      input,
      stdio: [input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
  };
  const output = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { cwd: repo, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };

  step('Docker and a one-node cluster (scripts/testenv up docker, up cluster)');
  run(testenv, ['up', 'docker']);
  run(testenv, ['up', 'cluster']);
  const env = JSON.parse(output(testenv, ['env', '--json'])) as Record<string, string>;
  const [k8sBin, helmBin] = env.REAPER_CLUSTER_BIN!.split(':') as [string, string];
  const kubeconfig = env.REAPER_CLUSTER_KUBECONFIG!;
  const kubectl = (...args: string[]) => output(path.join(k8sBin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args]);
  const kubectlShow = (...args: string[]) => run(path.join(k8sBin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args]);
  const apply = (object: unknown) =>
    run(path.join(k8sBin, 'kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], stringify(object));
  const helmHome = path.join(path.dirname(kubeconfig), 'helm');
  process.env.HELM_CACHE_HOME = path.join(helmHome, 'cache');
  process.env.HELM_CONFIG_HOME = path.join(helmHome, 'config');
  process.env.HELM_DATA_HOME = path.join(helmHome, 'data');
  const helm = (...args: string[]) => run(path.join(helmBin, 'helm'), ['--kubeconfig', kubeconfig, ...args]);
  const docker = new Docker();
  const containerNames = async () => (await docker.listContainers({ all: true })).map((c) => c.Names[0]!.slice(1));

  step(`reaper's image: scripts/build-image -t ${image}, imported into the node`);
  run(path.join(repo, 'scripts', 'build-image'), ['-t', image]);
  run(testenv, ['load-image', image]);

  step('helm install reaper charts/reaper (DaemonSet)');
  rmSync(path.dirname(cniDir), { recursive: true, force: true });
  mkdirSync(cniDir, { recursive: true });
  helm(
    'upgrade',
    '--install',
    'reaper',
    path.join(repo, 'charts', 'reaper'),
    '-n',
    releaseNamespace,
    '--create-namespace',
    '--set',
    'image.repository=reaper-demo/reaper',
    '--set',
    'image.tag=cluster',
    '--set',
    'image.pullPolicy=Never',
    '--set',
    `docker.host=${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}`,
    '--set',
    `cni.leaseDir=${cniDir}`,
  );
  kubectlShow('rollout', 'status', 'daemonset', '-n', releaseNamespace, '--timeout=180s');
  // The agents, and the one summary writer of the cluster, which writes the policy's and owners' status.
  for (const component of ['agent', 'summary']) {
    const selector = `app.kubernetes.io/component=${component}`;
    kubectlShow('wait', 'pods', '-n', releaseNamespace, '-l', selector, '--for=condition=Ready', '--timeout=180s');
  }
  kubectlShow('get', 'pods', '-n', releaseNamespace, '-o', 'wide');

  step('Owners created in the API and deployed, as a platform would');
  kubectl('create', 'namespace', namespace);
  const imageName = 'reaper-test/busybox:1';
  const owners = readdirSync(path.join(repo, 'examples', 'owners'))
    .sort()
    .map((file) => parse(readFileSync(path.join(repo, 'examples', 'owners', file), 'utf8')) as OwnerObject);
  owners.push(labGone(imageName));
  const made: Record<string, { containers: string[]; leases: string[]; networks: string[] }> = {};
  for (const owner of owners) {
    const body = { ...owner, metadata: { name: owner.metadata.name, namespace } };
    apply(body);
    const plural = owner.kind === 'Topology' ? 'topologies.reaper.dev' : 'sandboxes.reaper.dev';
    const stored = JSON.parse(
      kubectl('get', plural, owner.metadata.name, '-n', namespace, '-o', 'json'),
    ) as OwnerObject;
    made[owner.metadata.name] = await materialize(stored, { docker, image: imageName, cniDir });
    console.log(
      `${owner.kind} ${namespace}/${owner.metadata.name} (uid ${stored.metadata.uid}): ${made[owner.metadata.name]!.containers.join(', ')}`,
    );
  }

  step(`ReapPolicy ${policyName}: examples/policies/demo.yaml, owners in namespace ${namespace} only`);
  const policy = parse(readFileSync(path.join(repo, 'examples', 'policies', 'demo.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { owners: { namespaces?: string[] }[]; resources: { ipLeases: { networks: string[] } } };
  };
  policy.metadata.name = policyName;
  for (const owner of policy.spec.owners) owner.namespaces = [namespace];
  policy.spec.resources.ipLeases.networks = [`${namespace}.lab-a.core`, `${namespace}.lab-gone.core`];
  apply(policy);

  step(`kubectl delete topology lab-gone -n ${namespace}`);
  kubectlShow('delete', 'topologies.reaper.dev', 'lab-gone', '-n', namespace);
  const gone = made['lab-gone']!;
  const deadline = Date.now() + 90_000;
  const left = async () => {
    const containers = await containerNames();
    return (
      gone.containers.filter((c) => containers.includes(c)).length +
      gone.leases.filter((l) => existsSync(path.join(cniDir, l))).length
    );
  };
  while ((await left()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));

  step('What the agent did');
  kubectlShow('get', 'reappolicies', policyName);
  kubectlShow('get', 'reapnodereports', '-l', `reaper.dev/policy=${policyName}`);
  kubectlShow('logs', '-n', releaseNamespace, '-l', 'app.kubernetes.io/component=agent', '--tail=5');
  const liveContainers = Object.entries(made)
    .filter(([name]) => name !== 'lab-gone')
    .flatMap(([, m]) => m.containers);
  const existing = await containerNames();
  const checks: [string, boolean][] = [
    ["lab-gone's containers and leases are reaped", (await left()) === 0],
    ["every live owner's container survived", liveContainers.every((c) => existing.includes(c))],
  ];
  for (const [text, ok] of checks) console.log(`${ok ? '\u001b[32m✔' : '\u001b[31m✘'} ${text}\u001b[0m`);

  if (!keep) {
    step('Cleaning up (run with -- --keep to keep the cluster and the demo resources)');
    helm('uninstall', 'reaper', '-n', releaseNamespace, '--wait');
    kubectl('delete', 'reappolicy', policyName, '--ignore-not-found');
    kubectl('delete', 'namespace', namespace, releaseNamespace, '--wait=false');
    for (const c of await docker.listContainers({ all: true })) {
      if (c.Names.some((n) => n.startsWith(`/${prefix}`))) await docker.getContainer(c.Id).remove({ force: true });
    }
    for (const n of await docker.listNetworks()) {
      if (n.Name.startsWith(prefix)) await docker.getNetwork(n.Id).remove();
    }
    spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    rmSync(path.dirname(cniDir), { recursive: true, force: true });
    run(testenv, ['down', 'cluster']);
  }
  return checks.every(([, ok]) => ok);
}
