// The controller process's lifecycle (design §4): the HTTP endpoint, then the caches, then the work,
// at once or while this replica holds the Lease; and an orderly stop, bounded by --shutdown-timeout:
// nothing new starts, the leader's work ends before its Lease is released, the queues drain, then the
// caches, Events and the endpoint close.
import type * as k8s from '@kubernetes/client-node';
import { LeaderElector } from '../src/kube/leader-election.js';
import { settlesWithin } from '../src/kube/timers.js';
import { startHttpServer } from '../src/observe/http-server.js';
import type { Logger } from '../src/observe/logger.js';
import type { ControllerConfig } from './config.js';
import type { Manager } from './manager.js';
import { RunExitCode } from './run-exit-codes.js';
import type { Parts } from './wiring.js';

export async function runParts(
  parts: Parts,
  config: ControllerConfig,
  logger: Logger,
  unlimited: k8s.KubeConfig,
  shutdown: AbortController,
): Promise<Manager> {
  const http = await startHttpServer({
    address: config.httpAddress,
    metrics: parts.metrics,
    healthz: () => parts.health.live(),
    readyz: () => parts.health.ready(),
    logger,
  });
  await parts.caches.start();

  let resolveDone!: (code: RunExitCode) => void;
  const done = new Promise<RunExitCode>((resolve) => (resolveDone = resolve));
  let stopping: Promise<RunExitCode> | undefined;
  let elector: LeaderElector | undefined;
  let working: Promise<void> | undefined;

  const stop = (exitCode: RunExitCode = RunExitCode.Stopped): Promise<RunExitCode> => {
    stopping ??= (async () => {
      logger.info('shutting down: finishing the work in flight, starting nothing new');
      shutdown.abort();
      parts.stopStarting();
      // A hung API server (or engine) must not keep the process from ending: past the deadline it
      // stops without the work in flight, and without releasing the lease (that work may still write).
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const finished = await settlesWithin(
        (async () => {
          if (elector) await elector.stop(); // ends the leader's work first, then releases the lease
          await parts.queues.drain();
          await working;
        })(),
        config.shutdownTimeoutMs,
      );
      if (!finished) {
        logger.warn('the work in flight did not finish in time; stopping without it', {
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        });
      }
      await parts.caches.stop();
      await settlesWithin(parts.events.stop(), Math.max(0, deadline - Date.now()));
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
      { namespace, leaseName, identity: parts.identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs, logger },
      {
        onStartedLeading: async (signal) => {
          working = parts.work();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          await parts.queues.drain();
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
    working = parts.work();
  }

  return { done, stop: () => stop(RunExitCode.Stopped), httpAddress: http.address };
}
