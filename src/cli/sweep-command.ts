// `reaper sweep`: one pass, as cron or a person runs it.
import { NO_GRACE } from '../core/grace.js';
import { backendsForPolicy } from '../runtime/backends-for-policy.js';
import { runSweep } from '../sweep/run-sweep.js';
import type { CommonOptions } from './context.js';
import { sweepEnvironment } from '../sweep/environment.js';
import { cliHost, loadScopedPolicy, ownerSourceFor, reachableDocker } from './context.js';
import type { ExitCode } from './exit-codes.js';
import { exitCodeFor } from './exit-for-report.js';
import { createProgress } from './progress.js';
import type { OutputFormat } from './render-report.js';
import { renderReport } from './render-report.js';
import { readGraceState, writeGraceState } from './state-file.js';

export interface SweepOptions extends CommonOptions {
  dryRun?: boolean;
  state?: string;
  output: OutputFormat;
}

export async function sweepCommand(options: SweepOptions): Promise<ExitCode> {
  const loaded = await loadScopedPolicy(options);
  const policy = options.dryRun ? { ...loaded.policy, mode: 'DryRun' as const } : loaded.policy;
  const owners = ownerSourceFor(options.ownersFrom);
  const docker = await reachableDocker();
  const grace = options.state ? await readGraceState(options.state, policy.name) : NO_GRACE;
  const progress = createProgress();
  const result = await runSweep(
    policy,
    grace,
    sweepEnvironment(cliHost(options.node), {
      backends: backendsForPolicy(policy, docker),
      owners,
      onPlanned: progress.onPlanned,
      onItemDone: progress.onItemDone,
    }),
  ).finally(() => progress.stop());
  if (options.state) await writeGraceState(options.state, policy.name, result.graceState);
  process.stdout.write(renderReport(result.report, options.output));
  return exitCodeFor(result.report);
}
