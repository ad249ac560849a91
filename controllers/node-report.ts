// What one agent's ReapNodeReport for one policy says (design §4): its last sweep with the
// conditions that sweep implies, its cumulative totals, and what each owner key holds on its node.
// Pure: the sweep's facts, the found counts and the clock come in.
import { MAX_REPORT_OWNERS } from '../src/api/schema/node-report.js';
import { fitReportToStatus, sweepTotals } from '../src/api/status.js';
import type { Condition, OwnerCounts, ReapNodeReportStatus, ResourceCounts, SweepTotals } from '../src/api/types.js';
import type { ReapReport } from '../src/core/report-types.js';
import { perKind, sumOverKinds } from '../src/core/report-types.js';
import { formatTime, statusChanged } from '../src/kube/conditions.js';
import type { SweepFacts, Totals } from './policy-status.js';
import { conditionsAfterSweep } from './policy-status.js';

/** What the last sweep left in the report. */
export interface SweptState {
  readonly observedGeneration: number;
  readonly conditions: Condition[];
  readonly lastSweep: ReapReport;
  readonly summary: SweepTotals;
}

/** The sweep part of the report; `previous` supplies the conditions' transition times. */
export function sweptState(
  previous: { readonly conditions?: readonly Condition[] } | undefined,
  facts: SweepFacts,
  now: Date,
): SweptState {
  return {
    observedGeneration: facts.generation,
    conditions: conditionsAfterSweep(previous?.conditions, facts, now),
    lastSweep: fitReportToStatus(facts.report),
    summary: sweepTotals(facts.report),
  };
}

export interface FoundEntry {
  readonly key: string;
  readonly keyPrefixLength?: number;
  readonly counts: ResourceCounts;
}

export interface OwnersListing {
  readonly owners: OwnerCounts[];
  readonly ownersOmitted: number;
  readonly omittedCounts: ResourceCounts;
}

/**
 * The owner keys with something on this node, keys of live owners first (their counts are what
 * owner status shows), each group by key; past `cap` the rest are counted and summed, not dropped.
 */
export function ownersListing(
  entries: Iterable<FoundEntry>,
  isLive: (entry: FoundEntry) => boolean,
  cap = MAX_REPORT_OWNERS,
): OwnersListing {
  const sorted = [...entries]
    .filter((e) => total(e.counts) > 0)
    .map((entry) => ({ entry, live: isLive(entry) }))
    .sort(
      (a, b) =>
        Number(b.live) - Number(a.live) ||
        a.entry.key.localeCompare(b.entry.key) ||
        (a.entry.keyPrefixLength ?? 0) - (b.entry.keyPrefixLength ?? 0),
    )
    .map(({ entry }) => entry);
  const kept = sorted.slice(0, cap);
  const omitted = sorted.slice(cap);
  const omittedCounts = perKind((kind) => omitted.reduce((sum, { counts }) => sum + counts[kind], 0));
  return {
    owners: kept.map(({ key, keyPrefixLength, counts }) => ({
      key,
      ...(keyPrefixLength !== undefined ? { keyPrefixLength } : {}),
      ...counts,
    })),
    ownersOmitted: sorted.length - kept.length,
    omittedCounts,
  };
}

const total = (c: ResourceCounts) => sumOverKinds((kind) => c[kind]);

/** The whole status of a report: what is known so far, stamped with the heartbeat. */
export function nodeReportStatus(
  swept: SweptState | undefined,
  totals: Totals,
  owners: OwnersListing | undefined,
  heartbeat: Date,
): ReapNodeReportStatus {
  return {
    ...(swept ?? {}),
    lastHeartbeatTime: formatTime(heartbeat),
    totals,
    ...(owners ?? {}),
  };
}

/** Whether a report says something new, its heartbeat aside. */
export function reportChanged(before: ReapNodeReportStatus | undefined, after: ReapNodeReportStatus): boolean {
  const strip = (status: ReapNodeReportStatus | undefined) => {
    if (!status) return undefined;
    const { lastHeartbeatTime: _heartbeat, ...rest } = status;
    return rest;
  };
  return statusChanged(strip(before), strip(after));
}
