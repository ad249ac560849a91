// A sweep on the real engines through src/sweep's runSweep: snapshot through the real backends,
// plan with the pure planner, re-check, execute. Each test matches on a label key of its own, so everything
// else on the engine (other test files run side by side) is foreign to it; its resources carry that
// key and the kind label of the ownership contract (test/support/owner-labels.ts ownerLabels).
import type Docker from 'dockerode';
import { NO_GRACE } from '../../../src/core/grace.js';
import type { LiveOwners, RuntimeSnapshot } from '../../../src/core/model.js';
import type { ItemOutcome } from '../../../src/core/outcome.js';
import type { Plan } from '../../../src/core/planner.js';
import type { Policy } from '../../../src/core/policy.js';
import type { Backends } from '../../../src/runtime/backend.js';
import { backendsForPolicy } from '../../../src/runtime/backends-for-policy.js';
import type { ExecuteResult } from '../../../src/runtime/executor.js';
import { sweepEnvironment } from '../../../src/sweep/environment.js';
import { runSweep } from '../../../src/sweep/run-sweep.js';
import { uniqueName } from '../../support/engines.js';

export interface PolicyOptions {
  readonly cniDir: string;
  readonly leaseNetworks?: readonly string[];
  readonly running?: 'Stop' | 'Skip';
  readonly mode?: 'Reap' | 'DryRun';
  readonly concurrency?: number;
}

/** A policy on a label key no other test uses; no age, no grace, no blast-radius guard. */
export function testPolicy(options: PolicyOptions): { policy: Policy; label: string } {
  const label = `${uniqueName('x')}.test/owner`;
  const policy: Policy = {
    name: uniqueName('executor'),
    generation: 1,
    mode: options.mode ?? 'Reap',
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: { type: 'uid' } }],
    match: [{ type: 'label', label }],
    resources: {
      containers: { enabled: true, running: options.running ?? 'Stop', stopTimeoutSeconds: 1 },
      networks: { enabled: true },
      volumes: { enabled: true },
      ipLeases: { enabled: true, cniDir: options.cniDir, networks: [...(options.leaseNetworks ?? [])] },
    },
    timing: { minAgeMs: 0, gracePeriodMs: 0, intervalMs: 60_000 },
    limits: {
      maxDeletionsPerSweep: 500,
      maxOrphanPercent: 100,
      minOwnersToBlock: 10,
      massDeletionWindowMs: 10_000,
      concurrency: options.concurrency ?? 4,
    },
    teardown: 'Sweep',
  };
  return { policy, label };
}

export const live = (...keys: string[]): LiveOwners => ({ keys: new Set(keys), synced: true, errors: [] });

export interface SweepOptions {
  readonly liveKeys?: readonly string[];
  /** The fresh read right before deleting; by default the same owners as the plan saw. */
  readonly recheckOwners?: () => Promise<LiveOwners>;
  readonly backends?: Backends;
  /** Runs between planning and execution (someone else acting on the engine meanwhile). */
  readonly beforeExecute?: (plan: Plan) => Promise<void>;
  readonly onItemDone?: (outcome: ItemOutcome) => void;
}

export interface SweepRun {
  readonly snapshot: RuntimeSnapshot;
  readonly plan: Plan;
  readonly execution: ExecuteResult;
  /** Outcomes in the order items finished. */
  readonly finished: ItemOutcome[];
  /** Outcome by resource key. */
  readonly byKey: Map<string, ItemOutcome>;
}

export async function sweep(docker: Docker, policy: Policy, options: SweepOptions = {}): Promise<SweepRun> {
  const owners = live(...(options.liveKeys ?? []));
  const finished: ItemOutcome[] = [];
  const { snapshot, plan, execution } = await runSweep(
    policy,
    NO_GRACE,
    sweepEnvironment(
      { node: 'test', now: Date.now, random: Math.random },
      {
        backends: options.backends ?? backendsForPolicy(policy, docker),
        owners: {
          list: () => Promise.resolve({ live: owners, count: owners.keys.size }),
          recheck: options.recheckOwners ?? (() => Promise.resolve(owners)),
        },
        ...(options.beforeExecute ? { onPlanned: options.beforeExecute } : {}),
        onItemDone: (outcome) => {
          finished.push(outcome);
          options.onItemDone?.(outcome);
        },
      },
    ),
  );
  return { snapshot, plan, execution, finished, byKey: new Map(execution.outcomes.map((o) => [o.key, o])) };
}

/** Keys of the plan's selected items. */
export const selectedKeys = (plan: Plan): string[] => plan.selected.map((i) => `${i.resource.kind}:${i.resource.id}`);
