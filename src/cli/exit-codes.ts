// The CLI's exit codes: scripts and cron jobs branch on them.
export const ExitCode = {
  /** Every selected item reaped (or, in dry run, would be). */
  Clean: 0,
  /** Some removals failed; the rest went ahead. */
  ItemsFailed: 1,
  /** Nothing reaped: blast-radius guard, or owners/runtime not fully visible. */
  BlockedOrFailedClosed: 2,
  /** The command line or an input file is wrong (sysexits EX_USAGE). */
  Usage: 64,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is meant for the user as is, with the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Usage,
  ) {
    super(message);
  }
}
