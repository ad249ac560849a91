// The one summary writer (design §4): reads every node's ReapNodeReport and the Nodes, and writes
// each ReapPolicy's status (the fleet summary) and each Topology's and Sandbox's status.resources
// (the fleet's counts), on change and never more often than once a period per policy. It also
// deletes reports whose Node is gone when the garbage collector has not.
import type * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { formatProblems } from '../src/api/problems.js';
import type { OwnerStatus, ReapNodeReport, ReapPolicy } from '../src/api/types.js';
import { ownerKeyFromObject } from '../src/core/attribution.js';
import { describeError, statusCodeOf } from '../src/kube/api-errors.js';
import { statusChanged } from '../src/status/conditions.js';
import type { InformerTarget, ResilientInformer } from '../src/kube/informer.js';
import type { ReconcileResult } from '../src/kube/run-workers.js';
import type { StatusApplier } from '../src/kube/status-apply.js';
import type { Logger } from '../src/observe/logger.js';
import { namespaceSelected } from '../src/owners/owner-objects.js';
import type { NodeExists, StandingRules } from '../src/status/fleet-summary.js';
import {
  countedReports,
  FleetFoundIndex,
  fleetStatus,
  reportAge,
  reportsToRemove,
  summedTotals,
} from '../src/status/fleet-summary.js';
import { ownerSummaryStatus, summaryPart } from '../src/status/owner-status.js';
import { policyRef } from './policy-controller.js';
import type { PolicyRegistry } from './policy-registry.js';
import { BUILT_IN_OWNER_KINDS } from './policy-registry.js';
import { policyStatusForInvalidSpec } from '../src/status/policy-status.js';

/** What the summary writer reads of an informer's cache. */
export type Cache = Pick<ResilientInformer, 'list' | 'get' | 'synced' | 'healthy'>;

export interface FleetSummarizerOptions {
  readonly registry: PolicyRegistry;
  readonly policiesSynced: () => boolean;
  /** Every ReapNodeReport. */
  readonly reports: Cache;
  /** Every Node. */
  readonly nodes: Cache;
  /** The owner caches the agent role also uses. */
  readonly informers: { get(target: InformerTarget): Cache | undefined };
  /** Applies under the summary writer's own field manager, apart from the agents'. */
  readonly status: Pick<StatusApplier, 'applyIfChanged'>;
  readonly deleteReport: (name: string) => Promise<void>;
  readonly rules: StandingRules;
  /**
   * While nodes' first reports are still arriving (a fleet starting), owners' counts wait until none
   * came for this long, so each owner gets its first counts once rather than once per report.
   */
  readonly reportsSettleMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

const NOT_SYNCED_RETRY_MS = 1_000;
const OWNER_WRITE_CONCURRENCY = 4;
/** However long reports keep arriving, owners' counts wait no longer than this. */
const MAX_OWNER_HOLD_MS = 120_000;

export class FleetSummarizer {
  private readonly logger: Logger;
  /** Since when each policy's owner counts have been waiting for reports to stop arriving. */
  private readonly holdingSince = new Map<string, number>();

  constructor(private readonly options: FleetSummarizerOptions) {
    this.logger = options.logger.child('fleet-summary');
  }

  /** Every report of a policy this writer sees. */
  reportsOf(policy: string): ReapNodeReport[] {
    return (this.options.reports.list() as unknown as ReapNodeReport[]).filter((r) => r.spec?.policy === policy);
  }

  async summarize(name: string): Promise<ReconcileResult | void> {
    const { registry, reports, nodes } = this.options;
    if (!this.options.policiesSynced() || !reports.synced) return { requeueAfterMs: NOT_SYNCED_RETRY_MS };
    const entry = registry.get(name);
    if (!entry) return; // the policy's status went with it; its reports go with their agents' forget
    const now = this.options.now();
    const nodeExists: NodeExists =
      nodes.synced && nodes.healthy ? (node) => nodes.get(node) !== undefined : () => undefined;
    const all = this.reportsOf(name);
    await this.removeGoneReports(all, nodeExists, now);
    const counted = countedReports(all, nodeExists, now, this.options.rules);

    if (!entry.parsed.ok) {
      await this.writeInvalid(entry.object, formatProblems(entry.parsed.problems).replace(/\n/g, '; '), counted);
      return this.nextLook(all, nodeExists, now);
    }
    const policy = registry.scoped(entry.parsed.policy);
    const status = fleetStatus(
      entry.object.status,
      {
        generation: policy.generation,
        mode: policy.mode,
        overlaps: registry.overlapsOf(name),
        reports: all,
        nodeExists,
        rules: this.options.rules,
      },
      new Date(now),
    );
    if (statusChanged(entry.object.status, status)) await this.options.status.applyIfChanged(policyRef(name), status);
    const holdMs = this.ownerHold(name, all, now);
    if (holdMs > 0) return { requeueAfterMs: holdMs };
    await this.writeOwners(name, counted);
    return this.nextLook(all, nodeExists, now);
  }

  /**
   * Owners whose first managing policy is `policyName`: the Managed condition, and status.resources
   * (and where) from the nodes' counts. One writer for every owner: an agent writing it would be a
   * write to every owner from every agent, each delivered to every agent.
   */
  private async writeOwners(policyName: string, counted: readonly ReapNodeReport[]): Promise<void> {
    // Before any node has counted, nothing is known: the last counts stand rather than read 0.
    const countedSome = counted.some((r) => r.status?.owners !== undefined);
    const index = new FleetFoundIndex(counted);
    const now = new Date(this.options.now());
    // A few at once: the first pass after an install writes every owner, and one at a time it would
    // take as long as the API server's latency allows, not what the client's QPS budget allows.
    const limit = pLimit(OWNER_WRITE_CONCURRENCY);
    const writes: Promise<void>[] = [];
    for (const target of BUILT_IN_OWNER_KINDS) {
      const informer = this.options.informers.get(target);
      if (!informer?.synced) continue;
      for (const cached of informer.list()) {
        const object = cached as k8s.KubernetesObject & { spec?: unknown; status?: OwnerStatus };
        const namespace = object.metadata?.namespace;
        const managing = this.options.registry.managing(target.apiVersion, target.kind, namespace);
        const first = managing[0];
        if (first?.policy.name !== policyName || !namespaceSelected(first.ownerKind, namespace)) continue;
        if (object.metadata?.deletionTimestamp) continue;
        const key = ownerKeyFromObject(object, first.ownerKind.key);
        if (key === undefined) continue;
        const status = ownerSummaryStatus(
          object.status,
          { kind: target.kind, spec: object.spec, generation: object.metadata?.generation },
          managing,
          countedSome ? { total: index.found(key), byNode: index.foundByNode(key) } : undefined,
          now,
        );
        if (!statusChanged(summaryPart(object.status), status)) continue;
        const ref = { ...target, name: object.metadata!.name!, ...(namespace ? { namespace } : {}) };
        writes.push(
          limit(async () => {
            try {
              await this.options.status.applyIfChanged(ref, status);
            } catch (err) {
              // Deleted meanwhile: its status went with it.
              if (statusCodeOf(err) !== 404) throw err;
            }
          }),
        );
      }
    }
    await Promise.all(writes);
  }

  private async writeInvalid(object: ReapPolicy, problems: string, counted: readonly ReapNodeReport[]) {
    const generation = object.metadata.generation ?? 0;
    const status = policyStatusForInvalidSpec(
      object.status,
      problems,
      generation,
      summedTotals(counted),
      new Date(this.options.now()),
    );
    try {
      await this.options.status.applyIfChanged(policyRef(object.metadata.name), status);
    } catch (err) {
      // A stored spec that fails the CRD's own rules at evaluation (e.g. a duration too large to
      // convert, stored under an older schema) makes the API server refuse every write to the
      // object, status included. Retrying cannot help; a spec change brings the policy back here.
      if (statusCodeOf(err) !== 422) throw err;
      this.logger.warn('the API server refuses any status for this invalid policy', {
        policy: object.metadata.name,
        problems,
        error: describeError(err),
      });
    }
  }

  private async removeGoneReports(all: readonly ReapNodeReport[], nodeExists: NodeExists, now: number) {
    for (const report of reportsToRemove(all, nodeExists, now, this.options.rules)) {
      this.logger.info('deleting the report of a node that is gone', {
        report: report.metadata.name,
        node: report.spec.node,
        policy: report.spec.policy,
        lastHeartbeatTime: report.status?.lastHeartbeatTime,
      });
      await this.options.deleteReport(report.metadata.name);
    }
  }

  /**
   * How much longer owners' status waits for nodes' first reports, still arriving or not yet come;
   * 0 to write it now.
   */
  private ownerHold(policy: string, reports: readonly ReapNodeReport[], now: number): number {
    const created = reports.map((r) => new Date(r.metadata.creationTimestamp ?? NaN).getTime()).filter(Number.isFinite);
    // No report yet (a fleet starting): Managed alone would be a write per owner that the first
    // counts repeat moments later.
    const settlesAt = reports.length === 0 ? Infinity : Math.max(-Infinity, ...created) + this.options.reportsSettleMs;
    const since = this.holdingSince.get(policy) ?? now;
    if (settlesAt <= now || now - since >= MAX_OWNER_HOLD_MS) {
      this.holdingSince.delete(policy);
      return 0;
    }
    this.holdingSince.set(policy, since);
    return Math.min(settlesAt, since + MAX_OWNER_HOLD_MS) - now;
  }

  /** Look again when the next report turns stale or gone, even if nothing is written meanwhile. */
  private nextLook(all: readonly ReapNodeReport[], nodeExists: NodeExists, now: number): ReconcileResult | void {
    const { staleAfterMs, removeAfterMs } = this.options.rules;
    const waits = all.flatMap((report) => {
      const age = reportAge(report, now);
      const marks = [staleAfterMs, ...(nodeExists(report.spec.node) === false ? [removeAfterMs] : [])];
      return marks.map((mark) => mark - age + 1).filter((wait) => wait > 0);
    });
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }
}
