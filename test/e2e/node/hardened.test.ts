// The chart with charts/reaper/ci/hardened-values.yaml on a real node: the agent as uid 65532 with
// the socket's group (supplementalGroups), no capabilities, a read-only root filesystem and the
// runtime's seccomp profile, priority class system-node-critical. It becomes Ready and reaps. Inside
// the pod, the image's runtime contract (scripts/build-image, Dockerfile) holds as the kubelet runs
// it: Node.js 24, NODE_ENV=production, /app read-only, /tmp writable, flock(1) for the lease lock.
import { statSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AGENT_SET_LABEL, agentSetSelector } from '../../support/controller-process.js';
import { uniqueName } from '../../support/engines.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import { startPrivateDockerd } from '../../support/private-dockerd.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { chartDir } from '../chart/chart-support.js';
import { eventually } from '../../support/eventually.js';
import { clusterHelm, clusterHelmRun, clusterKubectl, clusterKubectlRun, reaperImage } from '../../support/cluster.js';

const apiVersion = 'reaper.dev/v1alpha1';
const release = 'reaper-hard';
const releaseNamespace = uniqueName('node-hard');
const ownerNamespace = uniqueName('node-hard-owners');
const labelKey = `${uniqueName('t')}.test/owner-uid`;
const agents = uniqueName('node-hard');
const policyName = uniqueName('node-hard-policy');
let engine: PrivateDockerd | undefined;
let fx: RuntimeFixtures;
let installed = false;
let pod = '';

interface Pod {
  metadata: { name: string };
  status: { conditions?: { type: string; status: string }[] };
}

beforeAll(async () => {
  engine = await startPrivateDockerd({ addressPool: '10.234.0.0/16' });
  fx = new RuntimeFixtures('node-hard', engine.docker);
  clusterKubectl(['create', 'namespace', ownerNamespace]);
  // The socket's group on this host (the values file's 999 is an example).
  const socketGid = statSync(engine.dockerHost.replace(/^unix:\/\//, '')).gid;
  const { repository, tag } = reaperImage();
  clusterHelm(
    [
      'install',
      release,
      chartDir,
      '-n',
      releaseNamespace,
      '--create-namespace',
      '-f',
      path.join(chartDir, 'ci', 'hardened-values.yaml'),
      '--set',
      `podSecurityContext.supplementalGroups={${socketGid}}`,
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      'image.pullPolicy=Never',
      '--set',
      `docker.host=${engine.dockerHost}`,
      '--set',
      `policySelector=${agentSetSelector(agents)}`,
    ],
    240_000,
  );
  installed = true;
  pod = await eventually(
    'the hardened agent pod to be Ready',
    () => {
      const pods = (
        JSON.parse(
          clusterKubectl([
            'get',
            'pods',
            '-n',
            releaseNamespace,
            '-l',
            'app.kubernetes.io/component=agent',
            '-o',
            'json',
          ]),
        ) as { items: Pod[] }
      ).items;
      const ready = pods.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 1 ? ready[0]!.metadata.name : undefined;
    },
    180_000,
  );
}, 600_000);

afterAll(async () => {
  if (installed) clusterHelmRun(['uninstall', release, '-n', releaseNamespace, '--wait', '--timeout=2m']);
  clusterKubectlRun(['delete', 'reappolicy', policyName, '--ignore-not-found']);
  clusterKubectlRun(['delete', 'namespace', ownerNamespace, releaseNamespace, '--ignore-not-found', '--wait=false']);
  await fx?.cleanUp();
  await engine?.destroy();
}, 300_000);

/** node -e in the agent's container (the image has no shell). */
const inPod = (script: string) =>
  clusterKubectl(['exec', '-n', releaseNamespace, pod, '-c', 'reaper', '--', 'node', '-e', script]).trim();

test('the image runtime contract holds inside the pod as the kubelet runs it', () => {
  const facts = JSON.parse(
    inPod(`
      const fs = require('node:fs');
      const writable = (p) => { try { fs.writeFileSync(p, 'x'); fs.unlinkSync(p); return true; } catch { return false; } };
      console.log(JSON.stringify({
        uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
        node: process.version, env: process.env.NODE_ENV, cwd: process.cwd(),
        appWritable: writable('/app/probe'), rootWritable: writable('/probe'), tmpWritable: writable('/tmp/probe'),
        flock: fs.existsSync('/usr/bin/flock'),
        caps: fs.readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\\s+(\\w+)/m)[1],
        seccomp: fs.readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\\s+(\\d)/m)[1],
      }));`),
  ) as Record<string, unknown>;
  expect(facts).toMatchObject({
    uid: 65532,
    gid: 65532,
    env: 'production',
    cwd: '/app',
    appWritable: false,
    rootWritable: false,
    tmpWritable: true,
    flock: true,
    caps: '0000000000000000',
    seccomp: '2', // filter mode: the runtime's default profile
  });
  expect(facts.node).toMatch(/^v24\./);
  expect(facts.groups).toContain(statSync(engine!.dockerHost.replace(/^unix:\/\//, '')).gid);
});

test('as uid 65532 with the socket group, the hardened agent reaps an orphan', async () => {
  const orphan = await fx.container('orphan', {
    running: false,
    labels: ownerLabels(labelKey, randomUUID(), { namespace: ownerNamespace }),
  });
  clusterKubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name: policyName, labels: { [AGENT_SET_LABEL]: agents } },
      spec: {
        owners: [{ apiVersion, kind: 'Topology', namespaces: [ownerNamespace] }],
        match: [{ label: labelKey }],
        resources: { containers: { stopTimeoutSeconds: 1 } },
        timing: { minAge: '0s', gracePeriod: '0s', interval: '1h' },
        limits: { maxOrphanPercent: 100 },
      },
    }),
  );
  await eventually('the orphan to be reaped', async () => !(await fx.exists('container', orphan)) || undefined, 90_000);
});
