// The fleet summary of a ReapPolicy (design §4): what its status says, summed from the nodes'
// ReapNodeReports by the one summary writer. Pure: the reports, which Nodes exist and the clock
// come in, the status to apply comes out.
//
// A report stands as:
// - live: its heartbeat is fresh, and its Node exists or it never named one (an agent run outside
//   Kubernetes, e.g. a developer's or a test's process, has no Node object);
// - stale: its heartbeat is older than staleAfterMs; counted, named as a problem, never Ready;
// - gone: its Node was deleted (the garbage collector is about to take the report), or its Node is
//   absent and its heartbeat older than removeAfterMs. Gone reports count for nothing.
import type { ConditionUpdate } from './conditions.js';
import { findCondition, setConditions } from './conditions.js';
import { sweepTotals } from './report.js';
import { MAX_FLEET_PROBLEMS, MAX_LAST_REAPS } from '../api/schema/reappolicy.js';
import type {
  FleetProblem,
  LastReap,
  ReapNodeReport,
  ReapPolicyStatus,
  NodeResourceCounts,
  ResourceCounts,
  SweepTotals,
} from '../api/types.js';
import type { ClaimOverlap } from '../core/owner-scope.js';
import type { ReapMode } from '../core/policy.js';
import { perKind, sumOverKinds } from '../core/report-types.js';
import type { Totals } from './policy-status.js';
import { compareText } from '../core/text-order.js';
import {
  CONDITION_BLOCKED,
  CONDITION_DEGRADED,
  CONDITION_READY,
  claimsOverlapCondition,
  emptyTotals,
  ownConditions,
  totalsFrom,
} from './policy-status.js';

export type Standing = 'live' | 'stale' | 'gone';

export interface StandingRules {
  /** A report not written for this long is stale: several heartbeats. */
  readonly staleAfterMs: number;
  /** A report whose Node is absent and that was not written for this long is gone, and deleted. */
  readonly removeAfterMs: number;
}

/** Whether a report's Node exists: undefined while the Node cache cannot say (not synced, forbidden). */
export type NodeExists = (node: string) => boolean | undefined;

export function hasNodeOwner(report: ReapNodeReport): boolean {
  return (report.metadata.ownerReferences ?? []).some((ref) => ref.apiVersion === 'v1' && ref.kind === 'Node');
}

/** Milliseconds since the report was last written (its creation when it has no heartbeat yet). */
export function reportAge(report: ReapNodeReport, now: number): number {
  const written = Date.parse(report.status?.lastHeartbeatTime ?? report.metadata.creationTimestamp ?? '');
  return Number.isNaN(written) ? Infinity : Math.max(0, now - written);
}

export function reportStanding(
  report: ReapNodeReport,
  nodeExists: NodeExists,
  now: number,
  rules: StandingRules,
): Standing {
  const exists = nodeExists(report.spec.node);
  const age = reportAge(report, now);
  if (exists === false && (hasNodeOwner(report) || age > rules.removeAfterMs)) return 'gone';
  return age > rules.staleAfterMs ? 'stale' : 'live';
}

/**
 * Reports the summary writer deletes itself: the Node is known to be absent and the agent has not
 * written for removeAfterMs. A Node that exists keeps its reports however old (its agent may come
 * back); an absent Node alone is no reason (an agent outside Kubernetes has none).
 */
export function reportsToRemove(
  reports: readonly ReapNodeReport[],
  nodeExists: NodeExists,
  now: number,
  rules: StandingRules,
): ReapNodeReport[] {
  return reports.filter((r) => nodeExists(r.spec.node) === false && reportAge(r, now) > rules.removeAfterMs);
}

interface Standings {
  readonly live: readonly ReapNodeReport[];
  readonly stale: readonly ReapNodeReport[];
}

function sortByStanding(
  reports: readonly ReapNodeReport[],
  nodeExists: NodeExists,
  now: number,
  rules: StandingRules,
): Standings {
  const live: ReapNodeReport[] = [];
  const stale: ReapNodeReport[] = [];
  for (const report of [...reports].sort((a, b) => compareText(a.spec.node, b.spec.node))) {
    const standing = reportStanding(report, nodeExists, now, rules);
    if (standing === 'live') live.push(report);
    else if (standing === 'stale') stale.push(report);
  }
  return { live, stale };
}

/** Why a live node is not Ready for `generation`, or undefined when it is. */
export function liveNodeProblem(report: ReapNodeReport, generation: number): FleetProblem | undefined {
  const { node } = report.spec;
  const conditions = report.status?.conditions;
  const blocked = findCondition(conditions, CONDITION_BLOCKED);
  if (blocked?.status === 'True') return { node, reason: 'Blocked', message: blocked.message };
  const degraded = findCondition(conditions, CONDITION_DEGRADED);
  if (degraded?.status === 'True') return { node, reason: 'Degraded', message: degraded.message };
  if (!report.status?.lastSweep) return { node, reason: 'NotSwept', message: 'no sweep reported yet' };
  const observed = report.status.observedGeneration ?? 0;
  if (observed !== generation)
    return { node, reason: 'OldGeneration', message: `last swept generation ${observed}, not ${generation}` };
  const ready = findCondition(conditions, CONDITION_READY);
  if (ready?.status === 'True') return undefined;
  return { node, reason: 'RemovalsFailed', message: ready?.message ?? 'the last sweep was not clean' };
}

function staleProblem(report: ReapNodeReport, now: number): FleetProblem {
  const minutes = Math.round(reportAge(report, now) / 60_000);
  return {
    node: report.spec.node,
    reason: 'Stale',
    message: `its agent has not written its report for ${minutes}m (last heartbeat ${report.status?.lastHeartbeatTime ?? 'never'})`,
  };
}

const PROBLEM_ORDER: readonly FleetProblem['reason'][] = [
  'Blocked',
  'Degraded',
  'Stale',
  'RemovalsFailed',
  'OldGeneration',
  'NotSwept',
];

/** Problems sorted: blocked and degraded first, then by node name. */
function byImportance(a: FleetProblem, b: FleetProblem): number {
  return PROBLEM_ORDER.indexOf(a.reason) - PROBLEM_ORDER.indexOf(b.reason) || compareText(a.node, b.node);
}

/** The resources the nodes' last sweeps reaped, newest first. */
export function lastReaps(reports: readonly ReapNodeReport[], cap = MAX_LAST_REAPS): LastReap[] {
  const reaps: LastReap[] = [];
  for (const report of reports) {
    const sweep = report.status?.lastSweep;
    if (!sweep) continue;
    for (const item of sweep.items) {
      if (item.action !== 'Reaped') continue;
      reaps.push({
        node: report.spec.node,
        finishTime: sweep.finishTime,
        kind: item.kind,
        name: item.name,
        ...(item.ownerKey !== undefined ? { ownerKey: item.ownerKey } : {}),
      });
    }
  }
  reaps.sort(
    (a, b) => compareText(b.finishTime, a.finishTime) || compareText(a.node, b.node) || compareText(a.name, b.name),
  );
  return reaps.slice(0, cap);
}

export interface FleetFacts {
  readonly generation: number;
  readonly mode: ReapMode;
  readonly overlaps: readonly ClaimOverlap[];
  /** Every report of this policy. */
  readonly reports: readonly ReapNodeReport[];
  readonly nodeExists: NodeExists;
  readonly rules: StandingRules;
}

/** The policy's status from its nodes' reports; `previous` supplies the conditions' transition times. */
export function fleetStatus(previous: ReapPolicyStatus | undefined, facts: FleetFacts, now: Date): ReapPolicyStatus {
  const at = now.getTime();
  const { live, stale } = sortByStanding(facts.reports, facts.nodeExists, at, facts.rules);
  const liveProblems = live.flatMap((r) => liveNodeProblem(r, facts.generation) ?? []).sort(byImportance);
  const problems = [...liveProblems, ...stale.map((r) => staleProblem(r, at))].sort(byImportance);
  const present = [...live, ...stale];
  const finishTimes = present.flatMap((r) => r.status?.lastSweep?.finishTime ?? []).sort();
  const generations = live.map((r) => r.status?.observedGeneration ?? 0);
  const updates: ConditionUpdate[] = [
    ...fleetConditionUpdates(live.length, liveProblems, stale.length, facts),
    claimsOverlapCondition(facts.overlaps),
  ];
  const lastSweepTime = finishTimes.at(-1);
  return {
    // The generation every live node has swept: kstatus waits until the whole fleet caught up.
    observedGeneration:
      generations.length > 0 ? Math.min(facts.generation, ...generations) : (previous?.observedGeneration ?? 0),
    // A valid spec drops Stalled.
    conditions: setConditions(ownConditions(previous), updates, facts.generation, now),
    ...(lastSweepTime !== undefined ? { lastSweepTime } : {}),
    summary: summedSummary(live),
    fleet: {
      nodes: present.length,
      ready: live.length - liveProblems.length,
      blocked: liveProblems.filter((p) => p.reason === 'Blocked').length,
      degraded: liveProblems.filter((p) => p.reason === 'Degraded').length,
      stale: stale.length,
      problems: problems.slice(0, MAX_FLEET_PROBLEMS),
      problemsOmitted: Math.max(0, problems.length - MAX_FLEET_PROBLEMS),
    },
    lastReaps: lastReaps(present),
    totals: summedTotals(present),
  };
}

function fleetConditionUpdates(
  liveCount: number,
  problems: readonly FleetProblem[],
  staleCount: number,
  facts: FleetFacts,
): ConditionUpdate[] {
  const blocked = problems.filter((p) => p.reason === 'Blocked');
  const degraded = problems.filter((p) => p.reason === 'Degraded');
  return [
    readyCondition(liveCount, problems, facts),
    blocked.length > 0
      ? { type: CONDITION_BLOCKED, status: 'True', reason: 'TooManyOrphans', message: listed(blocked) }
      : {
          type: CONDITION_BLOCKED,
          status: 'False',
          reason: 'WithinLimits',
          message: "no node's last sweep was held by the blast-radius guard",
        },
    degradedCondition(degraded, staleCount, facts),
  ];
}

/** `problems` sorted by importance. */
function readyCondition(liveCount: number, problems: readonly FleetProblem[], facts: FleetFacts): ConditionUpdate {
  if (liveCount === 0)
    return {
      type: CONDITION_READY,
      status: 'False',
      reason: 'NoNodeReports',
      message: 'no agent has reported on this policy recently',
    };
  if (problems.length === 0)
    return {
      type: CONDITION_READY,
      status: 'True',
      reason: facts.mode === 'DryRun' ? 'DryRunCompleted' : 'SweepCompleted',
      message: `${nodes(liveCount)} swept generation ${facts.generation} cleanly`,
    };
  const worst = problems[0]!;
  const reason = { Blocked: 'Blocked', Degraded: 'FailedClosed', RemovalsFailed: 'RemovalsFailed' }[
    worst.reason as string
  ];
  return {
    type: CONDITION_READY,
    status: 'False',
    reason: reason ?? 'NodesNotReady',
    message: `${problems.length} of ${nodes(liveCount)} not ready: ${listed(problems)}`,
  };
}

function degradedCondition(degraded: readonly FleetProblem[], staleCount: number, facts: FleetFacts): ConditionUpdate {
  if (degraded.length > 0) {
    // The node's own reason when they agree (e.g. RuntimeNotVisible), so one node reads as it did alone.
    const reasons = new Set(degraded.map((p) => nodeDegradedReason(p.node, facts)));
    const [only] = reasons;
    return {
      type: CONDITION_DEGRADED,
      status: 'True',
      reason: reasons.size === 1 && only ? only : 'NodesDegraded',
      message: listed(degraded),
    };
  }
  if (staleCount > 0)
    return {
      type: CONDITION_DEGRADED,
      status: 'True',
      reason: 'NodesStale',
      message: `${nodes(staleCount)} stopped reporting; see status.fleet.problems`,
    };
  return {
    type: CONDITION_DEGRADED,
    status: 'False',
    reason: 'OwnersAndRuntimeVisible',
    message: 'every live node sees all owners and its runtime',
  };
}

function nodeDegradedReason(node: string, facts: FleetFacts): string | undefined {
  const report = facts.reports.find((r) => r.spec.node === node);
  return findCondition(report?.status?.conditions, CONDITION_DEGRADED)?.reason;
}

const LISTED = 3;

/** `node: message` for the first few, and how many more. */
function listed(problems: readonly FleetProblem[]): string {
  const shown = problems.slice(0, LISTED).map((p) => `${p.node}: ${p.message}`);
  const more = problems.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more (status.fleet.problems)` : '');
}

const nodes = (n: number) => `${n} node${n === 1 ? '' : 's'}`;

function summedSummary(reports: readonly ReapNodeReport[]): SweepTotals {
  const sum: SweepTotals = { orphans: 0, reaped: 0, failed: 0 };
  for (const report of reports) {
    const sweep = report.status?.lastSweep;
    if (!sweep) continue;
    const totals = sweepTotals(sweep);
    sum.orphans += totals.orphans;
    sum.reaped += totals.reaped;
    sum.failed += totals.failed;
  }
  return sum;
}

/** The reports' cumulative totals, summed. */
export function summedTotals(reports: readonly ReapNodeReport[]): Totals {
  return reports.reduce((sum, report) => {
    const totals = totalsFrom(report.status);
    return {
      sweeps: sum.sweeps + totals.sweeps,
      reaped: sum.reaped + totals.reaped,
      failed: sum.failed + totals.failed,
      blocked: sum.blocked + totals.blocked,
    };
  }, emptyTotals());
}

/**
 * What every owner key claims across the fleet: the counts of the reports' owner lists, per node
 * and summed. Built once per set of reports; a lookup costs one map read per node and key prefix
 * length.
 */
export class FleetFoundIndex {
  private readonly byNode: { node: string; byLength: Map<number | undefined, Map<string, ResourceCounts>> }[] = [];
  /** Reports whose owner lists were cut: their owners' counts may be short. */
  readonly incomplete: readonly string[];

  constructor(reports: readonly ReapNodeReport[]) {
    for (const report of reports) {
      const byLength = new Map<number | undefined, Map<string, ResourceCounts>>();
      for (const entry of report.status?.owners ?? []) {
        let counts = byLength.get(entry.keyPrefixLength);
        if (!counts) byLength.set(entry.keyPrefixLength, (counts = new Map()));
        counts.set(entry.key, addCounts(counts.get(entry.key) ?? zeroCounts(), entry));
      }
      this.byNode.push({ node: report.spec.node, byLength });
    }
    this.incomplete = reports.filter((r) => (r.status?.ownersOmitted ?? 0) > 0).map((r) => r.spec.node);
  }

  found(ownerKey: string): ResourceCounts {
    return this.foundByNode(ownerKey).reduce<ResourceCounts>((sum, n) => addCounts(sum, n), zeroCounts());
  }

  /** The nodes that hold something of the owner, the most first (then by name). */
  foundByNode(ownerKey: string): NodeResourceCounts[] {
    const nodes: NodeResourceCounts[] = [];
    for (const { node, byLength } of this.byNode) {
      let total = zeroCounts();
      for (const [length, counts] of byLength) {
        const entry = counts.get(length === undefined ? ownerKey : ownerKey.slice(0, length));
        if (entry) total = addCounts(total, entry);
      }
      if (sumOf(total) > 0) nodes.push({ node, ...total });
    }
    return nodes.sort((a, b) => sumOf(b) - sumOf(a) || compareText(a.node, b.node));
  }
}

const sumOf = (c: ResourceCounts) => sumOverKinds((kind) => c[kind]);

/** The reports an owner's counts are summed from: the live and stale ones (a gone node holds nothing). */
export function countedReports(
  reports: readonly ReapNodeReport[],
  nodeExists: NodeExists,
  now: number,
  rules: StandingRules,
): ReapNodeReport[] {
  return reports.filter((r) => reportStanding(r, nodeExists, now, rules) !== 'gone');
}

export const zeroCounts = (): ResourceCounts => perKind(() => 0);

function addCounts(a: ResourceCounts, b: ResourceCounts): ResourceCounts {
  return perKind((kind) => a[kind] + b[kind]);
}
