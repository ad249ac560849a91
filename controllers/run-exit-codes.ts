// `reaper run`'s exit codes: what a pod's restart policy and an operator read when the controller
// process ends. They are the controller's own: the CLI's codes (src/cli/exit-codes.ts) speak of one
// sweep's outcome, which a long-running controller never exits on.
export const RunExitCode = {
  /** Stopped on SIGTERM or SIGINT, after the work in flight or, past --shutdown-timeout, without it. */
  Stopped: 0,
  /** Lost its Lease (--leader-elect): another replica may be sweeping, so it ends and a restart campaigns again. */
  LostLeadership: 1,
  /** Failed to start (e.g. its HTTP address is in use), or a second signal cut the stop short. */
  Failed: 2,
  /** The command line or the configuration is wrong (sysexits EX_USAGE), as for every reaper command. */
  Usage: 64,
} as const;

export type RunExitCode = (typeof RunExitCode)[keyof typeof RunExitCode];
