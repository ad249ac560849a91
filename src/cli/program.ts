// The `reaper` command line: sweep, plan and apply (the controller adds `run`). A command's code
// (and the Kubernetes and Docker clients behind it) is loaded only when that command runs, so
// `reaper --help` and a usage error answer at once.
import { Command, Option } from 'commander';
import type { ApplyOptions } from './apply-command.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { PlanOptions } from './plan-command.js';
import type { SweepOptions } from './sweep-command.js';

const outputOption = () =>
  new Option('-o, --output <format>', 'report format').choices(['table', 'json', 'yaml']).default('table');

const policyOption = () =>
  new Option(
    '--policy <file|name>',
    'a ReapPolicy YAML file, or the name of a ReapPolicy in the cluster',
  ).makeOptionMandatory();

const ownersOption = () =>
  new Option('--owners-from <cluster|dir>', 'list owners from the cluster, or from a directory of manifests').default(
    'cluster',
  );

const policiesOption = () =>
  new Option(
    '--policies-from <cluster|dir|none>',
    "the other ReapPolicies whose claims this one defers to (default: the cluster's when --policy names one, else none)",
  );

const nodeOption = () => new Option('--node <name>', 'node name for the report').env('NODE_NAME');

/** Runs a command and turns its result or failure into an exit code. */
export function withExitCode<A extends unknown[]>(command: (...args: A) => Promise<ExitCode>) {
  return async (...args: A) => {
    try {
      process.exitCode = await command(...args);
    } catch (err) {
      if (err instanceof CliError) {
        process.stderr.write(`reaper: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`reaper: ${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = ExitCode.BlockedOrFailedClosed;
      }
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('reaper')
    .description('Reaps Docker containers, networks, volumes and CNI IP leases whose Kubernetes owner is gone.')
    .showHelpAfterError()
    .exitOverride((err) => {
      // Usage errors leave with 64 (EX_USAGE); --help and --version with 0.
      process.exit(err.exitCode === 0 ? 0 : ExitCode.Usage);
    });

  program
    .command('sweep')
    .description('run one sweep: find orphans and reap them (exit 0 clean, 1 some failed, 2 blocked or failed closed)')
    .addOption(policyOption())
    .addOption(ownersOption())
    .addOption(policiesOption())
    .option('--dry-run', 'report what would be reaped; remove nothing')
    .option('--state <file>', 'keep grace bookkeeping in this file between runs (for cron)')
    .addOption(outputOption())
    .addOption(nodeOption())
    .action(withExitCode(async (options: SweepOptions) => (await import('./sweep-command.js')).sweepCommand(options)));

  program
    .command('plan')
    .description('compute what a sweep would reap now, and write it down for review')
    .addOption(policyOption())
    .addOption(ownersOption())
    .addOption(policiesOption())
    .option('-o, --out <file>', 'write the plan to this file, for reaper apply')
    .option('--state <file>', 'grace bookkeeping from earlier sweeps')
    .addOption(
      new Option('--format <format>', 'format of the summary on stdout')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .addOption(nodeOption())
    .action(withExitCode(async (options: PlanOptions) => (await import('./plan-command.js')).planCommand(options)));

  program
    .command('apply')
    .description('carry out a plan from reaper plan, skipping every item that changed since')
    .argument('<plan>', 'the plan file')
    .addOption(ownersOption())
    .addOption(policiesOption())
    .addOption(outputOption())
    .addOption(nodeOption())
    .action(
      withExitCode(async (file: string, options: ApplyOptions) =>
        (await import('./apply-command.js')).applyCommand(file, options),
      ),
    );

  return program;
}
