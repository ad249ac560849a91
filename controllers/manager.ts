// The controller process (design §4), in its roles. Both: informers for ReapPolicies and for every
// owner kind a policy names, the HTTP endpoint, optional leader election, an orderly shutdown on
// SIGTERM. The agent: keyed work queues for policies (one sweep at a time), owners (Managed
// condition, teardown) and this node's ReapNodeReports. The summary writer: informers for every
// report and Node, and a paced queue of policies whose fleet summary to write.
import type * as k8s from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { describeError } from '../src/kube/api-errors.js';
import { withTimeout } from '../src/kube/request-options.js';
import type { ReapPolicy } from '../src/api/types.js';
import { coreV1EventSink, EventRecorder } from '../src/kube/event-recorder.js';
import { DynamicInformerSet } from '../src/kube/informer-set.js';
import type { InformerTarget } from '../src/kube/informer.js';
import { describeTarget, ResilientInformer } from '../src/kube/informer.js';
import { ResourceResolver } from '../src/kube/discovery.js';
import { METADATA_ONLY } from '../src/kube/projection.js';
import { LeaderElector } from '../src/kube/leader-election.js';
import { runWorkers } from '../src/kube/run-workers.js';
import { settlesWithin } from '../src/kube/timers.js';
import { withRequestBudget } from '../src/kube/request-budget.js';
import { StatusApplier } from '../src/kube/status-apply.js';
import { WorkQueue } from '../src/kube/workqueue.js';
import type { HttpServer } from '../src/observe/http-server.js';
import { startHttpServer } from '../src/observe/http-server.js';
import type { Logger } from '../src/observe/logger.js';
import { ReaperMetrics } from '../src/observe/metrics.js';
import {
  deleteNodeReport,
  NodeReportObjects,
  nodeOwnerReference,
  NODE_REPORT_API_VERSION,
  NODE_REPORT_KIND,
} from '../src/kube/node-reports.js';
import { PacedQueue } from '../src/kube/paced-queue.js';
import { KubeListOwnerSource } from '../src/owners/kube-list-source.js';
import type { ReapNodeReport } from '../src/api/types.js';
import { createDockerClient } from '../src/runtime/docker-client.js';
import { DockerEngine } from '../src/runtime/docker-engine.js';
import { DockerView } from '../src/runtime/docker-view.js';
import { DockerodeViewApi } from '../src/runtime/docker-view-api.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';
import type { ControllerConfig } from './config.js';
import { DeletionTrigger } from './deletion-trigger.js';
import { OwnerDeletionLog } from './owner-deletions.js';
import { Finalizers } from './finalizer.js';
import { FleetSummarizer } from './fleet-summarizer.js';
import { ownersFromInformers } from './informer-owners.js';
import { NodeReporter } from './node-reporter.js';
import { Health } from './health.js';
import { OwnerController, ownerQueueKey } from './owner-controller.js';
import { RuntimeRefresh } from './runtime-refresh.js';
import { POLICY_API_VERSION, POLICY_KIND, PolicyController } from './policy-controller.js';
import { BUILT_IN_OWNER_KINDS, PolicyRegistry } from './policy-registry.js';
import { RuntimeView } from './runtime-view.js';
import { RunExitCode } from './run-exit-codes.js';

export interface Manager {
  /** Resolves with the exit code once the controller has stopped. */
  readonly done: Promise<RunExitCode>;
  /** Finishes the work in flight, starts nothing new, releases the lease; resolves with the exit code. */
  stop(): Promise<RunExitCode>;
  readonly httpAddress: string;
}

const POLICY_TARGET: InformerTarget = { apiVersion: POLICY_API_VERSION, kind: POLICY_KIND };
const REPORT_TARGET: InformerTarget = { apiVersion: NODE_REPORT_API_VERSION, kind: NODE_REPORT_KIND };
// Whether a report's Node exists is all the summary writer asks of Nodes.
const NODE_TARGET: InformerTarget = { apiVersion: 'v1', kind: 'Node', projection: METADATA_ONLY };
const OWNER_SUMMARY_FIELDS = [['spec'], ['status']] as const;
/**
 * An owner deletion's trigger delay while the Docker view can be read: the look at the runtime is a
 * read of memory then, not a listing a burst should share.
 */
const FRESH_TRIGGER_DELAY_MS = 50;
/** The summary writer's field manager: apart from the agents', so neither's apply removes the other's fields. */
export const SUMMARY_FIELD_MANAGER = 'reaper-summary';

export interface ManagerOptions {
  /** The engine on this node; Docker, from DOCKER_HOST, unless given (the fleet benchmark's hollow agents). */
  readonly engine?: RuntimeEngine;
}

export async function startManager(
  config: ControllerConfig,
  logger: Logger,
  unlimited: k8s.KubeConfig,
  options: ManagerOptions = {},
): Promise<Manager> {
  // Every request draws from the agent's budget but leader election's: a renewal must never wait
  // behind a burst of status writes, or the leader would lose its lease while busy.
  const kubeConfig = withRequestBudget(unlimited, config.kubeApi);
  const metrics = new ReaperMetrics();
  const agent = config.role !== 'summary';
  const registry = new PolicyRegistry();
  const policyQueue = new WorkQueue();
  // The agent's runtime follows Docker's events (design §3): listed at start, after a break of the
  // stream and every --docker-relist, never on a timer besides. The hollow engines of the fleet
  // benchmark come as options.engine, without one.
  const docker = options.engine ? undefined : createDockerClient();
  const dockerView =
    docker && agent
      ? new DockerView({
          api: new DockerodeViewApi(docker, (call) => metrics.countRuntimeViewCall(call)),
          now: Date.now,
          logger,
          relistIntervalMs: config.dockerRelistMs,
          onReadableChange: (readable) => {
            metrics.setRuntimeViewReadable(readable);
            // Sweeps that failed closed meanwhile look again now rather than after their retry.
            if (readable) for (const policy of registry.valid()) policyQueue.add(policy.name);
          },
        })
      : undefined;
  if (dockerView) metrics.setRuntimeViewReadable(false);
  const engine = options.engine ?? new DockerEngine(docker!, dockerView);
  const resolver = new ResourceResolver(kubeConfig);
  const summarizing = config.role !== 'agent';
  const ownerQueue = new WorkQueue();
  const reportQueue = new WorkQueue();
  const summaryQueue = new WorkQueue();
  const shutdown = new AbortController();
  const now = () => Date.now();
  const summaries = new PacedQueue(summaryQueue, config.summaryPeriodMs, now);
  const summarizeSoon = (policy: string | undefined) => {
    if (summarizing && policy) summaries.add(policy);
  };
  const isBuiltIn = (target: InformerTarget) =>
    BUILT_IN_OWNER_KINDS.some((k) => k.apiVersion === target.apiVersion && k.kind === target.kind);

  const informers = new DynamicInformerSet(kubeConfig, {
    logger,
    resolver,
    watchIdleTimeoutMs: config.watchIdleTimeoutMs,
    onEvent: (event, object, target) => {
      const namespace = object.metadata?.namespace;
      if (isBuiltIn(target) && object.metadata?.name) {
        if (agent) ownerQueue.add(ownerQueueKey(target.apiVersion, target.kind, namespace, object.metadata.name));
        // Its spec says what is expected, and a new owner needs its counts.
        if (event !== 'delete')
          summarizeSoon(registry.managing(target.apiVersion, target.kind, namespace)[0]?.policy.name);
      }
      if (!agent) return;
      // An owner gone is the moment its resources became orphans: sweep soon, once per burst, where
      // this agent holds some of them.
      if (event === 'delete') {
        const managing = registry.managing(target.apiVersion, target.kind, namespace);
        ownerDeletions.ownerDeleted(object, managing);
        deletions.ownerDeleted(object, managing);
      }
    },
    onStateChange: (target, state) => {
      metrics.setInformerHealthy(describeTarget(target), state.synced && state.healthy);
      // Recovered, or just went blind: either way the policies should say so promptly.
      for (const policy of registry.valid()) {
        if (!policy.owners.some((o) => o.apiVersion === target.apiVersion && o.kind === target.kind)) continue;
        if (agent) policyQueue.add(policy.name);
        summarizeSoon(policy.name);
      }
    },
  });
  // Agents keep of each owner its metadata and the fields their key rules read (design §4); the
  // summary writer also the spec (what is expected) and status (to write only what differs) of the
  // owners whose status it writes.
  const summaryFields = (target: InformerTarget) => (summarizing && isBuiltIn(target) ? OWNER_SUMMARY_FIELDS : []);
  const syncTargets = () => {
    const { removed } = informers.setTargets(registry.informerTargets(summaryFields));
    for (const target of removed) metrics.forgetInformer(describeTarget(target));
  };
  const enqueueOwner = (target: InformerTarget, object: k8s.KubernetesObject) => {
    if (object.metadata?.name) {
      ownerQueue.add(ownerQueueKey(target.apiVersion, target.kind, object.metadata.namespace, object.metadata.name));
    }
  };
  const cachedOwners = (target: InformerTarget) => informers.get(target)?.list() ?? [];
  const enqueueOwners = (kinds: readonly InformerTarget[]) => {
    for (const target of kinds.filter(isBuiltIn))
      for (const object of cachedOwners(target)) enqueueOwner(target, object);
  };

  // Watched through the selector: policies of other agent sets are never even delivered here.
  const policyTarget: InformerTarget = {
    ...POLICY_TARGET,
    ...(config.policySelector ? { labelSelector: config.policySelector } : {}),
  };
  const policyInformer = new ResilientInformer(kubeConfig, policyTarget, {
    logger,
    resolver,
    watchIdleTimeoutMs: config.watchIdleTimeoutMs,
  });
  const onPolicy = (cached: k8s.KubernetesObject) => {
    const object = cached as unknown as ReapPolicy;
    if (!object.metadata?.name) return;
    const overlaps = registry.overlapSignature();
    const due = registry.upsert(object);
    syncTargets();
    // Every change, the summary's own status writes included: paced, and it writes only what differs.
    summarizeSoon(object.metadata.name);
    if (due && agent) {
      policyQueue.add(object.metadata.name);
      enqueueOwners(BUILT_IN_OWNER_KINDS);
    }
    // A policy's claims overlap another's from the moment it exists: the others say so now too.
    // (The policy itself sweeps when its spec is new; queued twice it would sweep twice.)
    for (const name of registry.overlapsChangedSince(overlaps)) {
      summarizeSoon(name);
      if (name !== object.metadata.name && agent) policyQueue.add(name);
    }
  };
  policyInformer.on('add', onPolicy);
  policyInformer.on('update', onPolicy);
  policyInformer.on('delete', (object) => {
    const overlaps = registry.overlapSignature();
    if (!object.metadata?.name || !registry.remove(object.metadata.name)) return;
    syncTargets();
    summaries.forget(object.metadata.name);
    const changed = registry.overlapsChangedSince(overlaps);
    for (const name of changed) summarizeSoon(name);
    if (!agent) return;
    policyQueue.add(object.metadata.name);
    enqueueOwners(BUILT_IN_OWNER_KINDS);
    for (const name of changed) policyQueue.add(name);
  });
  policyInformer.onState((state) =>
    metrics.setInformerHealthy(describeTarget(policyTarget), state.synced && state.healthy),
  );

  const identity = config.leaderElection?.identity ?? config.nodeName;
  const events = new EventRecorder(coreV1EventSink(kubeConfig, config.requestTimeoutMs), {
    host: config.nodeName,
    instance: identity,
    logger,
  });
  const status = new StatusApplier(kubeConfig, { resolver, requestTimeoutMs: config.requestTimeoutMs });
  const summaryStatus = new StatusApplier(kubeConfig, {
    resolver,
    requestTimeoutMs: config.requestTimeoutMs,
    fieldManager: SUMMARY_FIELD_MANAGER,
  });
  // Looked up once: the garbage collector takes this node's reports with its Node.
  const nodeOwner = agent ? await lookUpNodeOwner(kubeConfig, config, logger) : undefined;
  const reporter = new NodeReporter({
    objects: new NodeReportObjects(kubeConfig, {
      node: config.nodeName,
      nodeOwner,
      status,
      requestTimeoutMs: config.requestTimeoutMs,
    }),
    liveKeys: (policy) => {
      const owners = ownersFromInformers(policy, informers);
      return owners.live.synced ? owners.live.keys : undefined;
    },
    requestWrite: (policy, delayMs) => reportQueue.addAfter(policy, delayMs),
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
    sweep: (name) => policyQueue.add(name),
    now,
    logger,
  });
  // The runtime view is listed again every resync, so what owners hold on this node stays current.
  const runtimeRefresh = new RuntimeRefresh({
    isStatusKind: isBuiltIn,
    validPolicies: () => registry.valid().map((policy) => registry.scoped(policy)),
    refresh: (policy) => runtime.snapshotFor(policy),
    intervalMs: config.ownerResyncMs,
    logger,
  });
  const common = {
    registry,
    informers,
    engine,
    status,
    events,
    metrics,
    runtime,
    freshOwners: new KubeListOwnerSource(kubeConfig),
    host: {
      node: config.nodeName,
      now,
      random: Math.random,
      signal: shutdown.signal,
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
    kubeConfig,
    finalizers: new Finalizers(kubeConfig),
    policiesSynced: () => policyInformer.synced,
    seesEveryPolicy: config.policySelector === undefined,
    resyncMs: config.ownerResyncMs,
  });

  // The summary role's view of the fleet: every report and every Node (agents watch neither).
  const reportInformer = new ResilientInformer(kubeConfig, REPORT_TARGET, {
    logger,
    resolver,
    watchIdleTimeoutMs: config.watchIdleTimeoutMs,
  });
  const nodeInformer = new ResilientInformer(kubeConfig, NODE_TARGET, {
    logger,
    resolver,
    watchIdleTimeoutMs: config.watchIdleTimeoutMs,
  });
  const onReport = (object: k8s.KubernetesObject) => summarizeSoon((object as unknown as ReapNodeReport).spec?.policy);
  for (const event of ['add', 'update', 'delete'] as const) reportInformer.on(event, onReport);
  const onNode = () => {
    for (const name of registry.names()) summarizeSoon(name);
  };
  nodeInformer.on('add', onNode);
  nodeInformer.on('delete', onNode);
  const reportsApi = kubeConfig.makeApiClient(CustomObjectsApi);
  const summarizer = new FleetSummarizer({
    registry,
    policiesSynced: () => policyInformer.synced,
    reports: reportInformer,
    nodes: nodeInformer,
    informers,
    status: summaryStatus,
    deleteReport: (name) => deleteNodeReport(reportsApi, name, withTimeout(config.requestTimeoutMs)),
    rules: { staleAfterMs: config.staleAfterMs, removeAfterMs: 2 * config.staleAfterMs },
    reportsSettleMs: config.summaryPeriodMs,
    now,
    logger,
  });

  const health = new Health({
    ...(agent ? { engine } : {}),
    policyInformer,
    informers,
    registry,
    ...(summarizing
      ? {
          caches: [
            { name: 'node reports', informer: reportInformer },
            { name: 'nodes', informer: nodeInformer },
          ],
        }
      : {}),
  });
  const http: HttpServer = await startHttpServer({
    address: config.httpAddress,
    metrics,
    healthz: () => health.live(),
    readyz: () => health.ready(),
    logger,
  });

  syncTargets();
  await policyInformer.start();
  if (summarizing) await Promise.all([reportInformer.start(), nodeInformer.start()]);

  const agentWork = () => {
    dockerView?.start();
    runtimeRefresh.start();
    return [
      runWorkers(policyQueue, (key) => policyController.reconcile(key), {
        concurrency: 1, // one sweep at a time per agent
        logger: logger.child('policy-workers'),
      }),
      runWorkers(ownerQueue, (key) => ownerController.reconcile(key), {
        concurrency: config.ownerWorkers,
        logger: logger.child('owner-workers'),
      }),
      runWorkers(reportQueue, (key) => reporter.write(key), { concurrency: 2, logger: logger.child('report-workers') }),
    ];
  };
  const summaryWork = () => {
    for (const name of registry.names()) summarizeSoon(name);
    return [
      runWorkers(
        summaryQueue,
        summaries.paced((key) => summarizer.summarize(key)),
        { concurrency: 2, logger: logger.child('summary-workers') },
      ),
    ];
  };
  const work = async () => {
    await Promise.all([...(agent ? agentWork() : []), ...(summarizing ? summaryWork() : [])]);
  };
  // The report queue drains after the policy queue: the last sweeps' reports are still written.
  const drainQueues = async () => {
    await Promise.all([policyQueue.shutDown(), ownerQueue.shutDown(), summaryQueue.shutDown()]);
    await reportQueue.shutDown();
  };

  let resolveDone!: (code: RunExitCode) => void;
  const done = new Promise<RunExitCode>((resolve) => (resolveDone = resolve));
  let stopping: Promise<RunExitCode> | undefined;
  let elector: LeaderElector | undefined;
  let working: Promise<void> | undefined;

  const stop = (exitCode: RunExitCode = RunExitCode.Stopped): Promise<RunExitCode> => {
    stopping ??= (async () => {
      logger.info('shutting down: finishing the work in flight, starting nothing new');
      shutdown.abort();
      runtimeRefresh.stop();
      deletions.stop();
      dockerView?.stop();
      // A hung API server (or engine) must not keep the process from ending: past the deadline it
      // stops without the work in flight, and without releasing the lease (that work may still write).
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const finished = await settlesWithin(
        (async () => {
          if (elector) await elector.stop(); // ends the leader's work first, then releases the lease
          await drainQueues();
          await working;
        })(),
        config.shutdownTimeoutMs,
      );
      if (!finished) {
        logger.warn('the work in flight did not finish in time; stopping without it', {
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        });
      }
      await Promise.all([informers.stop(), policyInformer.stop(), reportInformer.stop(), nodeInformer.stop()]);
      await settlesWithin(events.stop(), Math.max(0, deadline - Date.now()));
      await http.close();
      logger.info('stopped', { exitCode });
      resolveDone(exitCode);
      return exitCode;
    })();
    return stopping;
  };

  if (config.leaderElection) {
    const { namespace, leaseName, leaseDurationMs, renewDeadlineMs, retryPeriodMs } = config.leaderElection;
    elector = new LeaderElector(
      unlimited,
      { namespace, leaseName, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs, logger },
      {
        onStartedLeading: async (signal) => {
          working = work();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          await drainQueues();
          await working;
        },
        onStoppedLeading: () => {
          // A lost lease means another agent may be sweeping: stop at once and let the pod restart.
          if (!shutdown.signal.aborted) {
            logger.error('lost leadership; exiting so a fresh process campaigns again');
            void stop(RunExitCode.LostLeadership);
          }
        },
        onNewLeader: (leader) => logger.info('leader observed', { leader }),
      },
    );
    void elector.run();
  } else {
    working = work();
  }

  return { done, stop: () => stop(0), httpAddress: http.address };
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
