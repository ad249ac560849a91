// Kubernetes Events that aggregate: one Event per (object, type, reason) whose count, message and
// lastTimestamp are updated on repetition, so reaping thousands of containers makes one Event with a
// count, not thousands. Writes are rate-limited per Event (at most one per minWriteIntervalMs; the
// occurrences in between are folded into the next write) and bounded in concurrency. Recording never
// throws and never waits on the API server: Events are best-effort, as in client-go.
//
// core/v1 Events, not events.k8s.io/v1: the latter makes `note` immutable, so an aggregated Event
// could not show its latest message; `kubectl describe` and `kubectl get events` read both alike.
import * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { Logger } from '../observe/logger.js';
import { silentLogger } from '../observe/logger.js';
import { describeError, isNotFound } from './api-errors.js';
import { formatTime } from '../status/conditions.js';
import { mergePatch, withTimeout } from './request-options.js';
import type { TimerHandle, Timers } from './timers.js';
import { systemTimers } from './timers.js';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  uid?: string | undefined;
}

/** Where Events are written: the API server (coreV1EventSink), or a stand-in in unit tests. */
export interface EventSink {
  create(namespace: string, event: k8s.CoreV1Event): Promise<void>;
  /** Must reject with a 404 (statusCode or code) when the Event no longer exists. */
  update(namespace: string, name: string, changes: EventChanges): Promise<void>;
}

export interface EventChanges {
  count: number;
  message: string;
  lastTimestamp: string;
}

/** `requestTimeoutMs`: a write unanswered this long fails, so stop() never waits on a hung API server. */
export function coreV1EventSink(kubeConfig: k8s.KubeConfig, requestTimeoutMs?: number): EventSink {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const bounded = (options?: k8s.ConfigurationOptions) =>
    requestTimeoutMs === undefined ? options : withTimeout(requestTimeoutMs, options);
  return {
    create: async (namespace, body) => {
      await core.createNamespacedEvent({ namespace, body }, bounded());
    },
    update: async (namespace, name, body) => {
      await core.patchNamespacedEvent({ name, namespace, body }, bounded(mergePatch()));
    },
  };
}

export interface EventRecorderOptions {
  /** source.component and reportingComponent; default "reaper". */
  component?: string;
  /** source.host, e.g. the node of the agent. */
  host?: string;
  /** reportingInstance, e.g. the pod name; defaults to host. */
  instance?: string;
  /** At most one API write per Event in this interval; default 10s. */
  minWriteIntervalMs?: number;
  /** A repetition after this much quiet starts a new Event; default 10 minutes (client-go's). */
  seriesWindowMs?: number;
  /** Events remembered for aggregation; the least recently used go first. Default 4096. */
  maxTracked?: number;
  /** API writes in flight at once; default 4. */
  concurrency?: number;
  logger?: Logger;
  timers?: Timers;
}

interface Series {
  subject: EventSubject;
  type: EventType;
  reason: string;
  namespace: string;
  eventName?: string | undefined;
  count: number;
  writtenCount: number;
  message: string;
  firstAt: number;
  lastAt: number;
  lastWriteAt?: number;
  timer?: TimerHandle;
  writing?: Promise<void> | undefined;
}

const MAX_MESSAGE_LENGTH = 1024;

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly component: string;
  private readonly host: string | undefined;
  private readonly instance: string | undefined;
  private readonly minWriteIntervalMs: number;
  private readonly seriesWindowMs: number;
  private readonly maxTracked: number;
  private readonly logger: Logger;
  private readonly timers: Timers;
  private sequence = 0;
  private stopped = false;

  constructor(
    private readonly sink: EventSink,
    options: EventRecorderOptions = {},
  ) {
    this.component = options.component ?? 'reaper';
    this.host = options.host;
    this.instance = options.instance ?? options.host;
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? 10_000;
    this.seriesWindowMs = options.seriesWindowMs ?? 10 * 60_000;
    this.maxTracked = options.maxTracked ?? 4096;
    this.limit = pLimit(options.concurrency ?? 4);
    this.logger = (options.logger ?? silentLogger).child('events');
    this.timers = options.timers ?? systemTimers;
  }

  /** Records `count` occurrences; the Event's message becomes `message`. */
  record(subject: EventSubject, type: EventType, reason: string, message: string, count = 1): void {
    if (this.stopped || count <= 0) return;
    const now = this.timers.now();
    const key = seriesKey(subject, type, reason);
    let series = this.series.get(key);
    if (series && now - series.lastAt > this.seriesWindowMs && isIdle(series)) series = undefined;
    if (series) this.series.delete(key);
    series ??= {
      subject,
      type,
      reason,
      // Events of cluster-scoped objects live in "default", as client-go puts them.
      namespace: subject.namespace || 'default',
      count: 0,
      writtenCount: 0,
      message,
      firstAt: now,
      lastAt: now,
    };
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.series.set(key, series);
    series.count += count;
    series.message = message.slice(0, MAX_MESSAGE_LENGTH);
    series.lastAt = now;
    this.schedule(series);
    this.evict();
  }

  normal(subject: EventSubject, reason: string, message: string, count = 1): void {
    this.record(subject, 'Normal', reason, message, count);
  }

  warning(subject: EventSubject, reason: string, message: string, count = 1): void {
    this.record(subject, 'Warning', reason, message, count);
  }

  /** Writes whatever is pending now, ignoring the rate limit, and waits for all writes. */
  async flush(): Promise<void> {
    for (const series of this.series.values()) {
      if (series.timer === undefined) continue;
      this.timers.clearTimeout(series.timer);
      series.timer = undefined;
      this.write(series);
    }
    // A write that finishes with more pending schedules another; flush until quiet.
    for (;;) {
      const writing = [...this.series.values()].flatMap((s) => (s.writing ? [s.writing] : []));
      if (writing.length === 0) return;
      await Promise.all(writing);
      for (const series of this.series.values()) {
        if (series.timer === undefined) continue;
        this.timers.clearTimeout(series.timer);
        series.timer = undefined;
        this.write(series);
      }
    }
  }

  /** Flushes, then ignores further records. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private schedule(series: Series): void {
    if (series.writing || series.timer !== undefined || series.count === series.writtenCount) return;
    const wait =
      series.lastWriteAt === undefined ? 0 : series.lastWriteAt + this.minWriteIntervalMs - this.timers.now();
    if (wait <= 0) return this.write(series);
    series.timer = this.timers.setTimeout(() => {
      series.timer = undefined;
      this.write(series);
    }, wait);
  }

  private write(series: Series): void {
    const snapshot = { count: series.count, message: series.message, lastAt: series.lastAt };
    series.writing = this.limit(() => this.send(series, snapshot))
      .catch((err: unknown) => {
        // Not retried: every write carries the running total, so the next record() catches up.
        this.logger.warn('could not write an event', {
          reason: series.reason,
          object: `${series.subject.kind}/${series.subject.name}`,
          error: describeError(err),
        });
      })
      .finally(() => {
        series.writtenCount = snapshot.count;
        series.writing = undefined;
        series.lastWriteAt = this.timers.now();
        if (!this.stopped) this.schedule(series);
        this.evict();
      });
  }

  private async send(series: Series, snapshot: { count: number; message: string; lastAt: number }): Promise<void> {
    const { namespace } = series;
    if (series.eventName) {
      try {
        await this.sink.update(namespace, series.eventName, {
          count: snapshot.count,
          message: snapshot.message,
          lastTimestamp: formatTime(new Date(snapshot.lastAt)),
        });
        return;
      } catch (err) {
        // Expired (Events live an hour) or deleted: start a new one.
        if (!isNotFound(err)) throw err;
        series.eventName = undefined;
      }
    }
    const name = this.eventName(series.subject.name);
    await this.sink.create(namespace, this.newEvent(series, name, snapshot));
    series.eventName = name;
  }

  private newEvent(
    series: Series,
    name: string,
    snapshot: { count: number; message: string; lastAt: number },
  ): k8s.CoreV1Event {
    const { subject } = series;
    return {
      metadata: { name, namespace: series.namespace },
      involvedObject: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.name,
        ...(subject.namespace !== undefined ? { namespace: subject.namespace } : {}),
        ...(subject.uid !== undefined ? { uid: subject.uid } : {}),
      },
      type: series.type,
      reason: series.reason,
      message: snapshot.message,
      count: snapshot.count,
      firstTimestamp: new Date(series.firstAt),
      lastTimestamp: new Date(snapshot.lastAt),
      source: { component: this.component, ...(this.host !== undefined ? { host: this.host } : {}) },
      reportingComponent: this.component,
      ...(this.instance !== undefined ? { reportingInstance: this.instance } : {}),
    };
  }

  /** Like client-go: the object's name and a unique hexadecimal suffix. */
  private eventName(objectName: string): string {
    const suffix = (BigInt(this.timers.now()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16);
    return `${objectName.slice(0, 200)}.${suffix}`;
  }

  private evict(): void {
    for (const [key, series] of this.series) {
      if (this.series.size <= this.maxTracked) return;
      if (isIdle(series)) this.series.delete(key);
    }
  }
}

function seriesKey(subject: EventSubject, type: EventType, reason: string): string {
  const object = subject.uid ?? `${subject.apiVersion}/${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
  return `${object}|${type}|${reason}`;
}

function isIdle(series: Series): boolean {
  return series.writing === undefined && series.timer === undefined && series.count === series.writtenCount;
}
