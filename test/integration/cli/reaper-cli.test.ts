// The `reaper` command line end to end on the real Docker engine and the real API server. Each
// test matches on a label key of its own, so sweeps never see other tests' containers as theirs;
// its resources carry that key with the kind (and namespace) labels of the ownership contract.
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { installCrds } from '../../support/kubectl.js';
import { ownersDir, policyFile, reaper } from '../../support/reaper-cli.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';

const fx = new RuntimeFixtures('cli');
// Owner uids for the owner manifests the tests write: ALIVE is in them when a test says so, GONE
// never. The policies key owners by uid, so a label that is not a uid would be foreign, not gone.
const ALIVE = randomUUID();
const GONE = randomUUID();
const work = mkdtempSync(path.join(tmpdir(), 'reaper-cli-'));
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await fx.cleanUp();
});

test('an orphaned network goes after its orphaned container in the same sweep; live ones stay', async () => {
  const { file, owned } = policyFile(work);
  const network = await fx.network('order-net', owned(GONE));
  const container = await fx.container('order-ctr', { labels: owned(GONE), network: fx.name('order-net') });
  const live = await fx.container('order-live', { labels: owned(ALIVE) });

  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [ALIVE]), '-o', 'json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as {
    outcome: string;
    counts: Record<string, { reaped: number }>;
    items: { name: string; action: string }[];
  };
  expect(report.outcome).toBe('Completed');
  expect(report.counts.containers!.reaped).toBe(1);
  expect(report.counts.networks!.reaped).toBe(1);
  expect(await fx.exists('container', container)).toBe(false);
  expect(await fx.exists('network', network)).toBe(false);
  expect(await fx.exists('container', live)).toBe(true);
});

test('owners that cannot all be seen: nothing is deleted and the exit code is 2', async () => {
  const { file, owned } = policyFile(work);
  const orphan = await fx.container('closed', { labels: owned(GONE), running: false });
  const noUid = mkdtempSync(path.join(work, 'nouid-'));
  writeFileSync(
    path.join(noUid, 'o.yaml'),
    'apiVersion: reaper.dev/v1alpha1\nkind: Topology\nmetadata: {name: o}\nspec: {}\n',
  );

  const run = reaper(['sweep', '--policy', file, '--owners-from', noUid]);
  expect(run.code).toBe(2);
  expect(run.stdout).toMatch(/outcome FailedClosed/);
  expect(run.stdout).toMatch(/has no owner key uid/);
  expect(await fx.exists('container', orphan)).toBe(true);
});

test('owners from the cluster: a live Topology protects its resources, a deleted one does not', async () => {
  installCrds();
  const kc = kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = uniqueName('cli');
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    const create = async (name: string) =>
      (await custom.createNamespacedCustomObject({
        group: 'reaper.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'topologies',
        body: { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', metadata: { name }, spec: {} },
      })) as { metadata: { uid: string } };
    const live = await create('live');
    const gone = await create('gone');
    await custom.deleteNamespacedCustomObject({
      group: 'reaper.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'topologies',
      name: 'gone',
    });
    // Recreated under the same name: a new uid, which must not protect the old one's resources.
    await create('gone');

    const { file, label, owned } = policyFile(work, {
      owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [namespace] }],
    });
    const kept = await fx.container('cluster-live', {
      labels: owned(live.metadata.uid, { namespace }),
      running: false,
    });
    const reaped = await fx.container('cluster-gone', {
      labels: owned(gone.metadata.uid, { namespace }),
      running: false,
    });
    // The policy sees one namespace: an owner said to be in another, or in none said, is out of
    // its scope (it could be live there), so the same gone uid does not make these orphans.
    const elsewhere = await fx.container('cluster-elsewhere', {
      labels: owned(gone.metadata.uid, { namespace: 'kube-system' }),
      running: false,
    });
    const unplaced = await fx.container('cluster-unplaced', { labels: owned(gone.metadata.uid), running: false });
    const run = reaper(['sweep', '--policy', file, '--owners-from', 'cluster']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/live owners 2/);
    expect(await fx.exists('container', kept)).toBe(true);
    expect(await fx.exists('container', reaped)).toBe(false);
    expect(await fx.exists('container', elsewhere)).toBe(true);
    expect(await fx.exists('container', unplaced)).toBe(true);
    for (const suffix of ['cluster-elsewhere', 'cluster-unplaced'])
      expect(run.stdout).toMatch(new RegExp(`OutOfScope +containers +${fx.name(suffix)} `));

    // An owner kind the API server does not serve: blind, so fail closed.
    const blind = policyFile(work, {
      owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Nonexistent' }],
      match: [{ label }],
    });
    const orphan = await fx.container('cluster-blind', {
      labels: owned(GONE, { kind: 'Nonexistent' }),
      running: false,
    });
    const blindRun = reaper(['sweep', '--policy', blind.file, '--owners-from', 'cluster']);
    expect(blindRun.code).toBe(2);
    expect(await fx.exists('container', orphan)).toBe(true);
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
});

test('plan, then a change, then apply: the changed item is skipped and reported, the rest is reaped', async () => {
  const { file, owned } = policyFile(work);
  const owners = ownersDir(work, []);
  const first = await fx.container('plan-a', { labels: owned(GONE), running: false });
  const second = await fx.container('plan-b', { labels: owned(GONE), running: false });
  const planPath = path.join(work, 'plan.json');

  const planned = reaper(['plan', '--policy', file, '--owners-from', owners, '-o', planPath]);
  expect(planned.code).toBe(0);
  expect(planned.stdout).toMatch(/WouldReap/);
  expect(JSON.parse(readFileSync(planPath, 'utf8')).selected).toHaveLength(2);
  expect(await fx.exists('container', first)).toBe(true);

  // plan-b is replaced by a new container of the same name: not the resource that was reviewed.
  await fx.docker.getContainer(second).remove({ force: true });
  const replacement = await fx.container('plan-b', { labels: owned(GONE), running: false });

  const applied = reaper(['apply', planPath, '--owners-from', owners, '-o', 'json']);
  expect(applied.code).toBe(0);
  const report = JSON.parse(applied.stdout) as { items: { name: string; action: string; reason: string }[] };
  expect(report.items).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ name: fx.name('plan-a'), action: 'Reaped' }),
      expect.objectContaining({ action: 'Skipped', reason: 'changed since the plan: no longer present' }),
    ]),
  );
  expect(await fx.exists('container', first)).toBe(false);
  expect(await fx.exists('container', replacement)).toBe(true);
});

test('--state keeps grace bookkeeping between runs', async () => {
  const { file, owned } = policyFile(work, { timing: { minAge: '0s', gracePeriod: '1h' } });
  const orphan = await fx.container('grace', { labels: owned(GONE), running: false });
  const state = path.join(work, 'state.json');
  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, []), '--state', state]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/Pending .* of gracePeriod 1h0m0s/);
  const saved = JSON.parse(readFileSync(state, 'utf8')) as { firstSeenOrphaned: Record<string, number> };
  expect(Object.keys(saved.firstSeenOrphaned)).toEqual([`container:${orphan}`]);
  expect(await fx.exists('container', orphan)).toBe(true);
});

test('--dry-run removes nothing', async () => {
  const { file, owned } = policyFile(work);
  const orphan = await fx.container('dry', { labels: owned(GONE), running: false });
  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, []), '--dry-run']);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/WouldReap/);
  expect(await fx.exists('container', orphan)).toBe(true);
});

test('usage errors exit 64; an unreachable Docker is one line that says how to fix it, exit 2', () => {
  expect(reaper(['sweep']).code).toBe(64);
  expect(reaper(['sweep', '--policy', 'x.yaml', '--bogus']).code).toBe(64);
  const { file } = policyFile(work);
  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [])], {
    env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
  });
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      /^reaper: cannot reach Docker at unix:\/\/\/nonexistent\.sock .*start dockerd, or set DOCKER_HOST/,
    ),
  ]);
});
