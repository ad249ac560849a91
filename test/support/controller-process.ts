// `reaper run` as a child process, the way it runs in a pod: flags, environment, JSON logs on
// stderr. Tests wait on its log lines and its HTTP endpoint, and stop it with signals.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { repoRoot } from './kubectl.js';

export interface LogLine {
  readonly time?: string;
  readonly level?: string;
  readonly msg?: string;
  readonly component?: string;
  readonly [field: string]: unknown;
}

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON log line so far. */
  readonly logs: LogLine[];
  /** Lines that were not JSON (e.g. a crash's stack). */
  readonly otherOutput: string[];
  /** `host:port` of /metrics, /healthz and /readyz. */
  readonly httpAddress: string;
  /** The first log line from index `from` on that satisfies `predicate`. */
  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs?: number, from?: number): Promise<LogLine>;
  get(path: string): Promise<{ status: number; body: string }>;
  /**
   * Sends `signal` and resolves with the exit code (null when killed by a signal); a process still
   * there after the timeout is killed and the call fails.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
  /** The last `n` log lines and other lines, for an error message. */
  tail(n?: number): string;
}

/**
 * The label that puts a ReapPolicy in a set of test agents: an agent started with
 * `agentSetSelector(set)` watches and sweeps only the policies labelled with that set.
 */
export const AGENT_SET_LABEL = 'test.reaper.dev/agents';

/** `--policy-selector` for the agents of one agent set. */
export function agentSetSelector(agentSet: string): string {
  return `${AGENT_SET_LABEL}=${agentSet}`;
}

export interface ControllerOptions {
  nodeName: string;
  /**
   * `--policy-selector`: the ReapPolicies this agent watches and sweeps. Test files run side by side
   * on one API server and one Docker engine, and an agent that saw another test's policy would sweep
   * it (its resources are on the same engine) and overwrite its status. null: every policy, on
   * purpose; a test that passes it says why.
   */
  policySelector: string | null;
  /**
   * `--role`: `all` (the default) sweeps and writes the fleet summary, so a test with one agent sees
   * policy and owner status; a test with several agents starts exactly one `all` (or `summary`) and
   * the others as `agent`, as the chart runs one summary writer per cluster.
   */
  role?: 'agent' | 'summary' | 'all';
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** `reaper run` from the sources (through tsx), with the flags the tests share. */
export function startController(options: ControllerOptions): Promise<ControllerProcess> {
  return launchController({
    entry: ['--import', 'tsx', 'controllers/main.ts'],
    args: [
      '--node-name',
      options.nodeName,
      '--http-address',
      '127.0.0.1:0',
      ...(options.policySelector === null ? [] : ['--policy-selector', options.policySelector]),
      '--role',
      options.role ?? 'all',
      // Tests wait on status: the summary follows the reports within half a second.
      '--summary-period',
      '500ms',
      ...(options.args ?? []),
    ],
    // null means every policy: a selector in the test's own environment is not inherited.
    env: {
      ...process.env,
      ...(options.policySelector === null ? { REAPER_POLICY_SELECTOR: undefined } : {}),
      ...options.env,
    },
  });
}

export interface ControllerLaunch {
  /** The node executable (default: this process's). */
  readonly node?: string;
  /** What node runs: the entry point, after any loader flags. */
  readonly entry: readonly string[];
  /** The flags of `run`. */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** How long the HTTP endpoint may take to come up (default 30 s). */
  readonly startTimeoutMs?: number;
}

/**
 * Starts `<node> <entry> run <args>` in the repository and resolves once it serves HTTP. The
 * benchmarks launch the compiled controller on the image's node this way.
 */
export async function launchController(launch: ControllerLaunch): Promise<ControllerProcess> {
  const child = spawn(launch.node ?? process.execPath, [...launch.entry, 'run', ...launch.args], {
    cwd: repoRoot,
    env: launch.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const otherOutput: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        otherOutput.push(line);
      }
    }
    for (const wake of waiters) wake();
  };
  child.stderr!.on('data', onData);
  child.stdout!.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  const tail = (n = 15) => [...logs.slice(-n).map((l) => JSON.stringify(l)), ...otherOutput.slice(-n)].join('\n');

  const waitForLog = (what: string, predicate: (line: LogLine) => boolean, timeoutMs = 30_000, from = 0) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.slice(from).find(predicate);
        if (found) {
          finish();
          resolve(found);
        } else if (exitCode !== undefined) {
          finish();
          reject(new Error(`controller exited (${exitCode}) while waiting for ${what}; output:\n${tail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; output:\n${tail()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const serving = await waitForLog(
    'the HTTP endpoint',
    (l) => l.msg === 'serving http' && typeof l.address === 'string',
    launch.startTimeoutMs,
  );
  const httpAddress = serving.address as string;
  return {
    child,
    pid: child.pid!,
    logs,
    otherOutput,
    httpAddress,
    waitForLog,
    exited,
    tail,
    async get(path) {
      const response = await fetch(`http://${httpAddress}${path}`);
      return { status: response.status, body: await response.text() };
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (exitCode === undefined) child.kill(signal);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      const result = await Promise.race([exited, timeout]);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`controller did not exit within ${timeoutMs}ms of ${signal}`);
      }
      return result;
    },
  };
}

/** Sweeps of one policy the controller logged, oldest first. */
export function sweepsOf(controller: ControllerProcess, policy: string): LogLine[] {
  return controller.logs.filter((l) => l.msg === 'sweep finished' && l.policy === policy);
}
