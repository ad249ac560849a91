// The ReapReport (src/core/report-types.ts) as it appears in status (a node's ReapNodeReport, an
// owner's lastReap). Lists are capped and so is every string, so a status write can never fail on
// size; src/status/report.ts fits a report into these bounds.
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP, REPORT_KINDS } from '../../core/report-types.js';
import type { Schema } from '../schema-helpers.js';
import { arr, int, obj, str, time } from '../schema-helpers.js';

/** Longest strings status accepts; longer ones are cut by fitReportToStatus. */
export const REPORT_STRING_LIMITS = {
  sweepId: 128,
  policy: 253,
  node: 253,
  approvalId: 64,
  itemName: 1024,
  itemId: 1024,
  /** namespace/name keys reach 63 + 1 + 253. */
  ownerKey: 512,
  reason: 2048,
  error: 2048,
} as const;

const L = REPORT_STRING_LIMITS;
const count = (description: string) => int(description, { minimum: 0 });
const KINDS = [...REPORT_KINDS];
const COUNT_FIELDS = ['scanned', 'attributable', 'orphaned', 'pending', 'reaped', 'failed', 'skipped'];

const kindCountsSchema = (kind: string): Schema =>
  obj(
    `Counts for ${kind} in this sweep.`,
    {
      scanned: count('Listed from the runtime.'),
      attributable: count("A match rule extracted an owner key inside the policy's scope."),
      outOfScope: count(
        "A match rule extracted a key that could name an owner outside the policy's scope (another kind or namespace, or one another policy reads differently): never touched.",
      ),
      orphaned: count('Attributable, not protected, and no live owner.'),
      pending: count('Orphaned but younger than minAge or still inside gracePeriod.'),
      reaped: count('Removed in this sweep (already gone counts as removed).'),
      failed: count('Removal attempted and failed.'),
      skipped: count('Orphaned and not removed by choice: dry run, Skip, in use, over the limit, blocked.'),
    },
    { required: COUNT_FIELDS },
  );

const countsSchema = obj(
  'Counts per resource kind; never capped.',
  {
    containers: kindCountsSchema('containers'),
    networks: kindCountsSchema('networks'),
    volumes: kindCountsSchema('volumes'),
    ipLeases: kindCountsSchema('IP leases'),
  },
  { required: KINDS },
);

/** The fields a report and its summary share. */
const sweepFields = {
  sweepId: str('Unique id of the sweep.', { maxLength: L.sweepId }),
  mode: str('Reap or DryRun.', { enum: ['Reap', 'DryRun'] }),
  startTime: time('When the sweep started.'),
  finishTime: time('When the sweep finished.'),
  outcome: str(
    'Completed (everything selected was reaped), PartiallyFailed (some removals failed), Blocked (the blast-radius guard stopped the sweep) or FailedClosed (owners or runtime not fully visible; nothing reaped).',
    { enum: ['Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'] },
  ),
  liveOwners: count('Live owners seen by the sweep.'),
  approvalId: str(
    'Set when the blast-radius guard blocked the sweep: annotate the policy with reaper.dev/approve-sweep=<approvalId> to release exactly this set.',
    { maxLength: L.approvalId },
  ),
  counts: countsSchema,
};
const SWEEP_REQUIRED = ['sweepId', 'mode', 'startTime', 'finishTime', 'outcome', 'liveOwners', 'counts'];

const itemSchema = obj(
  'One resource.',
  {
    kind: str('containers, networks, volumes or ipLeases.', { enum: KINDS }),
    name: str('Name in the runtime.', { maxLength: L.itemName }),
    id: str('Id in the runtime.', { maxLength: L.itemId }),
    ownerKey: str('The owner key a match rule extracted.', { maxLength: L.ownerKey }),
    action: str('Reaped, WouldReap, Failed, Skipped, Pending or OutOfScope.', {
      enum: ['Reaped', 'WouldReap', 'Failed', 'Skipped', 'Pending', 'OutOfScope'],
    }),
    reason: str('Why.', { maxLength: L.reason }),
  },
  { required: ['kind', 'name', 'id', 'action', 'reason'] },
);

export const reapReportSchema = (description: string): Schema =>
  obj(
    description,
    {
      ...sweepFields,
      policy: str('The ReapPolicy that ran the sweep.', { maxLength: L.policy }),
      node: str('The node (agent) that ran the sweep.', { maxLength: L.node }),
      items: arr(`What the sweep did or refused to do, most important first; at most ${REPORT_ITEM_CAP}.`, itemSchema, {
        maxItems: REPORT_ITEM_CAP,
      }),
      itemsOmitted: count('How many items did not fit in items.'),
      errors: arr(`Errors of the sweep; at most ${REPORT_ERROR_CAP}.`, str('One error.', { maxLength: L.error }), {
        maxItems: REPORT_ERROR_CAP,
      }),
      errorsOmitted: count('How many errors did not fit in errors.'),
    },
    { required: [...SWEEP_REQUIRED, 'policy', 'node', 'items', 'itemsOmitted', 'errors', 'errorsOmitted'] },
  );
