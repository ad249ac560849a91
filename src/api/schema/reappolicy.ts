// ReapPolicy (cluster-scoped): what is reaped and how (design §2). Every rule the API server checks
// is here once: OpenAPI keywords, list types, and CEL rules with their TypeScript twins.
import { RE2JS } from 're2js';
import { REPORT_KINDS } from '../../core/report-types.js';
import { durationSchema } from '../duration.js';
import type { Schema } from '../schema-helpers.js';
import {
  DNS_LABEL_PATTERN,
  LABEL_KEY_PATTERN,
  RULES_KEY,
  arr,
  bool,
  cel,
  int,
  isRecord,
  isString,
  mapList,
  obj,
  setList,
  str,
  time,
} from '../schema-helpers.js';
import { conditionsSchema } from './conditions.js';

export const MAX_NAME_REGEX_LENGTH = 512;
export const MAX_OWNER_KINDS = 16;
export const MAX_MATCH_RULES = 16;
/** Nodes named in status.fleet.problems; the count of the rest is in problemsOmitted. */
export const MAX_FLEET_PROBLEMS = 5;
/** Reaped resources listed in status.lastReaps. */
export const MAX_LAST_REAPS = 10;

const ownerKind = obj(
  'A kind of Kubernetes object whose live instances own runtime resources.',
  {
    apiVersion: str('API version of the owner kind, e.g. reaper.dev/v1alpha1.', {
      maxLength: 253,
      pattern: '^([a-z0-9.-]+/)?v[0-9]+((alpha|beta)[0-9]+)?$',
    }),
    kind: str('Kind of the owner, e.g. Topology.', { maxLength: 63, pattern: '^[A-Z][A-Za-z0-9]*$' }),
    namespaces: arr(
      'Namespaces to watch for owners; empty means all namespaces.',
      str('A namespace name.', { maxLength: 63, pattern: DNS_LABEL_PATTERN }),
      { maxItems: 64, default: [], ...setList },
    ),
    key: str(
      "How an owner object becomes its owner key: uid (metadata.uid, so a re-created owner does not adopt its predecessor's resources), name (namespace/name), or a field path such as .spec.labId.",
      { default: 'uid', maxLength: 256, pattern: '^(uid|name|(\\.[A-Za-z_][A-Za-z0-9_-]*)+)$' },
    ),
  },
  { required: ['apiVersion', 'kind'] },
);

const has = (self: unknown, field: string) => isRecord(self) && self[field] !== undefined;

function compileRe2(source: string): RE2JS | string {
  try {
    return RE2JS.compile(source);
  } catch (err) {
    return (err as Error).message;
  }
}

const nameRegex = str(
  'An RE2 regular expression (linear time: no backreferences or lookaround) applied to the resource name, with a named group "key" holding the owner key, e.g. ^lab_t_(?<key>[0-9a-f]{8})_.',
  {
    minLength: 1,
    maxLength: MAX_NAME_REGEX_LENGTH,
    [RULES_KEY]: [
      // matches() compiles its argument with Go's regexp (RE2 syntax) and fails on a bad pattern,
      // so the rule holds exactly when the pattern compiles.
      cel("type(''.matches(self)) == bool", 'must be an RE2 regular expression', (self) => {
        if (!isString(self)) return true;
        const compiled = compileRe2(self);
        return typeof compiled === 'string' ? compiled : true;
      }),
      cel(
        "self.contains('(?P<key>') || self.contains('(?<key>')",
        'needs a named group "key", e.g. (?<key>[0-9a-f]{8})',
        (self) => !isString(self) || self.includes('(?P<key>') || self.includes('(?<key>'),
      ),
    ],
  },
);

const matchRule = obj(
  'A rule that extracts an owner key from a runtime resource. Exactly one of label or nameRegex.',
  {
    label: str('The label whose value is the owner key, e.g. reaper.dev/owner-uid.', {
      maxLength: 317,
      pattern: LABEL_KEY_PATTERN,
    }),
    nameRegex,
    keyPrefixLength: int(
      'With nameRegex, for names that carry only a prefix of the owner key: the extracted key is compared with this many leading characters of each live owner key.',
      { minimum: 1, maximum: 253 },
    ),
  },
  {
    [RULES_KEY]: [
      cel(
        'has(self.label) != has(self.nameRegex)',
        'exactly one of label or nameRegex must be set',
        (self) => has(self, 'label') !== has(self, 'nameRegex'),
      ),
      cel(
        '!has(self.keyPrefixLength) || has(self.nameRegex)',
        'keyPrefixLength goes with nameRegex',
        (self) => !has(self, 'keyPrefixLength') || has(self, 'nameRegex'),
      ),
    ],
  },
);

const enabled = (kind: string, defaultValue: boolean) =>
  bool(`Whether this policy reaps ${kind}.`, { default: defaultValue });

export const DEFAULT_OWNERS = [
  { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: 'uid' },
  { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox', namespaces: [], key: 'uid' },
];

export const reapPolicySpecSchema: Schema = obj('What is reaped and how.', {
  mode: str('Reap removes orphans; DryRun reports what it would remove and removes nothing.', {
    enum: ['Reap', 'DryRun'],
    default: 'Reap',
  }),
  owners: arr(
    'The owner kinds whose live objects protect runtime resources; one entry per kind. Default: Topology and Sandbox of reaper.dev/v1alpha1, keyed by uid.',
    ownerKind,
    {
      minItems: 1,
      maxItems: MAX_OWNER_KINDS,
      default: DEFAULT_OWNERS,
      ...mapList('apiVersion', 'kind'),
    },
  ),
  match: arr(
    'How runtime resources are attributed to owners; the first rule that extracts a key wins. Default: the label reaper.dev/owner-uid.',
    matchRule,
    {
      minItems: 1,
      maxItems: MAX_MATCH_RULES,
      default: [{ label: 'reaper.dev/owner-uid' }],
    },
  ),
  resources: obj(
    'Which runtime resources are reaped, and how. Containers, networks and volumes are reaped unless disabled; IP leases only when enabled.',
    {
      containers: obj(
        'Docker containers (removed with their anonymous volumes).',
        {
          enabled: enabled('containers', true),
          running: str('Stop a running orphan gracefully then remove it, or Skip it.', {
            enum: ['Stop', 'Skip'],
            default: 'Stop',
          }),
          stopTimeoutSeconds: int('Seconds between SIGTERM and SIGKILL when stopping, 0 to 600.', {
            minimum: 0,
            maximum: 600,
            default: 10,
          }),
        },
        { default: {} },
      ),
      networks: obj(
        'Docker networks (never the predefined ones, never one a container still uses).',
        { enabled: enabled('networks', true) },
        { default: {} },
      ),
      volumes: obj('Docker volumes that carry labels.', { enabled: enabled('volumes', true) }, { default: {} }),
      ipLeases: obj(
        'IP leases of the CNI host-local plugin. Off by default: the lease store is host state reaper must be pointed at.',
        {
          enabled: enabled('IP leases', false),
          cniDir: str("host-local's dataDir, an absolute path.", {
            default: '/var/lib/cni/networks',
            maxLength: 4096,
            pattern: '^/',
          }),
          networks: arr(
            'CNI networks this policy manages: a lease whose container is gone is reaped only in these.',
            str('A CNI network name.', { maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
            { maxItems: 256, default: [], ...setList },
          ),
        },
        { default: {} },
      ),
    },
    { default: {} },
  ),
  timing: obj(
    'When an orphan may go.',
    {
      minAge: durationSchema('Resources younger than this are never reaped.', '5m'),
      gracePeriod: durationSchema(
        'How long a resource must be seen orphaned, continuously, before it is reaped.',
        '1m',
      ),
      interval: durationSchema('Time between periodic sweeps.', '5m', '1s'),
    },
    { default: {} },
  ),
  limits: obj(
    'Guards on the blast radius of one sweep.',
    {
      maxDeletionsPerSweep: int('At most this many removals per sweep (1 to 100000); the oldest orphans go first.', {
        minimum: 1,
        maximum: 100000,
        default: 500,
      }),
      maxOrphanPercent: int(
        'A sweep is blocked until approved when the owners it would reap were deleted at once (a wave seen cluster-wide, or, when none is known, the owners of its own orphans) and are more than this percentage (1 to 100) of those owners and the live ones together.',
        { minimum: 1, maximum: 100, default: 50 },
      ),
      minOwnersToBlock: int(
        'Fewer owners gone than this (1 to 100000) never block a sweep, whatever their share: a lab of one or two owners can always be torn down.',
        { minimum: 1, maximum: 100000, default: 10 },
      ),
      massDeletionWindow: durationSchema(
        'Owner deletions this close together count as one mass deletion; owners deleted further apart, one at a time, never block.',
        '10s',
      ),
      concurrency: int('Removals in flight at once, 1 to 64.', { minimum: 1, maximum: 64, default: 8 }),
    },
    { default: {} },
  ),
  teardown: str(
    'Sweep: orphans are found by periodic sweeps. Finalizer: owners also get a finalizer and their resources are reaped when they are deleted.',
    { enum: ['Sweep', 'Finalizer'], default: 'Sweep' },
  ),
});

const nonNegative = (description: string) => int(description, { minimum: 0 });

const fleetProblem = obj(
  'A node whose agent is not Ready for this policy, and why.',
  {
    node: str('The node name.', { maxLength: 253 }),
    reason: str('Blocked, Degraded, Stale, RemovalsFailed, OldGeneration or NotSwept.', {
      enum: ['Blocked', 'Degraded', 'Stale', 'RemovalsFailed', 'OldGeneration', 'NotSwept'],
    }),
    message: str('What its report says.', { maxLength: 1024 }),
  },
  { required: ['node', 'reason', 'message'] },
);

const lastReap = obj(
  'One resource a node reaped.',
  {
    node: str('The node that reaped it.', { maxLength: 253 }),
    finishTime: time('When that sweep finished.'),
    kind: str('containers, networks, volumes or ipLeases.', { enum: [...REPORT_KINDS] }),
    name: str('Name in the runtime.', { maxLength: 1024 }),
    ownerKey: str('The owner key a match rule extracted.', { maxLength: 512 }),
  },
  { required: ['node', 'finishTime', 'kind', 'name'] },
);

// The API server fills in observedGeneration 0 until an agent writes status, so kstatus (Flux, kpt)
// reads a new policy as InProgress rather than Current; see docs/gitops.md.
export const reapPolicyStatusSchema: Schema = obj(
  'What reaper observed and did; written by reaper only.',
  {
    observedGeneration: nonNegative('The metadata.generation the status reflects.'),
    conditions: conditionsSchema,
    lastSweepTime: time("When the most recent sweep of any node finished (each node's report is its ReapNodeReport)."),
    summary: obj(
      "Totals of each live node's most recent sweep, summed across nodes and resource kinds, for kubectl get.",
      {
        orphans: nonNegative('Orphaned resources seen.'),
        reaped: nonNegative('Resources reaped.'),
        failed: nonNegative('Removals that failed.'),
      },
    ),
    fleet: obj('The nodes whose agents report on this policy (one ReapNodeReport each).', {
      nodes: nonNegative('Nodes with a report, stale ones included.'),
      ready: nonNegative('Nodes whose last sweep of the current generation was clean.'),
      blocked: nonNegative('Nodes whose last sweep the blast-radius guard blocked.'),
      degraded: nonNegative('Nodes whose agent could not see all owners or its runtime.'),
      stale: nonNegative('Nodes whose agent has not written its report for several heartbeats.'),
      problems: arr(
        `Nodes that are not Ready, blocked and degraded first; at most ${MAX_FLEET_PROBLEMS}.`,
        fleetProblem,
        { maxItems: MAX_FLEET_PROBLEMS },
      ),
      problemsOmitted: nonNegative('How many nodes that are not Ready did not fit in problems.'),
    }),
    lastReaps: arr(
      `The resources most recently reaped across nodes, newest first; at most ${MAX_LAST_REAPS}.`,
      lastReap,
      {
        maxItems: MAX_LAST_REAPS,
      },
    ),
    totals: obj("Cumulative counts over the sweeps of this policy, summed over the nodes' reports.", {
      sweeps: nonNegative('Sweeps run.'),
      reaped: nonNegative('Resources reaped.'),
      failed: nonNegative('Removals that failed.'),
      blocked: nonNegative('Sweeps blocked by the blast-radius guard.'),
    }),
  },
  { default: { observedGeneration: 0 } },
);
