// The CustomResourceDefinitions of group reaper.dev, built from the schemas in ./schema. crds/*.yaml
// are generated from these (npm run gen:crds) and a test keeps them identical.
import type { CelRule, Schema } from './schema-helpers.js';
import { RULES_KEY, obj, str } from './schema-helpers.js';
import { ownerStatusSchema, sandboxSpecSchema, topologySpecSchema } from './schema/owners.js';
import { reapNodeReportSpecSchema, reapNodeReportStatusSchema } from './schema/node-report.js';
import { reapPolicySpecSchema, reapPolicyStatusSchema } from './schema/reappolicy.js';

export const GROUP = 'reaper.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

interface CrdInput {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: Schema;
  status: Schema;
  columns: { name: string; type: string; jsonPath: string; description: string; priority?: number }[];
}

/** The schema as the API server takes it: CEL rules without their TypeScript twins. */
export function toCrdSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === RULES_KEY) {
      out[key] = (value as CelRule[]).map(({ rule, message, fieldPath }) => ({ rule, message, fieldPath }));
    } else if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, toCrdSchema(child)]),
      );
    } else if (key === 'items') {
      out[key] = toCrdSchema(value as Schema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function crd(input: CrdInput) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: input.scope,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        shortNames: input.shortNames,
        categories: ['reaper'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...input.columns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the object.' },
          ],
          schema: {
            openAPIV3Schema: toCrdSchema(
              obj(input.description, {
                apiVersion: str('APIVersion of this object.'),
                kind: str('Kind of this object.'),
                metadata: { type: 'object' },
                spec: input.spec,
                status: input.status,
              }),
            ),
          },
        },
      ],
    },
  };
}

const ownerColumns = [
  {
    name: 'Containers',
    type: 'integer',
    jsonPath: '.status.resources.containers.found',
    description: 'Containers reaper sees for this owner.',
  },
  {
    name: 'Networks',
    type: 'integer',
    jsonPath: '.status.resources.networks.found',
    description: 'Networks reaper sees for this owner.',
  },
  {
    name: 'Leases',
    type: 'integer',
    jsonPath: '.status.resources.ipLeases.found',
    description: 'IP leases reaper sees for this owner.',
  },
];

export const reapPolicyCrd = crd({
  kind: 'ReapPolicy',
  plural: 'reappolicies',
  shortNames: ['rp', 'reap'],
  scope: 'Cluster',
  description:
    'ReapPolicy tells reaper which runtime resources belong to which Kubernetes owners, and how to reap orphans.',
  spec: { ...reapPolicySpecSchema, default: {} },
  status: reapPolicyStatusSchema,
  columns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Reap or DryRun.' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether every live node swept the current generation cleanly.',
    },
    {
      name: 'Nodes',
      type: 'integer',
      jsonPath: '.status.fleet.nodes',
      description: 'Nodes whose agents report on this policy.',
    },
    {
      name: 'Last Sweep',
      type: 'date',
      jsonPath: '.status.lastSweepTime',
      description: 'When the most recent sweep of any node finished.',
    },
    {
      name: 'Orphans',
      type: 'integer',
      jsonPath: '.status.summary.orphans',
      description: "Orphans seen by the nodes' last sweeps.",
    },
    {
      name: 'Reaped',
      type: 'integer',
      jsonPath: '.status.summary.reaped',
      description: "Reaped by the nodes' last sweeps.",
    },
    {
      name: 'Failed',
      type: 'integer',
      jsonPath: '.status.summary.failed',
      description: "Failed in the nodes' last sweeps.",
    },
    {
      name: 'Blocked',
      type: 'integer',
      jsonPath: '.status.fleet.blocked',
      description: 'Nodes whose last sweep the blast-radius guard blocked.',
      priority: 1,
    },
    {
      name: 'Stale',
      type: 'integer',
      jsonPath: '.status.fleet.stale',
      description: 'Nodes whose agent stopped reporting.',
      priority: 1,
    },
  ],
});

export const topologyCrd = crd({
  kind: 'Topology',
  plural: 'topologies',
  shortNames: ['topo'],
  scope: 'Namespaced',
  description: 'Topology is a lab of nodes (containers) on networks that a platform materializes in Docker.',
  spec: topologySpecSchema,
  status: ownerStatusSchema,
  columns: ownerColumns,
});

export const sandboxCrd = crd({
  kind: 'Sandbox',
  plural: 'sandboxes',
  shortNames: ['sbx'],
  scope: 'Namespaced',
  description: 'Sandbox is one isolated container with an IP lease.',
  spec: sandboxSpecSchema,
  status: ownerStatusSchema,
  columns: ownerColumns,
});

export const reapNodeReportCrd = crd({
  kind: 'ReapNodeReport',
  plural: 'reapnodereports',
  shortNames: ['rnr'],
  scope: 'Cluster',
  description:
    "ReapNodeReport is one agent's state for one ReapPolicy: its last sweep, conditions, totals and what each owner holds on its node. The agent writes it; it goes with its Node.",
  spec: reapNodeReportSpecSchema,
  status: reapNodeReportStatusSchema,
  columns: [
    { name: 'Policy', type: 'string', jsonPath: '.spec.policy', description: 'The ReapPolicy.' },
    { name: 'Node', type: 'string', jsonPath: '.spec.node', description: 'The node.' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: "Whether this node's last sweep of the current generation was clean.",
    },
    {
      name: 'Last Sweep',
      type: 'date',
      jsonPath: '.status.lastSweep.finishTime',
      description: "When this node's most recent sweep finished.",
    },
    {
      name: 'Orphans',
      type: 'integer',
      jsonPath: '.status.summary.orphans',
      description: 'Orphans seen by the last sweep.',
    },
    { name: 'Reaped', type: 'integer', jsonPath: '.status.summary.reaped', description: 'Reaped by the last sweep.' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.summary.failed', description: 'Failed in the last sweep.' },
    {
      name: 'Outcome',
      type: 'string',
      jsonPath: '.status.lastSweep.outcome',
      description: 'Completed, PartiallyFailed, Blocked or FailedClosed.',
      priority: 1,
    },
    {
      name: 'Heartbeat',
      type: 'date',
      jsonPath: '.status.lastHeartbeatTime',
      description: 'When the agent last wrote this report.',
      priority: 1,
    },
  ],
});

export const ALL_CRDS = [reapPolicyCrd, topologyCrd, sandboxCrd, reapNodeReportCrd] as const;
