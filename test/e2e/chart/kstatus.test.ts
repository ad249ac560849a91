// What GitOps tools read from a ReapPolicy that `reaper run` keeps, checked with kstatus itself
// (tools/kstatus-check: sigs.k8s.io/cli-utils, what Flux's health checks and `kpt live status` use)
// on objects from the real API server: Ready at the current generation is Current; the object a
// spec change returns, before any agent has seen it, is InProgress; a blocked sweep is InProgress
// until its approval, then Current; a blind agent is InProgress; an invalid spec is Failed
// (Stalled) until Git fixes it. The Argo CD health check in docs/gitops.md is run on the same
// objects, as Argo CD runs it.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { ControllerProcess } from '../../support/controller-process.js';
import { AGENT_SET_LABEL, agentSetSelector, startController } from '../../support/controller-process.js';
import { uniqueName } from '../../support/engines.js';
import { installCrds, kubectl, repoRoot } from '../../support/kubectl.js';
import { ownerLabels } from '../../support/owner-labels.js';
import { RuntimeFixtures } from '../../support/runtime-fixtures.js';
import { eventually } from '../../support/eventually.js';
import { createNamespace, deleteNamespace } from './chart-support.js';

interface Verdict {
  name: string;
  generation: number;
  observedGeneration?: number;
  status: string;
  message: string;
  conditions: { type: string; status: string; reason: string }[];
}

interface PolicyObject {
  metadata: { name: string; generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    fleet?: { nodes: number; blocked: number; problems: { node: string; reason: string; message: string }[] };
  };
}

let kstatusCheck = '';
let controller: ControllerProcess | undefined;
const fx = new RuntimeFixtures('kstatus');
const policies: string[] = [];
/** The agent set of this file's agent and policies: other tests' agents leave them alone. */
const agents = uniqueName('kstatus');
let namespace = '';

beforeAll(async () => {
  // Built from tools/kstatus-check on first use (tens of seconds when Go's caches are cold).
  const built = spawnSync(path.join(repoRoot, 'scripts', 'build-tools'), ['bindir', 'kstatus-check'], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`scripts/build-tools bindir kstatus-check failed:\n${built.stderr}`);
  kstatusCheck = path.join(built.stdout.trim(), 'kstatus-check');
  installCrds();
  namespace = createNamespace('kstatus');
  controller = await startController({
    nodeName: 'node-kstatus',
    policySelector: agentSetSelector(agents),
    args: ['--trigger-delay', '1s'],
  });
}, 600_000);

afterAll(async () => {
  await controller?.stop();
  for (const name of policies) kubectl(['delete', 'reappolicy', name, '--ignore-not-found', '--wait=false']);
  if (namespace) deleteNamespace(namespace);
  if (scriptFile) rmSync(path.dirname(scriptFile), { recursive: true, force: true });
  await fx.cleanUp();
});

/** kstatus of policies read from the API server by name. */
function kstatusOf(name: string): Verdict {
  const result = spawnSync(kstatusCheck, [name], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kstatus-check ${name} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Verdict;
}

/** kstatus of an object as the API server returned it (e.g. to a PATCH). */
function kstatusOfObject(object: unknown): Verdict {
  const result = spawnSync(kstatusCheck, ['--stdin'], { encoding: 'utf8', input: JSON.stringify(object) });
  if (result.status !== 0) throw new Error(`kstatus-check --stdin failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Verdict;
}

/** The Argo CD health check from docs/gitops.md, run on `object` the way Argo CD runs it. */
function argoHealthOf(object: unknown): { status: string; message: string } {
  const result = spawnSync(kstatusCheck, ['--stdin', '--argocd-health', argoHealthScript()], {
    encoding: 'utf8',
    input: JSON.stringify(object),
  });
  if (result.status !== 0) throw new Error(`kstatus-check --argocd-health failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { argocd: { status: string; message: string } }).argocd;
}

let scriptFile: string | undefined;
/** The Lua of the argocd-cm block in docs/gitops.md, in a file for kstatus-check. */
function argoHealthScript(): string {
  if (scriptFile) return scriptFile;
  const docs = readFileSync(path.join(repoRoot, 'docs', 'gitops.md'), 'utf8');
  const block = /```yaml\n(# argocd-cm[\s\S]*?)```/.exec(docs);
  if (!block) throw new Error('docs/gitops.md has no ```yaml block starting with "# argocd-cm"');
  const configMap = parse(block[1]!) as { data: Record<string, string> };
  const lua = configMap.data['resource.customizations.health.reaper.dev_ReapPolicy'];
  if (!lua) throw new Error('the argocd-cm block has no resource.customizations.health.reaper.dev_ReapPolicy');
  scriptFile = path.join(mkdtempSync(path.join(tmpdir(), 'reaper-kstatus-')), 'health.lua');
  writeFileSync(scriptFile, lua);
  return scriptFile;
}

function getPolicy(name: string): PolicyObject {
  return JSON.parse(kubectl(['get', 'reappolicy', name, '-o', 'json'])) as PolicyObject;
}

/** Applies a policy (a merge patch when it exists) and returns the object the API server answered with. */
function patchPolicy(name: string, patch: Record<string, unknown>): PolicyObject {
  return JSON.parse(
    kubectl(['patch', 'reappolicy', name, '--type=merge', '-p', JSON.stringify(patch), '-o', 'json']),
  ) as PolicyObject;
}

/** A policy's name and the label key only it attributes by, so no other policy sees its resources. */
function newIdentity() {
  const name = uniqueName('kstatus');
  return { name, labelKey: `${name}.test/owner-uid` };
}

/** A DryRun policy that attributes through its own label key. */
function createPolicy(spec: Record<string, unknown>, { name, labelKey } = newIdentity()) {
  policies.push(name);
  const policy = {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name, labels: { [AGENT_SET_LABEL]: agents } },
    spec: {
      mode: 'DryRun',
      owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [namespace] }],
      match: [{ label: labelKey }],
      timing: { minAge: '0s', gracePeriod: '0s', interval: '1h' },
      ...spec,
    },
  };
  const created = JSON.parse(kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(policy))) as PolicyObject;
  return { name, labelKey, created };
}

const condition = (object: PolicyObject, type: string) => object.status?.conditions?.find((c) => c.type === type);

/** Waits until kstatus reads `want` for the policy at its current generation, and returns both. */
async function waitForKstatus(name: string, want: string, timeoutMs = 90_000) {
  let last: { object: PolicyObject; verdict: Verdict } | undefined;
  try {
    return await eventually(
      `kstatus ${want} for ${name}`,
      () => {
        const object = getPolicy(name);
        last = { object, verdict: kstatusOfObject(object) };
        return last.verdict.status === want && last.verdict.observedGeneration === object.metadata.generation
          ? last
          : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

test('a brand-new policy, before any agent writes status, is InProgress: the API server defaults observedGeneration to 0', () => {
  const { created } = createPolicy({});
  // Without that default kstatus would read an object with no status at all as Current.
  expect(created.status).toEqual({ observedGeneration: 0 });
  const verdict = kstatusOfObject(created);
  expect(verdict.status).toBe('InProgress');
  expect(verdict.message).toBe(
    `ReapPolicy generation is ${created.metadata.generation}, but latest observed generation is 0`,
  );
  expect(argoHealthOf(created).status).toBe('Progressing');
});

test('Ready at the current generation is Current; the object a spec change returns is InProgress, then Current again', async () => {
  const { name } = createPolicy({});
  const ready = await waitForKstatus(name, 'Current');
  expect(condition(ready.object, 'Ready')).toMatchObject({ status: 'True', reason: 'DryRunCompleted' });
  expect(ready.verdict.message).toBe('Resource is Ready');
  expect(kstatusOf(name).status).toBe('Current');
  expect(argoHealthOf(ready.object)).toMatchObject({ status: 'Healthy' });
  // reaper's field managers write status only, through the status subresource; spec is Git's.
  const managers = (
    JSON.parse(kubectl(['get', 'reappolicy', name, '--show-managed-fields', '-o', 'json'])) as {
      metadata: { managedFields: { manager: string; operation: string; subresource?: string; fieldsV1: object }[] };
    }
  ).metadata.managedFields;
  const reapers = managers.filter((m) => m.manager.startsWith('reaper'));
  // One writer of a policy's status: the summary writer (agents write their own ReapNodeReports).
  expect(reapers.map((m) => m.manager)).toEqual(['reaper-summary']);
  for (const m of reapers) {
    expect(m).toMatchObject({ operation: 'Apply', subresource: 'status' });
    expect(Object.keys(m.fieldsV1)).toEqual(['f:status']);
  }

  // What `kubectl apply` (or Argo CD, or Flux) gets back from the change: no agent has seen it yet.
  const changed = patchPolicy(name, { spec: { timing: { interval: '2h' } } });
  expect(changed.metadata.generation).toBe(ready.object.metadata.generation + 1);
  const verdict = kstatusOfObject(changed);
  expect(verdict.status).toBe('InProgress');
  expect(verdict.message).toBe(
    `ReapPolicy generation is ${changed.metadata.generation}, but latest observed generation is ${ready.object.metadata.generation}`,
  );
  expect(verdict.conditions).toEqual([expect.objectContaining({ type: 'Reconciling', status: 'True' })]);
  expect(argoHealthOf(changed).status).toBe('Progressing');

  const again = await waitForKstatus(name, 'Current');
  expect(again.object.status?.observedGeneration).toBe(changed.metadata.generation);
  // Reaper never writes spec: Git's version is what the API server holds.
  expect((getPolicy(name) as unknown as { spec: { timing: { interval: string } } }).spec.timing.interval).toBe('2h');
});

test('a blocked sweep is InProgress (Ready False) and Argo CD Degraded; the approval annotation makes it Current', async () => {
  // Two containers of an owner uid no Topology of the namespace has: that owner is 100% of the owners
  // > maxOrphanPercent 50, with the guard judging from one owner on.
  const identity = newIdentity();
  for (const suffix of ['blocked-1', 'blocked-2']) {
    await fx.container(suffix, {
      labels: ownerLabels(identity.labelKey, randomUUID(), { namespace }),
      running: false,
    });
  }
  const { name } = createPolicy({ limits: { maxOrphanPercent: 50, minOwnersToBlock: 1 } }, identity);
  const blocked = await waitForKstatus(name, 'InProgress');
  expect(blocked.object.status?.fleet).toMatchObject({ nodes: 1, blocked: 1 });
  expect(condition(blocked.object, 'Ready')).toMatchObject({ status: 'False', reason: 'Blocked' });
  expect(condition(blocked.object, 'Blocked')).toMatchObject({ status: 'True', reason: 'TooManyOrphans' });
  expect(blocked.verdict.conditions).toEqual([
    expect.objectContaining({ type: 'Reconciling', status: 'True', reason: 'Blocked' }),
  ]);
  const approvalId = /reaper\.dev\/approve-sweep=(b-[0-9a-f]+)/.exec(
    condition(blocked.object, 'Blocked')!.message,
  )![1]!;
  expect(argoHealthOf(blocked.object)).toEqual({
    status: 'Degraded',
    message: expect.stringContaining(`reaper.dev/approve-sweep=${approvalId}`) as string,
  });

  // The approval is metadata: the generation, and so what Git declares, does not change.
  const approved = patchPolicy(name, { metadata: { annotations: { 'reaper.dev/approve-sweep': approvalId } } });
  expect(approved.metadata.generation).toBe(blocked.object.metadata.generation);
  const released = await waitForKstatus(name, 'Current');
  expect(condition(released.object, 'Blocked')).toMatchObject({ status: 'False' });
  expect(argoHealthOf(released.object).status).toBe('Healthy');
  // DryRun: nothing was removed.
  expect(await fx.exists('container', fx.name('blocked-1'))).toBe(true);
});

test('a blind agent (an owner kind the API server does not serve) is InProgress, and Argo CD Degraded', async () => {
  const { name } = createPolicy({ owners: [{ apiVersion: 'example.com/v1', kind: 'NoSuchKind' }] });
  const blind = await waitForKstatus(name, 'InProgress');
  expect(condition(blind.object, 'Ready')).toMatchObject({ status: 'False', reason: 'FailedClosed' });
  expect(condition(blind.object, 'Degraded')).toMatchObject({ status: 'True', reason: 'OwnersNotVisible' });
  expect(blind.verdict.conditions).toEqual([
    expect.objectContaining({ type: 'Reconciling', status: 'True', reason: 'FailedClosed' }),
  ]);
  expect(argoHealthOf(blind.object)).toEqual({
    status: 'Degraded',
    message: expect.stringMatching(/^Degraded: node-kstatus: owners not fully visible: NoSuchKind/) as string,
  });
});

test('an invalid spec is Failed (Stalled) and Argo CD Degraded, until a fix in Git makes it Current', async () => {
  const { name, labelKey } = createPolicy({});
  await waitForKstatus(name, 'Current');
  // The API server accepts it (the text "(?<key>" is there), but the pattern has no group named key.
  const broken = patchPolicy(name, { spec: { match: [{ nameRegex: '^lab_[(?<key>]*_(?<id>[0-9a-f]{8})' }] } });
  expect(kstatusOfObject(broken).status).toBe('InProgress');
  const failed = await waitForKstatus(name, 'Failed');
  expect(failed.verdict.message).toMatch(/spec\.match\[0\]\.nameRegex: needs a named group "key"/);
  expect(failed.verdict.conditions).toEqual([
    expect.objectContaining({ type: 'Stalled', status: 'True', reason: 'InvalidSpec' }),
  ]);
  expect(condition(failed.object, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  expect(argoHealthOf(failed.object)).toEqual({
    status: 'Degraded',
    message: expect.stringMatching(/needs a named group "key"/) as string,
  });

  patchPolicy(name, { spec: { match: [{ label: labelKey }] } });
  const fixed = await waitForKstatus(name, 'Current');
  expect(condition(fixed.object, 'Stalled')).toBeUndefined();
  expect(argoHealthOf(fixed.object).status).toBe('Healthy');
});
