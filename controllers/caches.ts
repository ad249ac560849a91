// The process's caches and what their events ask for. Owner caches (one per kind a policy names)
// queue owners and summaries and tell the agent of deletions; the ReapPolicy cache keeps the registry
// and the owner caches' targets current; the summary writer's caches of every report and Node ask for
// summaries. Events only enqueue: the work is the queues' workers'.
import type * as k8s from '@kubernetes/client-node';
import type { ReapNodeReport, ReapPolicy } from '../src/api/types.js';
import type { ResourceResolver } from '../src/kube/discovery.js';
import { DynamicInformerSet } from '../src/kube/informer-set.js';
import type { InformerTarget } from '../src/kube/informer.js';
import { describeTarget, ResilientInformer } from '../src/kube/informer.js';
import { NODE_REPORT_API_VERSION, NODE_REPORT_KIND } from '../src/kube/node-reports.js';
import { METADATA_ONLY } from '../src/kube/projection.js';
import type { Logger } from '../src/observe/logger.js';
import type { ReaperMetrics } from '../src/observe/metrics.js';
import type { ControllerConfig } from './config.js';
import { ownerQueueKey } from './owner-controller.js';
import { POLICY_API_VERSION, POLICY_KIND } from './policy-controller.js';
import type { ManagingPolicy, PolicyRegistry } from './policy-registry.js';
import { BUILT_IN_OWNER_KINDS, isBuiltInOwnerKind } from './policy-registry.js';
import type { WorkQueues } from './work-queues.js';

const POLICY_TARGET: InformerTarget = { apiVersion: POLICY_API_VERSION, kind: POLICY_KIND };
const REPORT_TARGET: InformerTarget = { apiVersion: NODE_REPORT_API_VERSION, kind: NODE_REPORT_KIND };
// Whether a report's Node exists is all the summary writer asks of Nodes.
const NODE_TARGET: InformerTarget = { apiVersion: 'v1', kind: 'Node', projection: METADATA_ONLY };
const OWNER_SUMMARY_FIELDS = [['spec'], ['status']] as const;

export interface Roles {
  readonly agent: boolean;
  readonly summarizing: boolean;
}

export interface CachesOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly config: Pick<ControllerConfig, 'watchIdleTimeoutMs' | 'policySelector'>;
  readonly roles: Roles;
  readonly registry: PolicyRegistry;
  readonly queues: WorkQueues;
  readonly metrics: ReaperMetrics;
  readonly resolver: ResourceResolver;
  /** An owner in some policy's scope was deleted (agent only). */
  readonly ownerDeleted: (object: k8s.KubernetesObject, managing: readonly ManagingPolicy[]) => void;
  readonly logger: Logger;
}

export interface Caches {
  /** Every owner kind a policy names. */
  readonly informers: DynamicInformerSet;
  readonly policyInformer: ResilientInformer;
  /** Every ReapNodeReport; the summary writer's. */
  readonly reportInformer: ResilientInformer;
  /** Every Node; the summary writer's. */
  readonly nodeInformer: ResilientInformer;
  /** Resolves once the caches the work needs first have listed. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildCaches(options: CachesOptions): Caches {
  const { kubeConfig, config, roles, registry, queues, metrics, resolver, logger } = options;
  const { agent, summarizing } = roles;
  const summarizeSoon = (policy: string | undefined) => queues.summarizeSoon(policy);
  const informerOptions = { logger, resolver, watchIdleTimeoutMs: config.watchIdleTimeoutMs };

  const informers = new DynamicInformerSet(kubeConfig, {
    ...informerOptions,
    onEvent: (event, object, target) => {
      const namespace = object.metadata?.namespace;
      if (isBuiltInOwnerKind(target) && object.metadata?.name) {
        if (agent) queues.owners.add(ownerQueueKey(target.apiVersion, target.kind, namespace, object.metadata.name));
        // Its spec says what is expected, and a new owner needs its counts.
        if (event !== 'delete')
          summarizeSoon(registry.managing(target.apiVersion, target.kind, namespace)[0]?.policy.name);
      }
      if (!agent) return;
      // An owner gone is the moment its resources became orphans: sweep soon, once per burst, where
      // this agent holds some of them.
      if (event === 'delete')
        options.ownerDeleted(object, registry.managing(target.apiVersion, target.kind, namespace));
    },
    onStateChange: (target, state) => {
      metrics.setInformerHealthy(describeTarget(target), state.synced && state.healthy);
      // Recovered, or just went blind: either way the policies should say so promptly.
      for (const policy of registry.valid()) {
        if (!policy.owners.some((o) => o.apiVersion === target.apiVersion && o.kind === target.kind)) continue;
        if (agent) queues.policies.add(policy.name);
        summarizeSoon(policy.name);
      }
    },
  });
  // Agents keep of each owner its metadata and the fields their key rules read (design §4); the
  // summary writer also the spec (what is expected) and status (to write only what differs) of the
  // owners whose status it writes.
  const summaryFields = (target: InformerTarget) =>
    summarizing && isBuiltInOwnerKind(target) ? OWNER_SUMMARY_FIELDS : [];
  const syncTargets = () => {
    const { removed } = informers.setTargets(registry.informerTargets(summaryFields));
    for (const target of removed) metrics.forgetInformer(describeTarget(target));
  };
  const enqueueOwners = () => {
    for (const target of BUILT_IN_OWNER_KINDS)
      for (const object of informers.get(target)?.list() ?? []) {
        if (object.metadata?.name) {
          queues.owners.add(
            ownerQueueKey(target.apiVersion, target.kind, object.metadata.namespace, object.metadata.name),
          );
        }
      }
  };

  // Watched through the selector: policies of other agent sets are never even delivered here.
  const policyTarget: InformerTarget = {
    ...POLICY_TARGET,
    ...(config.policySelector ? { labelSelector: config.policySelector } : {}),
  };
  const policyInformer = new ResilientInformer(kubeConfig, policyTarget, informerOptions);
  const onPolicy = (cached: k8s.KubernetesObject) => {
    const object = cached as unknown as ReapPolicy;
    if (!object.metadata?.name) return;
    const overlaps = registry.overlapSignature();
    const due = registry.upsert(object);
    syncTargets();
    // Every change, the summary's own status writes included: paced, and it writes only what differs.
    summarizeSoon(object.metadata.name);
    if (due && agent) {
      queues.policies.add(object.metadata.name);
      enqueueOwners();
    }
    // A policy's claims overlap another's from the moment it exists: the others say so now too.
    // (The policy itself sweeps when its spec is new; queued twice it would sweep twice.)
    for (const name of registry.overlapsChangedSince(overlaps)) {
      summarizeSoon(name);
      if (name !== object.metadata.name && agent) queues.policies.add(name);
    }
  };
  policyInformer.on('add', onPolicy);
  policyInformer.on('update', onPolicy);
  policyInformer.on('delete', (object) => {
    const overlaps = registry.overlapSignature();
    if (!object.metadata?.name || !registry.remove(object.metadata.name)) return;
    syncTargets();
    queues.paced.forget(object.metadata.name);
    const changed = registry.overlapsChangedSince(overlaps);
    for (const name of changed) summarizeSoon(name);
    if (!agent) return;
    queues.policies.add(object.metadata.name);
    enqueueOwners();
    for (const name of changed) queues.policies.add(name);
  });
  policyInformer.onState((state) =>
    metrics.setInformerHealthy(describeTarget(policyTarget), state.synced && state.healthy),
  );

  // The summary role's view of the fleet: every report and every Node (agents watch neither).
  const reportInformer = new ResilientInformer(kubeConfig, REPORT_TARGET, informerOptions);
  const nodeInformer = new ResilientInformer(kubeConfig, NODE_TARGET, informerOptions);
  const onReport = (object: k8s.KubernetesObject) => summarizeSoon((object as unknown as ReapNodeReport).spec?.policy);
  for (const event of ['add', 'update', 'delete'] as const) reportInformer.on(event, onReport);
  const onNode = () => {
    for (const name of registry.names()) summarizeSoon(name);
  };
  nodeInformer.on('add', onNode);
  nodeInformer.on('delete', onNode);

  return {
    informers,
    policyInformer,
    reportInformer,
    nodeInformer,
    async start() {
      syncTargets();
      await policyInformer.start();
      if (summarizing) await Promise.all([reportInformer.start(), nodeInformer.start()]);
    },
    async stop() {
      await Promise.all([informers.stop(), policyInformer.stop(), reportInformer.stop(), nodeInformer.stop()]);
    },
  };
}
