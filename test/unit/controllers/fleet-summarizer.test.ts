import type * as k8s from '@kubernetes/client-node';
import type { Cache } from '../../../controllers/fleet-summarizer.js';
import { FleetSummarizer } from '../../../controllers/fleet-summarizer.js';
import { sweptState } from '../../../src/status/node-report.js';
import { PolicyRegistry } from '../../../controllers/policy-registry.js';
import type { OwnerCounts, ReapNodeReport, ReapPolicy } from '../../../src/api/types.js';
import type { ObjectRef } from '../../../src/kube/status-apply.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { DEFAULTED_SPEC } from '../../support/builders.js';
import { report } from '../../support/reports.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const MIN = 60_000;

function cache(objects: k8s.KubernetesObject[], synced = true): Cache {
  return {
    list: () => objects,
    get: (name: string) => objects.find((o) => o.metadata?.name === name),
    synced,
    healthy: synced,
  } as Cache;
}

const policyObject = (spec: Record<string, unknown> = {}): ReapPolicy => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'ReapPolicy',
  metadata: { name: 'labs', generation: 1, uid: 'p-uid' },
  spec: {
    ...DEFAULTED_SPEC,
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: ['labs'], key: 'uid' }],
    timing: { minAge: '0s', gracePeriod: '0s', interval: '5m' },
    ...spec,
  } as ReapPolicy['spec'],
});

function nodeReport(node: string, owners: OwnerCounts[], ageMs = 0, nodeOwner = false): ReapNodeReport {
  const swept = sweptState(
    undefined,
    { report: report(), generation: 1, failedClosed: [], overlaps: [] },
    new Date(NOW),
  );
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapNodeReport',
    metadata: {
      name: `labs.${node}`,
      ...(nodeOwner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: `u-${node}` }] } : {}),
    },
    spec: { policy: 'labs', node },
    status: { ...swept, lastHeartbeatTime: new Date(NOW - ageMs).toISOString(), owners },
  };
}

const UID = '0b5c2f2e-1a3b-4c5d-8e9f-0123456789ab';
const topology = {
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  metadata: { name: 'lab', namespace: 'labs', uid: UID },
  spec: {
    networks: [{ name: 'lan' }],
    nodes: [
      { name: 'r1', image: 'i', networks: ['lan'] },
      { name: 'r2', image: 'i' },
    ],
  },
};
const counts = (containers: number, networks: number): OwnerCounts => ({
  key: UID,
  containers,
  networks,
  volumes: 0,
  ipLeases: 0,
});

function setup(options: { reports: ReapNodeReport[]; nodes?: string[]; policy?: ReapPolicy }) {
  let now = NOW;
  const registry = new PolicyRegistry();
  registry.upsert(options.policy ?? policyObject());
  const applied: { ref: ObjectRef; status: Record<string, unknown> }[] = [];
  const deleted: string[] = [];
  const summarizer = new FleetSummarizer({
    registry,
    policiesSynced: () => true,
    reports: cache(options.reports as unknown as k8s.KubernetesObject[]),
    nodes: cache((options.nodes ?? []).map((name) => ({ metadata: { name } }))),
    informers: { get: (target) => (target.kind === 'Topology' ? cache([topology]) : cache([])) },
    status: {
      applyIfChanged: async (ref, status) => {
        applied.push({ ref, status: status as Record<string, unknown> });
        return true;
      },
    },
    deleteReport: async (name) => void deleted.push(name),
    rules: { staleAfterMs: 15 * MIN, removeAfterMs: 30 * MIN },
    reportsSettleMs: 10_000,
    now: () => now,
    logger: silentLogger,
  });
  const statusOf = (kind: string) => applied.find((a) => a.ref.kind === kind)?.status;
  return { summarizer, applied, deleted, statusOf, advance: (ms: number) => (now += ms) };
}

test('the policy gets the fleet summary and the owner the sum of its nodes’ counts', async () => {
  const { summarizer, statusOf } = setup({
    reports: [nodeReport('a', [counts(1, 1)]), nodeReport('b', [counts(1, 0)])],
    nodes: ['a', 'b'],
  });
  await summarizer.summarize('labs');
  expect(statusOf('ReapPolicy')).toMatchObject({ fleet: { nodes: 2, ready: 2 }, observedGeneration: 1 });
  expect(statusOf('Topology')).toEqual({
    // The one writer of every owner's status: no agent writes Managed.
    conditions: [
      {
        type: 'Managed',
        status: 'True',
        reason: 'SweptWhenGone',
        message: 'managed by ReapPolicy labs',
        lastTransitionTime: expect.any(String),
      },
    ],
    resources: {
      containers: { expected: 2, found: 2 },
      networks: { expected: 1, found: 1 },
      volumes: { found: 0 },
      ipLeases: { found: 0 },
    },
    foundOnNodes: [
      { node: 'a', containers: 1, networks: 1, volumes: 0, ipLeases: 0 },
      { node: 'b', containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
    ],
  });
});

test('a report of a deleted Node counts for nothing; one long unwritten whose Node is gone is deleted', async () => {
  const { summarizer, statusOf, deleted } = setup({
    reports: [
      nodeReport('a', [counts(1, 1)]),
      nodeReport('gone', [counts(5, 0)], 0, true),
      nodeReport('old', [], 31 * MIN),
    ],
    nodes: ['a'],
  });
  await summarizer.summarize('labs');
  expect(deleted).toEqual(['labs.old']);
  expect(statusOf('ReapPolicy')).toMatchObject({ fleet: { nodes: 1 } });
  expect((statusOf('Topology')!.resources as { containers: { found: number } }).containers.found).toBe(1);
});

test('before any node has reported, owners wait; two minutes on, Managed is said and counts are left alone', async () => {
  const { summarizer, statusOf, advance } = setup({ reports: [] });
  expect(await summarizer.summarize('labs')).toEqual({ requeueAfterMs: 120_000 });
  expect(statusOf('ReapPolicy')).toMatchObject({ fleet: { nodes: 0 } });
  expect(statusOf('Topology')).toBeUndefined();
  advance(120_000);
  await summarizer.summarize('labs');
  expect(statusOf('Topology')).not.toHaveProperty('resources');
  expect(statusOf('Topology')).toMatchObject({ conditions: [{ type: 'Managed', status: 'True' }] });
});

test('an invalid spec is reported by the summary writer: Stalled, Ready False', async () => {
  const { summarizer, statusOf } = setup({
    reports: [],
    policy: policyObject({ match: [{ nameRegex: '^lab_(?<id>[a-z]+)$' }] }),
  });
  await summarizer.summarize('labs');
  const conditions = (statusOf('ReapPolicy')!.conditions as { type: string; status: string; reason: string }[]).map(
    (c) => `${c.type}/${c.status}/${c.reason}`,
  );
  expect(conditions).toEqual(expect.arrayContaining(['Ready/False/InvalidSpec', 'Stalled/True/InvalidSpec']));
});

test('it comes back when the next report turns stale', async () => {
  const { summarizer } = setup({ reports: [nodeReport('a', [], 10 * MIN)], nodes: ['a'] });
  expect(await summarizer.summarize('labs')).toEqual({ requeueAfterMs: 5 * MIN + 1 });
});

test('while nodes’ first reports are still arriving, owners’ counts wait for them, at most two minutes', async () => {
  const arriving = (node: string, agoMs: number) => {
    const r = nodeReport(node, [counts(1, 0)]);
    return { ...r, metadata: { ...r.metadata, creationTimestamp: new Date(NOW - agoMs).toISOString() } };
  };
  const { summarizer, applied, advance } = setup({
    reports: [arriving('a', 60_000), arriving('b', 4_000)],
    nodes: ['a', 'b'],
  });
  // The policy's summary is written; the owners wait until the newest report is 10 s old.
  expect(await summarizer.summarize('labs')).toEqual({ requeueAfterMs: 6_000 });
  expect(applied.map((a) => a.ref.kind)).toEqual(['ReapPolicy']);
  advance(6_000);
  await summarizer.summarize('labs');
  expect(applied.map((a) => a.ref.kind)).toEqual(['ReapPolicy', 'ReapPolicy', 'Topology']);
});

test('reports that keep arriving hold owners’ counts for two minutes at most', async () => {
  const reports: ReapNodeReport[] = [];
  const { summarizer, applied, advance } = setup({ reports, nodes: [] });
  let writtenAt: number | undefined;
  for (let elapsed = 0; elapsed <= 200_000 && writtenAt === undefined; elapsed += 5_000) {
    const r = nodeReport(`n${elapsed}`, [counts(1, 0)]);
    reports.push({ ...r, metadata: { ...r.metadata, creationTimestamp: new Date(NOW + elapsed).toISOString() } });
    await summarizer.summarize('labs');
    if (applied.some((a) => a.ref.kind === 'Topology')) writtenAt = elapsed;
    advance(5_000);
  }
  expect(writtenAt).toBe(120_000);
});
