// The controller process's parts, built from its configuration (design §4): the caches, the queues,
// the agent's controllers, the summary writer and what health reads. Nothing starts here:
// lifecycle.ts starts and stops the parts.
import type * as k8s from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ResourceResolver } from '../src/kube/discovery.js';
import { coreV1EventSink, EventRecorder } from '../src/kube/event-recorder.js';
import { deleteNodeReport } from '../src/kube/node-reports.js';
import { withRequestBudget } from '../src/kube/request-budget.js';
import { withReusedConnections } from '../src/kube/reused-connections.js';
import { withTimeout } from '../src/kube/request-options.js';
import { runWorkers } from '../src/kube/run-workers.js';
import { StatusApplier } from '../src/kube/status-apply.js';
import type { Logger } from '../src/observe/logger.js';
import { ReaperMetrics } from '../src/observe/metrics.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';
import { buildAgent } from './agent.js';
import type { Caches } from './caches.js';
import { buildCaches } from './caches.js';
import type { ControllerConfig } from './config.js';
import { FleetSummarizer } from './fleet-summarizer.js';
import { Health } from './health.js';
import { PolicyRegistry } from './policy-registry.js';
import { WorkQueues } from './work-queues.js';

/** The summary writer's field manager: apart from the agents', so neither's apply removes the other's fields. */
const SUMMARY_FIELD_MANAGER = 'reaper-summary';

export interface Parts {
  readonly metrics: ReaperMetrics;
  readonly health: Health;
  readonly caches: Pick<Caches, 'start' | 'stop'>;
  readonly queues: Pick<WorkQueues, 'drain'>;
  readonly events: Pick<EventRecorder, 'stop'>;
  /** The identity this process campaigns for the Lease with and records Events as. */
  readonly identity: string;
  /** Runs this process's roles' workers; resolves once their queues are drained. */
  work(): Promise<void>;
  /** Starts nothing new on its own (timers, Docker's event stream). */
  stopStarting(): void;
}

export async function wireParts(
  config: ControllerConfig,
  logger: Logger,
  unlimited: k8s.KubeConfig,
  engine: RuntimeEngine | undefined,
  signal: AbortSignal,
): Promise<Parts> {
  // Every request draws from the agent's budget but leader election's: a renewal must never wait
  // behind a burst of status writes, or the leader would lose its lease while busy.
  const kubeConfig = withRequestBudget(withReusedConnections(unlimited), config.kubeApi);
  const metrics = new ReaperMetrics();
  const agent = config.role !== 'summary';
  const summarizing = config.role !== 'agent';
  const now = () => Date.now();
  const registry = new PolicyRegistry();
  const queues = new WorkQueues(summarizing, config.summaryPeriodMs, now);
  const resolver = new ResourceResolver(kubeConfig);
  const caches = buildCaches({
    kubeConfig,
    config,
    roles: { agent, summarizing },
    registry,
    queues,
    metrics,
    resolver,
    ownerDeleted: (object, managing) => agentParts.ownerDeleted(object, managing),
    logger,
  });
  const { informers, policyInformer, reportInformer, nodeInformer } = caches;

  const identity = config.leaderElection?.identity ?? config.nodeName;
  const events = new EventRecorder(coreV1EventSink(kubeConfig, config.requestTimeoutMs), {
    host: config.nodeName,
    instance: identity,
    logger,
  });
  const agentParts = await buildAgent({
    config,
    agent,
    kubeConfig,
    engine,
    registry,
    queues,
    informers,
    policiesSynced: () => policyInformer.synced,
    status: new StatusApplier(kubeConfig, { resolver, requestTimeoutMs: config.requestTimeoutMs }),
    events,
    metrics,
    signal,
    now,
    logger,
  });

  const reportsApi = kubeConfig.makeApiClient(CustomObjectsApi);
  const summarizer = new FleetSummarizer({
    registry,
    policiesSynced: () => policyInformer.synced,
    reports: reportInformer,
    nodes: nodeInformer,
    informers,
    status: new StatusApplier(kubeConfig, {
      resolver,
      requestTimeoutMs: config.requestTimeoutMs,
      fieldManager: SUMMARY_FIELD_MANAGER,
    }),
    deleteReport: (name) => deleteNodeReport(reportsApi, name, withTimeout(config.requestTimeoutMs)),
    rules: { staleAfterMs: config.staleAfterMs, removeAfterMs: 2 * config.staleAfterMs },
    reportsSettleMs: config.summaryPeriodMs,
    now,
    logger,
  });
  const summaryWork = () => {
    for (const name of registry.names()) queues.summarizeSoon(name);
    return [
      runWorkers(
        queues.summaries,
        queues.paced.paced((key) => summarizer.summarize(key)),
        { concurrency: 2, logger: logger.child('summary-workers') },
      ),
    ];
  };

  const health = new Health({
    ...(agent ? { engine: agentParts.engine } : {}),
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

  return {
    metrics,
    health,
    caches,
    queues,
    events,
    identity,
    async work() {
      await Promise.all([...(agent ? agentParts.work() : []), ...(summarizing ? summaryWork() : [])]);
    },
    stopStarting: () => agentParts.stop(),
  };
}
