// Builders for ReapReports, by hand (every field chosen) or through the real pure pipeline (planReap,
// then buildReport with the outcomes an executor would have given).
import { NO_GRACE } from '../../src/core/grace.js';
import type { GraceState, LiveOwners, RuntimeSnapshot } from '../../src/core/model.js';
import { resourceKey } from '../../src/core/model.js';
import type { ItemOutcome, OutcomeStatus } from '../../src/core/outcome.js';
import type { Plan } from '../../src/core/planner.js';
import { planReap } from '../../src/core/planner.js';
import type { Policy } from '../../src/core/policy.js';
import { buildReport, emptyCounts } from '../../src/core/report.js';
import type { KindCounts, ReapReport, ReportKind } from '../../src/core/report-types.js';
import type { SweepFacts } from '../../src/status/policy-status.js';
import { NOW } from './builders.js';

export type CountsOverrides = Partial<Record<ReportKind, Partial<KindCounts>>>;

/** A report with every field set; counts default to zero and are overridden per kind. */
export function report(overrides: Omit<Partial<ReapReport>, 'counts'> & { counts?: CountsOverrides } = {}): ReapReport {
  const { counts = {}, ...rest } = overrides;
  const kind = (name: ReportKind): KindCounts => ({ ...emptyCounts(), ...counts[name] });
  return {
    sweepId: '20261125t120000z-000001',
    policy: 'default',
    node: 'node-a',
    mode: 'Reap',
    startTime: '2026-11-25T12:00:00.000Z',
    finishTime: '2026-11-25T12:00:01.000Z',
    outcome: 'Completed',
    liveOwners: 2,
    counts: {
      containers: kind('containers'),
      networks: kind('networks'),
      volumes: kind('volumes'),
      ipLeases: kind('ipLeases'),
    },
    items: [],
    itemsOmitted: 0,
    errors: [],
    errorsOmitted: 0,
    ...rest,
  };
}

/** What the policy controller hands over after a sweep of generation 1 (`extra` replaces fields). */
export function sweepFacts(r: ReapReport = report(), extra: Partial<SweepFacts> = {}): SweepFacts {
  return { report: r, generation: 1, failedClosed: [], overlaps: [], ...extra };
}

export interface Swept {
  readonly plan: Plan;
  readonly report: ReapReport;
}

/**
 * A sweep as the controller runs it, without engines: plan, the executor's outcome for every
 * selected item (`reaped` unless `outcome` says otherwise; `wouldReap` in DryRun), then the report.
 */
export function sweep(input: {
  snapshot: RuntimeSnapshot;
  owners: LiveOwners;
  policy: Policy;
  grace?: GraceState;
  outcome?: (key: string) => { status: OutcomeStatus; reason?: string };
  errors?: string[];
}): Swept {
  const plan = planReap(input.snapshot, input.owners, input.policy, input.grace ?? NO_GRACE, NOW);
  const outcomes: ItemOutcome[] = plan.selected.map((item) => {
    const key = resourceKey(item.resource);
    if (input.policy.mode === 'DryRun') return { key, status: 'wouldReap', reason: item.reason };
    const decided = input.outcome?.(key) ?? { status: 'reaped' as const };
    return { key, status: decided.status, reason: decided.reason ?? item.reason };
  });
  const built = buildReport({
    plan,
    outcomes,
    policy: input.policy.name,
    mode: input.policy.mode,
    node: 'node-a',
    sweepId: '20261125t120000z-abcdef',
    startedAt: NOW,
    finishedAt: NOW + 1000,
    liveOwnerCount: input.owners.keys.size,
    ...(input.errors ? { errors: input.errors } : {}),
  });
  return { plan, report: built };
}
