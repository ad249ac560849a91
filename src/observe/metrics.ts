// Prometheus metrics for the controller. Each ReaperMetrics has its own registry, so tests and
// several instances in one process never collide on metric names. Default process metrics keep
// prom-client's names (process_resident_memory_bytes, ...) so stock dashboards work; ours start
// with `reaper_`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReapReport, SweepOutcome } from '../core/report-types.js';
import { REPORT_KINDS } from '../core/report-types.js';

export type TeardownResult = 'Reaped' | 'Failed';

const SWEEP_OUTCOMES: readonly SweepOutcome[] = ['Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'];

/**
 * How often the event-loop delay histogram (nodejs_eventloop_lag_p99_seconds and the like) samples.
 * prom-client's default, 10 ms, wakes an idle agent 100 times a second: about half a percent of a
 * core on every node, for nothing. At 100 ms every stall longer than that is still seen.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** 10 ms .. 10 min: an empty host sweeps in milliseconds, a busy one with slow removals in minutes. */
const SWEEP_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class ReaperMetrics {
  private readonly registry = new Registry();

  private readonly sweeps = new Counter({
    name: 'reaper_sweeps_total',
    help: 'Sweeps finished, by policy and outcome.',
    labelNames: ['policy', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly sweepDuration = new Histogram({
    name: 'reaper_sweep_duration_seconds',
    help: 'Wall time of a sweep, from snapshot to last removal.',
    labelNames: ['policy'] as const,
    buckets: SWEEP_DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly scanned = new Gauge({
    name: 'reaper_resources_scanned',
    help: 'Runtime resources listed by the last sweep of the policy.',
    labelNames: ['policy', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly orphaned = new Gauge({
    name: 'reaper_resources_orphaned',
    help: 'Runtime resources the last sweep of the policy found orphaned.',
    labelNames: ['policy', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly reaped = new Counter({
    name: 'reaper_resources_reaped_total',
    help: 'Runtime resources removed (someone else removing them first counts).',
    labelNames: ['policy', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'reaper_resources_failed_total',
    help: 'Runtime resource removals that failed.',
    labelNames: ['policy', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly liveOwners = new Gauge({
    name: 'reaper_live_owners',
    help: 'Owner objects currently seen live, by owner kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'reaper_last_successful_sweep_timestamp_seconds',
    help: 'Finish time (Unix seconds) of the last sweep of the policy whose outcome was Completed.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  private readonly blocked = new Gauge({
    name: 'reaper_sweep_blocked',
    help: '1 when the last sweep of the policy was stopped by the blast-radius guard, else 0.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  private readonly informerHealthy = new Gauge({
    name: 'reaper_informer_healthy',
    help: '1 when the informer for the target is synced and watching, else 0.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  private readonly runtimeFollowed = new Gauge({
    name: 'reaper_runtime_view_readable',
    help: '1 while the agent follows the Docker engine (listed, its event stream whole), else 0: sweeps fail closed.',
    registers: [this.registry],
  });
  private readonly viewCalls = new Counter({
    name: 'reaper_runtime_view_docker_calls_total',
    help: 'Docker calls the runtime view made (listings, inspects, subscriptions), by call: an idle engine is asked nothing.',
    labelNames: ['call'] as const,
    registers: [this.registry],
  });
  private readonly teardowns = new Counter({
    name: 'reaper_teardowns_total',
    help: 'Owner teardowns done through the finalizer, by owner kind and result.',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** The Content-Type header for the text metrics() returns. */
  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  recordSweep(report: ReapReport, durationSeconds: number): void {
    const { policy, outcome } = report;
    // Every outcome and kind gets a series (0 when unseen), so rate() and absent() alerts work
    // from the first sweep on, not from the first failure.
    for (const each of SWEEP_OUTCOMES) this.sweeps.inc({ policy, outcome: each }, each === outcome ? 1 : 0);
    this.sweepDuration.observe({ policy }, durationSeconds);
    for (const kind of REPORT_KINDS) {
      const counts = report.counts[kind];
      this.scanned.set({ policy, kind }, counts.scanned);
      this.orphaned.set({ policy, kind }, counts.orphaned);
      this.reaped.inc({ policy, kind }, counts.reaped);
      this.failed.inc({ policy, kind }, counts.failed);
    }
    const finishedAt = Date.parse(report.finishTime);
    if (outcome === 'Completed' && Number.isFinite(finishedAt)) this.lastSuccess.set({ policy }, finishedAt / 1000);
    this.blocked.set({ policy }, outcome === 'Blocked' ? 1 : 0);
  }

  setLiveOwners(kind: string, count: number): void {
    this.liveOwners.set({ kind }, count);
  }

  setInformerHealthy(target: string, healthy: boolean): void {
    this.informerHealthy.set({ target }, healthy ? 1 : 0);
  }

  countRuntimeViewCall(call: string): void {
    this.viewCalls.inc({ call });
  }

  setRuntimeViewReadable(readable: boolean): void {
    this.runtimeFollowed.set(readable ? 1 : 0);
  }

  /** For an informer that was stopped: a stale 0 or 1 would mislead. */
  forgetInformer(target: string): void {
    this.informerHealthy.remove({ target });
  }

  recordTeardown(kind: string, result: TeardownResult): void {
    this.teardowns.inc({ kind, result });
  }

  /** Removes every series labelled with the policy (it was deleted), so dashboards do not show it forever. */
  forgetPolicy(policy: string): void {
    for (const outcome of SWEEP_OUTCOMES) this.sweeps.remove({ policy, outcome });
    for (const kind of REPORT_KINDS) {
      for (const metric of [this.scanned, this.orphaned, this.reaped, this.failed]) metric.remove({ policy, kind });
    }
    this.sweepDuration.remove({ policy });
    this.lastSuccess.remove({ policy });
    this.blocked.remove({ policy });
  }
}
