// The conditions one node's sweep implies (its ReapNodeReport's), cumulative totals, and what a
// ReapPolicy's status says when its spec is invalid. Pure: the previous status and the clock come
// in. The fleet summary (fleet-summary.ts) reads the nodes' conditions into the policy's.
//
// Conditions (design §2):
// - Ready: True after a clean sweep (Completed) of the current generation;
// - Blocked: True while the blast-radius guard holds the sweep; the message names the approval id;
// - Degraded: True while the agent is blind (owners or runtime not fully visible) or the spec is invalid;
// - ClaimsOverlap: True while another policy claims one of this policy's label keys or name patterns
//   with other owners; resources both could own are reaped by neither (reported OutOfScope);
// - Stalled: True only while the spec is invalid, so kstatus (Flux, kpt) reads Failed rather than
//   waiting on a Ready that no agent can reach without a change in Git; gone after the next sweep.
import type { ConditionUpdate } from './conditions.js';
import { setConditions } from './conditions.js';
import { byKind, sweepTotals, total } from './report.js';
import type { Condition, HeldWaveRecord, ReapPolicyStatus, SweepCounts } from '../api/types.js';
import type { ReapReport } from '../core/report-types.js';
import type { ClaimOverlap } from '../core/owner-scope.js';
import { describeOverlaps } from '../core/owner-scope.js';

export const CONDITION_READY = 'Ready';
export const CONDITION_BLOCKED = 'Blocked';
export const CONDITION_DEGRADED = 'Degraded';
export const CONDITION_STALLED = 'Stalled';
export const CONDITION_CLAIMS_OVERLAP = 'ClaimsOverlap';

export type Totals = Required<SweepCounts>;

export interface SweepFacts {
  readonly report: ReapReport;
  readonly generation: number;
  /** The guard's one-line description when the sweep was blocked. */
  readonly blockedDescription?: string;
  /** Why the sweep failed closed, one line each. */
  readonly failedClosed: readonly string[];
  /** Other policies claiming this one's label keys or name patterns with other owners. */
  readonly overlaps: readonly ClaimOverlap[];
  /** The waves held after this sweep, as the report keeps them; absent when the sweep could not tell. */
  readonly heldWaves?: HeldWaveRecord[];
  /** Set when another sweep follows this soon (waiting for a burst of deletions to end). */
  readonly followUpInMs?: number;
}

export function emptyTotals(): Totals {
  return { sweeps: 0, reaped: 0, failed: 0, blocked: 0 };
}

/** Cumulative totals with one more sweep counted in. */
export function addSweepToTotals(totals: Totals, report: ReapReport): Totals {
  return {
    sweeps: totals.sweeps + 1,
    reaped: totals.reaped + total(report, 'reaped'),
    failed: totals.failed + total(report, 'failed'),
    blocked: totals.blocked + (report.outcome === 'Blocked' ? 1 : 0),
  };
}

/** Totals as stored, with absent or nonsense fields read as zero (status is anyone's to edit). */
export function totalsFrom(status: { totals?: SweepCounts } | undefined): Totals {
  const read = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);
  const stored = status?.totals;
  return {
    sweeps: read(stored?.sweeps),
    reaped: read(stored?.reaped),
    failed: read(stored?.failed),
    blocked: read(stored?.blocked),
  };
}

/** The condition updates a sweep's outcome implies, and whether its claims overlap another policy's. */
export function sweepConditionUpdates(facts: SweepFacts): ConditionUpdate[] {
  return [...outcomeConditionUpdates(facts), claimsOverlapCondition(facts.overlaps)];
}

export function claimsOverlapCondition(overlaps: readonly ClaimOverlap[]): ConditionUpdate {
  if (overlaps.length === 0)
    return {
      type: CONDITION_CLAIMS_OVERLAP,
      status: 'False',
      reason: 'NoOverlap',
      message: "no other policy claims this policy's label keys or name patterns with other owners",
    };
  return {
    type: CONDITION_CLAIMS_OVERLAP,
    status: 'True',
    reason: 'SharedMatchRule',
    message: describeOverlaps(overlaps),
  };
}

/** Blocked is left as it was when the sweep failed closed. */
function outcomeConditionUpdates(facts: SweepFacts): ConditionUpdate[] {
  const { report } = facts;
  const totals = sweepTotals(report);
  const did = report.mode === 'DryRun' ? 'would reap' : 'reaped';
  const notBlocked: ConditionUpdate = {
    type: CONDITION_BLOCKED,
    status: 'False',
    reason: 'WithinLimits',
    message: 'the orphans of the last sweep were within maxOrphanPercent, or approved',
  };
  const healthy: ConditionUpdate = {
    type: CONDITION_DEGRADED,
    status: 'False',
    reason: 'OwnersAndRuntimeVisible',
    message: 'every owner informer is synced and the runtime was listed completely',
  };
  switch (report.outcome) {
    case 'Completed':
      return [
        {
          type: CONDITION_READY,
          status: 'True',
          reason: report.mode === 'DryRun' ? 'DryRunCompleted' : 'SweepCompleted',
          message: `sweep ${report.sweepId} on ${report.node}: ${totals.orphans} orphans, ${did} ${reapedOrWould(report)}`,
        },
        notBlocked,
        healthy,
      ];
    case 'PartiallyFailed':
      return [
        {
          type: CONDITION_READY,
          status: 'False',
          reason: 'RemovalsFailed',
          message: `sweep ${report.sweepId} on ${report.node}: ${totals.failed} removals failed, ${totals.reaped} reaped; see status.lastSweep.items`,
        },
        notBlocked,
        healthy,
      ];
    case 'Blocked':
      return [
        {
          type: CONDITION_READY,
          status: 'False',
          reason: 'Blocked',
          message: `sweep ${report.sweepId} on ${report.node} was blocked by the blast-radius guard`,
        },
        {
          type: CONDITION_BLOCKED,
          status: 'True',
          reason: 'TooManyOrphans',
          message: facts.blockedDescription ?? `approve with reaper.dev/approve-sweep=${report.approvalId ?? ''}`,
        },
        healthy,
      ];
    case 'FailedClosed':
      return [
        {
          type: CONDITION_READY,
          status: 'False',
          reason: 'FailedClosed',
          message: `sweep ${report.sweepId} on ${report.node} reaped nothing: owners or runtime not fully visible`,
        },
        {
          type: CONDITION_DEGRADED,
          status: 'True',
          reason: degradedReason(facts.failedClosed),
          message: facts.failedClosed.join('; ') || 'owners or runtime not fully visible',
        },
      ];
  }
}

/**
 * A node's conditions after a sweep: only reaper's own types carried over (a sweep drops Stalled),
 * every type present, lastTransitionTime moved only where the status changed.
 */
export function conditionsAfterSweep(
  previous: readonly Condition[] | undefined,
  facts: SweepFacts,
  now: Date,
): Condition[] {
  const own = (previous ?? []).filter((c) => SWEEP_CONDITIONS.includes(c.type));
  return ensureAllConditions(
    setConditions(own, sweepConditionUpdates(facts), facts.generation, now),
    facts.generation,
    now,
  );
}

/** Status for a spec the API server accepted but reaper cannot use (e.g. a regex without a key group). */
export function policyStatusForInvalidSpec(
  previous: ReapPolicyStatus | undefined,
  problems: string,
  generation: number,
  totals: Totals,
  now: Date,
): ReapPolicyStatus {
  const updates: ConditionUpdate[] = [
    { type: CONDITION_READY, status: 'False', reason: 'InvalidSpec', message: `nothing is swept: ${problems}` },
    { type: CONDITION_DEGRADED, status: 'True', reason: 'InvalidSpec', message: problems },
    { type: CONDITION_STALLED, status: 'True', reason: 'InvalidSpec', message: problems },
    // A policy that does not parse claims nothing, so it overlaps no one.
    {
      type: CONDITION_CLAIMS_OVERLAP,
      status: 'False',
      reason: 'InvalidSpec',
      message: 'an invalid policy claims nothing',
    },
  ];
  const previousConditions = ownConditions(previous, [...SWEEP_CONDITIONS, CONDITION_STALLED]);
  return {
    observedGeneration: generation,
    conditions: ensureAllConditions(setConditions(previousConditions, updates, generation, now), generation, now),
    ...(previous?.summary ? { summary: previous.summary } : {}),
    ...(previous?.fleet ? { fleet: previous.fleet } : {}),
    ...(previous?.lastSweepTime ? { lastSweepTime: previous.lastSweepTime } : {}),
    totals,
  };
}

function reapedOrWould(report: ReapReport): string {
  return byKind(report, report.mode === 'DryRun' ? 'skipped' : 'reaped') || 'nothing';
}

// By the planner's own prefixes, never by words inside a reason: owner names and kinds are anyone's to
// choose, and a Topology called docker-lab is still an owner that could not be seen.
function degradedReason(reasons: readonly string[]): string {
  const runtime = reasons.some((reason) => reason.startsWith('runtime not fully listed'));
  const owners = reasons.some((reason) => reason.startsWith('owners not fully visible'));
  if (runtime && owners) return 'OwnersAndRuntimeNotVisible';
  return runtime ? 'RuntimeNotVisible' : 'OwnersNotVisible';
}

const SWEEP_CONDITIONS = [CONDITION_READY, CONDITION_BLOCKED, CONDITION_DEGRADED, CONDITION_CLAIMS_OVERLAP];

// Only condition types reaper owns are carried over; others (a hand edit) are not reaper's to repeat.
// A sweep drops Stalled: the spec it swept with is usable.
export function ownConditions(
  status: ReapPolicyStatus | undefined,
  types: readonly string[] = SWEEP_CONDITIONS,
): Condition[] {
  return (status?.conditions ?? []).filter((c) => types.includes(c.type));
}

// Every condition type is always present, so tools reading them never see "missing" for "unknown".
function ensureAllConditions(conditions: Condition[], generation: number, now: Date): Condition[] {
  const missing: ConditionUpdate[] = [];
  if (!conditions.some((c) => c.type === CONDITION_BLOCKED)) {
    missing.push({
      type: CONDITION_BLOCKED,
      status: 'False',
      reason: 'NotEvaluated',
      message: 'no sweep was planned yet',
    });
  }
  if (!conditions.some((c) => c.type === CONDITION_DEGRADED)) {
    missing.push({ type: CONDITION_DEGRADED, status: 'False', reason: 'NotEvaluated', message: 'no sweep ran yet' });
  }
  if (!conditions.some((c) => c.type === CONDITION_CLAIMS_OVERLAP)) {
    missing.push({
      type: CONDITION_CLAIMS_OVERLAP,
      status: 'False',
      reason: 'NotEvaluated',
      message: 'no sweep ran yet',
    });
  }
  return missing.length > 0 ? setConditions(conditions, missing, generation, now) : conditions;
}
