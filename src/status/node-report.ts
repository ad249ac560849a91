// What one agent's ReapNodeReport for one policy says (design §4): its last sweep with the
// conditions that sweep implies, its cumulative totals, and what each owner key holds on its node.
// Pure: the sweep's facts, the found counts and the clock come in.
import { MAX_HELD_WAVE_KEYS, MAX_HELD_WAVES, MAX_REPORT_OWNERS } from '../api/schema/node-report.js';
import { fitReportToStatus, sweepTotals } from './report.js';
import type {
  Condition,
  HeldWaveRecord,
  OwnerCounts,
  ReapNodeReportStatus,
  ResourceCounts,
  SweepTotals,
} from '../api/types.js';
import { approvalIdFor } from '../core/blast-radius.js';
import type { DeletionWave } from '../core/deletion-wave.js';
import type { ReapReport } from '../core/report-types.js';
import { perKind, sumOverKinds } from '../core/report-types.js';
import { formatTime, statusChanged } from './conditions.js';
import type { SweepFacts, Totals } from './policy-status.js';
import { conditionsAfterSweep } from './policy-status.js';
import { compareText } from '../core/text-order.js';

/** What the last sweep left in the report. */
export interface SweptState {
  readonly observedGeneration: number;
  readonly conditions: Condition[];
  readonly lastSweep: ReapReport;
  readonly summary: SweepTotals;
  /** The waves held after the last sweep that could tell (a blind one keeps those before it). */
  readonly heldWaves?: HeldWaveRecord[];
}

/** The sweep part of the report; `previous` supplies the conditions' transition times. */
export function sweptState(
  previous: { readonly conditions?: readonly Condition[]; readonly heldWaves?: HeldWaveRecord[] } | undefined,
  facts: SweepFacts,
  now: Date,
): SweptState {
  const heldWaves = facts.heldWaves ?? previous?.heldWaves ?? [];
  return {
    observedGeneration: facts.generation,
    conditions: conditionsAfterSweep(previous?.conditions, facts, now),
    lastSweep: fitReportToStatus(facts.report),
    summary: sweepTotals(facts.report),
    ...(heldWaves.length > 0 ? { heldWaves } : {}),
  };
}

/**
 * The held waves as this node's report keeps them, so a restarted agent holds them still: each with
 * the approval id every node names and the keys of this node's orphans of it (a wave this node holds
 * nothing of has nothing to hold here). The latest waves, and keys in order, up to the caps.
 */
export function heldWaveRecords(
  policyName: string,
  waves: readonly DeletionWave[],
  orphanOwnerKeys: ReadonlySet<string>,
): HeldWaveRecord[] {
  return waves
    .map((wave) => ({ wave, keys: wave.keys.filter((key) => orphanOwnerKeys.has(key)) }))
    .filter(({ keys }) => keys.length > 0)
    .sort((a, b) => b.wave.lastAt - a.wave.lastAt)
    .slice(0, MAX_HELD_WAVES)
    .map(({ wave, keys }) => ({
      approvalId: wave.recalled?.approvalId ?? approvalIdFor(policyName, wave.keys),
      owners: wave.recalled?.owners ?? wave.keys.length,
      firstTime: new Date(wave.firstAt).toISOString(),
      lastTime: new Date(wave.lastAt).toISOString(),
      ownerKeys: keys.slice(0, MAX_HELD_WAVE_KEYS),
    }));
}

/** Waves a report kept, held again after a restart as they were judged. */
export function recallWaves(records: readonly HeldWaveRecord[]): DeletionWave[] {
  return records.flatMap((record) => {
    const firstAt = Date.parse(record.firstTime);
    const lastAt = Date.parse(record.lastTime);
    if (!Number.isFinite(firstAt) || !Number.isFinite(lastAt) || record.ownerKeys.length === 0) return [];
    return [
      {
        keys: [...new Set(record.ownerKeys)].sort(),
        firstAt,
        lastAt,
        recalled: { owners: record.owners, approvalId: record.approvalId },
      },
    ];
  });
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
        compareText(a.entry.key, b.entry.key) ||
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
