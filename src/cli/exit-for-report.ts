import type { ReapReport } from '../core/report-types.js';
import { ExitCode } from './exit-codes.js';

export function exitCodeFor(report: ReapReport): ExitCode {
  switch (report.outcome) {
    case 'Blocked':
    case 'FailedClosed':
      return ExitCode.BlockedOrFailedClosed;
    case 'PartiallyFailed':
      return ExitCode.ItemsFailed;
    case 'Completed':
      return ExitCode.Clean;
  }
}
