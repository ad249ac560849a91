// The agent's parts (design §3): the runtime on this node and the view that follows Docker's events,
// this node's ReapNodeReports, the deletion trigger, and the policy and owner controllers, with the
// workers that run them.
import type * as k8s from '@kubernetes/client-node';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { describeError } from '../src/kube/api-errors.js';
import type { DynamicInformerSet } from '../src/kube/informer-set.js';
import type { EventRecorder } from '../src/kube/event-recorder.js';
import { NodeReportObjects, nodeOwnerReference } from '../src/kube/node-reports.js';
import { runWorkers } from '../src/kube/run-workers.js';
import type { StatusApplier } from '../src/kube/status-apply.js';
import type { Logger } from '../src/observe/logger.js';
import type { ReaperMetrics } from '../src/observe/metrics.js';
import { KubeListOwnerSource } from '../src/owners/kube-list-source.js';
import { createDockerClient } from '../src/runtime/docker-client.js';
import { DockerEngine } from '../src/runtime/docker-engine.js';
import { DockerView } from '../src/runtime/docker-view.js';
import { DockerodeViewApi } from '../src/runtime/docker-view-api.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';
import type { ControllerConfig } from './config.js';
import { DeletionTrigger } from './deletion-trigger.js';
import { Finalizers } from './finalizer.js';
import { ownersFromInformers } from './informer-owners.js';
import { NodeReporter } from './node-reporter.js';
import { OwnerController } from './owner-controller.js';
import { OwnerDeletionLog } from './owner-deletions.js';
import { PolicyController } from './policy-controller.js';
import type { ManagingPolicy, PolicyRegistry } from './policy-registry.js';
import { isBuiltInOwnerKind } from './policy-registry.js';
import { RuntimeRefresh } from './runtime-refresh.js';
import { RuntimeView } from './runtime-view.js';
import type { WorkQueues } from './work-queues.js';

/**
 * An owner deletion's trigger delay while the Docker view can be read: the look at the runtime is a
 * read of memory then, not a listing a burst should share.
 */
const FRESH_TRIGGER_DELAY_MS = 50;

export interface AgentOptions {
  readonly config: ControllerConfig;
  /** Whether this process is an agent: only an agent looks up its Node. */
  readonly agent: boolean;
  readonly kubeConfig: k8s.KubeConfig;
  /** The engine on this node; Docker, from DOCKER_HOST, unless given. */
  readonly engine: RuntimeEngine | undefined;
  readonly registry: PolicyRegistry;
  readonly queues: WorkQueues;
  readonly informers: DynamicInformerSet;
  readonly policiesSynced: () => boolean;
  readonly status: StatusApplier;
  readonly events: EventRecorder;
  readonly metrics: ReaperMetrics;
  /** Aborted when the process stops: sweeps and teardowns in flight end early. */
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface Agent {
  readonly engine: RuntimeEngine;
  ownerDeleted(object: k8s.KubernetesObject, managing: readonly ManagingPolicy[]): void;
  /** Starts the runtime view, the refresh and the workers; each promise ends when its queue is drained. */
  work(): Promise<void>[];
  /** Starts nothing new on its own: the refresh, the deletion trigger and Docker's event stream stop. */
  stop(): void;
}

export async function buildAgent(options: AgentOptions): Promise<Agent> {
  const { config, kubeConfig, registry, queues, informers, metrics, now, logger } = options;
  // The agent's runtime follows Docker's events (design §3): listed at start, after a break of the
  // stream and every --docker-relist, never on a timer besides. The hollow engines of the fleet
  // benchmark come as options.engine, without one.
  const docker = options.engine ? undefined : createDockerClient();
  const dockerView =
    docker && options.agent
      ? new DockerView({
          api: new DockerodeViewApi(docker, (call) => metrics.countRuntimeViewCall(call)),
          now: Date.now,
          logger,
          relistIntervalMs: config.dockerRelistMs,
          onReadableChange: (readable) => {
            metrics.setRuntimeViewReadable(readable);
            // Sweeps that failed closed meanwhile look again now rather than after their retry.
            if (readable) for (const policy of registry.valid()) queues.policies.add(policy.name);
          },
        })
      : undefined;
  if (dockerView) metrics.setRuntimeViewReadable(false);
  const engine = options.engine ?? new DockerEngine(docker!, dockerView);

  // Looked up once: the garbage collector takes this node's reports with its Node.
  const nodeOwner = options.agent ? await lookUpNodeOwner(kubeConfig, config, logger) : undefined;
  const reporter = new NodeReporter({
    objects: new NodeReportObjects(kubeConfig, {
      node: config.nodeName,
      nodeOwner,
      status: options.status,
      requestTimeoutMs: config.requestTimeoutMs,
    }),
    liveKeys: (policy) => {
      const owners = ownersFromInformers(policy, informers);
      return owners.live.synced ? owners.live.keys : undefined;
    },
    requestWrite: (policy, delayMs) => queues.reports.addAfter(policy, delayMs),
    heartbeatMs: config.reportHeartbeatMs,
    now,
    random: Math.random,
    logger,
  });
  // Reports follow the runtime within a resync, and Docker is listed at most every few seconds.
  const runtime = new RuntimeView(
    engine,
    now,
    Math.max(2_000, Math.min(30_000, config.ownerResyncMs)),
    (policy, next) => reporter.onSnapshot(policy, next),
  );
  const ownerDeletions = new OwnerDeletionLog(now);
  const deletions = new DeletionTrigger({
    delayMs: config.triggerDelayMs,
    freshDelayMs: FRESH_TRIGGER_DELAY_MS,
    runtimeFresh: () => dockerView?.readable ?? false,
    snapshotSince: (policy, at) => runtime.snapshotSince(policy, at),
    policyNamed: (name) => {
      const entry = registry.get(name);
      return entry?.parsed.ok ? registry.scoped(entry.parsed.policy) : undefined;
    },
    sweep: (name) => queues.policies.add(name),
    now,
    logger,
  });
  // The runtime view is listed again every resync, so what owners hold on this node stays current.
  const runtimeRefresh = new RuntimeRefresh({
    isStatusKind: isBuiltInOwnerKind,
    validPolicies: () => registry.valid().map((policy) => registry.scoped(policy)),
    refresh: (policy) => runtime.snapshotFor(policy),
    intervalMs: config.ownerResyncMs,
    logger,
  });
  const common = {
    registry,
    informers,
    engine,
    status: options.status,
    events: options.events,
    metrics,
    runtime,
    freshOwners: new KubeListOwnerSource(kubeConfig),
    host: {
      node: config.nodeName,
      now,
      random: Math.random,
      signal: options.signal,
      selfContainerId: config.selfContainerId,
      recheckTimeoutMs: config.requestTimeoutMs,
    },
    logger,
  };
  const policyController = new PolicyController({
    ...common,
    reporter,
    runtimeStarting: () => dockerView?.starting ?? false,
    deletions: ownerDeletions,
  });
  const ownerController = new OwnerController({
    ...common,
    stored: KubernetesObjectApi.makeApiClient(kubeConfig),
    finalizers: new Finalizers(kubeConfig),
    policiesSynced: options.policiesSynced,
    seesEveryPolicy: config.policySelector === undefined,
    resyncMs: config.ownerResyncMs,
  });

  return {
    engine,
    ownerDeleted(object, managing) {
      ownerDeletions.ownerDeleted(object, managing);
      deletions.ownerDeleted(object, managing);
    },
    work() {
      dockerView?.start();
      runtimeRefresh.start();
      return [
        runWorkers(queues.policies, (key) => policyController.reconcile(key), {
          concurrency: 1, // one sweep at a time per agent
          logger: logger.child('policy-workers'),
        }),
        runWorkers(queues.owners, (key) => ownerController.reconcile(key), {
          concurrency: config.ownerWorkers,
          logger: logger.child('owner-workers'),
        }),
        runWorkers(queues.reports, (key) => reporter.write(key), {
          concurrency: 2,
          logger: logger.child('report-workers'),
        }),
      ];
    },
    stop() {
      runtimeRefresh.stop();
      deletions.stop();
      dockerView?.stop();
    },
  };
}

async function lookUpNodeOwner(kubeConfig: k8s.KubeConfig, config: ControllerConfig, logger: Logger) {
  try {
    const owner = await nodeOwnerReference(kubeConfig, config.nodeName, config.requestTimeoutMs);
    if (!owner)
      logger.warn('no Node object of this name: its reports have no owner and go only when stale', {
        node: config.nodeName,
      });
    return owner;
  } catch (err) {
    logger.warn('could not read this agent’s Node: its reports have no owner and go only when stale', {
      node: config.nodeName,
      error: describeError(err),
    });
    return undefined;
  }
}
