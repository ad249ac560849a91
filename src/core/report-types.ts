// The ReapReport: what one sweep saw and did. It is written into ReapPolicy status, so it stays
// small whatever the host holds: lists are capped, counts are not.
import type { ReapMode } from './policy.js';

export const REPORT_ITEM_CAP = 50;
export const REPORT_ERROR_CAP = 20;
/** Longest name, id, owner key, reason or error kept in a report; longer text is cut with `…`. */
export const REPORT_TEXT_CAP = 512;

/**
 * Report keys of the resource kinds (plural, as users read them in status), in the order reports,
 * status, schemas and metrics list them. Every list of kinds and every sum over them derives from this.
 */
export const REPORT_KINDS = ['containers', 'networks', 'volumes', 'ipLeases'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** One value per kind, e.g. `perKind(() => 0)`. */
export function perKind<T>(value: (kind: ReportKind) => T): Record<ReportKind, T> {
  return Object.fromEntries(REPORT_KINDS.map((kind) => [kind, value(kind)])) as Record<ReportKind, T>;
}

/** The sum of a number over every kind, e.g. `sumOverKinds((kind) => report.counts[kind].reaped)`. */
export function sumOverKinds(value: (kind: ReportKind) => number): number {
  return REPORT_KINDS.reduce((sum, kind) => sum + value(kind), 0);
}

export interface KindCounts {
  /** Listed from the runtime. */
  scanned: number;
  /** Some match rule extracted an owner key inside the policy's scope. */
  attributable: number;
  /**
   * A match rule extracted a key, but it could name an owner outside the policy's scope (another
   * kind or namespace, or one a rival policy reads differently): never touched.
   */
  outOfScope: number;
  /** Attributable, not protected, owner key not live. */
  orphaned: number;
  /** Orphaned but younger than minAge or still inside gracePeriod. */
  pending: number;
  /** Removed this sweep (NotFound counts: someone removed it first). */
  reaped: number;
  /** Removal attempted and failed. */
  failed: number;
  /** Orphaned and not removed by choice: dry run, running with Skip, in use, over the per-sweep limit, blocked. */
  skipped: number;
}

export type ItemAction = 'Reaped' | 'WouldReap' | 'Failed' | 'Skipped' | 'Pending' | 'OutOfScope';

export interface ReportItem {
  kind: ReportKind;
  name: string;
  id: string;
  ownerKey?: string;
  action: ItemAction;
  reason: string;
}

/**
 * Completed: every selected item reaped (or would be, in DryRun). PartiallyFailed: some removals
 * failed. Blocked: the blast-radius guard stopped the sweep. FailedClosed: owners or runtime not
 * fully visible, nothing reaped.
 */
export type SweepOutcome = 'Completed' | 'PartiallyFailed' | 'Blocked' | 'FailedClosed';

export interface ReapReport {
  sweepId: string;
  policy: string;
  node: string;
  mode: ReapMode;
  /** RFC 3339. */
  startTime: string;
  finishTime: string;
  outcome: SweepOutcome;
  liveOwners: number;
  counts: Record<ReportKind, KindCounts>;
  /** Set when the blast-radius guard blocked the sweep: the value that approves exactly this set. */
  approvalId?: string;
  /** Failed, reaped, would-reap, skipped, pending, then out-of-scope items; capped at REPORT_ITEM_CAP. */
  items: ReportItem[];
  /** How many items did not fit. */
  itemsOmitted: number;
  errors: string[];
  errorsOmitted: number;
}
