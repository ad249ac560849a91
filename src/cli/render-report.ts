// Renders a ReapReport for people (table) or programs (json, yaml).
import { stringify } from 'yaml';
import type { ReapReport } from '../core/report-types.js';
import { REPORT_KINDS } from '../core/report-types.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

/** The table's rows, alphabetical. */
const KINDS = [...REPORT_KINDS].sort();
const COUNT_COLUMNS = [
  'scanned',
  'attributable',
  'outOfScope',
  'orphaned',
  'pending',
  'reaped',
  'failed',
  'skipped',
] as const;

export function renderReport(report: ReapReport, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'yaml') return stringify(report);
  return renderTable(report);
}

function renderTable(report: ReapReport): string {
  const lines = [
    `sweep ${report.sweepId}  policy ${report.policy}  node ${report.node}  mode ${report.mode}`,
    `outcome ${report.outcome}  live owners ${report.liveOwners}  ${report.startTime} → ${report.finishTime}`,
    '',
    ...table([
      ['KIND', ...COUNT_COLUMNS.map((c) => c.toUpperCase())],
      ...KINDS.map((kind) => [kind, ...COUNT_COLUMNS.map((c) => String(report.counts[kind][c]))]),
    ]),
  ];
  if (report.items.length > 0) {
    lines.push(
      '',
      ...table([
        ['ACTION', 'KIND', 'NAME', 'OWNER KEY', 'REASON'],
        ...report.items.map((i) => [i.action, i.kind, printable(i.name), printable(i.ownerKey ?? '-'), i.reason]),
      ]),
    );
  }
  if (report.itemsOmitted > 0) lines.push(`… and ${report.itemsOmitted} more items (use -o json for the capped list)`);
  for (const error of report.errors) lines.push(`error: ${error}`);
  if (report.errorsOmitted > 0) lines.push(`… and ${report.errorsOmitted} more errors`);
  return lines.join('\n') + '\n';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Names come from the runtime and are untrusted: keep terminal control characters out. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
