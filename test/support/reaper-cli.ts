// The `reaper` command line as a child process, as a cron job or a person runs it: to the end
// (reaper), or in the background while the test does something else, such as killing an engine
// under it or serving what it talks to (startReaper). And the files a sweep reads: a policy that
// matches on a label key of the calling test's own, and a directory of owner manifests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { uniqueName } from './engines.js';
import { repoRoot } from './kubectl.js';
import type { OwnerScope } from './owner-labels.js';
import { ownerLabels } from './owner-labels.js';

const CLI = ['--import', 'tsx', 'controllers/main.ts'];

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH first (setpriv), so that a file with mode 000
   * is really unreadable to a CLI running as root.
   */
  readonly withoutDacOverride?: boolean;
}

/** Runs the CLI to the end (at most five minutes). */
export function reaper(args: string[], options: CliOptions = {}): CliRun {
  const command = [process.execPath, ...CLI, ...args];
  const [file, ...rest] = options.withoutDacOverride
    ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--', ...command]
    : command;
  const result = spawnSync(file!, rest, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 300_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the CLI without blocking this process; resolves when it exits. */
export function startReaper(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** What `reaper sweep -o json` prints. */
export interface SweepReport {
  outcome: string;
  counts: Record<
    string,
    { scanned: number; attributable: number; outOfScope: number; orphaned: number; reaped: number; failed: number }
  >;
  /** kind: containers | networks | volumes | ipLeases. */
  items: { kind: string; name: string; id: string; action: string; reason: string; ownerKey?: string }[];
  errors: string[];
}

/**
 * A ReapPolicy of Topologies keyed by uid, matching on `label`, that reaps at once: minAge and
 * grace 0, no share of orphans too large, a one-second stop. `spec` replaces whole fields.
 */
export function sweepPolicy(name: string, label: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name },
    spec: {
      owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', key: 'uid' }],
      match: [{ label }],
      resources: { containers: { stopTimeoutSeconds: 1 } },
      timing: { minAge: '0s', gracePeriod: '0s' },
      limits: { maxOrphanPercent: 100 },
      ...spec,
    },
  };
}

/** A Topology as the API server hands it out (with its uid), for `--owners-from`. */
export function topologyManifest(name: string, namespace: string, uid: string): Record<string, unknown> {
  return { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', metadata: { name, namespace, uid }, spec: {} };
}

/**
 * A sweepPolicy file in `dir` on a label key unique to the caller, that key, and `owned`: the labels
 * a deployer writes for an owner with `key` (a Topology unless said; the namespace label when given,
 * which a policy that lists namespaces needs).
 */
export function policyFile(
  dir: string,
  spec: Record<string, unknown> = {},
): { file: string; label: string; owned: (key: string, owner?: OwnerScope) => Record<string, string> } {
  const label = `${uniqueName('t')}.test/owner`;
  const file = path.join(dir, `${uniqueName('policy')}.yaml`);
  writeFileSync(file, stringify(sweepPolicy(uniqueName('sweep'), label, spec)));
  return { file, label, owned: (key, owner) => ownerLabels(label, key, owner) };
}

/** A new directory in `dir` of Topology manifests `o<i>` carrying these uids. */
export function ownersDir(dir: string, uids: readonly string[], namespace = 'x'): string {
  const owners = mkdtempSync(path.join(dir, 'owners-'));
  uids.forEach((uid, i) =>
    writeFileSync(path.join(owners, `o${i}.yaml`), stringify(topologyManifest(`o${i}`, namespace, uid))),
  );
  return owners;
}
