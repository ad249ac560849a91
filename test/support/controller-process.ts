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
  /** Every JSON log line so far. */
  readonly logs: LogLine[];
  /** Lines that were not JSON (e.g. a crash's stack). */
  readonly otherOutput: string[];
  /** `host:port` of /metrics, /healthz and /readyz. */
  readonly httpAddress: string;
  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  get(path: string): Promise<{ status: number; body: string }>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
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

export async function startController(options: ControllerOptions): Promise<ControllerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'controllers/main.ts',
      'run',
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
    {
      cwd: repoRoot,
      // null means every policy: a selector in the test's own environment is not inherited.
      env: {
        ...process.env,
        ...(options.policySelector === null ? { REAPER_POLICY_SELECTOR: undefined } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const wake of waiters) wake();
  });

  const waitForLog = (what: string, predicate: (line: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          finish();
          resolve(found);
        } else if (hasExited) {
          finish();
          reject(new Error(`controller exited while waiting for ${what}; output:\n${tail(logs, otherOutput)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; output:\n${tail(logs, otherOutput)}`));
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
  );
  const httpAddress = serving.address as string;
  return {
    child,
    logs,
    otherOutput,
    httpAddress,
    waitForLog,
    exited,
    async get(path) {
      const response = await fetch(`http://${httpAddress}${path}`);
      return { status: response.status, body: await response.text() };
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (!hasExited) child.kill(signal);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      const result = await Promise.race([exited, timeout]);
      if (result === 'timeout') {
        child.kill('SIGKILL');
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

function tail(logs: LogLine[], other: string[]): string {
  return [...logs.slice(-15).map((l) => JSON.stringify(l)), ...other.slice(-15)].join('\n');
}
