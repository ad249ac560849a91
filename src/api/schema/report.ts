// The ReapReport (src/core/report-types.ts) as it appears in status.
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP } from '../../core/report-types.js';
import type { Schema } from '../schema-helpers.js';
import { arr, int, obj, str } from '../schema-helpers.js';

const count = (description: string) => int(description, { minimum: 0 });

export const kindCountsSchema = (kind: string): Schema =>
  obj(`Counts for ${kind} in this sweep.`, {
    scanned: count('Listed from the runtime.'),
    attributable: count('A match rule extracted an owner key.'),
    orphaned: count('Attributable, not protected, and no live owner.'),
    pending: count('Orphaned but younger than minAge or still inside gracePeriod.'),
    reaped: count('Removed in this sweep (already gone counts as removed).'),
    failed: count('Removal attempted and failed.'),
    skipped: count('Orphaned and not removed by choice: dry run, Skip, in use, over the limit, blocked.'),
  });

export const reapReportSchema = (description: string): Schema =>
  obj(description, {
    sweepId: str('Unique id of the sweep.', { maxLength: 128 }),
    policy: str('The ReapPolicy that ran the sweep.', { maxLength: 253 }),
    node: str('The node (agent) that ran the sweep.', { maxLength: 253 }),
    mode: str('Reap or DryRun.', { enum: ['Reap', 'DryRun'] }),
    startTime: str('When the sweep started.', { format: 'date-time' }),
    finishTime: str('When the sweep finished.', { format: 'date-time' }),
    outcome: str('Completed, PartiallyFailed, Blocked or FailedClosed.', {
      enum: ['Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'],
    }),
    liveOwners: count('Live owners seen by the sweep.'),
    approvalId: str(
      'Set when the blast-radius guard blocked the sweep: annotate the policy with reaper.dev/approve-sweep=<approvalId> to release exactly this set.',
      { maxLength: 64 },
    ),
    counts: obj('Counts per resource kind; never capped.', {
      containers: kindCountsSchema('containers'),
      networks: kindCountsSchema('networks'),
      volumes: kindCountsSchema('volumes'),
      ipLeases: kindCountsSchema('IP leases'),
    }),
    items: arr(
      `What the sweep did or refused to do, most important first; at most ${REPORT_ITEM_CAP}.`,
      obj('One resource.', {
        kind: str('containers, networks, volumes or ipLeases.', {
          enum: ['containers', 'networks', 'volumes', 'ipLeases'],
        }),
        name: str('Name in the runtime.', { maxLength: 1024 }),
        id: str('Id in the runtime.', { maxLength: 1024 }),
        ownerKey: str('The owner key a match rule extracted.', { maxLength: 253 }),
        action: str('Reaped, WouldReap, Failed, Skipped or Pending.', {
          enum: ['Reaped', 'WouldReap', 'Failed', 'Skipped', 'Pending'],
        }),
        reason: str('Why.', { maxLength: 2048 }),
      }),
      { maxItems: REPORT_ITEM_CAP },
    ),
    itemsOmitted: count('How many items did not fit in items.'),
    errors: arr(`Errors of the sweep; at most ${REPORT_ERROR_CAP}.`, str('One error.', { maxLength: 2048 }), {
      maxItems: REPORT_ERROR_CAP,
    }),
    errorsOmitted: count('How many errors did not fit in errors.'),
  });
