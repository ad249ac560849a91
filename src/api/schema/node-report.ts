// ReapNodeReport (cluster-scoped): one agent's state for one policy, one object per (policy, node)
// (design §2, §4). Each agent writes only its own objects, so no object is written by every agent;
// the fleet summary in the ReapPolicy's status is computed from these by one writer.
import { REPORT_KINDS } from '../../core/report-types.js';
import type { Schema } from '../schema-helpers.js';
import { RULES_KEY, arr, cel, int, obj, str, time } from '../schema-helpers.js';
import { conditionsSchema } from './conditions.js';
import { REPORT_STRING_LIMITS, reapReportSchema } from './report.js';

/**
 * Owner keys one report lists with their counts; the rest are summed in ownersOmitted and
 * omittedCounts. 500 entries of about 120 bytes keep a report near 60 KB.
 */
export const MAX_REPORT_OWNERS = 500;

/** Waves one report keeps, and owner keys per wave: this node's orphans of it. */
export const MAX_HELD_WAVES = 10;
export const MAX_HELD_WAVE_KEYS = 200;

const count = (description: string) => int(description, { minimum: 0 });
const immutable = cel('self == oldSelf', 'is immutable', () => true);

export const resourceCountsFields = {
  containers: count('Containers.'),
  networks: count('Networks.'),
  volumes: count('Volumes.'),
  ipLeases: count('IP leases.'),
};

export const reapNodeReportSpecSchema: Schema = obj(
  'Whose report this is: set when the agent creates it, never changed.',
  {
    policy: str('The ReapPolicy this report is about.', { maxLength: 253, [RULES_KEY]: [immutable] }),
    node: str('The node whose agent writes this report.', { maxLength: 253, [RULES_KEY]: [immutable] }),
  },
  { required: ['policy', 'node'] },
);

const ownerCounts = obj(
  'What one owner key claims on this node.',
  {
    key: str('The owner key a match rule extracts (a uid, namespace/name, or a field value).', {
      maxLength: REPORT_STRING_LIMITS.ownerKey,
    }),
    keyPrefixLength: int(
      'Set when the key is a prefix taken by a name rule with keyPrefixLength: it stands for every owner key that starts with it.',
      { minimum: 1, maximum: 253 },
    ),
    ...resourceCountsFields,
  },
  { required: ['key', ...REPORT_KINDS] },
);

export const reapNodeReportStatusSchema: Schema = obj('What the agent saw and did; written by that agent only.', {
  observedGeneration: count('The ReapPolicy metadata.generation the last sweep ran with.'),
  lastHeartbeatTime: time(
    'When the agent last wrote this report. It writes on change, and otherwise at a slow jittered heartbeat; a stale one belongs to an agent that is gone.',
  ),
  conditions: conditionsSchema,
  lastSweep: reapReportSchema("The report of this node's most recent sweep of the policy."),
  summary: obj('Totals of the most recent sweep across resource kinds, for kubectl get.', {
    orphans: count('Orphaned resources seen.'),
    reaped: count('Resources reaped.'),
    failed: count('Removals that failed.'),
  }),
  totals: obj('Cumulative counts over the sweeps of this policy on this node since the agent started.', {
    sweeps: count('Sweeps run.'),
    reaped: count('Resources reaped.'),
    failed: count('Removals that failed.'),
    blocked: count('Sweeps blocked by the blast-radius guard.'),
  }),
  owners: arr(
    `Runtime resources on this node per owner key inside the policy's scope, keys of live owners first; at most ${MAX_REPORT_OWNERS}.`,
    ownerCounts,
    { maxItems: MAX_REPORT_OWNERS },
  ),
  ownersOmitted: count('How many owner keys did not fit in owners.'),
  omittedCounts: obj('The resources of the owner keys that did not fit in owners, summed.', resourceCountsFields),
  heldWaves: arr(
    'Waves of owner deletions this agent holds for the blast-radius guard, kept here so a restarted agent holds them still, under the same approval id.',
    obj(
      'One wave.',
      {
        approvalId: str('The value of reaper.dev/approve-sweep that releases the wave, the same on every node.', {
          maxLength: 64,
        }),
        owners: count('Owners deleted in the wave, cluster-wide.'),
        firstTime: time('The first deletion of the wave.'),
        lastTime: time('The last deletion of the wave.'),
        ownerKeys: arr(
          `Keys of the wave's owners this node still holds orphans of; at most ${MAX_HELD_WAVE_KEYS}.`,
          str('An owner key.', { maxLength: 253 }),
          { maxItems: MAX_HELD_WAVE_KEYS },
        ),
      },
      { required: ['approvalId', 'owners', 'firstTime', 'lastTime', 'ownerKeys'] },
    ),
    { maxItems: MAX_HELD_WAVES },
  ),
});
