// What a benchmark hands back, and how it is written to bench/results.md (appended, never
// rewritten: the file is the history of every run).
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeMachine, loadAverage } from './machine.js';

export interface Target {
  /** e.g. "100k resources planned in under 250 ms". */
  readonly what: string;
  /** The measured figure the verdict is about. */
  readonly measured: string;
  readonly met: boolean;
  /** Where missed: what limits it. */
  readonly limits?: string;
}

export interface BenchReport {
  /** Lines about the engines and inputs, e.g. "Docker 20.10.24 (API 1.41)". */
  readonly setup: string[];
  /** Markdown blocks: tables of medians and individual runs. */
  readonly sections: string[];
  readonly targets: Target[];
  readonly notes?: string[];
}

export const RESULTS_FILE = path.join(import.meta.dirname, '..', 'results.md');

const HEADER = `# Benchmark results

Written by \`npm run bench -- <name>\`: every run appends a record below (newest last) with the
command, the machine, the date, the median and the individual runs, and each target met or
missed. Benchmarks are not part of \`npm test\`. See bench/README.md for what each one measures.
`;

/** The machine's pace (pace.ts) measured right before and right after the run. */
export interface Pace {
  readonly start: string;
  readonly end: string;
}

export function renderRecord(
  name: string,
  command: string,
  started: Date,
  loadAtStart: string,
  measured: string,
  report: BenchReport,
  pace: Pace,
): string {
  const lines: string[] = [];
  lines.push(`## ${name} — ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`, '');
  lines.push(`- command: \`${command}\``);
  lines.push(`- machine: ${describeMachine()}`);
  lines.push(`- revision: ${measured}`);
  lines.push(`- load average (1/5/15 min) at start: ${loadAtStart}; at end: ${loadAverage()}`);
  lines.push(`- machine pace (bench/lib/pace.ts) at start: ${pace.start}; at end: ${pace.end}`);
  for (const line of report.setup) lines.push(`- ${line}`);
  lines.push('');
  for (const section of report.sections) lines.push(section.trimEnd(), '');
  lines.push('Targets:', '');
  for (const t of report.targets) {
    lines.push(`- ${t.what}: **${t.met ? 'met' : 'missed'}** (${t.measured})`);
    if (!t.met && t.limits) lines.push(`  - what limits it: ${t.limits}`);
  }
  if (report.notes && report.notes.length > 0) {
    lines.push('', 'Notes:', '');
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

export function appendRecord(record: string, file = RESULTS_FILE): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${record}`);
}

/** A markdown table; cells are written as given. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
