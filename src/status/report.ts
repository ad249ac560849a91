// Shapes a ReapReport for status: cut to the schema's bounds (a status write rejected for one long
// Docker error message would lose the whole report), and totalled across kinds for the printer
// columns, the conditions' messages and the Events.
import type { KindCounts, ReapReport } from '../core/report-types.js';
import { REPORT_ERROR_CAP, REPORT_ITEM_CAP, REPORT_KINDS, sumOverKinds } from '../core/report-types.js';
import { REPORT_STRING_LIMITS as L } from '../api/schema/report.js';
import type { SweepTotals } from '../api/types.js';

/** At most `max` characters (code points, as the API server counts them), marked when cut. */
export function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The report within every bound of the status schema; lists beyond their caps count as omitted. */
export function fitReportToStatus(report: ReapReport): ReapReport {
  const items = report.items.slice(0, REPORT_ITEM_CAP).map((item) => ({
    ...item,
    name: cut(item.name, L.itemName),
    id: cut(item.id, L.itemId),
    ...(item.ownerKey !== undefined ? { ownerKey: cut(item.ownerKey, L.ownerKey) } : {}),
    reason: cut(item.reason, L.reason),
  }));
  const errors = report.errors.slice(0, REPORT_ERROR_CAP).map((e) => cut(e, L.error));
  return {
    ...report,
    sweepId: cut(report.sweepId, L.sweepId),
    policy: cut(report.policy, L.policy),
    node: cut(report.node, L.node),
    ...(report.approvalId !== undefined ? { approvalId: cut(report.approvalId, L.approvalId) } : {}),
    items,
    itemsOmitted: report.itemsOmitted + (report.items.length - items.length),
    errors,
    errorsOmitted: report.errorsOmitted + (report.errors.length - errors.length),
  };
}

/** The ORPHANS, REAPED and FAILED columns of kubectl get reapnodereports (status.summary). */
export function sweepTotals(report: Pick<ReapReport, 'counts'>): SweepTotals {
  return { orphans: total(report, 'orphaned'), reaped: total(report, 'reaped'), failed: total(report, 'failed') };
}

/** One count of the report, over every kind. */
export function total(report: Pick<ReapReport, 'counts'>, field: keyof KindCounts): number {
  return sumOverKinds((kind) => report.counts[kind][field]);
}

/** One count of the report per kind that has some, e.g. `2 containers, 1 ipLeases`; '' when none has. */
export function byKind(report: Pick<ReapReport, 'counts'>, field: keyof KindCounts): string {
  return REPORT_KINDS.filter((kind) => report.counts[kind][field] > 0)
    .map((kind) => `${report.counts[kind][field]} ${kind}`)
    .join(', ');
}
