// `reaper apply plan.json`: carries out a reviewed plan. Every item is verified again first: still
// there, unchanged, and still an orphan by a fresh read of the owners; whatever changed is skipped
// and reported, never removed.
import { parsePolicy, parsePolicyYaml } from '../api/parse-policy.js';
import { formatProblems } from '../api/problems.js';
import { NO_GRACE } from '../core/grace.js';
import { planFromReview } from '../core/review.js';
import { backendsForPolicy } from '../runtime/backends-for-policy.js';
import { sweepEnvironment } from '../sweep/environment.js';
import { runSweep } from '../sweep/run-sweep.js';
import type { CommonOptions } from './context.js';
import { cliHost, loadKubeConfig, ownerSourceFor, reachableDocker } from './context.js';
import { withRivals } from './rival-policies.js';
import { CliError } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { exitCodeFor } from './exit-for-report.js';
import { readPlanFile } from './plan-file.js';
import type { OutputFormat } from './render-report.js';
import { renderReport } from './render-report.js';

export interface ApplyOptions extends Omit<CommonOptions, 'policy'> {
  output: OutputFormat;
}

export async function applyCommand(file: string, options: ApplyOptions): Promise<ExitCode> {
  const planFile = await readPlanFile(file);
  const parsed =
    typeof planFile.policySource === 'string'
      ? parsePolicyYaml(planFile.policySource)
      : parsePolicy(planFile.policySource);
  if (!parsed.ok) throw new CliError(`the plan's policy is invalid:\n${formatProblems(parsed.problems)}`);
  // Rivals are read again: a policy created since the plan may claim some of its items.
  const from = options.policiesFrom ?? (typeof planFile.policySource === 'string' ? 'none' : 'cluster');
  const scoped = await withRivals({ ...parsed.policy, mode: 'Reap' as const }, from, loadKubeConfig);
  const policy = scoped.policy;
  const owners = ownerSourceFor(options.ownersFrom);
  const docker = await reachableDocker();
  const result = await runSweep(
    policy,
    NO_GRACE,
    sweepEnvironment(cliHost(options.node), {
      backends: backendsForPolicy(policy, docker),
      owners,
      plan: (snapshot) => planFromReview(snapshot, planFile.selected),
    }),
  );
  process.stdout.write(renderReport(result.report, options.output));
  return exitCodeFor(result.report);
}
