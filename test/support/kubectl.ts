// kubectl as a person would use it, against the test environment's API server (KUBECONFIG): the
// tests' and the benchmarks'.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requiredEnv } from './engines.js';

/** The repository's root directory (two levels above this file). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** reaper's Helm chart. */
export const chartDir = path.join(repoRoot, 'charts', 'reaper');

export function kubectl(args: readonly string[], input?: string): string {
  requiredEnv('KUBECONFIG');
  try {
    return execFileSync('kubectl', args, {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** Installs (or updates) reaper's CRDs and waits until the API serves their kinds. */
export function installCrds(): void {
  const crds = path.join(repoRoot, 'crds');
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', crds]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', crds]);
  // Established is read from etcd: an API server that has just started (the benchmarks' own) still
  // answers 429 "storage is (re)initializing" for a moment, and a sweep then would fail closed.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listed = spawnSync('kubectl', ['get', 'topologies,sandboxes,reappolicies', '-A', '-o', 'name'], {
      encoding: 'utf8',
    });
    if (listed.status === 0) return;
    if (Date.now() > deadline) throw new Error(`the reaper.dev kinds are not served: ${listed.stderr}`);
    spawnSync('sleep', ['1']);
  }
}
