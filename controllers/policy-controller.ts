// The policy controller (design §3): one reconcile of a ReapPolicy key is one sweep of this agent's
// runtime. Sweeps come from the interval (the reconcile asks to be requeued), from owner deletions
// and from spec or approval changes; the queue runs one key at a time and coalesces triggers.
import type Docker from 'dockerode';
import { formatProblems } from '../src/api/problems.js';
import type { ReapPolicy } from '../src/api/types.js';
import type { GraceState } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import type { EventRecorder, EventSubject } from '../src/kube/event-recorder.js';
import type { DynamicInformerSet } from '../src/kube/informer-set.js';
import type { ReconcileResult } from '../src/kube/run-workers.js';
import type { ObjectRef } from '../src/kube/status-apply.js';
import { jittered } from '../src/kube/backoff.js';
import { withDeadline } from '../src/kube/timers.js';
import type { Logger } from '../src/observe/logger.js';
import type { ReaperMetrics } from '../src/observe/metrics.js';
import type { OwnerListing, OwnerSource } from '../src/owners/source.js';
import { backendsForPolicy } from '../src/runtime/backends-for-policy.js';
import type { SweepResult } from '../src/sweep/run-sweep.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { describeOverlaps } from '../src/core/owner-scope.js';
import { ownersFromInformers } from './informer-owners.js';
import type { PolicyRegistry } from './policy-registry.js';
import type { NodeReporter } from './node-reporter.js';
import type { RuntimeView } from './runtime-view.js';
import { sweepEvents } from './sweep-events.js';

export const POLICY_API_VERSION = 'reaper.dev/v1alpha1';
export const POLICY_KIND = 'ReapPolicy';

export interface PolicyControllerOptions {
  readonly registry: PolicyRegistry;
  readonly informers: DynamicInformerSet;
  readonly docker: Docker;
  /** Fresh owner reads for the re-check before deleting (never the cache). */
  readonly freshOwners: OwnerSource;
  /** This node's report of each policy (its ReapNodeReport); the policy's status is the summary writer's. */
  readonly reporter: Pick<NodeReporter, 'load' | 'afterSweep' | 'forget'>;
  readonly events: EventRecorder;
  readonly metrics: ReaperMetrics;
  readonly runtime: RuntimeView;
  readonly node: string;
  readonly selfContainerId?: string;
  readonly logger: Logger;
  /** Aborted on shutdown: the sweep in flight starts no new removal. */
  readonly shutdown: AbortSignal;
  readonly now: () => number;
  readonly random: () => number;
  /** The fresh re-check gives up after this long (an unanswered re-check reaps nothing); none by default. */
  readonly recheckTimeoutMs?: number;
}

/** While starting, and while blind, look again this soon rather than after a whole interval. */
const STARTING_RETRY_MS = 1_000;
const BLIND_RETRY_MS = 10_000;
/** Up to this share of an interval is taken off at random, so a fleet's sweeps do not come in step. */
const INTERVAL_JITTER = 0.1;

interface PolicyMemory {
  grace: GraceState;
  generation: number;
  /** The overlap message last reported in an event; empty when there was none. */
  overlaps?: string;
}

export class PolicyController {
  private readonly memory = new Map<string, PolicyMemory>();
  private readonly logger: Logger;

  constructor(private readonly options: PolicyControllerOptions) {
    this.logger = options.logger.child('policy-controller');
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
    // No sweep before every owner informer has listed once: a sweep now would only fail closed.
    if (ownersFromInformers(policy, informers).starting) return { requeueAfterMs: STARTING_RETRY_MS };

    const memory = this.memoryOf(policy);
    await this.options.reporter.load(policy);
    const startedAt = this.options.now();
    const result = await runSweep(policy, memory.grace, {
      backends: backendsForPolicy(policy, this.options.docker),
      listOwners: async () => {
        const owners = ownersFromInformers(policy, informers);
        for (const [kind, count] of owners.byKind) this.options.metrics.setLiveOwners(kind, count);
        return { live: owners.live, count: owners.count };
      },
      recheckOwners: async () => (await this.recheck(policy)).live,
      node: this.options.node,
      now: this.options.now,
      random: this.options.random,
      signal: this.options.shutdown,
      ...(this.options.selfContainerId ? { selfContainerId: this.options.selfContainerId } : {}),
    });
    memory.grace = result.graceState;
    this.options.runtime.remember(policy, result.snapshot);
    this.options.metrics.recordSweep(result.report, (this.options.now() - startedAt) / 1000);
    this.logSweep(result);
    this.emitEvents(entry.object, result);
    this.reportOverlaps(entry.object, memory);
    await this.options.reporter.afterSweep(policy, {
      report: result.report,
      generation: policy.generation,
      ...(result.plan.blocked ? { blockedDescription: result.plan.blocked.description } : {}),
      failedClosed: result.plan.failedClosed,
      overlaps: this.options.registry.overlapsOf(policy.name),
    });
    const outcome = result.report.outcome;
    const period =
      outcome === 'FailedClosed' ? Math.min(BLIND_RETRY_MS, policy.timing.intervalMs) : policy.timing.intervalMs;
    return { requeueAfterMs: jittered(period, INTERVAL_JITTER, this.options.random) };
  }

  private recheck(policy: Policy): Promise<OwnerListing> {
    const listing = this.options.freshOwners.list(policy);
    const timeoutMs = this.options.recheckTimeoutMs;
    return timeoutMs === undefined ? listing : withDeadline(listing, timeoutMs, 'the re-check of owners');
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
      ...(report.approvalId ? { approvalId: report.approvalId } : {}),
      ...(report.errors.length > 0 ? { errors: report.errors.slice(0, 5) } : {}),
    };
    if (report.outcome === 'Completed') this.logger.info('sweep finished', fields);
    else this.logger.warn('sweep finished', fields);
  }

  private memoryOf(policy: Policy): PolicyMemory {
    let memory = this.memory.get(policy.name);
    if (!memory || memory.generation !== policy.generation) {
      // A new generation may attribute differently: grace clocks start over.
      memory = { grace: {}, generation: policy.generation };
      this.memory.set(policy.name, memory);
    }
    return memory;
  }

  private async forget(name: string): Promise<void> {
    this.memory.delete(name);
    this.options.runtime.forget(name);
    this.options.metrics.forgetPolicy(name);
    this.logger.info('policy deleted; forgot its state', { policy: name });
    await this.options.reporter.forget(name);
  }
}

export function policyRef(name: string): ObjectRef {
  return { apiVersion: POLICY_API_VERSION, kind: POLICY_KIND, name };
}

function subjectOf(object: ReapPolicy): EventSubject {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    name: object.metadata.name,
    ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
  };
}
