// `npm run demo`: a real reap on a real Docker engine.
// 1. brings Docker up the way the tests do (scripts/testenv up docker);
// 2. deploys owners from examples/owners, as a platform would (containers and networks labelled with
//    the ownership contract: owner uid, group-qualified kind, namespace and name; host-local leases),
//    plus one owner that is then removed, a dangling lease, foreign resources, and a resource
//    labelled reaper.dev/keep;
// 3. runs the real `reaper sweep` against the owners that remain;
// 4. shows what survived and checks it: orphans gone, live and foreign resources intact.
// With --cluster, the chart's agent does it as a pod on a real one-node cluster (./cluster.ts).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { allocateLease, materialize } from '../deployer/materialize.js';
import { clusterDemo } from './cluster.js';
import { labGone } from './lab-gone.js';
import type { OwnerObject } from '../deployer/owners.js';
import { ownerLabels } from '../deployer/owners.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const workDir = '/tmp/reaper-demo';
const ownersDir = path.join(workDir, 'owners');
const cniDir = path.join(workDir, 'cni');
const namespace = 'reaper-demo';
const prefix = 'reaper-demo';
const keepDemo = process.argv.includes('--keep');

function step(text: string) {
  console.log(`\n\u001b[1m== ${text}\u001b[0m`);
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

async function cleanUp(docker: Docker) {
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.startsWith(`/${prefix}`))) await docker.getContainer(c.Id).remove({ force: true });
  }
  for (const n of await docker.listNetworks()) {
    if (n.Name.startsWith(prefix)) await docker.getNetwork(n.Id).remove();
  }
  rmSync(workDir, { recursive: true, force: true });
}

function loadOwners(): OwnerObject[] {
  return readdirSync(path.join(repo, 'examples', 'owners'))
    .sort()
    .map((file) => parse(readFileSync(path.join(repo, 'examples', 'owners', file), 'utf8')) as OwnerObject);
}

/** What the API server would do on create: a namespace of ours and a fresh uid. */
function admit(owner: OwnerObject): OwnerObject {
  return { ...owner, metadata: { ...owner.metadata, namespace, uid: randomUUID() } };
}

async function main() {
  if (process.argv.includes('--cluster')) {
    if (!(await clusterDemo(repo, keepDemo))) process.exit(1);
    return;
  }
  step('Docker Engine (scripts/testenv up docker)');
  run(path.join(repo, 'scripts', 'testenv'), ['up', 'docker']);
  const docker = new Docker();
  const image = 'reaper-test/busybox:1';
  await cleanUp(docker);
  mkdirSync(ownersDir, { recursive: true });

  step('Deploying owners, as a platform would');
  const live = loadOwners().map(admit);
  const gone = admit(labGone(image));
  for (const owner of [...live, gone]) {
    const made = await materialize(owner, { docker, image, cniDir });
    console.log(
      `${owner.kind} ${namespace}/${owner.metadata.name} (uid ${owner.metadata.uid}): ${made.containers.join(', ')}`,
    );
  }
  for (const owner of live) writeFileSync(path.join(ownersDir, `${owner.metadata.name}.yaml`), stringify(owner));

  step('Making orphans and bystanders');
  console.log(
    `Topology ${namespace}/lab-gone is deleted without teardown: its containers, network and leases stay behind.`,
  );
  const danglingLease = await allocateLease(cniDir, '/usr/lib/cni', `${prefix}.lab-a.core`, 'f'.repeat(64));
  console.log(`A lease whose container never existed: ${danglingLease}`);
  const foreign = await docker.createContainer({
    name: `${prefix}-foreign-app`,
    Image: image,
    Cmd: ['sleep', '86400'],
  });
  await foreign.start();
  await docker.createNetwork({ Name: `${prefix}-foreign-net` });
  // A foreign container that joined the gone lab's network: reaper must not disconnect it.
  const guest = await docker.createContainer({
    name: `${prefix}-foreign-guest`,
    Image: image,
    Cmd: ['sleep', '86400'],
  });
  await guest.start();
  await docker.getNetwork(`${prefix}.lab-gone.core`).connect({ Container: guest.id });
  const kept = await docker.createContainer({
    name: `${prefix}-kept`,
    Image: image,
    Cmd: ['sleep', '86400'],
    // The whole ownership contract, so that it is the gone lab's and only reaper.dev/keep saves it.
    Labels: { ...ownerLabels(gone), 'reaper.dev/keep': 'true' },
  });
  await kept.start();
  console.log(
    `Foreign: ${prefix}-foreign-app, ${prefix}-foreign-net, ${prefix}-foreign-guest (attached to the gone lab's network)`,
  );
  console.log(`Kept: ${prefix}-kept, owned by the gone lab but labelled reaper.dev/keep=true`);

  step('reaper sweep --policy examples/policies/demo.yaml --owners-from ' + ownersDir);
  run('npm', ['run', '--silent', 'build']);
  const sweep = spawnSync(
    process.execPath,
    [
      'dist/controllers/main.js',
      'sweep',
      '--policy',
      'examples/policies/demo.yaml',
      '--owners-from',
      ownersDir,
      '--node',
      'demo',
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  console.log(`(exit code ${sweep.status})`);

  step('What survived');
  const containers = (await docker.listContainers({ all: true }))
    .map((c) => c.Names[0]!.slice(1))
    .filter((n) => n.startsWith(prefix))
    .sort();
  const networks = (await docker.listNetworks())
    .map((n) => n.Name)
    .filter((n) => n.startsWith(prefix))
    .sort();
  const leases = readdirSync(cniDir).flatMap((net) =>
    readdirSync(path.join(cniDir, net))
      .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))
      .map((ip) => `${net}/${ip}`),
  );
  console.log(`containers: ${containers.join(', ')}`);
  console.log(`networks:   ${networks.join(', ')}`);
  console.log(`leases:     ${leases.join(', ')}`);

  const liveContainers = live.flatMap((o) =>
    o.kind === 'Topology'
      ? ((o.spec as { nodes: { name: string }[] }).nodes ?? []).map((n) => `${prefix}.${o.metadata.name}.${n.name}`)
      : [`${prefix}.${o.metadata.name}.box`],
  );
  const checks: [string, boolean][] = [
    ["the gone lab's containers are reaped", !containers.some((c) => c.startsWith(`${prefix}.lab-gone.`))],
    ["the gone lab's leases are reaped", !leases.some((l) => l.startsWith(`${prefix}.lab-gone.`))],
    ['the dangling lease is reaped', !leases.includes(danglingLease)],
    ["every live owner's container survived", liveContainers.every((c) => containers.includes(c))],
    [
      "live owners' leases survived",
      leases.filter((l) => !l.startsWith(`${prefix}.lab-gone.`)).length >= liveContainers.length,
    ],
    [
      'foreign resources survived',
      [`${prefix}-foreign-app`, `${prefix}-foreign-guest`].every((c) => containers.includes(c)) &&
        networks.includes(`${prefix}-foreign-net`),
    ],
    ["the gone lab's network survived, in use by a foreign container", networks.includes(`${prefix}.lab-gone.core`)],
    ['the keep-labelled container survived', containers.includes(`${prefix}-kept`)],
  ];
  for (const [text, ok] of checks) console.log(`${ok ? '\u001b[32m✔' : '\u001b[31m✘'} ${text}\u001b[0m`);

  if (!keepDemo) {
    await cleanUp(docker);
    console.log('\n(demo resources removed; run with -- --keep to keep them)');
  }
  if (sweep.status !== 0 || checks.some(([, ok]) => !ok)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
