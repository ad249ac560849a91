// The Topology and Sandbox controllers (design §3, teardown): for owners of a policy with
// `teardown: Finalizer`, hold the owner's deletion with a finalizer until this agent has reaped what
// it owned on its node, and say so (lastReap, TornDown). The rest of an owner's status (the Managed
// condition, status.resources) is the one summary writer's: no owner is written by every agent.
import type { OwnerStatus } from '../src/api/types.js';
import { ownerKeyFromObject } from '../src/core/attribution.js';
import { NO_GRACE } from '../src/core/grace.js';
import type { LiveOwners } from '../src/core/model.js';
import type { OwnerLookup } from '../src/core/owner-lookup.js';
import type { OwnerKind, Policy } from '../src/core/policy.js';
import type { ReapReport } from '../src/core/report-types.js';
import { sumOverKinds } from '../src/core/report-types.js';
import { snapshotOfOwner, teardownPolicy } from '../src/core/teardown.js';
import { isNotFound } from '../src/kube/api-errors.js';
import type { ConditionUpdate } from '../src/status/conditions.js';
import { setConditions } from '../src/status/conditions.js';
import type { ReconcileResult } from '../src/kube/run-workers.js';
import type { ObjectRef } from '../src/kube/status-apply.js';
import type { Logger } from '../src/observe/logger.js';
import type { ReaperMetrics } from '../src/observe/metrics.js';
import { fitReportToStatus } from '../src/status/report.js';
import { CONDITION_MANAGED, CONDITION_TORN_DOWN } from '../src/status/owner-status.js';
import type { OwnerReader } from '../src/owners/source.js';
import type { SweepHost } from '../src/sweep/environment.js';
import { sweepEnvironment } from '../src/sweep/environment.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import type { FinalizerTarget } from './finalizer.js';
import { hasFinalizer } from './finalizer.js';
import type { InformerOwnersOptions } from './informer-owners.js';
import { InformerOwnerSource, ownersFromInformers } from './informer-owners.js';
import type { ManagingPolicy, PolicyRegistry } from './policy-registry.js';
import { mayTearDown } from './policy-registry.js';
import type { Events, FinalizerWriter, OwnerCaches, Runtime, StatusWriter, StoredObjects } from './reconciler-ports.js';

export interface OwnerControllerOptions {
  readonly registry: PolicyRegistry;
  /** Whether the ReapPolicy informer has listed once: before that, no policy is known to manage anything. */
  readonly policiesSynced: () => boolean;
  /**
   * False when the agent sees only some policies (--policy-selector): an owner none of them manages
   * may be another agent set's, whose finalizer and status are not this agent's to touch. (Agent
   * sets are meant to manage disjoint owners; one its own policies manage, it treats as its own.)
   */
  readonly seesEveryPolicy: boolean;
  readonly informers: OwnerCaches;
  /** Owners as the API server holds them now, for the teardown's record. */
  readonly stored: StoredObjects;
  /** Owners read from the API server (never the cache) for the re-check before a teardown deletes. */
  readonly freshOwners: Pick<OwnerReader, 'read'>;
  readonly engine: Runtime;
  readonly finalizers: FinalizerWriter;
  readonly status: StatusWriter;
  readonly events: Events;
  readonly metrics: Pick<ReaperMetrics, 'recordTeardown'>;
  /** This agent: its node, clock, shutdown and own container, for every teardown. */
  readonly host: SweepHost;
  readonly logger: Logger;
  /** How soon an owner whose deletion is held for an invalid policy is looked at again. */
  readonly resyncMs: number;
}

interface OwnerObject extends FinalizerTarget {
  metadata: FinalizerTarget['metadata'] & { uid?: string; generation?: number; deletionTimestamp?: unknown };
  spec?: unknown;
  status?: OwnerStatus;
}

/** Queue key of an owner object. */
export function ownerQueueKey(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return [apiVersion, kind, namespace ?? '', name].join('|');
}

export function parseOwnerQueueKey(key: string): ObjectRef {
  const [apiVersion = '', kind = '', namespace = '', name = ''] = key.split('|');
  return { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
}

const NOT_SYNCED_RETRY_MS = 1_000;

export class OwnerController {
  private readonly logger: Logger;

  constructor(private readonly options: OwnerControllerOptions) {
    this.logger = options.logger.child('owner-controller');
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const ref = parseOwnerQueueKey(key);
    const informer = this.options.informers.get({ apiVersion: ref.apiVersion, kind: ref.kind });
    if (!informer) return;
    // Until both caches are filled, "no policy manages it" may only mean "not listed yet".
    if (!informer.synced || !this.options.policiesSynced()) return { requeueAfterMs: NOT_SYNCED_RETRY_MS };
    const cached = informer.get(ref.name, ref.namespace) as OwnerObject | undefined;
    if (!cached) {
      this.options.status.forget(ref);
      return;
    }
    const object: OwnerObject = { ...cached, apiVersion: ref.apiVersion, kind: ref.kind };
    const managing = this.options.registry.managing(ref.apiVersion, ref.kind, ref.namespace);
    const tearingDown = managing.filter((m) => m.policy.teardown === 'Finalizer');
    const { seesEveryPolicy } = this.options;
    if (!seesEveryPolicy && managing.length === 0) return;

    if (object.metadata.deletionTimestamp) return this.finishDeletion(ref, object, tearingDown);
    if (tearingDown.length > 0) await this.options.finalizers.add(object);
    else if (hasFinalizer(object) && !mayTearDown(this.options.registry, ref.apiVersion, ref.kind, ref.namespace)) {
      // No policy asks for teardown any more (changed, deleted): do not hold deletions for nothing.
      await this.options.finalizers.remove(object);
    }
  }

  /** An owner being deleted that carries reaper's finalizer: tear it down, then let it go. */
  private async finishDeletion(
    ref: ObjectRef,
    object: OwnerObject,
    tearingDown: readonly ManagingPolicy[],
  ): Promise<ReconcileResult | void> {
    if (!hasFinalizer(object)) return;
    if (tearingDown.length === 0 && mayTearDown(this.options.registry, ref.apiVersion, ref.kind, ref.namespace)) {
      // Only an invalid policy asks for teardown: releasing the owner would skip the teardown it asked
      // for. Fixing the policy queues every owner again.
      this.logger.warn('deletion held: the ReapPolicy that asks for its teardown is invalid', {
        owner: describeRef(ref),
      });
      return { requeueAfterMs: this.options.resyncMs };
    }
    try {
      if (tearingDown.length > 0) {
        // The cache holds an owner's metadata and key fields only (design §4): the teardown's
        // record (TornDown, lastReap) is written from the object as stored now, status included.
        const stored = await this.readStored(ref, object.metadata.uid);
        if (!stored) return; // gone, or replaced by a new object that has its own turn in the queue
        await this.tearDown(ref, stored, tearingDown);
      }
      // Read afresh and matched by uid: our own status write just moved the resourceVersion, and the
      // cache may not have it yet.
      const change = await this.options.finalizers.remove(object);
      if (change === 'changed') this.logger.info('finalizer removed', { owner: describeRef(ref) });
    } catch (err) {
      // Gone meanwhile: e.g. queued again by our own status write's event after the finalizer came off.
      if (!isNotFound(err)) throw err;
    }
  }

  /** Reaps what the owner's key claims under each tearing-down policy; throws (keeping the finalizer) on failure. */
  private async tearDown(ref: ObjectRef, object: OwnerObject, policies: readonly ManagingPolicy[]): Promise<void> {
    const reports: ReapReport[] = [];
    const problems: string[] = [];
    for (const { policy, ownerKind } of policies) {
      const ownerKey = ownerKeyFromObject(object, ownerKind.key);
      if (ownerKey === undefined) continue; // nothing can be attributed to an owner without a key
      const leftBehind: string[] = [];
      const { report, plan } = await runSweep(
        teardownPolicy(policy),
        NO_GRACE,
        sweepEnvironment(this.options.host, {
          onItemDone: (outcome) => {
            // Anything selected and not removed is left behind: a failed removal, one the re-check could
            // not confirm, and one the backend declined (Docker's "in use", running under Skip, a lease
            // kept with its container), which comes back as skipped. A retry plans afresh: what is no
            // longer this owner's by then (a lease another container took) is not selected again.
            if (outcome.status === 'failed' || outcome.status === 'skipped') {
              leftBehind.push(`${outcome.key}: ${outcome.reason}`);
            }
          },
          backends: this.options.engine.backendsFor(policy),
          scope: (snapshot) => snapshotOfOwner(snapshot, policy, ownerKey),
          // Every owner but this object: a key it shares with another live owner stays live.
          owners: new InformerOwnerSource(
            this.options.informers,
            { recheck: () => this.recheck(policy, object, lookupOf(ref, ownerKind, ownerKey)) },
            besides(object),
          ),
        }),
      );
      reports.push(report);
      if (plan.failedClosed.length > 0) problems.push(`${policy.name}: failed closed: ${plan.failedClosed.join('; ')}`);
      if (leftBehind.length > 0) problems.push(`${policy.name}: ${leftBehind.slice(0, 3).join('; ')}`);
    }
    const subject = { ...ref, uid: object.metadata.uid };
    if (problems.length > 0) {
      const problem = problems.join('; ');
      await this.writeTeardownStatus(ref, object, reports.at(-1), problem);
      this.options.metrics.recordTeardown(ref.kind, 'Failed');
      this.options.events.warning(subject, 'TeardownFailed', `teardown kept the finalizer: ${problem}`);
      throw new Error(`teardown of ${describeRef(ref)} failed: ${problem}`);
    }
    const reaped = reports.reduce((n, r) => n + sumOverKinds((kind) => r.counts[kind].reaped), 0);
    const previous = object.status?.conditions?.find((c) => c.type === CONDITION_TORN_DOWN);
    // Torn down before, and nothing new since (a retry after the finalizer's removal failed, or a
    // requeue from a stale cache): that teardown's record and event stand.
    if (reaped === 0 && previous?.status === 'True') return;
    await this.writeTeardownStatus(ref, object, reports.at(-1));
    this.options.metrics.recordTeardown(ref.kind, 'Reaped');
    this.options.events.normal(subject, 'TornDown', `reaped ${reaped} runtime resources on ${this.options.host.node}`);
    this.logger.info('owner torn down', { owner: describeRef(ref), reaped });
  }

  /** Writes lastReap and TornDown (False with `problem`). */
  private async writeTeardownStatus(ref: ObjectRef, object: OwnerObject, report?: ReapReport, problem?: string) {
    const now = new Date(this.options.host.now());
    const generation = object.metadata.generation;
    const update: ConditionUpdate = problem
      ? {
          type: CONDITION_TORN_DOWN,
          status: 'False',
          reason: 'TeardownFailed',
          message: `finalizer kept, retrying: ${problem}`,
        }
      : { type: CONDITION_TORN_DOWN, status: 'True', reason: 'Reaped', message: `reaped on ${this.options.host.node}` };
    // The same failure again: the condition on record already says it, and a new lastReap would
    // update the owner, whose watch event queues it again at once, bypassing the retry backoff.
    const previous = object.status?.conditions?.find((c) => c.type === CONDITION_TORN_DOWN);
    if (problem && previous?.status === 'False' && previous.message === update.message) return;
    const conditions = setConditions(
      (object.status?.conditions ?? []).filter((c) => c.type === CONDITION_MANAGED || c.type === CONDITION_TORN_DOWN),
      [update],
      generation,
      now,
    );
    const status: OwnerStatus = {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions,
      ...(report ? { lastReap: fitReportToStatus(report) } : {}),
    };
    await this.options.status.apply(ref, status);
  }

  /** The owner as the API server holds it, when it is still the object of this uid. */
  private async readStored(ref: ObjectRef, uid: string | undefined): Promise<OwnerObject | undefined> {
    try {
      const stored = (await this.options.stored.read({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      })) as OwnerObject;
      if (uid !== undefined && stored.metadata.uid !== uid) return undefined;
      return { ...stored, apiVersion: ref.apiVersion, kind: ref.kind };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * The fresh look before deleting: the owner read from the API server (not the cache) must be gone,
   * being deleted, or replaced by a new object with another key; every other owner stays live.
   */
  private async recheck(policy: Policy, object: OwnerObject, owner: OwnerLookup): Promise<LiveOwners> {
    const others = ownersFromInformers(policy, this.options.informers, besides(object)).live;
    if (!others.synced) return others;
    const fresh = await this.options.freshOwners.read([owner], object.metadata.uid);
    if (!fresh) return { keys: others.keys, synced: false, errors: [`cannot read ${owner.owner.kind} ${owner.name}`] };
    return { keys: new Set([...others.keys, ...fresh.keys]), synced: fresh.synced, errors: fresh.errors };
  }
}

/** The owners of a teardown: every one but the object being torn down. */
function besides(object: OwnerObject): InformerOwnersOptions {
  return object.metadata.uid ? { besidesUid: object.metadata.uid } : {};
}

/** The owner being torn down, to read afresh. */
function lookupOf(ref: ObjectRef, owner: OwnerKind, key: string): OwnerLookup {
  return { key, owner, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
}

function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
