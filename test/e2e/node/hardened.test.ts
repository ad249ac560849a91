// The chart with charts/reaper/ci/hardened-values.yaml on a real node: the agent as uid 65532 with
// the socket's group (supplementalGroups), no capabilities, a read-only root filesystem and the
// runtime's seccomp profile, priority class system-node-critical. It becomes Ready and reaps. Inside
// the pod, the image's runtime contract (scripts/build-image, Dockerfile) holds as the kubelet runs
// it: Node.js 24, NODE_ENV=production, /app read-only, /tmp writable, flock(1) for the lease lock.
import { statSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { clusterKubectl } from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { chartDir } from '../../support/kubectl.js';
import { NodeRelease, podReady } from '../../support/node-release.js';
import { ownerLabels } from '../../support/owner-labels.js';
import type { PrivateDockerd } from '../../support/private-dockerd.js';
import type { RuntimeFixtures } from '../../support/runtime-fixtures.js';

const node = new NodeRelease('reaper-hard', 'node-hard');
const { labelKey, ownerNamespace, releaseNamespace } = node;
let engine: PrivateDockerd | undefined;
let fx: RuntimeFixtures;
let pod = '';

beforeAll(async () => {
  await node.start('10.234.0.0/16');
  engine = node.engine;
  fx = node.fx;
  // The socket's group on this host (the values file's 999 is an example).
  const socketGid = statSync(engine.dockerHost.replace(/^unix:\/\//, '')).gid;
  node.install([
    '-f',
    path.join(chartDir, 'ci', 'hardened-values.yaml'),
    '--set',
    `podSecurityContext.supplementalGroups={${socketGid}}`,
  ]);
  pod = await eventually(
    'the hardened agent pod to be Ready',
    () => {
      const ready = node.agentPods().filter(podReady);
      return ready.length === 1 ? ready[0]!.metadata.name : undefined;
    },
    180_000,
  );
}, 600_000);

afterAll(async () => {
  await node.cleanUp();
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
  node.applyPolicy(node.policySpec());
  await eventually('the orphan to be reaped', async () => !(await fx.exists('container', orphan)) || undefined, 90_000);
});
