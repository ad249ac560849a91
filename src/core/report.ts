// Builds the ReapReport of a sweep from its plan and what execution did (design §2).
import type { Decision, PlannedItem, ResourceKind } from './model.js';
import { resourceKey } from './model.js';
import type { ItemOutcome } from './outcome.js';
import type { Plan } from './planner.js';
import { ORPHAN_DECISIONS } from './planner.js';
import type { ReapMode } from './policy.js';
import type { ItemAction, KindCounts, ReapReport, ReportItem, ReportKind, SweepOutcome } from './report-types.js';
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP, REPORT_TEXT_CAP, perKind } from './report-types.js';

export const REPORT_KIND: Record<ResourceKind, ReportKind> = {
  container: 'containers',
  network: 'networks',
  volume: 'volumes',
  ipLease: 'ipLeases',
};

export interface ReportInput {
  readonly plan: Plan;
  readonly outcomes: readonly ItemOutcome[];
  readonly policy: string;
  readonly mode: ReapMode;
  readonly node: string;
  readonly sweepId: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly liveOwnerCount: number;
  /** Errors outside any one item (listing failures, re-check failures). */
  readonly errors?: readonly string[];
}

/** The most telling items first, so the capped list keeps what an operator must see. */
const ACTION_PRIORITY: Record<ItemAction, number> = {
  Failed: 0,
  Reaped: 1,
  WouldReap: 2,
  Skipped: 3,
  Pending: 4,
  OutOfScope: 5,
};

const SKIPPED_DECISIONS: ReadonlySet<Decision> = new Set(['overLimit', 'blocked']);
const PENDING_DECISIONS: ReadonlySet<Decision> = new Set(['tooYoung', 'inGrace']);

export function emptyCounts(): KindCounts {
  return { scanned: 0, attributable: 0, outOfScope: 0, orphaned: 0, pending: 0, reaped: 0, failed: 0, skipped: 0 };
}

export function buildReport(input: ReportInput): ReapReport {
  const outcomes = new Map(input.outcomes.map((o) => [o.key, o]));
  const counts = perKind(emptyCounts);
  const items: ReportItem[] = [];

  for (const planned of input.plan.items) {
    const kind = REPORT_KIND[planned.resource.kind];
    const c = counts[kind];
    c.scanned++;
    if (planned.decision === 'foreign') continue;
    if (planned.decision === 'outOfScope') {
      // Reported, so that an operator sees why a resource that looks like the policy's is left alone.
      c.outOfScope++;
      items.push(capItemText({ kind, ...itemBase(planned), action: 'OutOfScope', reason: planned.reason }));
      continue;
    }
    c.attributable++;
    if (!ORPHAN_DECISIONS.has(planned.decision)) continue;
    c.orphaned++;
    const entry = reportEntry(planned, outcomes.get(resourceKey(planned.resource)));
    if (entry === undefined) continue;
    if (entry.action === 'Reaped') c.reaped++;
    else if (entry.action === 'Failed') c.failed++;
    else if (entry.action === 'Pending') c.pending++;
    else c.skipped++;
    items.push(capItemText({ kind, ...entry }));
  }

  items.sort((a, b) => ACTION_PRIORITY[a.action] - ACTION_PRIORITY[b.action]);
  const errors = [...input.plan.failedClosed, ...(input.errors ?? [])];
  return {
    sweepId: input.sweepId,
    policy: input.policy,
    node: input.node,
    mode: input.mode,
    startTime: new Date(input.startedAt).toISOString(),
    finishTime: new Date(input.finishedAt).toISOString(),
    outcome: sweepOutcome(input.plan, counts),
    liveOwners: input.liveOwnerCount,
    counts,
    ...(input.plan.blocked ? { approvalId: input.plan.blocked.approvalId } : {}),
    items: items.slice(0, REPORT_ITEM_CAP),
    itemsOmitted: Math.max(0, items.length - REPORT_ITEM_CAP),
    errors: errors.slice(0, REPORT_ERROR_CAP).map(capText),
    errorsOmitted: Math.max(0, errors.length - REPORT_ERROR_CAP),
  };
}

/** Names, reasons and errors come from the host and the engines: none may grow the status unbounded. */
export function capText(text: string): string {
  if (text.length <= REPORT_TEXT_CAP) return text;
  let end = REPORT_TEXT_CAP - 1;
  // Never leave half of a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

function capItemText(item: ReportItem): ReportItem {
  const capped: ReportItem = { ...item, name: capText(item.name), id: capText(item.id), reason: capText(item.reason) };
  if (item.ownerKey !== undefined) capped.ownerKey = capText(item.ownerKey);
  return capped;
}

function itemBase(planned: PlannedItem): Pick<ReportItem, 'name' | 'id' | 'ownerKey'> {
  return {
    name: planned.resource.name,
    id: planned.resource.id,
    ...(planned.ownerKey !== undefined ? { ownerKey: planned.ownerKey } : {}),
  };
}

function reportEntry(planned: PlannedItem, outcome: ItemOutcome | undefined): Omit<ReportItem, 'kind'> | undefined {
  const base = itemBase(planned);
  if (PENDING_DECISIONS.has(planned.decision)) return { ...base, action: 'Pending', reason: planned.reason };
  if (SKIPPED_DECISIONS.has(planned.decision)) return { ...base, action: 'Skipped', reason: planned.reason };
  if (planned.decision !== 'selected') return undefined;
  if (outcome === undefined) return { ...base, action: 'Skipped', reason: 'not executed' };
  switch (outcome.status) {
    case 'reaped':
      return { ...base, action: 'Reaped', reason: planned.reason };
    case 'alreadyGone':
      return { ...base, action: 'Reaped', reason: `${planned.reason}; already removed by someone else` };
    case 'failed':
      return { ...base, action: 'Failed', reason: outcome.reason };
    case 'wouldReap':
      return { ...base, action: 'WouldReap', reason: planned.reason };
    case 'skipped':
      return { ...base, action: 'Skipped', reason: outcome.reason };
  }
}

function sweepOutcome(plan: Plan, counts: Record<ReportKind, KindCounts>): SweepOutcome {
  if (plan.failedClosed.length > 0) return 'FailedClosed';
  if (plan.blocked) return 'Blocked';
  return Object.values(counts).some((c) => c.failed > 0) ? 'PartiallyFailed' : 'Completed';
}

/** e.g. `20261125t053700z-3fa9c1`: sortable, unique enough per policy and node. */
export function newSweepId(now: number, random: () => number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '').toLowerCase();
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}
