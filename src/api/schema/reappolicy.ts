// ReapPolicy (cluster-scoped): what is reaped and how (design §2).
import type { Schema } from '../schema-helpers.js';
import { LABEL_KEY_PATTERN, arr, bool, duration, int, obj, str } from '../schema-helpers.js';
import { conditionsSchema } from './conditions.js';
import { reapReportSchema } from './report.js';

export const MAX_NAME_REGEX_LENGTH = 512;

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
      str('A namespace name.', { maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
      { maxItems: 64, default: [] },
    ),
    key: str(
      'How an owner object becomes its owner key: uid (metadata.uid, the default), name (namespace/name), or a field path such as .spec.labId.',
      { default: 'uid', maxLength: 256, pattern: '^(uid|name|(\\.[A-Za-z_][A-Za-z0-9_-]*)+)$' },
    ),
  },
  { required: ['apiVersion', 'kind'] },
);

const matchRule = obj(
  'A rule that extracts an owner key from a runtime resource. Exactly one of label or nameRegex.',
  {
    label: str('The label whose value is the owner key, e.g. reaper.dev/owner-uid.', {
      maxLength: 317,
      pattern: LABEL_KEY_PATTERN,
    }),
    nameRegex: str(
      'An RE2 regular expression applied to the resource name, with a named group "key" holding the owner key, e.g. ^lab_t_(?<key>[0-9a-f]{8})_.',
      { maxLength: MAX_NAME_REGEX_LENGTH, minLength: 1 },
    ),
    keyPrefixLength: int(
      'With nameRegex: the extracted key is compared with this many leading characters of each owner key.',
      { minimum: 1, maximum: 253 },
    ),
  },
  {
    'x-kubernetes-validations': [
      { rule: 'has(self.label) != has(self.nameRegex)', message: 'exactly one of label or nameRegex must be set' },
      { rule: '!has(self.keyPrefixLength) || has(self.nameRegex)', message: 'keyPrefixLength goes with nameRegex' },
    ],
  },
);

const enabled = (kind: string, defaultValue: boolean) =>
  bool(`Whether this policy reaps ${kind}.`, { default: defaultValue });

export const reapPolicySpecSchema: Schema = obj('What is reaped and how.', {
  mode: str('Reap removes orphans; DryRun reports what it would remove and removes nothing.', {
    enum: ['Reap', 'DryRun'],
    default: 'Reap',
  }),
  owners: arr('The owner kinds whose live objects protect runtime resources.', ownerKind, {
    minItems: 1,
    maxItems: 16,
    default: [
      { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: 'uid' },
      { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox', namespaces: [], key: 'uid' },
    ],
  }),
  match: arr('How runtime resources are attributed to owners; the first rule that extracts a key wins.', matchRule, {
    minItems: 1,
    maxItems: 16,
    default: [{ label: 'reaper.dev/owner-uid' }],
  }),
  resources: obj(
    'Which runtime resources are reaped, and how.',
    {
      containers: obj(
        'Docker containers.',
        {
          enabled: enabled('containers', true),
          running: str('Stop a running orphan gracefully then remove it, or Skip it.', {
            enum: ['Stop', 'Skip'],
            default: 'Stop',
          }),
          stopTimeoutSeconds: int('Seconds between SIGTERM and SIGKILL when stopping.', {
            minimum: 0,
            maximum: 600,
            default: 10,
          }),
        },
        { default: {} },
      ),
      networks: obj(
        'Docker networks (never the predefined ones, never one in use).',
        { enabled: enabled('networks', true) },
        { default: {} },
      ),
      volumes: obj('Docker volumes that carry labels.', { enabled: enabled('volumes', true) }, { default: {} }),
      ipLeases: obj(
        'IP leases of the CNI host-local plugin.',
        {
          enabled: enabled('IP leases', false),
          cniDir: str("host-local's dataDir.", {
            default: '/var/lib/cni/networks',
            maxLength: 4096,
            pattern: '^/',
          }),
          networks: arr(
            'CNI networks this policy manages: a lease whose container is gone is reaped only in these.',
            str('A CNI network name.', { maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
            { maxItems: 256, default: [] },
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
      minAge: duration('Resources younger than this are never reaped.', '5m'),
      gracePeriod: duration('How long a resource must be seen orphaned, continuously, before it is reaped.', '1m'),
      interval: duration('Time between periodic sweeps.', '5m'),
    },
    { default: {} },
  ),
  limits: obj(
    'Guards on the blast radius of one sweep.',
    {
      maxDeletionsPerSweep: int('At most this many removals per sweep; the oldest orphans go first.', {
        minimum: 1,
        maximum: 100000,
        default: 500,
      }),
      maxOrphanPercent: int(
        'If more than this percentage of attributable resources are orphans, the sweep is blocked until approved.',
        { minimum: 1, maximum: 100, default: 50 },
      ),
      concurrency: int('Removals in flight at once.', { minimum: 1, maximum: 64, default: 8 }),
    },
    { default: {} },
  ),
  teardown: str(
    'Sweep: orphans are found by periodic sweeps. Finalizer: owners also get a finalizer and their resources are reaped when they are deleted.',
    { enum: ['Sweep', 'Finalizer'], default: 'Sweep' },
  ),
});

const totals = obj('Cumulative counts over all sweeps of this policy.', {
  sweeps: int('Sweeps run.', { minimum: 0 }),
  reaped: int('Resources reaped.', { minimum: 0 }),
  failed: int('Removals that failed.', { minimum: 0 }),
  blocked: int('Sweeps blocked by the blast-radius guard.', { minimum: 0 }),
});

export const reapPolicyStatusSchema: Schema = obj('What reaper observed and did; written by reaper only.', {
  observedGeneration: int('The metadata.generation the status reflects.', { minimum: 0 }),
  conditions: conditionsSchema,
  lastSweep: reapReportSchema('The report of the most recent sweep by any agent.'),
  summary: obj('Totals of the most recent sweep across resource kinds, for kubectl get.', {
    orphans: int('Orphaned resources seen.', { minimum: 0 }),
    reaped: int('Resources reaped.', { minimum: 0 }),
    failed: int('Removals that failed.', { minimum: 0 }),
  }),
  nodes: arr(
    'One entry per agent (node); each agent applies only its own entry.',
    obj(
      "One agent's view.",
      {
        node: str('The node name of the agent.', { maxLength: 253 }),
        lastSweep: reapReportSchema("The agent's most recent sweep."),
        conditions: conditionsSchema,
      },
      { required: ['node'] },
    ),
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['node'], maxItems: 5000 },
  ),
  totals,
});
