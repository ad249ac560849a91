// The documented CI step (examples/ci/reaper-plan.sh) on the real Docker engine: before a change
// nothing would be reaped, after a change that deletes an owner manifest that owner's container is
// what would be reaped; the job fails above REAPER_PLAN_MAX, when the sweep would be blocked or
// blind, and on an invalid policy; nothing is ever removed. The example policy and manifests are
// also valid for the real API server.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { uniqueName } from '../../support/engines.js';
import { installCrds, repoRoot } from '../../support/kubectl.js';
import { ownerLabels } from '../../support/owner-labels.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { createNamespace, deleteNamespace, dryRunApply } from './chart-support.js';

const example = path.join(repoRoot, 'examples', 'ci');
const fx = new RuntimeFixtures('ci-plan');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-ci-plan-'));
afterAll(async () => {
  await fx.cleanUp();
  rmSync(work, { recursive: true, force: true });
});

/**
 * The example policy, attributing through a label key of this test's own (and optionally other
 * timing), and `owned`: the labels of a resource of the Topology of that name in namespace labs
 * (the key under the test's label, with the kind and namespace labels the example policy needs).
 */
function policyFile(timing?: Record<string, string>) {
  const label = `${uniqueName('t')}.test/owner-name`;
  const policy = parse(readFileSync(path.join(example, 'policies', 'labs.yaml'), 'utf8')) as {
    spec: { match: { label: string }[]; timing: Record<string, string> };
  };
  policy.spec.match = [{ label }];
  if (timing) policy.spec.timing = timing;
  const file = path.join(work, `${uniqueName('policy')}.yaml`);
  writeFileSync(file, stringify(policy));
  const owned = (name: string) => ownerLabels(label, name, { namespace: 'labs' });
  return { file, label, owned };
}

/** The example manifests as a branch has them after the change: `keep` names the files left. */
function branch(keep: string[]) {
  const dir = mkdtempSync(path.join(work, 'manifests-'));
  for (const file of keep) cpSync(path.join(example, 'manifests', file), path.join(dir, file));
  return dir;
}

function step(policy: string, owners: string, env: Record<string, string> = {}) {
  const out = mkdtempSync(path.join(work, 'out-'));
  const result = spawnSync(path.join(example, 'reaper-plan.sh'), [policy, owners, out], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, REAPER: `${process.execPath} --import tsx controllers/main.ts`, ...env },
  });
  const read = (name: string) => readFileSync(path.join(out, name), 'utf8');
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, read };
}

test('before the change nothing would be reaped; deleting lab-b.yaml shows lab-b’s container as reaped after the grace period; nothing is removed', async () => {
  const { file, label, owned } = policyFile();
  const a = await fx.container('lab-a', { labels: owned('lab-a') });
  const b = await fx.container('lab-b', { labels: owned('lab-b') });
  // Labelled by a deployer that writes the key and the kind but no namespace: the policy sees
  // namespace labs only and cannot tell this is that lab-b's. Out of scope, never reaped.
  const unscoped = await fx.container('lab-b-unscoped', {
    labels: { [label]: 'lab-b', 'reaper.dev/owner-kind': 'Topology.reaper.dev' },
  });

  const before = step(file, branch(['lab-a.yaml', 'lab-b.yaml']));
  expect(before.stderr).toBe('');
  expect(before.code).toBe(0);
  expect(before.stdout).toMatch(/outcome Completed {2}live owners 2/);
  expect(before.stdout).toMatch(/reaper-plan: 0 resources would be reaped once this change is applied/);
  expect(before.read('summary.md')).toContain('| containers | 2 | 1 | 0 | 0 | 0 |');
  expect(before.read('summary.md')).toContain('1 resources match the policy but their labels do not place');

  const result = step(file, branch(['lab-a.yaml']));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/outcome Completed {2}live owners 1/);
  expect(result.stdout).toMatch(/reaper-plan: 1 resources would be reaped once this change is applied/);
  const summary = result.read('summary.md');
  // The example policy waits (minAge 10m): the fresh container goes after the grace period.
  expect(summary).toContain('| containers | 2 | 1 | 1 | 0 | 1 |');
  expect(result.stdout).toMatch(
    new RegExp(`OutOfScope +containers +${fx.name('lab-b-unscoped')} +lab-b +nothing says`),
  );
  const plan = JSON.parse(result.read('plan.json')) as { kind: string; report: { mode: string } };
  expect(plan.kind).toBe('ReaperPlan');
  expect(plan.report.mode).toBe('DryRun');
  expect(await fx.exists('container', a)).toBe(true);
  expect(await fx.exists('container', b)).toBe(true);
  expect(await fx.exists('container', unscoped)).toBe(true);
});

test('with no waiting, the summary names what would go now; REAPER_PLAN_MAX=0 fails the job', async () => {
  const { file, owned } = policyFile({ minAge: '0s', gracePeriod: '0s' });
  // lab-a stays: one lab gone is below the example's minOwnersToBlock 2.
  for (const node of ['router', 'host1', 'host2']) await fx.container(`now-a-${node}`, { labels: owned('lab-a') });
  const b = await fx.container('now-b', { labels: owned('lab-b') });

  const result = step(file, branch(['lab-a.yaml']), { REAPER_PLAN_MAX: '0' });
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(/this change would reap 1 resources, more than REAPER_PLAN_MAX=0/);
  const summary = result.read('summary.md');
  expect(summary).toContain('| containers | 4 | 0 | 1 | 1 | 0 |');
  expect(summary).toContain(`| container | ${fx.name('now-b')} | lab-b |`);
  expect(await fx.exists('container', b)).toBe(true);
});

test('deleting every manifest trips the blast-radius guard: the job fails with exit 2', async () => {
  const { file, owned } = policyFile({ minAge: '0s', gracePeriod: '0s' });
  await fx.container('all-a', { labels: owned('lab-a') });
  await fx.container('all-b', { labels: owned('lab-b') });

  const result = step(file, branch([]));
  expect(result.code).toBe(2);
  expect(result.stdout).toMatch(/outcome Blocked/);
  expect(result.stderr).toMatch(/blocked by the blast-radius guard or cannot see every owner/);
  expect(result.read('summary.md')).toContain('Outcome **Blocked**');
});

test('a policy keyed by uid cannot plan from Git manifests: it fails closed, and says why', () => {
  const { file } = policyFile();
  const policy = parse(readFileSync(file, 'utf8')) as { spec: { owners: { key: string }[] } };
  policy.spec.owners[0]!.key = 'uid';
  writeFileSync(file, stringify(policy));
  const result = step(file, branch(['lab-a.yaml', 'lab-b.yaml']));
  expect(result.code).toBe(2);
  expect(result.stdout).toMatch(/has no owner key uid/);
});

test('an invalid policy fails the job with exit 64 and the field at fault', () => {
  const { file } = policyFile();
  const policy = parse(readFileSync(file, 'utf8')) as { spec: { timing: Record<string, string> } };
  policy.spec.timing.minAge = 'ten minutes';
  writeFileSync(file, stringify(policy));
  const result = step(file, branch(['lab-a.yaml', 'lab-b.yaml']));
  expect(result.code).toBe(64);
  expect(result.stderr).toMatch(/spec\.timing\.minAge/);
  expect(result.stderr).toMatch(/reaper-plan: reaper plan failed \(exit 64\)/);
});

test('the example policy and manifests are valid for the real API server', () => {
  installCrds();
  const namespace = createNamespace('ci-labs');
  try {
    const manifests = ['lab-a.yaml', 'lab-b.yaml']
      .map((f) =>
        readFileSync(path.join(example, 'manifests', f), 'utf8').replace('namespace: labs', `namespace: ${namespace}`),
      )
      .join('---\n');
    const owners = dryRunApply(manifests);
    expect(owners.stderr).toBe('');
    expect(owners.code).toBe(0);
    const policy = dryRunApply(readFileSync(path.join(example, 'policies', 'labs.yaml'), 'utf8'));
    expect(policy.stderr).toBe('');
    expect(policy.code).toBe(0);
  } finally {
    deleteNamespace(namespace);
  }
});
