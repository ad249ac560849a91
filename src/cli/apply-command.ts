// `reaper apply plan.json`: carries out a reviewed plan. Every item is verified again first: still
// there, unchanged, and still an orphan by a fresh read of the owners; whatever changed is skipped
// and reported, never removed.
import { parsePolicy, parsePolicyYaml } from '../api/parse-policy.js';
import { formatProblems } from '../api/problems.js';
import type { PlannedItem, RuntimeResource } from '../core/model.js';
import { resourceKey } from '../core/model.js';
import type { ItemOutcome } from '../core/outcome.js';
import type { Plan } from '../core/planner.js';
import { buildReport, newSweepId } from '../core/report.js';
import { takeSnapshot } from '../runtime/backend.js';
import { backendsForPolicy } from '../runtime/backends-for-policy.js';
import { executePlan } from '../runtime/executor.js';
import type { CommonOptions } from './context.js';
import { sweepEnvironment } from '../sweep/environment.js';
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
  const backends = backendsForPolicy(policy, await reachableDocker());
  const env = sweepEnvironment(cliHost(options.node), { backends, owners });

  const startedAt = env.now();
  const snapshot = await takeSnapshot(backends, env.now);
  const fresh = new Map(snapshot.resources.map((r) => [resourceKey(r), r]));
  const items: PlannedItem[] = [];
  const kept: PlannedItem[] = [];
  const skips: ItemOutcome[] = [];
  for (const planned of planFile.selected) {
    const key = resourceKey(planned.resource);
    const now = fresh.get(key);
    const item: PlannedItem = {
      resource: now ?? planned.resource,
      decision: 'selected',
      reason: planned.reason,
      ...(planned.ownerKey !== undefined ? { ownerKey: planned.ownerKey } : {}),
    };
    items.push(item);
    const change = now ? differences(planned.resource, now) : 'no longer present';
    if (change) skips.push({ key, status: 'skipped', reason: `changed since the plan: ${change}` });
    else kept.push(item);
  }

  const plan: Plan = { items, selected: kept, graceState: {}, failedClosed: [], orphanPercent: 0 };
  const execution = await executePlan({
    plan,
    snapshot,
    policy,
    backends,
    recheckOwners: () => env.owners.recheck(policy, kept),
    now: env.now,
  });
  const report = buildReport({
    plan,
    outcomes: [...skips, ...execution.outcomes],
    policy: policy.name,
    mode: 'Reap',
    node: env.node,
    sweepId: newSweepId(startedAt, env.random),
    startedAt,
    finishedAt: env.now(),
    liveOwnerCount: 0,
    errors: [...snapshot.errors, ...execution.errors],
  });
  process.stdout.write(renderReport(report, options.output));
  return exitCodeFor(report);
}

/** What makes a resource no longer the one that was reviewed; undefined when it is the same. */
function differences(before: RuntimeResource, after: RuntimeResource): string | undefined {
  if (before.name !== after.name) return `name is now ${after.name}`;
  if (before.createdAt !== after.createdAt) return 'recreated';
  if (JSON.stringify(sorted(before.labels)) !== JSON.stringify(sorted(after.labels))) return 'labels changed';
  if (before.kind === 'ipLease' && after.kind === 'ipLease' && before.containerId !== after.containerId) {
    return 'leased to another container';
  }
  return undefined;
}

function sorted(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
