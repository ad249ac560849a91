// The controller's configuration: flags with environment fallbacks (commander reads both), checked
// here into one typed object that is printed once at start.
import { hostname } from 'node:os';
import { parseDuration } from '../src/api/duration.js';
import { parseListenAddress } from '../src/observe/http-server.js';
import type { RequestBudget } from '../src/kube/request-budget.js';
import type { LogLevel } from '../src/observe/logger.js';

export interface RunFlags {
  nodeName?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  identity?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  httpAddress?: string;
  selfContainerId?: string;
  policySelector?: string;
  logLevel?: string;
  ownerWorkers?: string;
  triggerDelay?: string;
  ownerResync?: string;
  dockerRelist?: string;
  requestTimeout?: string;
  shutdownTimeout?: string;
  watchIdleTimeout?: string;
  kubeApiQps?: string;
  kubeApiBurst?: string;
  role?: string;
  summaryPeriod?: string;
  reportHeartbeat?: string;
  staleAfter?: string;
}

/**
 * What a process does: `agent` sweeps its node and writes its ReapNodeReports; `summary` writes the
 * fleet summary into policy and owner status (one per cluster, behind leader election); `all` is both,
 * for one agent alone (a developer's machine, Deployment mode).
 */
export type Role = 'agent' | 'summary' | 'all';
export const ROLES: readonly Role[] = ['agent', 'summary', 'all'];

export interface ControllerConfig {
  readonly nodeName: string;
  readonly leaderElection?: {
    readonly namespace: string;
    readonly leaseName: string;
    readonly identity: string;
    readonly leaseDurationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly httpAddress: string;
  readonly selfContainerId?: string;
  /**
   * A label selector: this agent sweeps only the ReapPolicies it matches, and watches no other
   * (agent sets that reap different engines, such as nodes and a remote host, each keep their own).
   */
  readonly policySelector?: string;
  readonly logLevel: LogLevel;
  readonly ownerWorkers: number;
  /** How long an owner deletion waits before it starts a sweep, so a burst of deletions makes one sweep. */
  readonly triggerDelayMs: number;
  /** How often an owner's status is recomputed without any event, so found counts follow the runtime. */
  readonly ownerResyncMs: number;
  /**
   * The agent follows Docker's event stream and lists the engine only at start, after the stream
   * breaks, and this often besides, to correct any drift the events did not show.
   */
  readonly dockerRelistMs: number;
  /** A Kubernetes API request (status, events, the re-check) unanswered this long fails, so a hung API server stalls nothing. */
  readonly requestTimeoutMs: number;
  /** How long SIGTERM waits for the work in flight before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** A watch silent this long (the API server sends a bookmark about every minute) is taken for dead. */
  readonly watchIdleTimeoutMs: number;
  /** The client-side budget of API requests (leader election draws from its own). */
  readonly kubeApi: RequestBudget;
  readonly role: Role;
  /** The summary writer writes a policy's status at most this often. */
  readonly summaryPeriodMs: number;
  /** An agent rewrites a report that says the same after about this long. */
  readonly reportHeartbeatMs: number;
  /** The summary writer takes a report not written for this long as stale, and deletes it after twice as long when its Node is gone. */
  readonly staleAfterMs: number;
}

export const RUN_DEFAULTS = {
  leaderElectionNamespace: 'default',
  leaderElectionId: 'reaper',
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
  httpAddress: '0.0.0.0:8080',
  logLevel: 'info',
  ownerWorkers: '4',
  triggerDelay: '500ms',
  ownerResync: '1m',
  dockerRelist: '10m',
  requestTimeout: '30s',
  // Below the chart's terminationGracePeriodSeconds (60), so the process ends before the kubelet kills it.
  shutdownTimeout: '45s',
  watchIdleTimeout: '150s',
  kubeApiQps: '20',
  kubeApiBurst: '40',
  role: 'agent',
  summaryPeriod: '10s',
  reportHeartbeat: '5m',
  // Three heartbeats.
  staleAfter: '15m',
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The configuration, or every problem with the flags at once. */
export function controllerConfig(
  flags: RunFlags,
): { ok: true; config: ControllerConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const duration = (flag: string, text: string | undefined, fallback: string) => {
    const ms = parseDuration(text ?? fallback);
    if (ms === undefined || ms <= 0) problems.push(`--${flag}: "${text}" is not a positive duration such as 10s or 1m`);
    return ms ?? 0;
  };
  // Node names are lowercase host names (as the kubelet makes them): a host called Build-01 is node build-01.
  const nodeName = flags.nodeName || hostname().toLowerCase();
  if (!NAME.test(nodeName))
    problems.push(`--node-name: "${nodeName}" is not a valid node name (lowercase DNS subdomain)`);
  const logLevel = (flags.logLevel ?? RUN_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`--log-level: "${flags.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const ownerWorkers = Number(flags.ownerWorkers ?? RUN_DEFAULTS.ownerWorkers);
  if (!Number.isInteger(ownerWorkers) || ownerWorkers < 1 || ownerWorkers > 64) {
    problems.push(`--owner-workers: "${flags.ownerWorkers}" is not an integer from 1 to 64`);
  }
  // The API server parses the selector; this only keeps out what cannot be one.
  if (flags.policySelector !== undefined && (flags.policySelector.trim() === '' || flags.policySelector.length > 1024))
    problems.push('--policy-selector: a label selector such as reaper.dev/agents=nodes, of at most 1024 characters');
  const httpAddress = flags.httpAddress ?? RUN_DEFAULTS.httpAddress;
  try {
    // The server's own parser: what passes here is what it can listen on (a port up to 65535, a real IPv6).
    parseListenAddress(httpAddress);
  } catch (err) {
    problems.push(`--http-address: ${(err as Error).message}`);
  }
  const triggerDelayMs = parseDuration(flags.triggerDelay ?? RUN_DEFAULTS.triggerDelay);
  if (triggerDelayMs === undefined) problems.push(`--trigger-delay: "${flags.triggerDelay}" is not a duration`);

  const count = (flag: string, text: string | undefined, fallback: string, max: number) => {
    const value = Number(text ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > max)
      problems.push(`--${flag}: "${text}" is not an integer from 1 to ${max}`);
    return value;
  };
  const kubeApi = {
    qps: count('kube-api-qps', flags.kubeApiQps, RUN_DEFAULTS.kubeApiQps, 10_000),
    burst: count('kube-api-burst', flags.kubeApiBurst, RUN_DEFAULTS.kubeApiBurst, 10_000),
  };
  const ownerResyncMs = duration('owner-resync', flags.ownerResync, RUN_DEFAULTS.ownerResync);
  const dockerRelistMs = duration('docker-relist', flags.dockerRelist, RUN_DEFAULTS.dockerRelist);
  const requestTimeoutMs = duration('request-timeout', flags.requestTimeout, RUN_DEFAULTS.requestTimeout);
  const shutdownTimeoutMs = duration('shutdown-timeout', flags.shutdownTimeout, RUN_DEFAULTS.shutdownTimeout);
  const watchIdleTimeoutMs = duration('watch-idle-timeout', flags.watchIdleTimeout, RUN_DEFAULTS.watchIdleTimeout);
  const role = (flags.role ?? RUN_DEFAULTS.role) as Role;
  if (!ROLES.includes(role)) problems.push(`--role: "${flags.role}" is not one of ${ROLES.join(', ')}`);
  const summaryPeriodMs = duration('summary-period', flags.summaryPeriod, RUN_DEFAULTS.summaryPeriod);
  const reportHeartbeatMs = duration('report-heartbeat', flags.reportHeartbeat, RUN_DEFAULTS.reportHeartbeat);
  const staleAfterMs = duration('stale-after', flags.staleAfter, RUN_DEFAULTS.staleAfter);
  let leaderElection: ControllerConfig['leaderElection'];
  if (flags.leaderElect) {
    const leaseDurationMs = duration('lease-duration', flags.leaseDuration, RUN_DEFAULTS.leaseDuration);
    const renewDeadlineMs = duration('renew-deadline', flags.renewDeadline, RUN_DEFAULTS.renewDeadline);
    const retryPeriodMs = duration('retry-period', flags.retryPeriod, RUN_DEFAULTS.retryPeriod);
    // Compared only when both are durations: an invalid one has its own problem already.
    const valid = (...ms: number[]) => ms.every((m) => m > 0);
    if (valid(leaseDurationMs, renewDeadlineMs) && leaseDurationMs <= renewDeadlineMs)
      problems.push('--lease-duration must be longer than --renew-deadline');
    if (valid(renewDeadlineMs, retryPeriodMs) && renewDeadlineMs <= 1.2 * retryPeriodMs)
      problems.push('--renew-deadline must be longer than 1.2 x --retry-period');
    leaderElection = {
      namespace: flags.leaderElectionNamespace || RUN_DEFAULTS.leaderElectionNamespace,
      leaseName: flags.leaderElectionId || RUN_DEFAULTS.leaderElectionId,
      identity: flags.identity || `${hostname()}-${process.pid}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    };
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      nodeName,
      ...(leaderElection ? { leaderElection } : {}),
      httpAddress,
      ...(flags.selfContainerId ? { selfContainerId: flags.selfContainerId } : {}),
      ...(flags.policySelector ? { policySelector: flags.policySelector } : {}),
      logLevel,
      ownerWorkers,
      triggerDelayMs: triggerDelayMs ?? 500,
      ownerResyncMs,
      dockerRelistMs,
      requestTimeoutMs,
      shutdownTimeoutMs,
      watchIdleTimeoutMs,
      kubeApi,
      role,
      summaryPeriodMs,
      reportHeartbeatMs,
      staleAfterMs,
    },
  };
}
