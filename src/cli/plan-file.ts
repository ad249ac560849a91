// A reviewed plan on disk: what `reaper plan` selected, for `reaper apply` to carry out later.
import { readFile, writeFile } from 'node:fs/promises';
import type { RuntimeResource } from '../core/model.js';
import type { ReapReport } from '../core/report-types.js';
import { CliError } from './exit-codes.js';

export interface PlanFile {
  kind: 'ReaperPlan';
  version: 1;
  /** The policy as it was given (YAML text or the cluster object), re-parsed by apply. */
  policySource: unknown;
  createdAt: string;
  /** What the plan would do, as a dry-run report. */
  report: ReapReport;
  /** The selected resources exactly as seen, so apply can tell whether they changed. */
  selected: { resource: RuntimeResource; ownerKey?: string; reason: string }[];
}

export async function writePlanFile(file: string, plan: PlanFile): Promise<void> {
  await writeFile(file, JSON.stringify(plan, null, 2) + '\n');
}

export async function readPlanFile(file: string): Promise<PlanFile> {
  let parsed: Partial<PlanFile>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<PlanFile>;
  } catch (err) {
    throw new CliError(`cannot read plan ${file}: ${(err as Error).message}`);
  }
  if (parsed.kind !== 'ReaperPlan' || parsed.version !== 1 || !Array.isArray(parsed.selected)) {
    throw new CliError(`${file} is not a reaper plan (kind ReaperPlan, version 1); make one with reaper plan -o FILE`);
  }
  return parsed as PlanFile;
}
