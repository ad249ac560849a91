// Status on the real API server: a ReapReport is stored exactly as reaper writes it (nothing
// pruned, bounds enforced), each agent server-side applies only its own status.nodes[] entry, and
// the printer columns show what status holds.
import { fitReportToStatus, sweepSummary, sweepTotals } from '../../../src/api/status.js';
import type { NodeStatus, ReapPolicyStatus } from '../../../src/api/types.js';
import type { KindCounts, ReapReport, ReportItem } from '../../../src/core/report-types.js';
import { installCrds, kubectl } from '../../support/kubectl.js';
import { ReaperApi, apiVersion, applyPatch } from './reaper-api.js';

const counts = (orphaned: number, reaped: number, failed: number): KindCounts => ({
  scanned: 100,
  attributable: 80,
  outOfScope: 3,
  orphaned,
  pending: 1,
  reaped,
  failed,
  skipped: 0,
});

/** A report as large as reaper can write: more items than the cap, host text of any length. */
function bigReport(node: string): ReapReport {
  const items: ReportItem[] = Array.from({ length: 60 }, (_, i) => ({
    kind: i % 2 ? 'containers' : 'ipLeases',
    name: `lab_t_0a1b2c3d_${'n'.repeat(2000)}_${i}`,
    id: `${i}`.padStart(64, 'f'),
    ownerKey: `labs/${'k'.repeat(600)}`,
    action: i === 0 ? 'Failed' : 'Reaped',
    reason: `Error response from daemon: ${'…'.repeat(3000)} 😀`,
  }));
  return {
    sweepId: '20261125t053700z-3fa9c1',
    policy: 'p',
    node,
    mode: 'Reap',
    startTime: '2026-11-25T05:37:00.000Z',
    finishTime: '2026-11-25T05:37:02.000Z',
    outcome: 'PartiallyFailed',
    liveOwners: 7,
    counts: {
      containers: counts(30, 29, 1),
      networks: counts(3, 3, 0),
      volumes: counts(0, 0, 0),
      ipLeases: counts(30, 30, 0),
    },
    items,
    itemsOmitted: 4,
    errors: Array.from({ length: 25 }, (_, i) => `error ${i}: ${'x'.repeat(5000)}`),
    errorsOmitted: 0,
  };
}

const ready = (status: 'True' | 'False', reason: string) => ({
  type: 'Ready',
  status,
  observedGeneration: 1,
  lastTransitionTime: '2026-11-25T05:37:02Z',
  reason,
  message: '',
});

describe('reaper.dev status on a real API server', () => {
  const api = new ReaperApi();
  beforeAll(() => installCrds());
  afterAll(() => api.cleanup());

  async function newPolicy(): Promise<string> {
    const name = api.policyName();
    const created = await api.createPolicy({ apiVersion, kind: 'ReapPolicy', metadata: { name } });
    if (!created.accepted) throw new Error(created.message);
    return name;
  }

  test('a fitted report is stored exactly as written: nothing pruned, nothing changed', async () => {
    const name = await newPolicy();
    const report = fitReportToStatus(bigReport('node-a'));
    const status: ReapPolicyStatus = {
      observedGeneration: 1,
      conditions: [ready('False', 'RemovalsFailed')],
      lastSweep: report,
      summary: sweepTotals(report),
      totals: { sweeps: 1, reaped: 62, failed: 1, blocked: 0 },
    };
    const stored = await api.applyPolicyStatus(name, status, 'reaper');
    expect(stored.status).toEqual(status);
    expect(report.items).toHaveLength(50);
    expect(report.itemsOmitted).toBe(14);
  });

  test('status is validated: an unfitted report is refused at its fields', async () => {
    const name = await newPolicy();
    const error = await api.applyPolicyStatus(name, { lastSweep: bigReport('node-a') }, 'reaper').then(
      () => undefined,
      (err: { code: number; body: string }) => err,
    );
    expect(error?.code).toBe(422);
    const fields = (JSON.parse(error!.body) as { details: { causes: { field: string }[] } }).details.causes.map(
      (c) => c.field,
    );
    expect(fields).toEqual(expect.arrayContaining(['status.lastSweep.items', 'status.lastSweep.errors']));
  });

  test('each agent applies only its own status.nodes[] entry', async () => {
    const name = await newPolicy();
    const entry = (node: string, outcome: 'Completed' | 'Blocked'): NodeStatus => ({
      node,
      lastHeartbeatTime: '2026-11-25T05:40:00Z',
      lastSweep: { ...sweepSummary(bigReport(node)), outcome },
      conditions: [ready('True', 'Swept')],
    });
    const nodesOf = async () =>
      Object.fromEntries((((await api.getPolicy(name)).status?.nodes ?? []) as NodeStatus[]).map((n) => [n.node, n]));

    await api.applyPolicyStatus(name, { nodes: [entry('node-a', 'Completed')] }, 'reaper/node-a');
    await api.applyPolicyStatus(name, { nodes: [entry('node-b', 'Completed')] }, 'reaper/node-b');
    // The policy-wide writer applies its own fields and leaves the agents' entries alone.
    await api.applyPolicyStatus(name, { observedGeneration: 1, conditions: [ready('True', 'Swept')] }, 'reaper');
    expect(Object.keys(await nodesOf()).sort()).toEqual(['node-a', 'node-b']);

    // node-a changes its entry; node-b's stays as it was.
    await api.applyPolicyStatus(name, { nodes: [entry('node-a', 'Blocked')] }, 'reaper/node-a');
    let nodes = await nodesOf();
    expect(nodes['node-a']).toEqual(entry('node-a', 'Blocked'));
    expect(nodes['node-b']).toEqual(entry('node-b', 'Completed'));

    // An agent that leaves a field out of its next apply removes only that field of its own entry.
    const { lastSweep: _dropped, ...withoutSweep } = entry('node-a', 'Blocked');
    await api.applyPolicyStatus(name, { nodes: [withoutSweep] }, 'reaper/node-a');
    nodes = await nodesOf();
    expect(nodes['node-a']).toEqual(withoutSweep);
    expect(nodes['node-b']).toEqual(entry('node-b', 'Completed'));
    const policy = await api.getPolicy(name);
    expect(policy.status).toMatchObject({ observedGeneration: 1 });
    expect(policy.metadata?.managedFields?.map((f) => f.manager).sort()).toEqual(
      expect.arrayContaining(['reaper', 'reaper/node-a', 'reaper/node-b']),
    );
  });

  test('kubectl get reappolicies shows mode, readiness, last sweep and its totals', async () => {
    const name = await newPolicy();
    const report = fitReportToStatus(bigReport('node-a'));
    await api.applyPolicyStatus(
      name,
      { conditions: [ready('True', 'Swept')], lastSweep: report, summary: sweepTotals(report) },
      'reaper',
    );
    const [header, row] = kubectl(['get', 'reappolicies', name]).trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'NAME',
      'MODE',
      'READY',
      'LAST SWEEP',
      'ORPHANS',
      'REAPED',
      'FAILED',
      'AGE',
    ]);
    const cells = row!.split(/\s+/);
    expect(cells.slice(0, 3)).toEqual([name, 'Reap', 'True']);
    expect(cells[3]).toMatch(/^\d+[smhdy]/);
    expect(cells.slice(4, 7)).toEqual(['63', '62', '1']);
    expect(kubectl(['get', 'reappolicies', name, '-o', 'wide']).split('\n')[0]).toMatch(/OUTCOME/);
    expect(kubectl(['get', 'reappolicies', name, '-o', 'wide'])).toMatch(/PartiallyFailed/);
  });

  test('owners carry expected/found counts and the teardown report; kubectl get shows them', async () => {
    const namespace = await api.namespace();
    for (const [plural, kind, spec] of [
      [
        'topologies',
        'Topology',
        { networks: [{ name: 'core' }], nodes: [{ name: 'r1', image: 'i', networks: ['core'] }] },
      ],
      ['sandboxes', 'Sandbox', { image: 'i', network: 'sandbox' }],
    ] as const) {
      const created = await api.createOwner(plural, namespace, { apiVersion, kind, metadata: { name: 'lab' }, spec });
      if (!created.accepted) throw new Error(created.message);
      const status = {
        observedGeneration: 1,
        conditions: [ready('True', 'Observed')],
        resources: {
          containers: { expected: 2, found: 1 },
          networks: { expected: 1, found: 1 },
          volumes: { expected: 0, found: 0 },
          ipLeases: { expected: 2, found: 3 },
        },
        lastReap: fitReportToStatus(bigReport('node-a')),
      };
      const stored = (await api.custom.patchNamespacedCustomObjectStatus(
        {
          group: 'reaper.dev',
          version: 'v1alpha1',
          plural,
          namespace,
          name: 'lab',
          fieldManager: 'reaper',
          force: true,
          body: { apiVersion, kind, metadata: { name: 'lab', namespace }, status },
        },
        applyPatch,
      )) as { status: unknown };
      expect(stored.status).toEqual(status);
      const [header, row] = kubectl(['get', plural, 'lab', '-n', namespace]).trim().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'CONTAINERS', 'NETWORKS', 'LEASES', 'AGE']);
      expect(row!.split(/\s+/).slice(0, 4)).toEqual(['lab', '1', '1', '3']);
    }
  });
});
