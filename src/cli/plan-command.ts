// `reaper plan -o plan.json`: what a sweep would do now, written down for review (and for GitOps:
// `reaper plan --owners-from DIR` previews what a change to the manifests would reap).
import { NO_GRACE } from '../core/grace.js';
import type { ReapMode } from '../core/policy.js';
import { backendsForPolicy } from '../runtime/backends-for-policy.js';
import { runSweep } from '../sweep/run-sweep.js';
import type { CommonOptions } from './context.js';
import { sweepEnvironment } from '../sweep/environment.js';
import { cliHost, loadScopedPolicy, ownerSourceFor, reachableDocker } from './context.js';
import type { ExitCode } from './exit-codes.js';
import { exitCodeFor } from './exit-for-report.js';
import { writePlanFile } from './plan-file.js';
import type { OutputFormat } from './render-report.js';
import { renderReport } from './render-report.js';
import { readGraceState } from './state-file.js';

export interface PlanOptions extends CommonOptions {
  out?: string;
  state?: string;
  format: OutputFormat;
}

export async function planCommand(options: PlanOptions): Promise<ExitCode> {
  const { policy, source } = await loadScopedPolicy(options);
  const dryRun = { ...policy, mode: 'DryRun' as ReapMode };
  const docker = await reachableDocker();
  const grace = options.state ? await readGraceState(options.state, policy.name) : NO_GRACE;
  const result = await runSweep(
    dryRun,
    grace,
    sweepEnvironment(cliHost(options.node), {
      backends: backendsForPolicy(dryRun, docker),
      owners: ownerSourceFor(options.ownersFrom),
    }),
  );
  if (options.out) {
    await writePlanFile(options.out, {
      kind: 'ReaperPlan',
      version: 1,
      policySource: source,
      createdAt: result.report.finishTime,
      report: result.report,
      selected: result.plan.selected.map((item) => ({
        resource: item.resource,
        reason: item.reason,
        ...(item.ownerKey !== undefined ? { ownerKey: item.ownerKey } : {}),
      })),
    });
  }
  process.stdout.write(renderReport(result.report, options.format));
  return exitCodeFor(result.report);
}
