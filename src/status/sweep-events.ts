// The Events a sweep leaves on its policy (design §3.7). One Event per reason, whatever the number
// of items: the count says how many were reaped or failed, and the recorder aggregates repeats.
import type { Plan } from '../core/planner.js';
import type { ReapReport } from '../core/report-types.js';
import { byKind, total } from './report.js';

export interface SweepEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** Occurrences this Event stands for. */
  readonly count: number;
}

export function sweepEvents(report: ReapReport, plan: Pick<Plan, 'blocked' | 'failedClosed'>): SweepEvent[] {
  const events: SweepEvent[] = [];
  const where = `sweep ${report.sweepId} on ${report.node}`;
  const reaped = total(report, 'reaped');
  const failed = total(report, 'failed');
  if (reaped > 0) {
    events.push({
      type: 'Normal',
      reason: 'Reaped',
      message: `${where} reaped ${byKind(report, 'reaped')}`,
      count: reaped,
    });
  }
  const skipped = total(report, 'skipped');
  if (report.mode === 'DryRun' && report.outcome === 'Completed' && skipped > 0) {
    const message = `${where} (DryRun) would reap ${byKind(report, 'skipped')}`;
    events.push({ type: 'Normal', reason: 'WouldReap', message, count: skipped });
  }
  if (failed > 0) {
    // A failed item first: the report's errors also hold host warnings (a junk lease file) and
    // re-check failures, which did not make any removal fail.
    const failedItem = report.items.find((item) => item.action === 'Failed');
    const first = failedItem ? `${failedItem.name}: ${failedItem.reason}` : (report.errors[0] ?? '');
    events.push({
      type: 'Warning',
      reason: 'ReapFailed',
      message: `${where}: ${byKind(report, 'failed')} failed to be removed${first ? `; first: ${first}` : ''}`,
      count: failed,
    });
  }
  if (report.outcome === 'Blocked') {
    events.push({
      type: 'Warning',
      reason: 'SweepBlocked',
      message: `${where}: ${plan.blocked?.description ?? `approve with reaper.dev/approve-sweep=${report.approvalId ?? ''}`}`,
      count: 1,
    });
  }
  if (report.outcome === 'FailedClosed') {
    events.push({
      type: 'Warning',
      reason: 'FailedClosed',
      message: `${where} reaped nothing: ${plan.failedClosed.join('; ') || 'owners or runtime not fully visible'}`,
      count: 1,
    });
  }
  return events;
}
