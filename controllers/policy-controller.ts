// The policy controller (design §3): one reconcile of a ReapPolicy key is one sweep of this agent's
// runtime. Sweeps come from the interval (the reconcile asks to be requeued), from owner deletions
// and from spec or approval changes; the queue runs one key at a time and coalesces triggers.
import { formatProblems } from '../src/api/problems.js';
import type { HeldWaveRecord, ReapPolicy } from '../src/api/types.js';
import type { DeletionWave } from '../src/core/deletion-wave.js';
import { findDeletionWaves, holdWaves, settlingOwners } from '../src/core/deletion-wave.js';
import { NO_GRACE } from '../src/core/grace.js';
import type { GraceState } from '../src/core/model.js';
import { ORPHAN_DECISIONS } from '../src/core/planner.js';
import type { Policy } from '../src/core/policy.js';
import type { EventSubject } from '../src/kube/event-recorder.js';
import type { ReconcileResult } from '../src/kube/run-workers.js';
import type { ObjectRef } from '../src/kube/status-apply.js';
import { jittered } from '../src/kube/backoff.js';
import type { Logger } from '../src/observe/logger.js';
import type { ReaperMetrics } from '../src/observe/metrics.js';
import type { OwnerSource } from '../src/owners/source.js';
import type { SweepHost } from '../src/sweep/environment.js';
import { sweepEnvironment } from '../src/sweep/environment.js';
import type { SweepResult } from '../src/sweep/run-sweep.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { describeOverlaps } from '../src/core/owner-scope.js';
import { InformerOwnerSource, ownersFromInformers } from './informer-owners.js';
import { heldWaveRecords, recallWaves } from '../src/status/node-report.js';
import type { OwnerDeletionLog } from './owner-deletions.js';
import type { PolicyRegistry } from './policy-registry.js';
import type { Events, OwnerCaches, Runtime } from './reconciler-ports.js';
import type { NodeReporter } from './node-reporter.js';
import type { RuntimeView } from './runtime-view.js';
import { sweepEvents } from '../src/status/sweep-events.js';

export const POLICY_API_VERSION = 'reaper.dev/v1alpha1';
export const POLICY_KIND = 'ReapPolicy';

export interface PolicyControllerOptions {
  readonly registry: PolicyRegistry;
  readonly informers: OwnerCaches;
  readonly engine: Runtime;
  /** Fresh owner reads for the re-check before deleting (never the cache). */
  readonly freshOwners: OwnerSource;
  /** This node's report of each policy (its ReapNodeReport); the policy's status is the summary writer's. */
  readonly reporter: Pick<NodeReporter, 'load' | 'afterSweep' | 'forget'>;
  readonly events: Events;
  readonly metrics: Pick<ReaperMetrics, 'setLiveOwners' | 'recordSweep' | 'forgetPolicy'>;
  readonly runtime: Pick<RuntimeView, 'remember' | 'forget'>;
  /** Owner deletions seen cluster-wide, where the guard finds mass deletions. */
  readonly deletions: Pick<OwnerDeletionLog, 'recent' | 'forget' | 'seen'>;
  /** This agent: its node, clock, shutdown, own container and re-check deadline, for every sweep. */
  readonly host: SweepHost;
  readonly logger: Logger;
  /** True while the runtime's first listing is under way (docker-view.ts `starting`): sweeps wait for it. */
  readonly runtimeStarting?: () => boolean;
}

/** While starting, and while blind, look again this soon rather than after a whole interval. */
const STARTING_RETRY_MS = 1_000;
const BLIND_RETRY_MS = 10_000;
/** After a wave's window closes, this long for the last of its deletions to reach the watch. */
const WAVE_SETTLE_MS = 1_000;
/** Up to this share of an interval is taken off at random, so a fleet's sweeps do not come in step. */
const INTERVAL_JITTER = 0.1;

interface PolicyMemory {
  grace: GraceState;
  generation: number;
  /** Waves of owner deletions the guard holds until approved (deletion-wave.ts holdWaves). */
  waves: readonly DeletionWave[];
  /** The overlap message last reported in an event; empty when there was none. */
  overlaps?: string;
}

export class PolicyController {
  private readonly memory = new Map<string, PolicyMemory>();
  private readonly logger: Logger;
  private readonly owners: InformerOwnerSource;

  constructor(private readonly options: PolicyControllerOptions) {
    this.logger = options.logger.child('policy-controller');
    this.owners = new InformerOwnerSource(options.informers, options.freshOwners, {
      seen: (policy) => (key) => options.deletions.seen(policy.name, key),
    });
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const { registry, informers } = this.options;
    const entry = registry.get(name);
    if (!entry) return this.forget(name);
    if (!entry.parsed.ok) {
      const problems = formatProblems(entry.parsed.problems).replace(/\n/g, '; ');
      this.logger.warn('policy is invalid; nothing is swept', { policy: name, problems });
      // The summary writer puts it in the policy's status; the event reaches `kubectl describe`
      // even when no status can be written.
      this.options.events.warning(subjectOf(entry.object), 'InvalidSpec', problems);
      return;
    }
    const policy = registry.scoped(entry.parsed.policy);
    // No sweep before every owner informer, and the runtime, has listed once: a sweep now would only
    // fail closed.
    if (ownersFromInformers(policy, informers).starting || this.options.runtimeStarting?.())
      return { requeueAfterMs: STARTING_RETRY_MS };

    const memory = this.memoryOf(policy);
    // Waves this node held before a restart are held still, under the approval id they had.
    const recalled = recallWaves(await this.options.reporter.load(policy));
    if (recalled.length > 0) {
      memory.waves = [...memory.waves, ...recalled];
      this.logger.info('holding waves of owner deletions recalled from this node’s report', {
        policy: policy.name,
        approvalIds: recalled.map((wave) => wave.recalled!.approvalId),
      });
    }
    const startedAt = this.options.host.now();
    const env = sweepEnvironment(this.options.host, {
      backends: this.options.engine.backendsFor(policy),
      owners: this.owners,
      massDeletions: (liveOwners) => {
        const now = this.options.host.now();
        const log = this.options.deletions.recent(policy.name);
        const found = findDeletionWaves(log, liveOwners, policy.limits);
        const windowMs = policy.limits.massDeletionWindowMs;
        memory.waves = holdWaves({ held: memory.waves, found, windowMs, now });
        return { waves: memory.waves, settling: settlingOwners(log, now, policy.limits) };
      },
    });
    const result = await runSweep(policy, memory.grace, env);
    memory.grace = result.graceState;
    for (const [kind, count] of result.owners.byKind ?? []) this.options.metrics.setLiveOwners(kind, count);
    // A blind sweep cannot tell which orphans this node still has: it lets go of no wave.
    let heldWaves: HeldWaveRecord[] | undefined;
    if (result.plan.failedClosed.length === 0) {
      const orphanOwnerKeys = orphanOwnerKeysOf(result);
      memory.waves = holdWaves({
        held: memory.waves,
        found: [],
        windowMs: policy.limits.massDeletionWindowMs,
        now: this.options.host.now(),
        orphanOwnerKeys,
      });
      heldWaves = heldWaveRecords(policy.name, memory.waves, orphanOwnerKeys);
    }
    // As the sweep left it, so this node's report stops counting what was just removed in the same write.
    this.options.runtime.remember(policy, result.after);
    this.options.metrics.recordSweep(result.report, (this.options.host.now() - startedAt) / 1000);
    this.logSweep(result);
    this.emitEvents(entry.object, result);
    this.reportOverlaps(entry.object, memory);
    const nextSweepInMs = this.nextSweepIn(policy, memory, result);
    await this.options.reporter.afterSweep(policy, {
      report: result.report,
      generation: policy.generation,
      ...(result.plan.blocked ? { blockedDescription: result.plan.blocked.description } : {}),
      failedClosed: result.plan.failedClosed,
      overlaps: this.options.registry.overlapsOf(policy.name),
      ...((result.plan.waitingForBurst ?? 0) > 0 ? { followUpInMs: nextSweepInMs } : {}),
      ...(heldWaves ? { heldWaves } : {}),
    });
    return { requeueAfterMs: jittered(nextSweepInMs, INTERVAL_JITTER, this.options.host.random) };
  }

  private nextSweepIn(policy: Policy, memory: PolicyMemory, result: SweepResult): number {
    const interval = policy.timing.intervalMs;
    const outcome = result.report.outcome;
    if (outcome === 'FailedClosed') return Math.min(BLIND_RETRY_MS, interval);
    // Waiting for a burst of deletions to end, or held by a wave still growing: look again once it
    // has, so the set this node judges (and names for approval) is the whole of it, the same every
    // other node judges.
    const windowMs = policy.limits.massDeletionWindowMs;
    const open = memory.waves.some((wave) => this.options.host.now() - wave.lastAt <= windowMs);
    if ((outcome === 'Blocked' && open) || (result.plan.waitingForBurst ?? 0) > 0)
      return Math.min(windowMs + WAVE_SETTLE_MS, interval);
    return interval;
  }

  /** A Warning when this policy's overlaps change to some: once per change, not once per sweep. */
  private reportOverlaps(object: ReapPolicy, memory: PolicyMemory): void {
    const overlaps = this.options.registry.overlapsOf(object.metadata.name);
    const text = overlaps.length > 0 ? describeOverlaps(overlaps) : '';
    if (text === (memory.overlaps ?? '')) return;
    memory.overlaps = text;
    if (text !== '') this.options.events.warning(subjectOf(object), 'ClaimsOverlap', text);
  }

  private emitEvents(object: ReapPolicy, result: SweepResult): void {
    const subject = subjectOf(object);
    for (const event of sweepEvents(result.report, result.plan)) {
      if (event.type === 'Normal') this.options.events.normal(subject, event.reason, event.message, event.count);
      else this.options.events.warning(subject, event.reason, event.message, event.count);
    }
  }

  private logSweep({ report, plan }: SweepResult): void {
    const fields = {
      policy: report.policy,
      sweepId: report.sweepId,
      outcome: report.outcome,
      mode: report.mode,
      startTime: report.startTime,
      finishTime: report.finishTime,
      liveOwners: report.liveOwners,
      counts: report.counts,
      ...(plan.failedClosed.length > 0 ? { failedClosed: plan.failedClosed } : {}),
      approvalId: report.approvalId,
      ...(plan.blocked ? { blocked: plan.blocked.description } : {}),
      ...(report.errors.length > 0 ? { errors: report.errors.slice(0, 5) } : {}),
    };
    if (report.outcome === 'Completed') this.logger.info('sweep finished', fields);
    else this.logger.warn('sweep finished', fields);
  }

  private memoryOf(policy: Policy): PolicyMemory {
    let memory = this.memory.get(policy.name);
    if (!memory || memory.generation !== policy.generation) {
      // A new generation may attribute differently: grace clocks start over. Held waves are judged
      // anew, under the new limits, from the deletions of the last hour.
      memory = { grace: NO_GRACE, generation: policy.generation, waves: [] };
      this.memory.set(policy.name, memory);
    }
    return memory;
  }

  private async forget(name: string): Promise<void> {
    this.memory.delete(name);
    this.options.deletions.forget(name);
    this.options.runtime.forget(name);
    this.options.metrics.forgetPolicy(name);
    this.logger.info('policy deleted; forgot its state', { policy: name });
    await this.options.reporter.forget(name);
  }
}

/** Owners this node still has orphans of, in grace or not: the held waves it must keep holding. */
function orphanOwnerKeysOf({ plan }: SweepResult): Set<string> {
  const keys = new Set<string>();
  for (const item of plan.items) {
    if (item.ownerKey !== undefined && ORPHAN_DECISIONS.has(item.decision)) keys.add(item.ownerKey);
  }
  return keys;
}

export function policyRef(name: string): ObjectRef {
  return { apiVersion: POLICY_API_VERSION, kind: POLICY_KIND, name };
}

function subjectOf(object: ReapPolicy): EventSubject {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    name: object.metadata.name,
    uid: object.metadata.uid,
  };
}
