// Leader election through a coordination.k8s.io/v1 Lease, after client-go's leaderelection: a
// candidate retries every retryPeriod until it holds the lease; the leader renews every retryPeriod
// and gives up leading when it cannot renew within renewDeadline, or sees someone else holding the
// lease; stop() ends the leader's work first, then releases the lease so another candidate takes
// over at its next retry instead of waiting out leaseDuration.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observe/logger.js';
import { silentLogger } from '../observe/logger.js';
import { describeError, isConflict, isNotFound } from './api-errors.js';
import type { LeaseObservation, LeaseSpec } from './lease-decision.js';
import { judgeLease, leaseSpecFor, observeLease, releasedLeaseSpec } from './lease-decision.js';
import { withTimeout } from './request-options.js';
import type { Timers } from './timers.js';
import { sleep, systemTimers } from './timers.js';

export interface LeaderElectionConfig {
  namespace: string;
  leaseName: string;
  /** Unique per candidate, e.g. the pod name. */
  identity: string;
  /** How long others wait after the last renewal before taking over; client-go's default 15s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading; default 10s. */
  renewDeadlineMs?: number;
  /** Interval between attempts to acquire or renew; default 2s. */
  retryPeriodMs?: number;
  /** Release the lease when stopped while leading; default true. */
  releaseOnStop?: boolean;
  logger?: Logger;
  timers?: Timers;
  random?: () => number;
}

export interface LeadershipCallbacks {
  /**
   * Called on becoming the leader. `signal` aborts when leadership ends; a returned promise is
   * awaited before the lease is released on stop(), so the next leader starts after this one ended.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once leadership has ended: lost, or given up by stop(). */
  onStoppedLeading(): void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?(identity: string): void;
}

// client-go waits retryPeriod plus up to 1.2 times it between attempts to acquire.
const ACQUIRE_JITTER = 1.2;

export class LeaderElector {
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnStop: boolean;
  private readonly logger: Logger;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private observation?: LeaseObservation;
  private leading = false;
  private running?: Promise<void>;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly config: LeaderElectionConfig,
    private readonly callbacks: LeadershipCallbacks,
  ) {
    this.coordination = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    this.releaseOnStop = config.releaseOnStop ?? true;
    this.logger = (config.logger ?? silentLogger).child('leader-election', {
      lease: `${config.namespace}/${config.leaseName}`,
      identity: config.identity,
    });
    this.timers = config.timers ?? systemTimers;
    this.random = config.random ?? Math.random;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must exceed renewDeadline');
    if (this.renewDeadlineMs <= ACQUIRE_JITTER * this.retryPeriodMs) {
      throw new Error('renewDeadline must exceed 1.2 times retryPeriod');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the lease ('' when nobody holds it). */
  get observedLeader(): string | undefined {
    return this.observation?.holder;
  }

  /**
   * Campaigns until leading, leads until leadership is lost or stop() is called, then returns.
   * Call once per elector; after a loss, make a new elector to campaign again.
   */
  run(): Promise<void> {
    this.running ??= this.campaign();
    return this.running;
  }

  /** Stops campaigning or leading (releasing the lease if configured) and waits for run() to end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async campaign(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      if ((await this.tryAcquireOrRenew(this.renewDeadlineMs)) === 'ours') break;
      const wait = this.retryPeriodMs * (1 + ACQUIRE_JITTER * this.random());
      await sleep(this.timers, wait, this.stopping.signal);
    }
    if (this.stopping.signal.aborted) return;
    await this.lead();
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.logger.info('became leader');
    const leadership = new AbortController();
    const work = this.startWork(leadership.signal);
    while (!this.stopping.signal.aborted) {
      await sleep(this.timers, this.retryPeriodMs, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      if (!(await this.renew())) {
        this.logger.warn('lost leadership', { holder: this.observation?.holder });
        break;
      }
    }
    this.leading = false;
    leadership.abort();
    const stoppedByUs = this.stopping.signal.aborted;
    if (stoppedByUs) {
      await work;
      if (this.releaseOnStop) await this.release();
    }
    this.callbacks.onStoppedLeading();
  }

  private async startWork(signal: AbortSignal): Promise<void> {
    try {
      await this.callbacks.onStartedLeading(signal);
    } catch (err) {
      this.logger.error('leader work failed', { error: describeError(err) });
    }
  }

  /** Retries renewal every retryPeriod until it succeeds, someone else holds the lease, or the deadline passes. */
  private async renew(): Promise<boolean> {
    const deadline = this.timers.now() + this.renewDeadlineMs;
    for (;;) {
      const remaining = deadline - this.timers.now();
      if (remaining <= 0) return false;
      const outcome = await this.tryAcquireOrRenew(remaining);
      if (outcome === 'ours') return true;
      if (outcome === 'held') return false;
      if (this.timers.now() + this.retryPeriodMs >= deadline) return false;
      await sleep(this.timers, this.retryPeriodMs, this.stopping.signal);
      if (this.stopping.signal.aborted) return true;
    }
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<'ours' | 'held' | 'failed'> {
    const { namespace, leaseName: name, identity } = this.config;
    const options = withTimeout(timeoutMs);
    const now = new Date(this.timers.now());
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    try {
      let lease: k8s.V1Lease;
      try {
        lease = await this.coordination.readNamespacedLease({ name, namespace }, options);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const spec = toApiSpec(leaseSpecFor(undefined, identity, now, durationSeconds));
        const created = await this.coordination.createNamespacedLease(
          { namespace, body: { metadata: { name, namespace }, spec } },
          options,
        );
        this.see(created);
        return 'ours';
      }
      this.see(lease);
      const verdict = judgeLease(this.observation!, identity, this.timers.now());
      if (verdict.kind === 'held') return 'held';
      const spec = toApiSpec(leaseSpecFor(fromApiSpec(lease.spec), identity, now, durationSeconds));
      const replaced = await this.coordination.replaceNamespacedLease(
        { name, namespace, body: { ...lease, spec } },
        options,
      );
      this.see(replaced);
      return 'ours';
    } catch (err) {
      // A conflict means another candidate wrote first: not an error, just not ours this time.
      if (!isConflict(err)) this.logger.warn('could not acquire or renew the lease', { error: describeError(err) });
      return 'failed';
    }
  }

  private async release(): Promise<void> {
    const { namespace, leaseName: name, identity } = this.config;
    try {
      const lease = await this.coordination.readNamespacedLease({ name, namespace }, withTimeout(this.renewDeadlineMs));
      if (lease.spec?.holderIdentity !== identity) return;
      const spec = toApiSpec(releasedLeaseSpec(fromApiSpec(lease.spec), new Date(this.timers.now())));
      this.see(
        await this.coordination.replaceNamespacedLease(
          { name, namespace, body: { ...lease, spec } },
          withTimeout(this.renewDeadlineMs),
        ),
      );
      this.logger.info('released the lease');
    } catch (err) {
      this.logger.warn('could not release the lease; others take over once it expires', {
        error: describeError(err),
      });
    }
  }

  private see(lease: k8s.V1Lease): void {
    const before = this.observation?.holder;
    this.observation = observeLease(
      this.observation,
      lease.metadata?.resourceVersion ?? '',
      fromApiSpec(lease.spec),
      this.timers.now(),
      this.leaseDurationMs,
    );
    const holder = this.observation.holder;
    if (holder !== before && holder !== '') this.callbacks.onNewLeader?.(holder);
  }
}

function fromApiSpec(spec: k8s.V1LeaseSpec | undefined): LeaseSpec {
  return { ...spec } as LeaseSpec;
}

/** Lease times are MicroTime on the wire: six fractional digits, which V1MicroTime writes. */
function toApiSpec(spec: LeaseSpec): k8s.V1LeaseSpec {
  const micro = (time: Date | string) =>
    time instanceof Date ? new k8s.V1MicroTime(time.getTime()) : (time as unknown as k8s.V1MicroTime);
  const { acquireTime, renewTime, ...rest } = spec;
  return {
    ...rest,
    ...(acquireTime !== undefined ? { acquireTime: micro(acquireTime) } : {}),
    ...(renewTime !== undefined ? { renewTime: micro(renewTime) } : {}),
  };
}
