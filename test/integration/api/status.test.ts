// Status on the real API server: a ReapReport is stored in a node's ReapNodeReport exactly as reaper
// writes it (nothing pruned, bounds enforced), a report's policy and node never change, the fleet
// summary is stored as written, and the printer columns show what status holds.
import { fitReportToStatus, sweepTotals } from '../../../src/status/report.js';
import type { ReapNodeReportStatus, ReapPolicyStatus } from '../../../src/api/types.js';
import type { KindCounts, ReapReport, ReportItem } from '../../../src/core/report-types.js';
import { installCrds, kubectl } from '../../support/kubectl.js';
import { ReaperApi, apiVersion, applyPatch, mergePatch } from './reaper-api.js';

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

  async function newReport(node: string): Promise<string> {
    const policy = await newPolicy();
    const name = `${policy}.${node}`;
    await api.createNodeReport(name, { policy, node });
    return name;
  }

  test('a fitted report is stored exactly as written in a node report: nothing pruned, nothing changed', async () => {
    const name = await newReport('node-a');
    const report = fitReportToStatus(bigReport('node-a'));
    const status: ReapNodeReportStatus = {
      observedGeneration: 1,
      lastHeartbeatTime: '2026-11-25T05:37:02Z',
      conditions: [ready('False', 'RemovalsFailed')],
      lastSweep: report,
      summary: sweepTotals(report),
      totals: { sweeps: 1, reaped: 62, failed: 1, blocked: 0 },
      owners: [{ key: 'labs/lab-1', containers: 2, networks: 1, volumes: 0, ipLeases: 2 }],
      ownersOmitted: 0,
      omittedCounts: { containers: 0, networks: 0, volumes: 0, ipLeases: 0 },
    };
    const stored = await api.applyNodeReportStatus(name, status);
    expect(stored.status).toEqual(status);
    expect(report.items).toHaveLength(50);
    expect(report.itemsOmitted).toBe(14);
  });

  test('status is validated: an unfitted report is refused at its fields', async () => {
    const name = await newReport('node-a');
    const error = await api.applyNodeReportStatus(name, { lastSweep: bigReport('node-a') }).then(
      () => undefined,
      (err: { code: number; body: string }) => err,
    );
    expect(error?.code).toBe(422);
    const fields = (JSON.parse(error!.body) as { details: { causes: { field: string }[] } }).details.causes.map(
      (c) => c.field,
    );
    expect(fields).toEqual(expect.arrayContaining(['status.lastSweep.items', 'status.lastSweep.errors']));
  });

  test("a node report's policy and node never change", async () => {
    const name = await newReport('node-a');
    const error = await api.custom
      .patchClusterCustomObject(
        {
          group: 'reaper.dev',
          version: 'v1alpha1',
          plural: 'reapnodereports',
          name,
          body: { spec: { node: 'node-b' } },
        },
        mergePatch,
      )
      .then(
        () => undefined,
        (err: { code: number; body: string }) => err,
      );
    expect(error?.code).toBe(422);
    expect(error?.body).toContain('is immutable');
  });

  test('the fleet summary is stored as written; kubectl get reappolicies shows it in one line', async () => {
    const name = await newPolicy();
    const status: ReapPolicyStatus = {
      observedGeneration: 1,
      conditions: [ready('False', 'Blocked')],
      lastSweepTime: '2026-11-25T05:37:02Z',
      summary: { orphans: 63, reaped: 62, failed: 1 },
      fleet: {
        nodes: 3,
        ready: 1,
        blocked: 1,
        degraded: 0,
        stale: 1,
        problems: [
          { node: 'node-b', reason: 'Blocked', message: 'approve with reaper.dev/approve-sweep=b-1' },
          { node: 'node-c', reason: 'Stale', message: 'its agent has not written its report for 20m' },
        ],
        problemsOmitted: 0,
      },
      lastReaps: [{ node: 'node-a', finishTime: '2026-11-25T05:37:02Z', kind: 'containers', name: 'lab-r1' }],
      totals: { sweeps: 5, reaped: 62, failed: 1, blocked: 1 },
    };
    const stored = await api.applyPolicyStatus(name, status, 'reaper-summary');
    expect(stored.status).toEqual(status);
    const { header, cells } = table('reappolicies', name);
    expect(header).toEqual(['NAME', 'MODE', 'READY', 'NODES', 'LAST SWEEP', 'ORPHANS', 'REAPED', 'FAILED', 'AGE']);
    expect(cells.slice(0, 4)).toEqual([name, 'Reap', 'False', '3']);
    expect(cells[4]).toMatch(/^\d+[smhdy]/);
    expect(cells.slice(5, 8)).toEqual(['63', '62', '1']);
    const wide = kubectl(['get', 'reappolicies', name, '-o', 'wide']).trim().split('\n');
    expect(wide[0]).toMatch(/BLOCKED\s+STALE/);
  });

  test('kubectl get reapnodereports shows each node', async () => {
    const name = await newReport('node-a');
    const report = fitReportToStatus(bigReport('node-a'));
    await api.applyNodeReportStatus(name, {
      conditions: [ready('False', 'RemovalsFailed')],
      lastSweep: report,
      summary: sweepTotals(report),
    });
    const { header, cells } = table('reapnodereports', name);
    expect(header).toEqual(['NAME', 'POLICY', 'NODE', 'READY', 'LAST SWEEP', 'ORPHANS', 'REAPED', 'FAILED', 'AGE']);
    expect(cells.slice(0, 4)).toEqual([name, name.replace(/\.node-a$/, ''), 'node-a', 'False']);
    expect(cells.slice(5, 8)).toEqual(['63', '62', '1']);
    expect(kubectl(['get', 'rnr', name, '-o', 'wide'])).toMatch(/PartiallyFailed/);
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
      const { header, cells } = table(plural, 'lab', namespace);
      expect(header).toEqual(['NAME', 'CONTAINERS', 'NETWORKS', 'LEASES', 'AGE']);
      expect(cells.slice(0, 4)).toEqual(['lab', '1', '1', '3']);
    }
  });
});

/** `kubectl get <resource> <name>`: its column names and the cells of its one row. */
function table(resource: string, name: string, namespace?: string): { header: string[]; cells: string[] } {
  const [header, row] = kubectl(['get', resource, name, ...(namespace ? ['-n', namespace] : [])])
    .trim()
    .split('\n');
  return { header: header!.split(/\s{2,}/), cells: row!.split(/\s+/) };
}
