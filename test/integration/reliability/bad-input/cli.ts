// `reaper sweep` as a separate process for the bad-input tests, optionally without the
// capabilities that let root read any file (so a file with mode 000 is really unreadable to it),
// and the files it sweeps with: a policy matching on a label key of the calling test's own, and a
// directory of owner manifests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { uniqueName } from '../../../support/engines.js';
import { repoRoot } from '../../../support/kubectl.js';
import { ownerLabels } from '../../../support/owner-labels.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI; `withoutDacOverride` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH first. */
export function reaper(args: string[], options: { withoutDacOverride?: boolean } = {}): CliRun {
  const command = [process.execPath, '--import', 'tsx', 'controllers/main.ts', ...args];
  const [file, ...rest] = options.withoutDacOverride
    ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--', ...command]
    : command;
  const result = spawnSync(file!, rest, { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI without blocking this process (for tests that serve something it talks to). */
export function reaperAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'controllers/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
 * A policy file (label rule on a key unique to the caller, minAge and grace 0), its label key, and
 * `owned`: the labels of a resource whose owner has `key` (the key under the label, with the kind
 * label of a Topology, as the ownership contract has it).
 */
export function policyFile(
  dir: string,
  spec: Record<string, unknown> = {},
): { file: string; label: string; owned: (key: string) => Record<string, string> } {
  const label = `${uniqueName('bad')}.test/owner-uid`;
  const file = path.join(dir, `${uniqueName('policy')}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'reaper.dev/v1alpha1',
      kind: 'ReapPolicy',
      metadata: { name: uniqueName('bad-input') },
      spec: {
        owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', key: 'uid' }],
        match: [{ label }],
        resources: { containers: { stopTimeoutSeconds: 1 } },
        timing: { minAge: '0s', gracePeriod: '0s' },
        limits: { maxOrphanPercent: 100 },
        ...spec,
      },
    }),
  );
  return { file, label, owned: (key) => ownerLabels(label, key) };
}

/** A directory of Topology manifests carrying these uids, as the API server hands them out. */
export function ownersDir(dir: string, uids: string[]): string {
  const owners = mkdtempSync(path.join(dir, 'owners-'));
  uids.forEach((uid, i) =>
    writeFileSync(
      path.join(owners, `o${i}.yaml`),
      stringify({
        apiVersion: 'reaper.dev/v1alpha1',
        kind: 'Topology',
        metadata: { name: `o${i}`, namespace: 'bad-input', uid },
        spec: {},
      }),
    ),
  );
  return owners;
}
