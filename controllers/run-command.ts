// `reaper run`: the controller process. Flags fall back to environment variables (the chart sets
// those from the downward API); the resolved configuration is logged once at start.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { RunFlags } from './config.js';
import { controllerConfig, RUN_DEFAULTS } from './config.js';
import { RunExitCode } from './run-exit-codes.js';

/** After an orderly stop, how long open handles may keep the process before it exits anyway. */
const EXIT_GRACE_MS = 1_000;

export function addRunCommand(program: Command): Command {
  program
    .command('run')
    .description('run the controller: watch ReapPolicies and owners, sweep on an interval and on deletions')
    .addOption(new Option('--node-name <name>', "this agent's node (DaemonSet: from spec.nodeName)").env('NODE_NAME'))
    .addOption(
      new Option('--leader-elect', 'elect one active replica through a Lease (Deployment mode)').env(
        'REAPER_LEADER_ELECT',
      ),
    )
    .addOption(
      new Option('--leader-election-namespace <ns>', 'namespace of the Lease')
        .env('POD_NAMESPACE')
        .default(RUN_DEFAULTS.leaderElectionNamespace),
    )
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').default(RUN_DEFAULTS.leaderElectionId))
    .addOption(
      new Option('--identity <id>', "this candidate's identity in the Lease (default: host name and pid)").env(
        'POD_NAME',
      ),
    )
    .addOption(
      new Option('--lease-duration <duration>', 'how long a Lease is valid without renewal').default(
        RUN_DEFAULTS.leaseDuration,
      ),
    )
    .addOption(
      new Option('--renew-deadline <duration>', 'how long the leader retries renewing').default(
        RUN_DEFAULTS.renewDeadline,
      ),
    )
    .addOption(
      new Option('--retry-period <duration>', 'between attempts to acquire or renew').default(RUN_DEFAULTS.retryPeriod),
    )
    .addOption(
      new Option('--http-address <host:port>', 'serve /metrics, /healthz and /readyz here (port 0: any free port)')
        .env('REAPER_HTTP_ADDRESS')
        .default(RUN_DEFAULTS.httpAddress),
    )
    .addOption(
      new Option('--self-container-id <id>', "reaper's own container, never reaped").env('REAPER_SELF_CONTAINER_ID'),
    )
    .addOption(
      new Option('--log-level <level>', 'error, warn, info or debug')
        .env('REAPER_LOG_LEVEL')
        .default(RUN_DEFAULTS.logLevel),
    )
    .addOption(new Option('--owner-workers <n>', 'owners reconciled at once').default(RUN_DEFAULTS.ownerWorkers))
    .addOption(
      new Option(
        '--trigger-delay <duration>',
        'wait after an owner deletion before sweeping, so bursts coalesce',
      ).default(RUN_DEFAULTS.triggerDelay),
    )
    .addOption(
      new Option(
        '--owner-resync <duration>',
        'read the runtime this often for owner status (only owners whose found counts changed are updated)',
      ).default(RUN_DEFAULTS.ownerResync),
    )
    .addOption(
      new Option(
        '--docker-relist <duration>',
        'list the Docker engine again this often even while its event stream, which the agent follows, is whole',
      ).default(RUN_DEFAULTS.dockerRelist),
    )
    .addOption(
      new Option(
        '--request-timeout <duration>',
        'give up on a Kubernetes API request (status, events, the re-check) after this long',
      ).default(RUN_DEFAULTS.requestTimeout),
    )
    .addOption(
      new Option(
        '--shutdown-timeout <duration>',
        'on SIGTERM, wait this long for the work in flight, then exit',
      ).default(RUN_DEFAULTS.shutdownTimeout),
    )
    .addOption(
      new Option(
        '--watch-idle-timeout <duration>',
        'restart a watch that sent nothing, not even the minutely bookmark, for this long',
      ).default(RUN_DEFAULTS.watchIdleTimeout),
    )
    .addOption(
      new Option(
        '--policy-selector <selector>',
        'sweep only the ReapPolicies this label selector matches (e.g. reaper.dev/agents=nodes); default: all',
      ).env('REAPER_POLICY_SELECTOR'),
    )
    .addOption(
      new Option('--kube-api-qps <n>', 'Kubernetes API requests a second this agent makes at most, sustained').default(
        RUN_DEFAULTS.kubeApiQps,
      ),
    )
    .addOption(
      new Option('--kube-api-burst <n>', 'Kubernetes API requests that may go at once after a quiet spell').default(
        RUN_DEFAULTS.kubeApiBurst,
      ),
    )
    .addOption(
      new Option(
        '--role <role>',
        'agent: sweep this node and write its ReapNodeReports; summary: write the fleet summary into policy and owner status (one per cluster: use --leader-elect); all: both',
      )
        .env('REAPER_ROLE')
        .default(RUN_DEFAULTS.role),
    )
    .addOption(
      new Option('--summary-period <duration>', 'summary role: write a policy status at most this often').default(
        RUN_DEFAULTS.summaryPeriod,
      ),
    )
    .addOption(
      new Option(
        '--report-heartbeat <duration>',
        'agent role: rewrite a ReapNodeReport that says the same after about this long',
      ).default(RUN_DEFAULTS.reportHeartbeat),
    )
    .addOption(
      new Option(
        '--stale-after <duration>',
        'summary role: a ReapNodeReport not written for this long is stale (several heartbeats); one whose Node is gone is deleted after twice as long',
      ).default(RUN_DEFAULTS.staleAfter),
    )
    .action(async (flags: RunFlags) => {
      try {
        process.exitCode = await runCommand(flags);
      } catch (err) {
        process.stderr.write(`reaper: ${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = RunExitCode.Failed;
      }
    });
  return program;
}

async function runCommand(flags: RunFlags): Promise<RunExitCode> {
  const parsed = controllerConfig({ ...flags, leaderElect: isTrue(flags.leaderElect) });
  if (!parsed.ok) {
    process.stderr.write(`reaper: invalid configuration:\n${parsed.problems.join('\n')}\n`);
    return RunExitCode.Usage;
  }
  const { config } = parsed;
  // Loaded here, not at the top: `reaper --help` and the CLI's commands need none of it.
  const [{ loadDefaultKubeConfig }, { createLogger }, { startManager }] = await Promise.all([
    import('../src/kube/kube-config.js'),
    import('../src/observe/logger.js'),
    import('./manager.js'),
  ]);
  const logger = createLogger({ level: config.logLevel, component: 'controller' });
  const kubeConfig = loadDefaultKubeConfig();
  logger.info('starting', {
    config,
    cluster: kubeConfig.getCurrentCluster()?.server,
    dockerHost: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
  });
  const manager = await startManager(config, logger, kubeConfig);
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals > 1) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(RunExitCode.Failed);
    }
    logger.info('signal received', { signal });
    void manager.stop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const code = await manager.done;
  // Stopped: a request that never got an answer (a hung API server) must not keep the process alive.
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  return code;
}

// commander hands an env fallback over as its text: REAPER_LEADER_ELECT=false must not mean true.
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && /^(1|true|yes)$/i.test(value));
}
