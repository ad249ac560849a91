// The controller process (design §4), in its roles. Both: informers for ReapPolicies and for every
// owner kind a policy names, the HTTP endpoint, optional leader election, an orderly shutdown on
// SIGTERM. The agent: keyed work queues for policies (one sweep at a time), owners (Managed
// condition, teardown) and this node's ReapNodeReports. The summary writer: informers for every
// report and Node, and a paced queue of policies whose fleet summary to write. The parts are built
// in wiring.ts (caches.ts, agent.ts, work-queues.ts) and run in lifecycle.ts.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../src/observe/logger.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';
import type { ControllerConfig } from './config.js';
import { runParts } from './lifecycle.js';
import type { RunExitCode } from './run-exit-codes.js';
import { wireParts } from './wiring.js';

export interface Manager {
  /** Resolves with the exit code once the controller has stopped. */
  readonly done: Promise<RunExitCode>;
  /** Finishes the work in flight, starts nothing new, releases the lease; resolves with the exit code. */
  stop(): Promise<RunExitCode>;
  readonly httpAddress: string;
}

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
  const shutdown = new AbortController();
  const parts = await wireParts(config, logger, unlimited, options.engine, shutdown.signal);
  return runParts(parts, config, logger, unlimited, shutdown);
}
