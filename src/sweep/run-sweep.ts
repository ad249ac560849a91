// One sweep, start to finish (design §3): snapshot the runtime first, then the owners; plan; run
// what the plan selected with a fresh owner re-check; report. Shared by the CLI and the controller.
import type { MassDeletions } from '../core/deletion-wave.js';
import type { GraceState, RuntimeSnapshot } from '../core/model.js';
import { withoutRemoved } from '../core/model.js';
import type { ItemOutcome } from '../core/outcome.js';
import type { Plan } from '../core/planner.js';
import { planReap } from '../core/planner.js';
import type { Policy } from '../core/policy.js';
import { buildReport, newSweepId } from '../core/report.js';
import type { ReapReport } from '../core/report-types.js';
import { withDeadline } from '../kube/timers.js';
import type { OwnerListing, OwnerSource } from '../owners/source.js';
import type { Backends } from '../runtime/backend.js';
import { takeSnapshot } from '../runtime/backend.js';
import type { ExecuteResult } from '../runtime/executor.js';
import { executePlan } from '../runtime/executor.js';

export interface SweepEnvironment {
  readonly backends: Backends;
  /** The owners alive now, and afresh right before deleting. */
  readonly owners: OwnerSource;
  /** The re-check of owners gives up after this long (an unanswered re-check reaps nothing); none by default. */
  readonly recheckTimeoutMs?: number | undefined;
  /**
   * What to remove, decided from the snapshot; by default planReap over the owners listed. `reaper
   * apply` carries out a reviewed plan instead (src/core/review.ts).
   */
  readonly plan?: (snapshot: RuntimeSnapshot) => Plan;
  /**
   * The owner deletions the guard knows of, given how many owners are live now; none in a one-shot
   * CLI run, which judges only the owners of its own orphans.
   */
  readonly massDeletions?: (liveOwnerCount: number) => MassDeletions;
  readonly node: string;
  readonly now: () => number;
  readonly random: () => number;
  readonly selfContainerId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Narrows what the sweep plans over, e.g. to one owner's resources for a teardown. */
  readonly scope?: (snapshot: RuntimeSnapshot) => RuntimeSnapshot;
  /** Told the plan before anything is removed; execution waits for it. */
  readonly onPlanned?: (plan: Plan) => void | Promise<void>;
  readonly onItemDone?: (outcome: ItemOutcome) => void;
}

export interface SweepResult {
  readonly report: ReapReport;
  readonly plan: Plan;
  readonly snapshot: RuntimeSnapshot;
  readonly owners: OwnerListing;
  /** What the executor did with what the plan selected. */
  readonly execution: ExecuteResult;
  /** The snapshot less what this sweep removed: the runtime as the sweep left it. */
  readonly after: RuntimeSnapshot;
  readonly graceState: GraceState;
}

export async function runSweep(policy: Policy, graceState: GraceState, env: SweepEnvironment): Promise<SweepResult> {
  const startedAt = env.now();
  const sweepId = newSweepId(startedAt, env.random);
  // Runtime before owners: an owner created after this snapshot cannot make one of its resources
  // look orphaned, because those resources are not in the snapshot either.
  const listed = await takeSnapshot(env.backends, env.now);
  const snapshot = env.scope ? env.scope(listed) : listed;
  const owners = await env.owners.list(policy);
  const plan = env.plan ? env.plan(snapshot) : planByPolicy(snapshot, owners, policy, graceState, env);
  await env.onPlanned?.(plan);
  for (const skip of plan.skipped ?? []) env.onItemDone?.(skip);
  const execution = await executePlan({
    plan,
    snapshot,
    policy,
    backends: env.backends,
    recheckOwners: () => {
      const fresh = env.owners.recheck(policy, plan.selected);
      const ms = env.recheckTimeoutMs;
      return ms === undefined ? fresh : withDeadline(fresh, ms, 'the re-check of owners');
    },
    now: env.now,
    signal: env.signal,
    onItemDone: env.onItemDone,
  });
  const report = buildReport({
    plan,
    outcomes: [...(plan.skipped ?? []), ...execution.outcomes],
    policy: policy.name,
    mode: policy.mode,
    node: env.node,
    sweepId,
    startedAt,
    finishedAt: env.now(),
    liveOwnerCount: owners.count,
    errors: [...execution.errors, ...(snapshot.warnings ?? [])],
  });
  const after = withoutRemoved(snapshot, execution.outcomes);
  return { report, plan, snapshot, owners, execution, after, graceState: plan.graceState };
}

/** The plan of an ordinary sweep: the policy over the owners listed, with the guard's deletions. */
function planByPolicy(
  snapshot: RuntimeSnapshot,
  owners: OwnerListing,
  policy: Policy,
  graceState: GraceState,
  env: SweepEnvironment,
): Plan {
  const deletions = env.massDeletions?.(owners.count);
  return planReap(snapshot, owners.live, policy, graceState, env.now(), {
    ...(env.selfContainerId ? { selfContainerId: env.selfContainerId } : {}),
    liveOwnerCount: owners.count,
    deletionWaves: deletions?.waves,
    settlingOwners: deletions?.settling,
  });
}
