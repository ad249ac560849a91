// The TypeScript types and the schemas describe the same objects: fully populated objects of each
// type pass the closed schemas (which reject any field the schema does not know).
import { ownerStatusSchema, sandboxSpecSchema, topologySpecSchema } from '../../../src/api/schema/owners.js';
import { reapNodeReportSpecSchema, reapNodeReportStatusSchema } from '../../../src/api/schema/node-report.js';
import { reapPolicySpecSchema, reapPolicyStatusSchema } from '../../../src/api/schema/reappolicy.js';
import type { Schema } from '../../../src/api/schema-helpers.js';
import type {
  Condition,
  OwnerStatus,
  ReapNodeReportSpec,
  ReapNodeReportStatus,
  ReapPolicySpec,
  ReapPolicyStatus,
  SandboxSpec,
  TopologySpec,
} from '../../../src/api/types.js';
import { compileValidator } from '../../../src/api/validate-schema.js';
import { emptyCounts } from '../../../src/core/report.js';
import { DEFAULTED_SPEC } from '../../support/builders.js';
import type { ReapReport } from '../../../src/core/report-types.js';

const problems = (schema: Schema, value: unknown) => compileValidator(schema)(value, 'x').problems;

const condition: Condition = {
  type: 'Ready',
  status: 'True',
  observedGeneration: 2,
  lastTransitionTime: '2026-11-25T05:00:00Z',
  reason: 'Swept',
  message: 'clean',
};
const kindCounts = { ...emptyCounts(), scanned: 1, attributable: 1, orphaned: 1, reaped: 1 };
const report: ReapReport = {
  sweepId: 's-1',
  policy: 'default',
  node: 'n1',
  mode: 'Reap',
  startTime: '2026-11-25T05:00:00Z',
  finishTime: '2026-11-25T05:00:01Z',
  outcome: 'Blocked',
  liveOwners: 1,
  counts: { containers: kindCounts, networks: kindCounts, volumes: kindCounts, ipLeases: kindCounts },
  approvalId: 'b-0123',
  items: [{ kind: 'volumes', name: 'v', id: 'v', ownerKey: 'k', action: 'Skipped', reason: 'blocked' }],
  itemsOmitted: 0,
  errors: ['e'],
  errorsOmitted: 0,
};

test('a ReapPolicySpec with every field', () => {
  const spec: Required<ReapPolicySpec> = {
    mode: 'DryRun',
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: ['labs'], key: '.spec.labId' }],
    match: [{ label: 'reaper.dev/owner-uid' }, { nameRegex: '^lab_t_(?<key>[0-9a-f]{8})_', keyPrefixLength: 8 }],
    resources: {
      containers: { enabled: true, running: 'Skip', stopTimeoutSeconds: 30 },
      networks: { enabled: false },
      volumes: { enabled: true },
      ipLeases: { enabled: true, cniDir: '/var/lib/cni/networks', networks: ['lab'] },
    },
    timing: { minAge: '10m', gracePeriod: '2m', interval: '1m' },
    limits: { maxDeletionsPerSweep: 10, maxOrphanPercent: 20, concurrency: 2 },
    teardown: 'Finalizer',
  };
  expect(problems(reapPolicySpecSchema, spec)).toEqual([]);
});

test('the defaulted spec of an empty one has exactly the DefaultedReapPolicySpec fields', () => {
  const { value } = compileValidator(reapPolicySpecSchema)({}, 'spec');
  expect(value).toEqual(DEFAULTED_SPEC);
});

test('a ReapPolicyStatus with every field', () => {
  const status: Required<ReapPolicyStatus> = {
    observedGeneration: 2,
    conditions: [condition],
    lastSweepTime: '2026-11-25T05:00:01Z',
    summary: { orphans: 4, reaped: 4, failed: 0 },
    fleet: {
      nodes: 3,
      ready: 1,
      blocked: 1,
      degraded: 0,
      stale: 1,
      problems: [{ node: 'n2', reason: 'Blocked', message: 'approve with reaper.dev/approve-sweep=b-0123' }],
      problemsOmitted: 1,
    },
    lastReaps: [{ node: 'n1', finishTime: '2026-11-25T05:00:01Z', kind: 'containers', name: 'lab-r1', ownerKey: 'k' }],
    totals: { sweeps: 3, reaped: 9, failed: 1, blocked: 1 },
  };
  expect(problems(reapPolicyStatusSchema, status)).toEqual([]);
});

test('a ReapNodeReport spec and status with every field', () => {
  const spec: Required<ReapNodeReportSpec> = { policy: 'default', node: 'n1' };
  expect(problems(reapNodeReportSpecSchema, spec)).toEqual([]);
  const status: Required<ReapNodeReportStatus> = {
    observedGeneration: 2,
    lastHeartbeatTime: '2026-11-25T05:00:01Z',
    conditions: [condition],
    lastSweep: report,
    summary: { orphans: 4, reaped: 4, failed: 0 },
    totals: { sweeps: 3, reaped: 9, failed: 1, blocked: 1 },
    owners: [
      { key: 'k', containers: 2, networks: 1, volumes: 0, ipLeases: 2 },
      { key: 'ab12', keyPrefixLength: 4, containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
    ],
    ownersOmitted: 1,
    omittedCounts: { containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
    heldWaves: [
      {
        approvalId: 'b-0123456789ab',
        owners: 800,
        firstTime: '2026-11-25T05:00:00Z',
        lastTime: '2026-11-25T05:00:02Z',
        ownerKeys: ['k'],
      },
    ],
  };
  expect(problems(reapNodeReportStatusSchema, status)).toEqual([]);
});

test('owner specs and status with every field', () => {
  const topology: Required<TopologySpec> = {
    networks: [{ name: 'core', subnet: '10.10.0.0/24' }],
    nodes: [{ name: 'r1', image: 'busybox', networks: ['core'] }],
  };
  const sandbox: Required<SandboxSpec> = {
    image: 'busybox',
    command: ['sleep', '1d'],
    network: 'sandbox',
    ports: [{ containerPort: 8080, protocol: 'UDP' }],
  };
  const status: Required<OwnerStatus> = {
    observedGeneration: 1,
    conditions: [condition],
    resources: {
      containers: { expected: 2, found: 1 },
      networks: { expected: 1, found: 1 },
      volumes: { expected: 0, found: 0 },
      ipLeases: { expected: 2, found: 2 },
    },
    foundOnNodes: [{ node: 'n1', containers: 1, networks: 1, volumes: 0, ipLeases: 2 }],
    foundOnNodesOmitted: 0,
    lastReap: report,
  };
  expect(problems(topologySpecSchema, topology)).toEqual([]);
  expect(problems(sandboxSpecSchema, sandbox)).toEqual([]);
  expect(problems(ownerStatusSchema, status)).toEqual([]);
});

test.each([
  [{ networks: [{ name: 'a' }], nodes: [{ name: 'n', image: 'i', networks: ['b'] }] }, ['x.nodes']],
  [{ networks: [{ name: 'a', subnet: '10.0.0.0/33' }] }, ['x.networks[0].subnet']],
  [{ networks: [{ name: 'a', subnet: '10.0.0.256/24' }] }, ['x.networks[0].subnet']],
  [{ networks: [{ name: 'a', subnet: '010.0.0.0/24' }] }, ['x.networks[0].subnet']],
  [{ networks: [{ name: 'a' }, { name: 'a' }] }, ['x.networks[1]']],
  [
    {
      nodes: [
        { name: 'n', image: 'i' },
        { name: 'n', image: 'j' },
      ],
    },
    ['x.nodes[1]'],
  ],
  [{ nodes: [{ name: 'N', image: 'i' }] }, ['x.nodes[0].name']],
])('Topology %j is invalid at %j', (spec, paths) => {
  expect(problems(topologySpecSchema, spec).map((p) => p.path)).toEqual(paths);
});

test.each([
  [{}, ['x.image']],
  [{ image: 'i', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }] }, ['x.ports[1]']],
  [{ image: 'i', ports: [{ containerPort: 0 }] }, ['x.ports[0].containerPort']],
])('Sandbox %j is invalid at %j', (spec, paths) => {
  expect(problems(sandboxSpecSchema, spec).map((p) => p.path)).toEqual(paths);
});
