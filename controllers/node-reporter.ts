// Keeps this agent's ReapNodeReports (design §4): one per policy, written when what it says changes
// (a sweep, a runtime change in what owners hold on this node) and otherwise at a slow jittered
// heartbeat, so an idle fleet of N nodes makes N/heartbeat writes and no object is everyone's.
// Agents never watch these objects; the summary writer does.
import { sweepTotals } from '../src/status/report.js';
import type { HeldWaveRecord, ReapNodeReportStatus } from '../src/api/types.js';
import type { RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { jittered } from '../src/kube/backoff.js';
import type { NodeReportObjects } from '../src/kube/node-reports.js';
import type { Logger } from '../src/observe/logger.js';
import type { FoundEntry, OwnersListing, SweptState } from '../src/status/node-report.js';
import { nodeReportStatus, ownersListing, reportChanged, sweptState } from '../src/status/node-report.js';
import { foundIndexFor } from '../src/status/owner-status.js';
import type { SweepFacts, Totals } from '../src/status/policy-status.js';
import { addSweepToTotals, totalsFrom } from '../src/status/policy-status.js';

/** How late a sweep that follows up may be before its deferred report is written anyway. */
const FOLLOW_UP_SLACK_MS = 5_000;

/** Up to this share of a heartbeat is taken off at random, so a fleet's heartbeats spread out. */
const HEARTBEAT_JITTER = 0.2;

export interface NodeReporterOptions {
  readonly objects: Pick<NodeReportObjects, 'read' | 'write' | 'delete'>;
  /** Live owner keys of a policy from the informer caches; undefined while they are not synced. */
  readonly liveKeys: (policy: Policy) => ReadonlySet<string> | undefined;
  /** Asks for a write of the policy's report after `delayMs` (0: soon), through a queue. */
  readonly requestWrite: (policy: string, delayMs: number) => void;
  readonly heartbeatMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly logger: Logger;
}

interface Memory {
  swept?: SweptState;
  totals: Totals;
  owners?: OwnersListing;
  /** Until when a sweep that only waited leaves its write to the one that follows it. */
  deferredUntil?: number;
  written?: ReapNodeReportStatus;
  writtenAt?: number;
}

export class NodeReporter {
  private readonly memory = new Map<string, Memory>();
  /** The write of each policy's report in progress: writes of one report never overlap. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly options: NodeReporterOptions) {
    this.logger = options.logger.child('node-reporter');
  }

  /**
   * Reads the stored report once per policy, so totals, the conditions' transition times and the
   * held waves carry on across restarts of the agent. Returns the waves the report held, on the
   * first read only.
   */
  async load(policy: Policy): Promise<HeldWaveRecord[]> {
    if (this.memory.has(policy.name)) return [];
    const stored = await this.options.objects.read(policy.name);
    if (this.memory.has(policy.name)) return [];
    const status = stored?.status;
    this.memory.set(policy.name, {
      totals: totalsFrom(status),
      ...(status?.conditions && status.lastSweep
        ? {
            swept: {
              observedGeneration: status.observedGeneration ?? 0,
              conditions: status.conditions,
              lastSweep: status.lastSweep,
              summary: status.summary ?? { orphans: 0, reaped: 0, failed: 0 },
              ...(status.heldWaves ? { heldWaves: status.heldWaves } : {}),
            },
          }
        : {}),
    });
    return status?.heldWaves ?? [];
  }

  /**
   * A sweep finished: its report, conditions and totals go into the report, written before this
   * resolves (so a sweep during shutdown is still reported).
   */
  async afterSweep(policy: Policy, facts: SweepFacts): Promise<void> {
    const memory = this.memory.get(policy.name);
    if (!memory) throw new Error(`the report of ${policy.name} was not loaded before its sweep`);
    memory.totals = addSweepToTotals(memory.totals, facts.report);
    const generationSeen = memory.swept?.observedGeneration === facts.generation;
    memory.swept = sweptState(memory.swept, facts, new Date(this.options.now()));
    // A sweep that only waited for a burst of deletions to end is followed within seconds by the one
    // that reaps: that one writes, so an owner's deletion costs each node holding it one write.
    if (facts.followUpInMs !== undefined && generationSeen && !didSomething(facts.report)) {
      // A follow-up that only waits again moves the deadline on: one write when the waiting ends.
      memory.deferredUntil = this.options.now() + facts.followUpInMs + FOLLOW_UP_SLACK_MS;
      this.options.requestWrite(policy.name, facts.followUpInMs + FOLLOW_UP_SLACK_MS);
      return;
    }
    delete memory.deferredUntil;
    await this.write(policy.name);
  }

  /** The runtime view's listener: what owners hold on this node may have changed. Never throws. */
  readonly onSnapshot = (policy: Policy, snapshot: RuntimeSnapshot): void => {
    try {
      // An incomplete listing says nothing about what is there: the last counts stand.
      if (!snapshot.complete) return;
      const memory = this.memory.get(policy.name);
      if (!memory) return; // written after the first sweep, which loads it
      const live = this.options.liveKeys(policy);
      const isLive = (entry: FoundEntry) =>
        live !== undefined &&
        (entry.keyPrefixLength === undefined
          ? live.has(entry.key)
          : [...live].some((key) => key.slice(0, entry.keyPrefixLength) === entry.key));
      const owners = ownersListing(foundIndexFor(snapshot, policy).entries(), isLive);
      const before = memory.owners;
      memory.owners = owners;
      // Only live owners' counts are read from reports; what changed for owners that are gone (an
      // owner deleted, its resources reaped) goes out with the next write, which the sweep that reaps
      // them makes anyway.
      const liveCounts = (listing: OwnersListing) =>
        JSON.stringify(listing.owners.filter((entry) => isLive({ ...entry, counts: entry })));
      if (!before || liveCounts(before) !== liveCounts(owners)) this.options.requestWrite(policy.name, 0);
    } catch (err) {
      this.logger.error('could not count what owners hold on this node', {
        policy: policy.name,
        error: (err as Error).message,
      });
    }
  };

  /**
   * Writes the report if it says something new or its heartbeat is due, one write per report at a
   * time, and asks to come back when the next heartbeat is due.
   */
  async write(policyName: string): Promise<void> {
    const previous = this.writing.get(policyName) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.writeNow(policyName));
    this.writing.set(policyName, next);
    try {
      await next;
    } finally {
      if (this.writing.get(policyName) === next) this.writing.delete(policyName);
    }
  }

  private async writeNow(policyName: string): Promise<void> {
    const memory = this.memory.get(policyName);
    if (!memory) return;
    const now = this.options.now();
    const status = nodeReportStatus(memory.swept, memory.totals, memory.owners, new Date(now));
    const sinceWritten = memory.writtenAt === undefined ? Infinity : now - memory.writtenAt;
    const heartbeatDue = sinceWritten >= this.heartbeatMs(memory);
    if (!heartbeatDue && memory.deferredUntil !== undefined && now < memory.deferredUntil) {
      this.options.requestWrite(policyName, memory.deferredUntil - now);
      return;
    }
    if (!heartbeatDue && !reportChanged(memory.written, status)) {
      this.options.requestWrite(policyName, this.heartbeatMs(memory) - sinceWritten);
      return;
    }
    await this.options.objects.write(policyName, status);
    memory.written = status;
    memory.writtenAt = now;
    this.options.requestWrite(policyName, this.heartbeatMs(memory));
  }

  /** The policy is gone: so is this node's report of it. */
  async forget(policyName: string): Promise<void> {
    this.memory.delete(policyName);
    await this.options.objects.delete(policyName);
  }

  // One jittered period per write, kept until the next write, so a requeue does not move it.
  private readonly periods = new WeakMap<Memory, { at: number | undefined; ms: number }>();
  private heartbeatMs(memory: Memory): number {
    const period = this.periods.get(memory);
    if (period && period.at === memory.writtenAt) return period.ms;
    const ms = jittered(this.options.heartbeatMs, HEARTBEAT_JITTER, this.options.random);
    this.periods.set(memory, { at: memory.writtenAt, ms });
    return ms;
  }
}

/** Whether a sweep changed anything or met anything worth saying at once. */
function didSomething(report: SweepFacts['report']): boolean {
  if (report.outcome !== 'Completed') return true;
  const { reaped, failed } = sweepTotals(report);
  return reaped > 0 || failed > 0;
}
